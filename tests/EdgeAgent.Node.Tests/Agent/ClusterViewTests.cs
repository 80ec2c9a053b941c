using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class ClusterViewTests
{
    private sealed class FixedLocal(LocalLoad load, bool serves = true) : ILocalLoadSource
    {
        public bool Serves(string model) => serves;

        public LocalLoad GetLoad(string model) => load;
    }

    [Fact]
    public void Observe_LocalMeasured_UsesExecAndEnergyModel()
    {
        var options = new AgentOptions { Energy = new EnergyModelOptions { IdleWatts = 5, BusyWatts = 9 } };
        var view = new ClusterView(new FixedLocal(new LocalLoad { Executing = 1, Queued = 2, MaxConcurrency = 2, ResidualWorkSeconds = 0.9, MeanExecSeconds = 0.25 }), [], new DeviceEnergyModel(options.Energy), options);

        var observation = view.Observe("det", 4096, TimeSpan.FromSeconds(1));

        var local = Assert.Single(observation.Servers);
        Assert.Equal(Placement.Local(), local.Placement);
        Assert.True(local.Available);
        Assert.Equal(0.25, local.ExpectedExecSeconds);
        Assert.Equal(4 * 0.25, local.EstimatedEnergyJoules, 9);
        Assert.Equal((1, 2, 2, 0.9), (local.Executing, local.Queued, local.MaxConcurrency, local.ResidualWorkSeconds));
        Assert.Equal(new TaskObservation("det", 4096, TimeSpan.FromSeconds(1)), observation.Task);
    }

    [Fact]
    public void Observe_PeerNeverConnected_IsUnavailableAndListedAfterLocal()
    {
        var options = new AgentOptions();
        Assert.True(PeerEndpoint.TryParse("cloud=http://127.0.0.1:9", out var endpoint, out _));
        using var peer = new PeerConnection(endpoint, options, new FakeTimeProvider(), new Random(1), NullLogger.Instance);
        var view = new ClusterView(new FixedLocal(new LocalLoad()), [peer], new DeviceEnergyModel(options.Energy), options);

        var observation = view.Observe("det", 1_000_000, null);

        Assert.Equal([Placement.Local(), Placement.Peer("cloud")], observation.Servers.Select(s => s.Placement));
        Assert.False(observation.Servers[1].Available);
        Assert.Equal(100e6, observation.Servers[1].UplinkBitsPerSecond);
        // Radio energy: 2 W for 1 MB at the 100 Mbit/s prior = 0.08 s.
        Assert.Equal(2 * 0.08, observation.Servers[1].EstimatedEnergyJoules, 9);
    }

    [Fact]
    public void BackoffDelay_GrowsExponentiallyWithJitterAndCap()
    {
        var options = new AgentOptions { ReconnectInitialDelay = TimeSpan.FromMilliseconds(100), ReconnectMaxDelay = TimeSpan.FromSeconds(1) };
        Assert.True(PeerEndpoint.TryParse("cloud=http://127.0.0.1:9", out var endpoint, out _));
        using var peer = new PeerConnection(endpoint, options, new FakeTimeProvider(), new Random(42), NullLogger.Instance);

        for (var failures = 0; failures < 8; failures++)
        {
            var nominal = Math.Min(1000, 100 * Math.Pow(2, failures));
            Assert.InRange(peer.BackoffDelay(failures).TotalMilliseconds, nominal * 0.5, nominal);
        }
    }

    [Fact]
    public void BackoffDelay_SameSeed_SameSequence()
    {
        var options = new AgentOptions();
        Assert.True(PeerEndpoint.TryParse("cloud=http://127.0.0.1:9", out var endpoint, out _));
        using var a = new PeerConnection(endpoint, options, new FakeTimeProvider(), new Random(7), NullLogger.Instance);
        using var b = new PeerConnection(endpoint, options, new FakeTimeProvider(), new Random(7), NullLogger.Instance);
        Assert.Equal(Enumerable.Range(0, 5).Select(a.BackoffDelay), Enumerable.Range(0, 5).Select(b.BackoffDelay));
    }
}
