using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Security;

/// <summary>Mutual TLS between agents and peers over real TLS on 127.0.0.1, with certificates made in the test.</summary>
public sealed class MutualTlsTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    private async Task<WebApplication> StartPeerAsync(AgentCluster cluster, (string, string) files, params (string Key, string Value)[] extra) =>
        await PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = cluster.Repository.Root, NodeName = "tls-peer", Extra = _pki.NodeTls(files, extra) },
            b => b.Logging.SetMinimumLevel(LogLevel.Warning)).WaitAsync(AgentCluster.Bound);

    private static async Task<ServerLiveResponse> LiveAsync(GrpcChannel channel) =>
        await new GRPCInferenceService.GRPCInferenceServiceClient(channel)
            .ServerLiveAsync(new ServerLiveRequest(), deadline: DateTime.UtcNow + AgentCluster.Bound).ResponseAsync.WaitAsync(AgentCluster.Bound);

    [Fact]
    public async Task Peer_ClientWithAgentCertificate_Serves()
    {
        await using var cluster = new AgentCluster();
        await using var peer = await StartPeerAsync(cluster, _pki.Issue("peer-1", NodeRole.Peer));
        using var channel = _pki.Channel(peer.GetTcpAddress(), _pki.Issue("agent-1", NodeRole.Agent));

        var live = await LiveAsync(channel);

        Assert.StartsWith("https://", peer.GetTcpAddress().ToString(), StringComparison.Ordinal);
        Assert.True(live.Live);
    }

    public static TheoryData<string> RefusedClients => ["none", "other-ca", "expired", "not-yet-valid", "operator-role"];

    [Theory]
    [MemberData(nameof(RefusedClients))]
    public async Task Peer_ClientWithoutAcceptableCertificate_Refused(string client)
    {
        await using var cluster = new AgentCluster();
        await using var peer = await StartPeerAsync(cluster, _pki.Issue("peer-1", NodeRole.Peer));
        (string, string)? files = client switch
        {
            "none" => null,
            "other-ca" => _pki.Issue("stranger", NodeRole.Agent, fromOtherCa: true),
            "expired" => _pki.Issue("old-agent", NodeRole.Agent, startsIn: TimeSpan.FromDays(-10), validFor: TimeSpan.FromDays(5)),
            "not-yet-valid" => _pki.Issue("future-agent", NodeRole.Agent, startsIn: TimeSpan.FromDays(2)),
            _ => _pki.Issue("alice", NodeRole.Operator),
        };
        using var channel = _pki.Channel(peer.GetTcpAddress(), files);

        var ex = await Assert.ThrowsAsync<RpcException>(() => LiveAsync(channel));

        AssertRefusedAtHandshake(ex);
    }

    [Fact]
    public async Task Peer_PlaintextClient_Refused()
    {
        await using var cluster = new AgentCluster();
        await using var peer = await StartPeerAsync(cluster, _pki.Issue("peer-1", NodeRole.Peer));
        using var channel = GrpcChannel.ForAddress("http://127.0.0.1:" + peer.GetTcpAddress().Port);

        var ex = await Assert.ThrowsAsync<RpcException>(() => LiveAsync(channel));

        Assert.NotEqual(StatusCode.OK, ex.StatusCode);
    }

    [Fact]
    public async Task Agent_MutualTlsPeer_OffloadsToIt()
    {
        await using var cluster = new AgentCluster();
        await using var peer = await StartPeerAsync(cluster, _pki.Issue("peer-1", NodeRole.Peer, ["DNS:localhost"]));
        var agentTls = _pki.NodeTls(_pki.Issue("agent-1", NodeRole.Agent));
        var settings = cluster.AgentSettings("peer", "cloud=https://localhost:" + peer.GetTcpAddress().Port);
        var agent = await cluster.StartAgentAsync(settings with { Extra = Merge(settings.Extra, agentTls) });
        using var channel = _pki.Channel(agent.GetTcpAddress(), _pki.Issue("ops", NodeRole.Operator));

        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        var response = await AgentCluster.InferAsync(channel);

        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
    }

    [Fact]
    public async Task Agent_PlaintextLoopbackListenerWithCertificate_OffloadsOverMutualTls()
    {
        await using var cluster = new AgentCluster();
        await using var peer = await StartPeerAsync(cluster, _pki.Issue("peer-1", NodeRole.Peer));
        var settings = cluster.AgentSettings("peer", "cloud=https://127.0.0.1:" + peer.GetTcpAddress().Port);
        var tls = _pki.NodeTls(_pki.Issue("agent-1", NodeRole.Agent), ("Endpoint:Plaintext", "true"));
        var agent = await cluster.StartAgentAsync(settings with { Extra = Merge(settings.Extra, tls) });

        await AgentCluster.WaitForPeerAsync(cluster.Channel(agent), "cloud", connected: true);
        var response = await AgentCluster.InferAsync(cluster.Channel(agent));

        Assert.StartsWith("http://", agent.GetTcpAddress().ToString(), StringComparison.Ordinal);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
    }

    [Fact]
    public async Task Agent_PlaintextListenerOnAllAddresses_StopsNamingTheSetting()
    {
        await using var cluster = new AgentCluster();
        var tls = _pki.NodeTls(_pki.Issue("agent-1", NodeRole.Agent), ("Endpoint:Plaintext", "true"));
        var settings = cluster.AgentSettings("local") with { Listen = "0.0.0.0:0" };

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(settings with { Extra = Merge(settings.Extra, tls) }));

        Assert.Contains("Endpoint:Plaintext (--listen-plaintext) is set", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_PeerCertificateNotMatchingItsName_RefusesPeer()
    {
        await using var cluster = new AgentCluster();
        await using var peer = await StartPeerAsync(cluster, _pki.Issue("peer-1", NodeRole.Peer, ["DNS:other.example"]));
        var (certificate, key) = _pki.Issue("agent-1", NodeRole.Agent);
        using var store = TlsCertificateStore.Create(new TlsOptions { CertificatePath = certificate, KeyPath = key, CaPath = _pki.CaPath }, TimeProvider.System)!;
        var handler = new SocketsHttpHandler();
        store.ConfigureClient(handler);
        using var channel = GrpcChannel.ForAddress("https://localhost:" + peer.GetTcpAddress().Port, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });

        var ex = await Assert.ThrowsAsync<RpcException>(() => LiveAsync(channel));

        AssertRefusedAtHandshake(ex);
        Assert.Contains("remote certificate", ex.Status.DebugException?.ToString() ?? ex.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Agent_PeerFromOtherCa_NeverConnectsAndRunsLocally()
    {
        await using var cluster = new AgentCluster();
        await using var stranger = await StartPeerAsync(cluster, _pki.Issue("stranger", NodeRole.Peer, fromOtherCa: true));
        var settings = cluster.AgentSettings("peer", "cloud=https://127.0.0.1:" + stranger.GetTcpAddress().Port);
        var agent = await cluster.StartAgentAsync(settings with { Extra = Merge(settings.Extra, _pki.NodeTls(_pki.Issue("agent-1", NodeRole.Agent))) });

        using var channel = _pki.Channel(agent.GetTcpAddress(), _pki.Issue("ops", NodeRole.Operator));

        var response = await AgentCluster.InferAsync(channel);

        Assert.Equal("local", AgentCluster.Placement(response));
        Assert.False((await AgentCluster.WaitForStatusAsync(channel, _ => true, "status")).Peers.Single().Connected);
    }

    [Fact]
    public async Task Peer_CertificateRotatedOnDisk_ServedWithoutRestart()
    {
        await using var cluster = new AgentCluster();
        var files = _pki.Issue("peer-1", NodeRole.Peer);
        await using var peer = await StartPeerAsync(cluster, files);
        var agent = _pki.Issue("agent-1", NodeRole.Agent);
        string? first = null;
        using (var channel = _pki.Channel(peer.GetTcpAddress(), agent, c => first = c.SerialNumber))
        {
            await LiveAsync(channel);
        }

        var rotated = _pki.Issue("peer-1", NodeRole.Peer);
        string? second = null;
        using (var channel = _pki.Channel(peer.GetTcpAddress(), agent, c => second = c.SerialNumber))
        {
            await LiveAsync(channel);
        }

        Assert.Equal(files, rotated);
        Assert.NotNull(first);
        Assert.NotNull(second);
        Assert.NotEqual(first, second);
        Assert.Equal(2, peer.Services.GetRequiredService<TlsCertificateStore>().Generation);
    }

    [Fact]
    public async Task Peer_KeyPairHalfReplaced_KeepsServingPreviousCertificate()
    {
        await using var cluster = new AgentCluster();
        var files = _pki.Issue("peer-1", NodeRole.Peer);
        await using var peer = await StartPeerAsync(cluster, files);
        var other = _pki.Issue("peer-2", NodeRole.Peer);
        File.Copy(other.Key, files.Item2, overwrite: true);
        using var channel = _pki.Channel(peer.GetTcpAddress(), _pki.Issue("agent-1", NodeRole.Agent));

        var live = await LiveAsync(channel);

        Assert.True(live.Live);
        Assert.Equal(1, peer.Services.GetRequiredService<TlsCertificateStore>().Generation);
    }

    [Theory]
    [InlineData("Tls:CertificatePath", "/nonexistent/peer.crt", "Tls:CertificatePath (--tls-cert) / Tls:KeyPath (--tls-key): certificate file '/nonexistent/peer.crt' cannot be read")]
    [InlineData("Tls:CaPath", "/nonexistent/ca.crt", "Tls:CaPath (--tls-ca): CA bundle '/nonexistent/ca.crt' cannot be read")]
    [InlineData("Tls:ClientRoles", "admin", "Tls:ClientRoles is 'admin'")]
    [InlineData("Tls:ClientCertificates", "sometimes", "Tls:")]
    public async Task Peer_BadTlsSetting_OneMessageNamingIt(string key, string value, string expected)
    {
        await using var cluster = new AgentCluster();

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => StartPeerAsync(cluster, _pki.Issue("peer-1", NodeRole.Peer), (key, value)));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peer_KeyOfAnotherCertificate_StartupNamesTheFiles()
    {
        await using var cluster = new AgentCluster();
        var files = _pki.Issue("peer-1", NodeRole.Peer);
        var other = _pki.Issue("peer-2", NodeRole.Peer);

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => StartPeerAsync(cluster, (files.Item1, other.Item2)));

        Assert.Contains($"the key in '{other.Item2}' cannot be used with the certificate in '{files.Item1}'", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A TLS refusal reaches a gRPC client as UNAVAILABLE (handshake failed) or INTERNAL (TLS 1.3: the server's alert arrives after the client finished, as a failed HTTP/2 preface).</summary>
    internal static void AssertRefusedAtHandshake(RpcException ex) =>
        Assert.True(ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal && ex.Status.Detail.Contains("Error starting gRPC call", StringComparison.Ordinal), ex.Status.ToString());

    private static Dictionary<string, string?> Merge(IReadOnlyDictionary<string, string?> first, IReadOnlyDictionary<string, string?> second)
    {
        var merged = new Dictionary<string, string?>(first);
        foreach (var (key, value) in second)
        {
            merged[key] = value;
        }

        return merged;
    }
}
