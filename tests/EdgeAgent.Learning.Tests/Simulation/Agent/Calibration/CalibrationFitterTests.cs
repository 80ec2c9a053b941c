using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Simulation.Agent;
using EdgeAgent.Learning.Simulation.Agent.Calibration;

namespace EdgeAgent.Learning.Tests.Simulation.Agent.Calibration;

public sealed class CalibrationFitterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 18, 0, 0, TimeSpan.Zero);
    private static readonly FeatureLayout Layout = FeatureLayout.Agent();
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-calibration-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // A deployment with known truth: device fp32 times 0.1 s (small) and 0.2 s (big) with a
    // log-normal spread, peer "edge" 4x faster behind RTT 10 ms and 100 Mbit/s, local executor of
    // 2 slots, compute power 5 W, radio 2 W and wait 0.5 W, one job every 0.5 s.
    private static List<LoggedRequest> Deployment(int count, double sigma, int seed = 1, double observed = 1, double observedRtt = 0.011)
    {
        var random = new Random(seed);
        var list = new List<LoggedRequest>();
        for (var i = 0; i < count; i++)
        {
            var big = i % 2 == 1;
            var model = big ? "big" : "small";
            var bytes = big ? 1_000_000L : 100_000L;
            var device = big ? 0.2 : 0.1;
            var jitter = Math.Exp((sigma * Gaussian(random)) - (0.5 * sigma * sigma));
            var offload = i % 3 != 0;
            var exec = offload ? device / 4 * jitter : device * jitter;
            var transfer = offload ? 0.010 + ((bytes + 1000) * 8 / 1e8) : 0;
            var queue = 0.001;
            var delay = queue + exec + transfer;
            // As the Dispatcher prices it: radio for the wire time less its RTT estimate (11 ms), waiting for the rest.
            var radio = offload ? (2.0 * (transfer - 0.011)) + (0.5 * (queue + exec + 0.011)) : 0;
            list.Add(new LoggedRequest
            {
                Timestamp = T0.AddSeconds((0.5 * i) + delay),
                Model = model,
                InputBytes = bytes,
                Candidates = ["local", "peer:edge"],
                Features = Features(device * observed, device / 4 * observed, observedRtt),
                Mask = Mask(),
                RanAt = offload ? "peer:edge" : "local",
                DelaySeconds = delay,
                QueueSeconds = queue,
                TransferSeconds = transfer,
                ExecSeconds = exec,
                ComputeJoules = offload ? 0 : 5.0 * exec,
                RadioJoules = radio,
            });
        }

        return list;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static float[] Features(double localExec, double peerExec, double rtt = 0.011)
    {
        var f = Layout.FeatureCount;
        var features = Enumerable.Repeat(-1f, Layout.MaxServers * f).ToArray();
        void Set(int row, FeatureKind kind, double value) => features[(row * f) + Layout.IndexOf(kind)] = (float)value;
        Set(0, FeatureKind.IsLocal, 1);
        Set(0, FeatureKind.IsQuantizedVariant, 0);
        Set(0, FeatureKind.Concurrency, 2);
        Set(0, FeatureKind.ExecLog, ObservationEncoder.LogTime(localExec));
        Set(0, FeatureKind.ResponseBytesLog, Math.Log10(1 + 1000));
        Set(1, FeatureKind.IsLocal, 0);
        Set(1, FeatureKind.IsQuantizedVariant, 0);
        Set(1, FeatureKind.Concurrency, 1);
        Set(1, FeatureKind.RoundTripLog, ObservationEncoder.LogTime(rtt));
        Set(1, FeatureKind.UplinkLog, Math.Log10(1e8));
        Set(1, FeatureKind.ExecLog, ObservationEncoder.LogTime(peerExec));
        Set(1, FeatureKind.ResponseBytesLog, Math.Log10(1 + 1000));
        return features;
    }

    private static float[] Mask()
    {
        var mask = new float[Layout.MaxServers];
        mask[0] = mask[1] = 1;
        return mask;
    }

    [Fact]
    public void Fit_KnownDeployment_RecoversLinkSpeedSlotsPowerArrivalsAndSpread()
    {
        var calibration = CalibrationFitter.Fit(Deployment(600, sigma: 0.2), Layout, "test.db", "agent-v2-s11-f37");

        var edge = Assert.Single(calibration.Peers);
        Assert.Equal("edge", edge.Name);
        Assert.Equal(0.010, edge.RoundTripSeconds, 4);
        Assert.InRange(edge.BitsPerSecond, 0.99e8, 1.01e8);
        Assert.InRange(edge.Speed, 3.6, 4.4);
        Assert.Equal(1, edge.Concurrency);
        Assert.Equal(2, calibration.Device.LocalConcurrency);
        Assert.Equal(5.0, calibration.Device.BusyWatts - calibration.Device.IdleWatts, 6);
        Assert.Equal(2.0, calibration.Device.RadioWatts, 3);
        Assert.Equal(0.5, calibration.Device.WaitWatts, 3);
        Assert.Equal("fitted", calibration.Device.PowerSource);
        Assert.InRange(calibration.Device.ExecJitterSigma, 0.17, 0.23);
        Assert.Equal("periodic", calibration.Arrivals.Kind);
        Assert.InRange(calibration.Arrivals.JobsPerSecond, 1.99, 2.01);
        var small = calibration.Models.Single(m => m.Name == "small");
        Assert.InRange(small.DeviceExecSeconds, 0.09, 0.11);
        Assert.Equal("measured", small.DeviceExecSource);
        Assert.Equal(1000, small.ResponseBytes);
        Assert.Equal(Distribution.QuantileCount, small.ExecSeconds["local"].Quantiles.Count);

        var context = calibration.ToContext();
        Assert.Equal(2, context.ModelCount);
        Assert.Equal(1, context.PeerCount);
        Assert.Equal(ArrivalKind.Periodic, context.Arrivals);
        Assert.Equal(0b11, context.Peers[0].ServedModels);
    }

    [Fact]
    public void Fit_TwoSessionsMinutesApart_GapBetweenThemIsNotAnArrival()
    {
        // Regression: eval live's runs (one per preference, the cluster restarted in between) were
        // fitted as one bursty session at a third of the real rate.
        var requests = Deployment(300, sigma: 0.1);
        var shifted = requests.Select((r, i) => i < 150 ? r : r with { Timestamp = r.Timestamp.AddSeconds(90) }).ToList();

        var calibration = CalibrationFitter.Fit(shifted, Layout, "test.db", "agent-v2-s11-f37");

        Assert.Equal("periodic", calibration.Arrivals.Kind);
        Assert.InRange(calibration.Arrivals.JobsPerSecond, 1.99, 2.01);
        Assert.Contains(calibration.Notes, n => n.Contains("2 sessions", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_FixedRateClientHeldBackNowAndThen_PeriodicAtTheGeneratorsRate()
    {
        // Regression (eval live at 6 items/s, 5 December): a periodic generator whose gaps stretched by
        // a second at every 20th request while the agent fell behind was fitted as Poisson at a lower rate.
        var requests = Deployment(600, sigma: 0.1);
        var held = requests.Select((r, i) => r with { Timestamp = r.Timestamp.AddSeconds(1.0 * (i / 20)) }).ToList();

        var calibration = CalibrationFitter.Fit(held, Layout, "test.db", "agent-v2-s11-f37");

        Assert.Equal("periodic", calibration.Arrivals.Kind);
        Assert.InRange(calibration.Arrivals.JobsPerSecond, 1.99, 2.01);
        Assert.InRange(calibration.Arrivals.CoefficientOfVariation, 0.35, 1.5);
        Assert.Contains(calibration.Notes, n => n.Contains("1 / the median gap", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_ExponentialGaps_StayPoisson()
    {
        var random = new Random(7);
        var at = 0.0;
        var requests = Deployment(600, sigma: 0.1).Select((r, i) =>
        {
            at += -Math.Log(1 - random.NextDouble()) * 0.5;
            return r with { Timestamp = T0.AddSeconds(at + r.DelaySeconds) };
        }).ToList();

        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");

        Assert.Equal("poisson", calibration.Arrivals.Kind);
        Assert.InRange(calibration.Arrivals.JobsPerSecond, 1.7, 2.3);
        Assert.DoesNotContain(calibration.Notes, n => n.Contains("1 / the median gap", StringComparison.Ordinal));
    }

    [Fact]
    public void Fit_AgentExpectsHalfTheTimes_RatioRecordedAndCarriedIntoTheSimulatorsObservations()
    {
        var calibration = CalibrationFitter.Fit(Deployment(300, sigma: 0, observed: 0.5), Layout, "test.db", "agent-v2-s11-f37");

        Assert.All(calibration.Models, m => Assert.Equal(0.5, m.ObservedExecRatio, 6));
        Assert.Equal(0.5, calibration.Peers[0].ObservedExecRatio, 6);
        var context = calibration.ToContext();
        Assert.Equal(0.5, context.Models[0].ObservedExecRatio, 6);

        var env = new AgentVecEnv(AgentContextRange.Fixed(context), 1, 3, autoReset: false);
        env.Reset(0, 11);
        var observation = env.CurrentObservation(0);
        var model = context.Models[env.CurrentModel(0)];
        var local = observation.Servers[0];
        Assert.Equal(model.ExecFp32 * model.ObservedExecRatio, local.ExpectedExecSeconds, 12);
        Assert.Equal(0.5, local.ExpectedExecSeconds / model.ExecFp32, 6);
        var peer = observation.Servers.Single(s => s.Placement.ToString() == "peer:edge");
        Assert.Equal(model.ExecFp32 / context.Peers[0].Speed * context.PeerObservedExecRatio[env.CurrentModel(0)], peer.ExpectedExecSeconds, 12);

        // What actually runs is the truth, not the observation.
        env.Step(0, 0, out _, out _);
        Assert.Equal(model.ExecFp32, env.LastTask(0).ExecSeconds, 9);
    }

    [Fact]
    public void WithObservedEstimates_OneRunsRows_TheEstimatesOfThatRunOverTheCalibratedTruth()
    {
        // The whole log: the agent's estimates right. One run: it expected half the times and a 30 ms RTT.
        var calibration = CalibrationFitter.Fit(Deployment(300, sigma: 0), Layout, "test.db", "agent-v2-s11-f37");
        var run = Deployment(60, sigma: 0, observed: 0.5, observedRtt: 0.030);

        var observed = CalibrationFitter.WithObservedEstimates(calibration, run, Layout);

        Assert.All(calibration.Models, m => Assert.Equal(1.0, m.ObservedExecRatio, 6));
        Assert.All(observed.Models, m => Assert.Equal(0.5, m.ObservedExecRatio, 6));
        Assert.Equal(0.5, observed.Peers[0].ObservedExecRatio, 6);
        Assert.Equal(0.030, observed.Peers[0].ObservedRoundTripSeconds!.Median, 4);
        Assert.Equal(0.011, calibration.Peers[0].ObservedRoundTripSeconds!.Median, 4);

        // The truth stays the calibration's: what runs, and the link the simulator moves bytes over.
        Assert.Equal(calibration.Models.Select(m => m.DeviceExecSeconds), observed.Models.Select(m => m.DeviceExecSeconds));
        Assert.Equal(calibration.Peers[0].RoundTripSeconds, observed.Peers[0].RoundTripSeconds);
        var context = observed.ToContext();
        Assert.Equal(0.030, context.Peers[0].ObservedRoundTripSeconds, 4);
        Assert.Equal(0.5, context.Models[0].ObservedExecRatio, 6);

        // A run without rows (or with none of a model) keeps the calibration's estimates.
        Assert.Same(calibration, CalibrationFitter.WithObservedEstimates(calibration, [], Layout));
        var smallOnly = CalibrationFitter.WithObservedEstimates(calibration, [.. run.Where(r => r.Model == "small")], Layout);
        Assert.Equal(1.0, smallOnly.Models.Single(m => m.Name == "big").ObservedExecRatio, 6);
        Assert.Equal(0.5, smallOnly.Models.Single(m => m.Name == "small").ObservedExecRatio, 6);
    }

    [Fact]
    public void AtObservedLevel_SizesSpread_BytesAtTheQuantileAndTimesScaledWithThem()
    {
        // The big model's inputs 200-600 KB, its time proportional to them on every server (mean size 400 KB);
        // the agent's RTT estimate 5 to 25 ms.
        var requests = Deployment(500, sigma: 0).Select((r, i) =>
        {
            var rtt = 0.005 + (0.005 * (i % 5));
            var row = r with { Features = Features(r.Model == "big" ? 0.2 : 0.1, r.Model == "big" ? 0.05 : 0.025, rtt) };
            if (r.Model != "big")
            {
                return row;
            }

            var bytes = 200_000 + (100_000 * (i / 2 % 5));
            return row with { InputBytes = bytes, ExecSeconds = r.ExecSeconds * bytes / 400_000.0 };
        }).ToList();
        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");
        var big = calibration.Models.Single(m => m.Name == "big");

        var high = CalibrationFitter.AtObservedLevel(calibration, requests, Layout, 1.0);
        var middle = CalibrationFitter.AtObservedLevel(calibration, requests, Layout, 0.5);

        var highBig = high.Models.Single(m => m.Name == "big");
        Assert.Equal(600_000, highBig.RequestBytes);
        Assert.Equal(big.DeviceExecSeconds * 1.5, highBig.DeviceExecSeconds, 4);
        Assert.Equal(big.ExecSeconds["peer:edge"].Mean * 1.5, highBig.ExecSeconds["peer:edge"].Mean, 4);
        Assert.Equal(big.DeviceExecSeconds, middle.Models.Single(m => m.Name == "big").DeviceExecSeconds, 4);
        Assert.Equal(100_000, high.Models.Single(m => m.Name == "small").RequestBytes);
        Assert.Equal(calibration.Models.Single(m => m.Name == "small").DeviceExecSeconds, high.Models.Single(m => m.Name == "small").DeviceExecSeconds, 9);

        // The agent's RTT estimate at the level, its throughput estimate at the other end; the true link unchanged.
        Assert.Equal(0.025, high.ToContext().Peers[0].ObservedRoundTripSeconds, 4);
        Assert.Equal(0.005, CalibrationFitter.AtObservedLevel(calibration, requests, Layout, 0).ToContext().Peers[0].ObservedRoundTripSeconds, 4);
        Assert.Equal(calibration.Peers[0].RoundTripSeconds, high.Peers[0].RoundTripSeconds);
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationFitter.AtObservedLevel(calibration, requests, Layout, 1.5));

        // Each peer's link estimates at a level of its own (by the peer's index); the sizes stay at theirs.
        var perPeer = CalibrationFitter.AtObservedLevel(calibration, requests, Layout, 1.0, p => p == 0 ? 0.0 : 1.0, 1.0);
        Assert.Equal(0.005, perPeer.ToContext().Peers[0].ObservedRoundTripSeconds, 4);
        Assert.Equal(600_000, perPeer.Models.Single(m => m.Name == "big").RequestBytes);
        Assert.Throws<ArgumentOutOfRangeException>(() => CalibrationFitter.AtObservedLevel(calibration, requests, Layout, 0.5, _ => 2.0, 0.5));
    }

    [Fact]
    public void Fit_TimesGrowWithSize_ResidualSigmaIsTheSpreadAroundTheSizeLineOnly()
    {
        // The big model's inputs 200-600 KB, its time proportional to them, jitter sigma 0.1: the spread
        // around each server's median holds the sizes' spread too; around the size line only the jitter's.
        var requests = Deployment(1000, sigma: 0.1).Select((r, i) =>
        {
            var bytes = 200_000 + (100_000 * (i / 2 % 5));
            return r.Model != "big" ? r : r with { InputBytes = bytes, ExecSeconds = r.ExecSeconds * bytes / 400_000.0 };
        }).ToList();

        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");

        Assert.InRange(calibration.Device.ExecResidualSigma, 0.085, 0.115);
        Assert.True(calibration.Device.ExecJitterSigma > 0.2, $"jitter sigma {calibration.Device.ExecJitterSigma}");
        Assert.InRange(CalibrationFitter.Fit(Deployment(1000, sigma: 0.1), Layout, "test.db", "agent-v2-s11-f37").Device.ExecResidualSigma, 0.085, 0.115);
    }

    // The deployment with the big model's inputs from bytesOf (its time proportional to them on every
    // server, 400 KB the mean of the whole log) and the board's times stretched by boardFactor.
    private static List<LoggedRequest> SizedDeployment(int count, int seed, Func<int, long> bytesOf, double boardFactor) =>
        [.. Deployment(count, sigma: 0, seed).Select((r, i) =>
        {
            var bytes = r.Model == "big" ? bytesOf(i) : r.InputBytes;
            var exec = r.Model == "big" ? r.ExecSeconds * bytes / 400_000.0 : r.ExecSeconds;
            return r with { InputBytes = bytes, ExecSeconds = r.RanAt == "local" ? exec * boardFactor : exec };
        })];

    [Fact]
    public void WithRunExecutionTimes_BoardSlowerInOneRun_EachServersTimesAtItsSpeedThere_SizesAccountedFor()
    {
        var calibration = CalibrationFitter.Fit(SizedDeployment(600, 1, i => 200_000 + (100_000 * (i / 2 % 5)), 1), Layout, "test.db", "agent-v2-s11-f37");
        // One run with only the widest inputs (600 KB: 1.5x the mean's time) and the board 25 % slower.
        var run = SizedDeployment(120, 2, _ => 600_000, 1.25);

        var (timed, factors) = CalibrationFitter.WithRunExecutionTimes(calibration, run);

        Assert.Equal(1.25, factors["local"], 3); // the widths are the size line's, not the board's speed
        Assert.Equal(1.0, factors["peer:edge"], 3);
        foreach (var (before, after) in calibration.Models.Zip(timed.Models))
        {
            Assert.Equal(before.DeviceExecSeconds * 1.25, after.DeviceExecSeconds, 9);
            Assert.Equal(before.ExecAtMeanBytesSeconds["local"] * 1.25, after.ExecAtMeanBytesSeconds["local"], 9);
            Assert.Equal(before.ExecAtMeanBytesSeconds["peer:edge"], after.ExecAtMeanBytesSeconds["peer:edge"], 9);
            Assert.Equal(before.ExecSeconds["local"].Mean * 1.25, after.ExecSeconds["local"].Mean, 9);
        }

        // The agent's estimates are then read as ratios to the run's times (what it saw stays what it saw).
        var observed = CalibrationFitter.WithObservedEstimates(timed, run, Layout);
        Assert.All(observed.Models, m => Assert.Equal(1 / 1.25, m.ObservedExecRatio, 3));

        // Fewer than MinimumRunExecRequests on a server: the calibration's times there.
        var (kept, few) = CalibrationFitter.WithRunExecutionTimes(calibration, [.. run.Where(r => r.RanAt == "local").Take(CalibrationFitter.MinimumRunExecRequests - 1)]);
        Assert.Equal(1.0, few["local"]);
        Assert.Equal(calibration.Models.Select(m => m.DeviceExecSeconds), kept.Models.Select(m => m.DeviceExecSeconds));
    }

    [Fact]
    public void Fit_PeerEstimatesOffInOppositeDirections_EachModelsOwnRatioInTheObservations()
    {
        // On the peer the agent expects the small model at twice its time and the big one at half:
        // one ratio per peer (their geometric mean, 1) would show both at the truth.
        var requests = Deployment(300, sigma: 0).Select(r => r with
        {
            Features = Features(r.Model == "big" ? 0.2 : 0.1, r.Model == "big" ? 0.05 * 0.5 : 0.025 * 2),
        }).ToList();

        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");

        var edge = Assert.Single(calibration.Peers);
        Assert.Equal(2.0, edge.ObservedExecRatios["small"], 6);
        Assert.Equal(0.5, edge.ObservedExecRatios["big"], 6);
        var context = calibration.ToContext();
        context.ExecJitterSigma = 0;
        var env = new AgentVecEnv(AgentContextRange.Fixed(context), 1, 3, autoReset: false);
        for (var seed = 1UL; seed <= 8; seed++)
        {
            env.Reset(0, seed);
            var m = env.CurrentModel(0);
            var expected = context.Models[m].Name == "big" ? 0.5 : 2.0;
            Assert.Equal(context.PeerExecSeconds[m] * expected, env.CurrentObservation(0).Servers.Single(s => s.Placement.ToString() == "peer:edge").ExpectedExecSeconds, 6);
        }

        // A run of its own carries its own per-model ratios.
        var run = CalibrationFitter.WithObservedEstimates(calibration, Deployment(60, sigma: 0), Layout);
        Assert.All(run.Peers[0].ObservedExecRatios.Values, r => Assert.Equal(1.0, r, 6));
    }

    [Fact]
    public void Fit_NoLocalRuns_UsesTheAgentsExpectedDeviceTimeAndSaysSo()
    {
        var offloadedOnly = Deployment(60, sigma: 0).Where(r => r.RanAt != "local").ToList();

        var calibration = CalibrationFitter.Fit(offloadedOnly, Layout, "test.db", "agent-v2-s11-f37");

        var big = calibration.Models.Single(m => m.Name == "big");
        Assert.Equal("expected", big.DeviceExecSource);
        Assert.InRange(big.DeviceExecSeconds, 0.199, 0.201);
        Assert.Contains(calibration.Notes, n => n.Contains("big: fewer than 3 local runs", StringComparison.Ordinal));
        Assert.InRange(calibration.Peers[0].Speed, 3.9, 4.1);
    }

    [Fact]
    public void Fit_SpreadOfExecutionTimes_DeviceTimeIsTheMeanSoTheSimulatorsMeanIsTheLogs()
    {
        // Regression: the median was used; with a mean-1 log-normal jitter of sigma 0.8 the simulator's
        // mean execution was exp(-0.32) = 0.73 of the log's.
        var requests = Deployment(3000, sigma: 0.8, seed: 5);
        var measured = requests.Where(r => r.Model == "big" && r.RanAt == "local").Average(r => r.ExecSeconds);

        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");

        var big = calibration.Models.Single(m => m.Name == "big");
        Assert.Equal(measured, big.DeviceExecSeconds, 9);
        Assert.InRange(calibration.Peers[0].Speed, 3.6, 4.4);
    }

    [Fact]
    public void Fit_AgentOverheadAndFallbacks_OverheadPerModelWithoutTheFallbacks()
    {
        var requests = Deployment(300, sigma: 0.1)
            .Select((r, i) => r with { DelaySeconds = r.DelaySeconds + (r.Offloaded ? 0.004 : 0.002) })
            .Select((r, i) => i == 3 ? r with { FallbackFrom = "edge", DelaySeconds = r.DelaySeconds + 5 } : r)
            .ToList();

        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");

        Assert.All(calibration.Models, m => Assert.Equal(0.002, m.OverheadLocalSeconds, 9));
        Assert.All(calibration.Models, m => Assert.Equal(0.004, m.OverheadPeerSeconds, 9));
        var context = calibration.ToContext();
        Assert.Equal(0.002, context.Models[0].OverheadLocalSeconds, 9);
        Assert.Equal(0.011, context.Peers[0].ObservedRoundTripSeconds, 4);
        Assert.InRange(context.Peers[0].ObservedBitsPerSecond, 0.99e8, 1.01e8);
    }

    [Fact]
    public void Fit_OcrPipeline_LinesOneAfterAnotherWithTheLogsMean()
    {
        // Three jobs of det, then cls and rec per line: 1, 2 and 1 lines (4/3 per job).
        var requests = new List<LoggedRequest>();
        var t = 0.0;
        foreach (var lines in new[] { 1, 2, 1, 1, 2, 1 })
        {
            var at = t;
            requests.Add(Ocr("ocr-det", at));
            for (var l = 0; l < lines; l++)
            {
                requests.Add(Ocr("ocr-cls", at + 0.1 + (0.2 * l)));
                requests.Add(Ocr("ocr-rec", at + 0.2 + (0.2 * l)));
            }

            t += 1;
        }

        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");

        var workload = Assert.Single(calibration.Arrivals.Workloads);
        Assert.Equal(["ocr-det", "ocr-cls", "ocr-rec"], workload.Stages);
        Assert.Equal(4.0 / 3.0, workload.LinesMean, 9);
        Assert.True(workload.SequentialLines);
        var context = calibration.ToContext();
        Assert.Equal(4.0 / 3.0, context.Workloads[0].LinesMean, 9);
        Assert.True(context.Workloads[0].SequentialLines);
        Assert.Equal((1, 2), (context.Workloads[0].LinesMin, context.Workloads[0].LinesMax));
    }

    [Fact]
    public void ToContext_ModelsRanOnThePeer_EachModelsOwnMeanTimeThere()
    {
        var requests = Deployment(600, sigma: 0.1);
        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");
        var context = calibration.ToContext();

        for (var m = 0; m < context.ModelCount; m++)
        {
            var name = context.Models[m].Name;
            var measured = requests.Where(r => r.Model == name && r.RanAt == "peer:edge").Average(r => r.ExecSeconds);
            Assert.Equal(measured, context.PeerExecSeconds[m], 9);
        }

        // The simulator runs them there at those times (no jitter here) and shows them in its observations.
        context.ExecJitterSigma = 0;
        var env = new AgentVecEnv(AgentContextRange.Fixed(context), 1, 3, autoReset: false);
        env.Reset(0, 5);
        var m0 = env.CurrentModel(0);
        Assert.Equal(context.PeerExecSeconds[m0] * context.PeerObservedExecRatio[m0], env.CurrentObservation(0).Servers[3].ExpectedExecSeconds, 9);
        env.Step(0, 3, out _, out _);
        Assert.Equal(context.PeerExecSeconds[m0], env.LastTask(0).ExecSeconds, 9);
    }

    [Fact]
    public void Fit_AgentPricesRadioWithAHigherRttAtTheReply_SimulatorPricesOffloadsWithIt()
    {
        // The big model's replies were priced with a 30 ms RTT estimate (a large transfer delays the
        // pings), the small one's with 11 ms, the decision's estimate.
        var requests = Deployment(600, sigma: 0).Select(r => r.Offloaded && r.Model == "big"
            ? r with { RadioJoules = (2.0 * (r.TransferSeconds - 0.030)) + (0.5 * (r.QueueSeconds + r.ExecSeconds + 0.030)) }
            : r).ToList();

        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");

        // With the fitted power table, each model's priced round trip reproduces its mean offload joules
        // (the power and the round trip are not separately identifiable from joules alone).
        var edge = calibration.Peers[0];
        var power = calibration.Device;
        foreach (var model in new[] { "big", "small" })
        {
            var rows = requests.Where(r => r.Offloaded && r.Model == model).ToArray();
            var x = edge.PricedRoundTripSeconds[model];
            var predicted = rows.Average(r => (power.RadioWatts * (r.TransferSeconds - x)) + (power.WaitWatts * (r.QueueSeconds + r.ExecSeconds + x)));
            Assert.Equal(rows.Average(r => r.RadioJoules), predicted, 9);
        }

        Assert.True(edge.PricedRoundTripSeconds["big"] > edge.PricedRoundTripSeconds["small"]);
        var context = calibration.ToContext();
        var big = Array.FindIndex(context.Models, m => m.Name == "big");
        Assert.Equal(edge.PricedRoundTripSeconds["big"], context.PeerPricedRoundTripSeconds[big], 12);
    }

    [Fact]
    public void Fit_OneColdOffload_LinkFromTheAgentsEstimatesNotFromItsWireTime()
    {
        // Regression: eval live --real-links, where the policy kept everything local, fitted the edge's
        // 40 Mbit/s link at 4.9 Mbit/s from one warm-up transfer, and the simulator priced every link probe at it.
        var requests = Deployment(120, sigma: 0).Where(r => !r.Offloaded).ToList();
        var one = Deployment(120, sigma: 0).First(r => r.Offloaded);
        requests.Add(one with { TransferSeconds = one.TransferSeconds * 10 });

        var calibration = CalibrationFitter.Fit(requests, Layout, "test.db", "agent-v2-s11-f37");

        var edge = calibration.Peers[0];
        Assert.InRange(edge.BitsPerSecond, 0.999e8, 1.001e8);
        Assert.Equal(0.011, edge.RoundTripSeconds, 4);
        Assert.Contains("1 request(s) only", edge.LinkSource, StringComparison.Ordinal);
    }

    [Fact]
    public void Observe_AgentExpectsHalfTheTime_QueuedWorkReportedAtTheAgentsEstimate()
    {
        var calibration = CalibrationFitter.Fit(Deployment(300, sigma: 0, observed: 0.5), Layout, "test.db", "agent-v2-s11-f37");
        var context = calibration.ToContext();
        context.LocalConcurrency = 1;
        context.Arrivals = ArrivalKind.Periodic;
        context.JobsPerSecond = 1000;
        var env = new AgentVecEnv(AgentContextRange.Fixed(context), 1, 3, autoReset: false);
        env.Reset(0, 5);
        var first = context.Models[env.CurrentModel(0)];
        env.Step(0, 0, out _, out _);

        // 1 ms later the first task is still running: the executor reports its expected time at the agent's estimate.
        var local = env.CurrentObservation(0).Servers[0];
        Assert.Equal((first.ExecFp32 * 0.5) - env.Now(0), local.ResidualWorkSeconds, 6);
    }

    private static LoggedRequest Ocr(string model, double at) => new()
    {
        Timestamp = T0.AddSeconds(at + 0.05),
        Model = model,
        InputBytes = 1000,
        Candidates = ["local", "peer:edge"],
        Features = Features(0.05, 0.02),
        Mask = Mask(),
        RanAt = "local",
        DelaySeconds = 0.05,
        ExecSeconds = 0.05,
        ComputeJoules = 0.25,
    };

    [Fact]
    public void Fit_TooFewRequests_OneLineSayingWhatToDo()
    {
        var ex = Assert.Throws<CalibrationException>(() => CalibrationFitter.Fit(Deployment(3, 0), Layout, "test.db", "x"));
        Assert.Contains("at least 5", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void WriteRead_RoundTrip_SameContext()
    {
        var calibration = CalibrationFitter.Fit(Deployment(120, sigma: 0.1), Layout, "test.db", "agent-v2-s11-f37");
        var path = Path.Combine(_dir, "calibration.json");

        calibration.Write(path);
        var read = DeploymentCalibration.Read(path);

        var (a, b) = (calibration.ToContext(), read.ToContext());
        Assert.Equal(a.Peers[0], b.Peers[0]);
        Assert.Equal(a.Models[1], b.Models[1]);
        Assert.Equal(a.Power, b.Power);
        Assert.Equal(calibration.Models[0].ExecSeconds["local"].Quantiles, read.Models[0].ExecSeconds["local"].Quantiles);
    }

    [Fact]
    public void ClientCap_WrittenAndRead_ContextAndTrainingRangeHoldItemsBackAtIt_AFileWithoutItIsOpen()
    {
        var fitted = CalibrationFitter.Fit(Deployment(120, sigma: 0.1), Layout, "test.db", "agent-v2-s11-f37");
        var path = Path.Combine(_dir, "calibration.json");
        Assert.Equal(0, fitted.Arrivals.ClientMaxInFlight); // the log alone cannot tell a cap
        Assert.Equal(0, fitted.ToContext().MaxJobsInFlight);

        (fitted with { Arrivals = fitted.Arrivals with { ClientMaxInFlight = 8 } }).Write(path);
        var read = DeploymentCalibration.Read(path);

        Assert.Equal(8, read.ToContext().MaxJobsInFlight);
        // What `train --calibration` trains on: the fixed range's context.
        Assert.Equal(8, AgentContextRange.Fixed(read.ToContext()).FixedContext!.MaxJobsInFlight);
        var older = File.ReadAllText(path).Replace("\"client_max_in_flight\": 8,", "", StringComparison.Ordinal).Replace(",\n    \"client_max_in_flight\": 8", "", StringComparison.Ordinal);
        Assert.DoesNotContain("client_max_in_flight", older, StringComparison.Ordinal);
        File.WriteAllText(path, older);
        Assert.Equal(0, DeploymentCalibration.Read(path).ToContext().MaxJobsInFlight);
    }

    [Theory]
    [InlineData("{\"schema\":\"edgeagent.calibration\",\"version\":2}", "schema version 2")]
    [InlineData("{\"schema\":\"edgeagent.calibration\",\"version\":0}", "calibrate the log again")]
    [InlineData("{\"version\":1}", "\"schema\" is missing")]
    [InlineData("not json", "not JSON")]
    [InlineData("{\"schema\":\"edgeagent.calibration\",\"version\":1,\"models\":[]}", "0 models")]
    public void Read_BadFile_OneLineNamingTheFileAndTheProblem(string text, string expected)
    {
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, text);

        var ex = Assert.Throws<CalibrationException>(() => DeploymentCalibration.Read(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Distribution_Of_QuantilesInterpolateOrderStatistics()
    {
        var d = Distribution.Of([4, 1, 3, 2, double.NaN])!;

        Assert.Equal(4, d.Count);
        Assert.Equal(2.5, d.Mean, 12);
        Assert.Equal(1, d.Quantiles[0]);
        Assert.Equal(4, d.Quantiles[^1]);
        Assert.Equal(2.5, d.Median, 12);
        Assert.Null(Distribution.Of([]));
    }
}
