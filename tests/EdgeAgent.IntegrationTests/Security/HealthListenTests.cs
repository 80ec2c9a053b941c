using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using EdgeAgent.TestModels;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Security;

/// <summary>
/// Endpoint:HealthListen: a TLS peer (client certificates required) also answers grpc.health.v1
/// in plaintext on a second port, as Kubernetes' gRPC probes need, and serves nothing else there.
/// </summary>
public sealed class HealthListenTests : IDisposable
{
    private readonly TestPki _pki = new();

    public void Dispose() => _pki.Dispose();

    [Fact]
    public async Task Peer_HealthListen_ServesHealthInPlaintextAndNothingElse()
    {
        await using var cluster = new AgentCluster();
        var healthPort = Loopback.FreePort();
        var tls = _pki.NodeTls(_pki.Issue("peer-1", NodeRole.Peer), ("Endpoint:HealthListen", "127.0.0.1:" + healthPort));
        await using var peer = await PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = cluster.Repository.Root, NodeName = "tls-peer", Extra = tls },
            b => b.Logging.SetMinimumLevel(LogLevel.Warning)).WaitAsync(AgentCluster.Bound);
        using var plaintext = GrpcChannel.ForAddress("http://127.0.0.1:" + healthPort);

        var health = await new Health.HealthClient(plaintext).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + AgentCluster.Bound).ResponseAsync.WaitAsync(AgentCluster.Bound);
        var refused = await Assert.ThrowsAsync<RpcException>(() => new GRPCInferenceService.GRPCInferenceServiceClient(plaintext)
            .ServerLiveAsync(new ServerLiveRequest(), deadline: DateTime.UtcNow + AgentCluster.Bound).ResponseAsync.WaitAsync(AgentCluster.Bound));

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Equal(StatusCode.Unimplemented, refused.StatusCode);
        Assert.Contains("Endpoint:HealthListen", refused.Status.Detail, StringComparison.Ordinal);
        Assert.StartsWith("https://", peer.GetTcpAddress().ToString(), StringComparison.Ordinal);
        Assert.Equal(healthPort, peer.GetHealthAddress()!.Port);
    }

    [Theory]
    [InlineData("nowhere:1", "Endpoint:HealthListen (--health-listen): 'nowhere' in 'nowhere:1' is not an IP address")]
    [InlineData("SAME", "Endpoint:HealthListen (--health-listen): 127.0.0.1:")]
    public async Task Peer_BadHealthListen_StopsNamingTheSetting(string value, string expected)
    {
        await using var cluster = new AgentCluster();
        var port = Loopback.FreePort();
        var settings = new PeerHostSettings
        {
            ModelsPath = cluster.Repository.Root,
            Listen = "127.0.0.1:" + port,
            Extra = new Dictionary<string, string?> { ["Endpoint:HealthListen"] = value == "SAME" ? "127.0.0.1:" + port : value },
        };

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(settings).WaitAsync(AgentCluster.Bound));

        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }
}
