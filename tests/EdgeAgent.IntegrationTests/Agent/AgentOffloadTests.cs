using System.Diagnostics.Metrics;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>The agent's request path against real peers on loopback: local, offload, fallback, reconnect.</summary>
public sealed class AgentOffloadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ModelInfer_LocalPolicy_RunsLocallyAndSaysWhere()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));
        var requests = new List<(long Value, string? Placement)>();
        using var listener = new MeterListener();
        var meterScope = agent.Services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AgentMetrics.MeterName && instrument.Meter.Scope == meterScope && instrument.Name == "edgeagent.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            lock (requests)
            {
                requests.Add((value, tags.ToArray().Single(t => t.Key == "placement").Value as string));
            }
        });
        listener.Start();

        var response = await AgentCluster.InferAsync(cluster.Channel(agent));
        listener.RecordObservableInstruments();

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("local", AgentCluster.Placement(response));
        lock (requests)
        {
            Assert.Equal([(1L, "local")], requests);
        }

        Assert.True(response.Parameters[ResponseParameters.ExecMs].DoubleParam > 0);
        Assert.True(response.Parameters[ResponseParameters.QueueMs].DoubleParam >= 0);
        Assert.Equal("req-1", response.Id);
    }

    [Fact]
    public async Task ModelInfer_PeerPolicy_OffloadsToConnectedPeer()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()}"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);

        var response = await AgentCluster.InferAsync(channel);

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        Assert.True(response.Parameters[ResponseParameters.ExecMs].DoubleParam > 0);
        var status = await AgentCluster.WaitForStatusAsync(channel, s => s.RequestsOffloaded == 1, "the offload is counted");
        Assert.Equal(0ul, status.RequestsLocal);
        Assert.True(status.Peers.Single().RttMs > 0);
        output.WriteLine($"loopback RTT {status.Peers.Single().RttMs:0.00} ms");
    }

    [Fact]
    public async Task ModelInfer_PlainOipPeerWithoutPeerService_FollowedByReadinessAndOffloadedTo()
    {
        await using var cluster = new AgentCluster();
        var triton = await cluster.StartOipOnlyServerAsync();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"triton={triton.GetTcpAddress()}"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "triton", connected: true);

        var response = await AgentCluster.InferAsync(channel);

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("peer:triton", AgentCluster.Placement(response));
        Assert.True(agent.Services.GetRequiredService<PeerConnections>().Single().Load.ServesAnyModel);
    }

    [Fact]
    public async Task ModelInfer_EmulatedBandwidthCap_IsPacedAndMeasured()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()};bw=10mbit"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);

        // 12,500 rows: 400 KB up and 400 KB down, 0.64 s at 10 Mbit/s.
        var response = await AgentCluster.InferAsync(channel, AgentCluster.AddNegRequest(rows: 12_500));

        AgentCluster.AssertAddNegOutputs(response, rows: 12_500);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        var link = agent.Services.GetRequiredService<PeerConnections>().Single().Link;
        Assert.Equal(1, link.ThroughputSamples);
        output.WriteLine($"measured {link.ThroughputBitsPerSecond / 1e6:0.0} Mbit/s over a 10 Mbit/s cap, RTT {link.RoundTripSeconds * 1e3:0.0} ms");
        // The estimate left the 100 Mbit/s prior for the capped link. The margin is wide because
        // the RTT subtracted is the smoothed probe RTT, which a loaded machine inflates.
        Assert.InRange(link.ThroughputBitsPerSecond, 1e3, 50e6);
    }

    [Fact]
    public async Task ModelInfer_PeerStoppedDuringRequest_FallsBackLocally()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        // 600 ms of emulated RTT: the request waits 300 ms before it leaves, while the peer is stopped.
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()};rtt=600ms"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);

        var inFlight = AgentCluster.InferAsync(channel);
        var cloud = agent.Services.GetRequiredService<PeerConnections>().Single();
        await AgentCluster.WaitUntilAsync(() => cloud.InFlight == 1, "the agent forwards the request");
        await cluster.StopAsync(peer, abort: true);
        var response = await inFlight;

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("local", AgentCluster.Placement(response));
        Assert.Equal("cloud", response.Parameters[ResponseParameters.FallbackFrom].StringParam);
        await AgentCluster.WaitForStatusAsync(channel, s => s.RequestsFallback == 1, "the fallback is counted");
    }

    [Fact]
    public async Task ModelInfer_PeerMissesOffloadDeadline_FallsBackLocally()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var settings = cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()};rtt=1s") with { OffloadTimeout = TimeSpan.FromMilliseconds(200) };
        var agent = await cluster.StartAgentAsync(settings);
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);

        var response = await AgentCluster.InferAsync(channel);

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("local", AgentCluster.Placement(response));
        Assert.Equal("cloud", response.Parameters[ResponseParameters.FallbackFrom].StringParam);
    }

    [Fact]
    public async Task ModelInfer_PeerStopped_LaterRequestsRunLocallyWithoutError()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()}"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        Assert.Equal("peer:cloud", AgentCluster.Placement(await AgentCluster.InferAsync(channel)));

        await cluster.StopAsync(peer);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: false);
        var response = await AgentCluster.InferAsync(channel);

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("local", AgentCluster.Placement(response));
    }

    [Fact]
    public async Task WatchLoad_PeerRestartedOnSamePort_AgentReconnectsAndOffloadsAgain()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var address = peer.GetTcpAddress();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={address}"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);

        await cluster.StopAsync(peer);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: false);
        Assert.Equal("local", AgentCluster.Placement(await AgentCluster.InferAsync(channel)));

        await cluster.StartPeerAsync("cloud", listen: $"127.0.0.1:{address.Port}");
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        var response = await AgentCluster.InferAsync(channel);

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
    }

    [Fact]
    public async Task ModelInfer_HeuristicDelayOnlyWithSlowLink_StaysLocal()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var settings = cluster.AgentSettings("heuristic", $"cloud={peer.GetTcpAddress()};rtt=300ms") with { Preference = 1.0 };
        var agent = await cluster.StartAgentAsync(settings);
        var channel = cluster.Channel(agent);
        // Connected and the RTT measured from the capabilities call: at least the emulated 300 ms.
        var status = await AgentCluster.WaitForStatusAsync(channel, s => s.Peers.Single().Connected && s.Peers.Single().RttMs >= 300, "the peer is connected with its RTT measured");

        var response = await AgentCluster.InferAsync(channel);

        Assert.Equal("heuristic", status.Policy);
        Assert.Equal("local", AgentCluster.Placement(response));
    }
}
