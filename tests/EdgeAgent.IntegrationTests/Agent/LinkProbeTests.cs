using EdgeAgent.Contracts.V1;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>Link probes against a real peer on loopback: the agent measures a link it never offloads to; the peer caps a probe's reply.</summary>
public sealed class LinkProbeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LinkProber_LocalPolicy_MeasuresThePeersLinkWithoutOffloading()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var settings = cluster.AgentSettings("local", $"cloud={peer.GetTcpAddress()};bw=20mbit");
        settings = settings with
        {
            Extra = new Dictionary<string, string?>(settings.Extra)
            {
                ["Agent:LinkProbeMaxBytes"] = "1048576",
                ["Agent:LinkProbeAfter"] = "00:00:00.200",
                ["Agent:PriorThroughputMbit"] = "1000",
            },
        };
        var agent = await cluster.StartAgentAsync(settings);
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        var prober = agent.Services.GetRequiredService<LinkProber>();
        var link = agent.Services.GetRequiredService<PeerConnections>().Single().Link;

        await AgentCluster.WaitUntilAsync(() => prober.Totals.Probes >= 2, "two link probes were answered");

        var status = await AgentCluster.WaitForStatusAsync(channel, _ => true, "status");
        Assert.Equal(0ul, status.RequestsOffloaded);
        Assert.True(link.ThroughputSamples >= 1, $"{link.ThroughputSamples} throughput samples");
        var totals = prober.TotalsFor("cloud");
        Assert.True(totals.Bytes >= 2 * 64 * 1024, $"{totals.Bytes} probe bytes");
        Assert.True(totals.Joules > 0, "probe energy is counted");
        output.WriteLine($"{totals.Probes} probes, {totals.Bytes} bytes, {totals.Joules:0.0000} J; estimate {link.ThroughputBitsPerSecond / 1e6:0.0} Mbit/s over a 20 Mbit/s emulated link (prior 1000)");
        // The 1000 Mbit/s prior is gone: the emulated link paces both directions at 20 Mbit/s, so no
        // probe can measure more than that (slack for the subtracted round trip); a loaded machine
        // only makes it slower.
        Assert.InRange(link.ThroughputBitsPerSecond, 1e3, 30e6);
    }

    [Fact]
    public async Task Probe_AsksForMoreThanTheCap_GetsTheCap()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var client = new PeerService.PeerServiceClient(cluster.Channel(peer));

        var small = await client.ProbeAsync(new ProbeRequest { Payload = Google.Protobuf.ByteString.CopyFrom(new byte[1000]), ResponseBytes = 12_345 }, deadline: DateTime.UtcNow.AddSeconds(30));
        var capped = await client.ProbeAsync(new ProbeRequest { ResponseBytes = uint.MaxValue }, deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.Equal(12_345, small.Payload.Length);
        Assert.Equal(EdgeAgent.Node.Peer.PeerService.MaxProbeResponseBytes, capped.Payload.Length);
    }
}
