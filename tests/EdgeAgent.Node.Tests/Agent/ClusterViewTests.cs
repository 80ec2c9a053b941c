using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class ClusterViewTests
{
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

    private sealed class MeasuredEstimator : IEnergyEstimator
    {
        public double LocalJoules(double execSeconds, string variant) => 3 * execSeconds;

        public double OffloadJoules(long uploadBytes, long downloadBytes, double transferSeconds, double waitSeconds) => 0;

        public EnergyProvenance LocalProvenance => EnergyProvenance.Measured;
    }

    [Fact]
    public void Observe_ProfiledVariants_OneLocalRowEachWithOwnExecEnergyDropAndSharedQueue()
    {
        var options = new AgentOptions { Energy = new EnergyModelOptions { IdleWatts = 5, BusyWatts = 9 } };
        var load = new LocalLoad
        {
            Executing = 1, Queued = 3, MaxConcurrency = 1, ResidualWorkSeconds = 0.4, MeanExecSeconds = 0.25,
            Variants = [new LocalVariantCost("fp32", 0.020, null, 0), new LocalVariantCost("int8", 0.008, 0.05, 0.4), new LocalVariantCost("fp16", 0.015, null, 0.01)],
        };
        var view = new ClusterView(new FixedLocal(load), [], new DeviceEnergyModel(options.Energy), options);

        var servers = view.Observe("det", 4096, null).Servers;

        Assert.Equal(["local", "local:int8", "local:fp16"], servers.Select(s => s.Placement.ToString()));
        // The profile's p50 wins over the executor's mean so the rows compare like with like.
        Assert.Equal([0.020, 0.008, 0.015], servers.Select(s => s.ExpectedExecSeconds));
        // Measured profile energy for int8; the device model (4 W above idle) for the others.
        Assert.Equal(4 * 0.020, servers[0].EstimatedEnergyJoules, 9);
        Assert.Equal(0.05, servers[1].EstimatedEnergyJoules, 9);
        Assert.Equal(4 * 0.015, servers[2].EstimatedEnergyJoules, 9);
        Assert.Equal([EnergyProvenance.Modelled, EnergyProvenance.Measured, EnergyProvenance.Modelled], servers.Select(s => s.EnergyProvenance));
        Assert.Equal([0.0, 0.4, 0.01], servers.Select(s => s.AccuracyDropPoints));
        Assert.All(servers, s => Assert.Equal((ServerKind.Local, 1, 3, 0.4), (s.Kind, s.Executing, s.Queued, s.ResidualWorkSeconds)));
    }

    [Fact]
    public void Observe_VariantsWithoutDefaultProfile_DefaultRowKeepsExecutorMeanAndEstimatorProvenance()
    {
        var options = new AgentOptions();
        var load = new LocalLoad { MeanExecSeconds = 0.25, Variants = [new LocalVariantCost("int8", 0.1, null, 0.2)] };
        var view = new ClusterView(new FixedLocal(load), [], new MeasuredEstimator(), options);

        var servers = view.Observe("det", 4096, null).Servers;

        Assert.Equal([Placement.Local(), Placement.Local("int8")], servers.Select(s => s.Placement));
        Assert.Equal([0.25, 0.1], servers.Select(s => s.ExpectedExecSeconds));
        Assert.Equal([0.75, 0.3], servers.Select(s => Math.Round(s.EstimatedEnergyJoules, 9)));
        Assert.All(servers, s => Assert.Equal(EnergyProvenance.Measured, s.EnergyProvenance));
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
