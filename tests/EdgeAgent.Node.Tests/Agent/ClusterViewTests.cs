using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
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
    public void Observe_PeerRowEnergy_IsTheOffloadEnergyOfTheRowsOwnCompletionEstimate()
    {
        // Each peer row is built once with its energy; the straightforward form computes the energy
        // from the finished row (upload + download seconds, CompletionEstimate.Seconds of the task on
        // the row) and copies the row with it. Both must give the same joules, bit for bit.
        var time = new FakeTimeProvider();
        var options = new AgentOptions { StaleAfter = TimeSpan.FromHours(1) };
        var energy = new DeviceEnergyModel(options.Energy);
        var random = new Random(11);
        var peers = new List<PeerConnection>();
        for (var p = 0; p < 6; p++)
        {
            Assert.True(PeerEndpoint.TryParse($"peer{p}", $"http://127.0.0.1:{1 + p};kind={(p % 2 == 0 ? "edge" : "cloud")}", out var endpoint, out var error), error);
            var peer = new PeerConnection(endpoint, options, time, new Random(p), NullLogger.Instance);
            if (p != 5)
            {
                // Peer 5 keeps the link priors.
                var rtt = 0.0005 + (random.NextDouble() * 0.1);
                peer.Link.AddRoundTrip(TimeSpan.FromSeconds(rtt));
                peer.Link.AddTransfer(1_000_000, TimeSpan.FromSeconds(rtt + 0.01 + (8e6 / (1e6 + (random.NextDouble() * 1e9)))), TimeSpan.FromSeconds(0.01));
            }

            peers.Add(peer);
        }

        try
        {
            var local = new FixedLocal(new LocalLoad { MeanExecSeconds = 0.06 });
            var view = new ClusterView(local, peers, energy, options);
            for (var trial = 0; trial < 200; trial++)
            {
                if (trial % 3 != 0)
                {
                    view.RecordResponseBytes("det", random.Next(1, 1_000_000));
                }

                foreach (var peer in peers)
                {
                    peer.ApplyLoad(new PeerLoad
                    {
                        Connected = random.Next(6) != 0,
                        ReceivedTimestamp = time.GetTimestamp(),
                        Running = random.Next(3),
                        Queued = random.Next(6),
                        MaxConcurrency = random.Next(3),
                        ResidualWorkSeconds = random.NextDouble(),
                        Models = new HashSet<string>(["det"], StringComparer.Ordinal),
                        MeanExecSeconds = random.Next(3) == 0 ? new Dictionary<string, double>(StringComparer.Ordinal) : new Dictionary<string, double>(StringComparer.Ordinal) { ["det"] = random.NextDouble() * 0.05 },
                    });
                    if (random.Next(4) == 0)
                    {
                        peer.NoteSent(new ForwardShape(random.Next(1, 2_000_000), random.NextDouble() * 0.05));
                    }
                }

                var inputBytes = random.Next(3) == 0 ? 0 : random.Next(1, 5_000_000);
                var observation = view.Observe("det", inputBytes, random.Next(2) == 0 ? null : TimeSpan.FromSeconds(1));
                foreach (var row in observation.Servers.Where(s => s.Kind != ServerKind.Local))
                {
                    var bare = row with { EstimatedEnergyJoules = 0 };
                    var responseBytes = observation.Task.ExpectedResponseBytes;
                    var transfer = CompletionEstimate.UploadSeconds(inputBytes, bare) + CompletionEstimate.TransferSeconds(responseBytes, bare.DownlinkBitsPerSecond);
                    var total = CompletionEstimate.Seconds(observation.Task, bare);
                    var expected = energy.OffloadJoules(inputBytes, responseBytes, transfer, total - transfer);
                    Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(row.EstimatedEnergyJoules));
                    Assert.Equal(EnergyProvenance.Modelled, row.EnergyProvenance);
                }

                time.Advance(TimeSpan.FromMilliseconds(random.Next(20)));
            }
        }
        finally
        {
            foreach (var peer in peers)
            {
                peer.Dispose();
            }
        }
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

    [Fact]
    public void Observe_SizeAwareLocalEstimate_ThisTasksExpectedExecNotTheMean()
    {
        var options = new AgentOptions();
        var local = new FixedLocal(new LocalLoad { MeanExecSeconds = 0.090 }, expected: bytes => 0.02 + (bytes * 2e-7));
        var view = new ClusterView(local, [], new DeviceEnergyModel(options.Energy), options);

        var narrow = view.Observe("rec", 200_000, null).Servers[0];
        var wide = view.Observe("rec", 500_000, null).Servers[0];

        Assert.Equal(0.06, narrow.ExpectedExecSeconds, 9);
        Assert.Equal(0.12, wide.ExpectedExecSeconds, 9);
        Assert.Equal(new DeviceEnergyModel(options.Energy).LocalJoules(0.06, "fp32"), narrow.EstimatedEnergyJoules, 9);
    }

    [Fact]
    public void Observe_PeerReportsALine_ItsEstimateAtThisSizeElseItsMean()
    {
        var options = new AgentOptions();
        var time = new FakeTimeProvider();
        Assert.True(PeerEndpoint.TryParse("edge=http://127.0.0.1:9", out var endpoint, out _));
        using var edge = new PeerConnection(endpoint, options, time, new Random(1), NullLogger.Instance);
        edge.ApplyLoad(new PeerLoad
        {
            Connected = true,
            ReceivedTimestamp = time.GetTimestamp(),
            Models = new HashSet<string>(["rec", "det"], StringComparer.Ordinal),
            MeanExecSeconds = new Dictionary<string, double>(StringComparer.Ordinal) { ["rec"] = 0.1, ["det"] = 0.03 },
            ExecLines = new Dictionary<string, Inference.Execution.ExecTimeLine>(StringComparer.Ordinal) { ["rec"] = new(10, 0.0002, 100_000, 500_000) },
        });
        var view = new ClusterView(new FixedLocal(new LocalLoad()), [edge], new DeviceEnergyModel(options.Energy), options);

        Assert.Equal(0.05, view.Observe("rec", 200_000, null).Servers[1].ExpectedExecSeconds, 9);
        // Sizes outside the measured range are clamped to it: no extrapolation.
        Assert.Equal(0.11, view.Observe("rec", 2_000_000, null).Servers[1].ExpectedExecSeconds, 9);
        Assert.Equal(0.03, view.Observe("det", 2_000_000, null).Servers[1].ExpectedExecSeconds, 9);
    }

    [Fact]
    public void Observe_SizeAwareEstimate_AllocatesNoMoreThanTheMean()
    {
        var options = new AgentOptions();
        var mean = new ClusterView(new FixedLocal(new LocalLoad { MeanExecSeconds = 0.09 }), [], new DeviceEnergyModel(options.Energy), options);
        var sized = new ClusterView(new FixedLocal(new LocalLoad { MeanExecSeconds = 0.09 }, expected: bytes => bytes * 1e-7), [], new DeviceEnergyModel(options.Energy), options);
        mean.Observe("rec", 1000, null);
        sized.Observe("rec", 1000, null);

        var before = GC.GetAllocatedBytesForCurrentThread();
        mean.Observe("rec", 1000, null);
        var meanBytes = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        sized.Observe("rec", 1000, null);
        var sizedBytes = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(meanBytes, sizedBytes);
    }
}
