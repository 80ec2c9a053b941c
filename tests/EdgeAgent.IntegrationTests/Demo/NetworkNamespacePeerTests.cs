using System.Diagnostics;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.TestModels;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.Live;

namespace EdgeAgent.IntegrationTests.Demo;

/// <summary>Skips (with the reason) where network namespaces cannot be made: not root, no ip or tc.</summary>
public sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute()
    {
        if (NetworkNamespacePeer.Unavailable() is { } why)
        {
            Skip = "Real links need network namespaces: " + why + ".";
        }
    }
}

/// <summary>
/// Issue 15 item 4: a peer behind a real link. The peer runs as its own process in a network
/// namespace joined by a veth pair with tbf rate limits; a request crossing it takes at least its
/// bytes over the rate (a lower bound: a loaded machine only makes it slower), and everything is
/// deleted afterwards.
/// </summary>
[Collection(Faults.FaultCollection.Name)]
public sealed class NetworkNamespacePeerTests
{
    [NamespaceFact]
    public async Task Peer_BehindTbfRateLimit_TransferTakesAtLeastBytesOverRate_NamespaceRemovedAfterwards()
    {
        using var repository = new TempRepository().Add("chain", 1, TinyOnnx.MatMulChain(1));
        string ns;
        {
            const double rateMbit = 4;
            await using (var peer = await NetworkNamespacePeer.StartAsync("ns-edge", 201, rateMbit, 1.0, repository.Root,
                ("dotnet", [Path.Combine(AppContext.BaseDirectory, "edgeagent.dll")]), CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(3)))
            {
                ns = peer.Namespace;
                Assert.True(NetworkNamespacePeer.NamespaceExists(ns));
                Assert.Equal("10.231.201.2", peer.Url.Host);
                using var channel = DemoCluster.Channel(peer.Url);
                var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

                // 256 KiB up and 256 KiB back per request, one request at a time.
                var request = Faults.FaultPeers.ChainRequest(rows: 1024);
                await client.ModelInferAsync(request).ResponseAsync.WaitAsync(TimeSpan.FromMinutes(1));
                var bytes = 0L;
                var watch = Stopwatch.StartNew();
                for (var i = 0; i < 4; i++)
                {
                    var response = await client.ModelInferAsync(request).ResponseAsync.WaitAsync(TimeSpan.FromMinutes(1));
                    bytes += request.CalculateSize() + response.CalculateSize();
                }

                var seconds = watch.Elapsed.TotalSeconds;
                var floor = bytes * 8 / (rateMbit * 1e6);
                Assert.True(seconds >= 0.8 * floor, $"{bytes} bytes crossed a {rateMbit} Mbit/s link in {seconds:0.000} s, under the {floor:0.000} s the rate allows");
            }

            Assert.False(NetworkNamespacePeer.NamespaceExists(ns), $"namespace {ns} is still there after dispose");
        }
    }
}
