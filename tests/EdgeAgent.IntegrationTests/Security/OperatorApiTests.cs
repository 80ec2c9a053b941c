using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Control;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;

namespace EdgeAgent.IntegrationTests.Security;

/// <summary>The operator API's credentials (token, operator certificate, Unix socket) and the listeners' safe defaults.</summary>
public sealed class OperatorApiTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private static Task<AgentStatus> SetAsync(GrpcChannel channel, double weight) =>
        new ControlService.ControlServiceClient(channel).SetPreferenceAsync(new SetPreferenceRequest { DelayWeight = weight }, deadline: DateTime.UtcNow + AgentCluster.Bound).ResponseAsync.WaitAsync(AgentCluster.Bound);

    private async Task<WebApplication> StartTlsAgentAsync(AgentCluster cluster, params (string Key, string Value)[] extra)
    {
        var tls = _pki.NodeTls(_pki.Issue("agent-1", NodeRole.Agent), extra);
        tls["Security:OperatorTokenFile"] = cluster.TokenFile;
        var settings = cluster.AgentSettings("local");
        foreach (var (key, value) in settings.Extra)
        {
            tls.TryAdd(key, value);
        }

        return await cluster.StartAgentAsync(settings with { Extra = tls });
    }

    [Fact]
    public async Task SetPreference_NoCredentialOverTcp_UnauthenticatedNamingTheWays()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));
        using var anonymous = AgentChannel.Create(agent.GetTcpAddress().ToString());

        var ex = await Assert.ThrowsAsync<RpcException>(() => SetAsync(anonymous, 0.8));

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("the operator API needs a credential", ex.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("--token-file", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetPreference_WrongToken_PermissionDeniedWithoutEchoingIt()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));
        var wrong = Path.Combine(cluster.Repository.Root, "wrong.token");
        await File.WriteAllTextAsync(wrong, "not-the-operator-token-0123456789");
        using var channel = AgentChannel.Create(agent.GetTcpAddress().ToString(), new AgentCredentials { TokenFile = wrong });

        var ex = await Assert.ThrowsAsync<RpcException>(() => SetAsync(channel, 0.8));

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.DoesNotContain("not-the-operator-token", ex.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(await File.ReadAllTextAsync(cluster.TokenFile), ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetPreference_RightToken_Accepted()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));
        using var channel = AgentChannel.Create(agent.GetTcpAddress().ToString(), new AgentCredentials { TokenFile = cluster.TokenFile });

        var status = await SetAsync(channel, 0.8);

        Assert.Equal(0.8, status.DelayWeight);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task SetPreference_OverUnixSocketWithoutCredential_AcceptedAndSocketIsMode0660()
    {
        await using var cluster = new AgentCluster();
        var socket = Path.Combine(cluster.Repository.Root, "agent.sock");
        await cluster.StartAgentAsync(cluster.AgentSettings("local") with { Socket = socket });
        using var channel = AgentChannel.Create("unix:" + socket);

        var status = await SetAsync(channel, 0.7);

        Assert.Equal(0.7, status.DelayWeight);
        Assert.Equal(UnixSocketAccess.SocketMode, File.GetUnixFileMode(socket));
    }

    [Fact]
    public async Task SetPreference_OperatorCertificate_AcceptedAndAgentCertificateDenied()
    {
        await using var cluster = new AgentCluster();
        var agent = await StartTlsAgentAsync(cluster);
        using var operatorChannel = _pki.Channel(agent.GetTcpAddress(), _pki.Issue("alice", NodeRole.Operator));
        using var agentChannel = _pki.Channel(agent.GetTcpAddress(), _pki.Issue("agent-2", NodeRole.Agent));

        var status = await SetAsync(operatorChannel, 0.9);
        var ex = await Assert.ThrowsAsync<RpcException>(() => SetAsync(agentChannel, 0.1));

        Assert.Equal(0.9, status.DelayWeight);
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("needs role operator", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TlsAgent_ClientCertificateFromOtherCa_RefusedAtHandshake()
    {
        await using var cluster = new AgentCluster();
        var agent = await StartTlsAgentAsync(cluster);
        using var channel = _pki.Channel(agent.GetTcpAddress(), _pki.Issue("mallory", NodeRole.Operator, fromOtherCa: true));

        var ex = await Assert.ThrowsAsync<RpcException>(() => SetAsync(channel, 0.1));

        MutualTlsTests.AssertRefusedAtHandshake(ex);
    }

    [Fact]
    public async Task Inference_RequireCredentialSet_RefusesAnonymousAndAdmitsCertificate()
    {
        await using var cluster = new AgentCluster();
        var agent = await StartTlsAgentAsync(cluster, ("Security:RequireInferenceCredential", "true"));
        using var anonymous = _pki.Channel(agent.GetTcpAddress(), null);
        using var app = _pki.Channel(agent.GetTcpAddress(), _pki.Issue("app-1", NodeRole.Agent));

        var ex = await Assert.ThrowsAsync<RpcException>(() => AgentCluster.InferAsync(anonymous));
        var response = await AgentCluster.InferAsync(app);

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
        Assert.Contains("Inference needs a credential", ex.Status.Detail, StringComparison.Ordinal);
        AgentCluster.AssertAddNegOutputs(response);
    }

    [Fact]
    public async Task PrefSetCommand_WithoutCredential_ExitsOneSayingUnauthenticated()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));

        var (code, _, error) = await InProcessCli.RunAsync("pref", "set", "0.8", "--agent", agent.GetTcpAddress().ToString());
        var (okCode, output, _) = await InProcessCli.RunAsync("pref", "set", "0.8", "--agent", agent.GetTcpAddress().ToString(), "--token-file", cluster.TokenFile);

        Assert.Equal(1, code);
        Assert.Contains("answered Unauthenticated", error, StringComparison.Ordinal);
        Assert.Equal(0, okCode);
        Assert.Contains("w_delay=0.8", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusCommand_OverTlsWithOperatorCertificate_PrintsStatus()
    {
        await using var cluster = new AgentCluster();
        var agent = await StartTlsAgentAsync(cluster);
        var (certificate, key) = _pki.Issue("alice", NodeRole.Operator);

        var (code, output, error) = await InProcessCli.RunAsync("status", "--agent", agent.GetTcpAddress().ToString(), "--cert", certificate, "--key", key, "--ca", _pki.CaPath);

        Assert.True(code == 0, error);
        Assert.Contains("policy      local", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusCommand_MissingTokenFile_ExitsTwoNamingTheOption()
    {
        var (code, _, error) = await InProcessCli.RunAsync("status", "--agent", "http://127.0.0.1:1", "--token-file", "/nonexistent/token");

        Assert.Equal(2, code);
        Assert.Contains("--token-file: '/nonexistent/token' cannot be read", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0:0")]
    [InlineData("[::]:0")]
    public async Task StartAsync_PlaintextOnNonLoopbackWithoutInsecure_StopsNamingTheSetting(string listen)
    {
        await using var cluster = new AgentCluster();

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(cluster.AgentSettings("local") with { Listen = listen }));
        var peerEx = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartPeerAsync("p", listen));

        Assert.StartsWith($"Endpoint:Listen (--listen): {listen} is not a loopback address and Tls:CertificatePath (--tls-cert) is not set", ex.Message, StringComparison.Ordinal);
        Assert.Contains("--insecure", peerEx.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PlaintextPeerOnNetworkWithoutInsecure_StopsNamingThePeer()
    {
        await using var cluster = new AgentCluster();

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(cluster.AgentSettings("local", "cloud=http://10.0.0.5:8001")));

        Assert.Contains("Agent:Peers:cloud (--peer): http://10.0.0.5:8001 is plaintext to a non-loopback host", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentCommand_PlaintextOnAllAddresses_ExitsTwoWithOneLine()
    {
        await using var cluster = new AgentCluster();

        var (code, _, error) = await InProcessCli.RunAsync("agent", "--listen", "0.0.0.0:8001", "--models", cluster.Repository.Root);

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("Endpoint:Listen (--listen): 0.0.0.0:8001 is not a loopback address", error, StringComparison.Ordinal);
    }
}
