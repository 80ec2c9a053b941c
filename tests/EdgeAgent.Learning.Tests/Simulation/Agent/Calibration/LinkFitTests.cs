using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Simulation.Agent;
using EdgeAgent.Learning.Simulation.Agent.Calibration;

namespace EdgeAgent.Learning.Tests.Simulation.Agent.Calibration;

// The link per direction and each response's size, fitted from synthetic decision logs whose truth is known.
public sealed class LinkFitTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 4, 21, 0, 0, TimeSpan.Zero);
    private static readonly FeatureLayout Layout = FeatureLayout.Agent();

    // An OCR-like deployment behind one peer: "det" uploads a page (460 or 920 KB) and downloads a
    // third of it, "rec" uploads a line (180-640 KB) and downloads 5.75x it, "cls" uploads 110 KB and
    // downloads 40 B. The wire time is RTT + up / uplink + down / downlink (+ noise); the log holds,
    // as the agent's does, only its record of each model's response size (0.3 x newest + 0.7 x record),
    // read where each request was decided. Requests are one after another (each decided after the
    // previous one's reply), every third one kept on the board.
    private static List<LoggedRequest> Log(int count, double rtt, double up, double down, double noise = 0, int seed = 3)
    {
        var random = new Random(seed);
        var list = new List<LoggedRequest>();
        var record = new Dictionary<string, double>(StringComparer.Ordinal);
        var t = 0.0;
        for (var i = 0; i < count; i++)
        {
            var (model, request, response) = (i % 3) switch
            {
                0 => ("det", random.Next(2) == 0 ? 460_800L : 921_600L, 0.0),
                1 => ("cls", 110_592L, 40.0),
                _ => ("rec", 184_320L + (46_080L * random.Next(11)), 0.0),
            };
            response = model switch { "det" => request / 3.0, "rec" => 5.75 * request, _ => response };
            var offload = i % 4 != 0;
            var wire = offload ? rtt + (8.0 * request / up) + (8.0 * response / down) + (noise * (random.NextDouble() - 0.5)) : 0;
            var exec = 0.02;
            var delay = wire + exec + 0.001;
            var shown = record.GetValueOrDefault(model);
            list.Add(new LoggedRequest
            {
                Timestamp = T0.AddSeconds(t + delay),
                Model = model,
                InputBytes = request,
                Candidates = ["local", "peer:edge"],
                Features = Features(shown, rtt + 0.002, (up + down) / 2),
                Mask = [1, 1, .. new float[Layout.MaxServers - 2]],
                RanAt = offload ? "peer:edge" : "local",
                DelaySeconds = delay,
                QueueSeconds = 0.001,
                TransferSeconds = wire,
                ExecSeconds = exec,
                ComputeJoules = offload ? 0 : 0.1,
                RadioJoules = offload ? Math.Max(0, 2.0 * (wire - 0.01)) : 0,
            });

            // The reply records the response (a first response as it is), as ClusterView.RecordResponseBytes does.
            record[model] = shown > 0 ? Math.Round((0.3 * response) + (0.7 * shown)) : response;
            t += delay + 0.05;
        }

        return list;
    }

    private static float[] Features(double responseRecord, double rtt, double rate)
    {
        var f = Layout.FeatureCount;
        var features = Enumerable.Repeat(-1f, Layout.MaxServers * f).ToArray();
        void Set(int row, FeatureKind kind, double value) => features[(row * f) + Layout.IndexOf(kind)] = (float)value;
        Set(0, FeatureKind.IsLocal, 1);
        Set(0, FeatureKind.IsQuantizedVariant, 0);
        Set(0, FeatureKind.Concurrency, 1);
        Set(0, FeatureKind.ExecLog, ObservationEncoder.LogTime(0.05));
        Set(0, FeatureKind.ResponseBytesLog, Math.Log10(1 + responseRecord));
        Set(1, FeatureKind.IsLocal, 0);
        Set(1, FeatureKind.IsQuantizedVariant, 0);
        Set(1, FeatureKind.Concurrency, 1);
        Set(1, FeatureKind.RoundTripLog, ObservationEncoder.LogTime(rtt));
        Set(1, FeatureKind.UplinkLog, Math.Log10(rate));
        Set(1, FeatureKind.ExecLog, ObservationEncoder.LogTime(0.02));
        Set(1, FeatureKind.ResponseBytesLog, Math.Log10(1 + responseRecord));
        return features;
    }

    private static double TrueResponse(LoggedRequest r) => r.Model switch { "det" => r.InputBytes / 3.0, "rec" => 5.75 * r.InputBytes, _ => 40 };

    [Fact]
    public void ResponseBytesOf_AgentsSmoothedRecord_EachResponsesSizeRecovered()
    {
        var log = Log(300, rtt: 0.008, up: 190e6, down: 185e6);

        var sizes = CalibrationFitter.ResponseBytesOf(log, Layout);

        Assert.Equal(log.Count, sizes.Count);
        Assert.All(log, r => Assert.Equal(TrueResponse(r), sizes[r], TrueResponse(r) * 1e-4 + 5));

        // The record itself is not the response: recognition's record follows the previous lines.
        var rec = log.Where(r => r.Model == "rec").ToArray();
        Assert.Contains(rec, r => Math.Abs((Math.Pow(10, r.Features[Layout.IndexOf(FeatureKind.ResponseBytesLog)]) - 1) - TrueResponse(r)) > 0.2 * TrueResponse(r));
    }

    [Fact]
    public void ResponseBytesOf_OverlappingRequests_TheirSizesFromTheModelsLine()
    {
        // Every fifth request arrived before the previous one of its model replied: its record cannot
        // be read exactly, the line of the recovered sizes against the request bytes stands in.
        var log = Log(300, rtt: 0.008, up: 190e6, down: 185e6).Select((r, i) => i % 5 == 4 ? r with { DelaySeconds = r.DelaySeconds + 2 } : r).ToList();

        var sizes = CalibrationFitter.ResponseBytesOf(log, Layout);

        Assert.All(log, r => Assert.Equal(TrueResponse(r), sizes[r], (TrueResponse(r) * 1e-3) + 5));
    }

    [Theory]
    [InlineData(0.010, 40e6, 160e6)]
    [InlineData(0.005, 200e6, 50e6)]
    [InlineData(0.008, 190e6, 185e6)]
    public void Fit_UplinkAndDownlinkDiffer_BothRatesAndTheRoundTripRecovered(double rtt, double up, double down)
    {
        var log = Log(600, rtt, up, down, noise: 0.002);

        var calibration = CalibrationFitter.Fit(log, Layout, "test.db", "agent-v2-s11-f41");

        var edge = Assert.Single(calibration.Peers);
        Assert.Equal(rtt, edge.RoundTripSeconds, 0.0005);
        Assert.Equal(up, edge.UplinkBitsPerSecond, up * 0.02);
        Assert.Equal(down, edge.DownlinkBitsPerSecond, down * 0.02);
        Assert.Contains("up and down", edge.LinkSource, StringComparison.Ordinal);

        // The residuals are the noise, centred on 0 for every model (+-1 ms uniform).
        Assert.All(edge.WireResidualSeconds.Values, d => Assert.InRange(d.Median, -0.0003, 0.0003));
        Assert.All(edge.WireResidualSeconds.Values, d => Assert.InRange(d.Quantile(0.95), 0.0007, 0.0011));

        // The responses the simulator moves are the true ones; what the agent's observations showed, its record.
        var rec = calibration.Models.Single(m => m.Name == "rec");
        Assert.Equal(5.75 * rec.RequestBytes, rec.ResponseBytes, 5.75 * 46_080);
        Assert.True(rec.ObservedResponseBytes > 0);

        var context = calibration.ToContext();
        Assert.Equal(edge.UplinkBitsPerSecond, context.Peers[0].UplinkBitsPerSecond);
        Assert.Equal(edge.DownlinkBitsPerSecond, context.Peers[0].DownlinkBitsPerSecond);
        Assert.Equal(edge.RoundTripSeconds, context.Peers[0].RoundTripSeconds);
    }

    [Fact]
    public void Fit_AsymmetricLink_OneRateBothWaysMissesEachModelsWireTime()
    {
        // Uplink 40 and downlink 160 Mbit/s: one rate both ways puts detection (upload-heavy) too fast
        // and recognition (download-heavy) too slow; per direction each model's residual is ~0.
        var log = Log(600, rtt: 0.010, up: 40e6, down: 160e6);
        var samples = log.Where(r => r.Offloaded).Select(r => new CalibrationFitter.WireSample(r.Model, 8.0 * r.InputBytes, 8.0 * TrueResponse(r), r.TransferSeconds)).ToArray();

        var split = CalibrationFitter.FitLink(samples)!;
        var one = CalibrationFitter.FitLink([.. samples.Select(s => s with { UpBits = s.UpBits + s.DownBits, DownBits = 0.5 * (s.UpBits + s.DownBits) })])!;

        Assert.True(split.Split);
        Assert.All(split.Residuals.Values, d => Assert.InRange(Math.Abs(d.Mean), 0, 1e-6));
        Assert.False(one.Split);
        Assert.True(one.Residuals["det"].Mean > 0.005);
        Assert.True(one.Residuals["rec"].Mean < -0.005);
    }

    [Fact]
    public void FitLink_UpAndDownProportional_OneRateBothWays()
    {
        // Every request downloads a third of what it uploads: the directions cannot be told apart.
        var samples = Enumerable.Range(0, 40).Select(i => 8.0 * (100_000 + (20_000 * i)))
            .Select(bits => new CalibrationFitter.WireSample("m", bits, bits / 3, 0.005 + ((bits + (bits / 3)) / 80e6))).ToArray();

        var fit = CalibrationFitter.FitLink(samples)!;

        Assert.False(fit.Split);
        Assert.Equal(80e6, fit.BitsPerSecond, 1.0);
        Assert.Equal(fit.BitsPerSecond, fit.UplinkBitsPerSecond);
        Assert.Equal(fit.BitsPerSecond, fit.DownlinkBitsPerSecond);
        Assert.Equal(0.005, fit.RoundTripSeconds, 9);
        Assert.Null(CalibrationFitter.FitLink(samples[..5]));
    }

    [Fact]
    public void ToContext_FileWithoutRatesPerDirection_OneRateBothWays()
    {
        // A calibration written before the link was fitted per direction reads as one rate both ways.
        var calibration = CalibrationFitter.Fit(Log(300, 0.008, 40e6, 160e6), Layout, "test.db", "agent-v2-s11-f41");
        var old = calibration with { Peers = [.. calibration.Peers.Select(p => p with { UplinkBitsPerSecond = 0, DownlinkBitsPerSecond = 0 })], Models = [.. calibration.Models.Select(m => m with { ObservedResponseBytes = 0 })] };

        var context = old.ToContext();

        Assert.Equal(old.Peers[0].BitsPerSecond, context.Peers[0].UplinkBitsPerSecond);
        Assert.Equal(old.Peers[0].BitsPerSecond, context.Peers[0].DownlinkBitsPerSecond);
        Assert.Equal(0, context.Models[0].ObservedResponseBytes);
    }

    [Fact]
    public void AgentVecEnv_ObservedResponseBytes_ShownInTheObservationWhileTheTrueResponseMoves()
    {
        var context = AgentContext.Demo();
        context.ExecJitterSigma = 0;
        context.JobsPerSecond = 0.01;
        for (var m = 0; m < context.ModelCount; m++)
        {
            context.Models[m].ObservedResponseBytes = 1000;
        }

        var env = new AgentVecEnv(AgentContextRange.Fixed(context), 1, 3, autoReset: false);
        env.Reset(0, 7);
        var m0 = env.CurrentModel(0);
        Assert.Equal(1000, env.CurrentObservation(0).Task.ExpectedResponseBytes);

        // Offloaded to the edge (row 3): the wire time moves the true response.
        env.Step(0, 3, out _, out _);
        var model = context.Models[m0];
        var edge = context.Peers[0];
        var expected = edge.RoundTripSeconds + (8.0 * model.RequestBytes / edge.UplinkBitsPerSecond) + (8.0 * model.ResponseBytes / edge.DownlinkBitsPerSecond);
        Assert.Equal(expected, env.LastTask(0).TransferSeconds, 6);

        // Unset (0): the observation shows the true response, as before.
        var plain = new AgentVecEnv(AgentContextRange.Fixed(AgentContext.Demo()), 1, 3, autoReset: false);
        plain.Reset(0, 7);
        Assert.Equal(AgentContext.Demo().Models[plain.CurrentModel(0)].ResponseBytes, plain.CurrentObservation(0).Task.ExpectedResponseBytes);
    }

    [Fact]
    public void AtObservedLevel_ThreeLevels_SizesLinkEstimatesAndRecordEachAtTheirOwn()
    {
        // The agent's RTT estimate 5 to 25 ms with its throughput estimate rising with it; rec's lines spread.
        var log = Log(600, 0.008, 40e6, 160e6).Select((r, i) => r with
        {
            Features = Features(Math.Pow(10, r.Features[Layout.IndexOf(FeatureKind.ResponseBytesLog)]) - 1, 0.005 + (0.005 * (i % 5)), 1e8 * (1 + (i % 5))),
        }).ToList();
        var calibration = CalibrationFitter.Fit(log, Layout, "test.db", "agent-v2-s11-f41");

        var sizeHigh = CalibrationFitter.AtObservedLevel(calibration, log, Layout, 1.0, 0.0, 0.0);
        var linkHigh = CalibrationFitter.AtObservedLevel(calibration, log, Layout, 0.0, 1.0, 0.0);

        var rec = log.Where(r => r.Model == "rec").ToArray();
        Assert.Equal(rec.Max(r => r.InputBytes), sizeHigh.Models.Single(m => m.Name == "rec").RequestBytes);
        Assert.Equal(5.75 * rec.Max(r => r.InputBytes), sizeHigh.Models.Single(m => m.Name == "rec").ResponseBytes, 10.0);
        Assert.Equal(rec.Min(r => r.InputBytes), linkHigh.Models.Single(m => m.Name == "rec").RequestBytes);
        Assert.Equal(0.025, linkHigh.ToContext().Peers[0].ObservedRoundTripSeconds, 4);
        Assert.Equal(5e8, linkHigh.ToContext().Peers[0].ObservedBitsPerSecond, 1e6);
        Assert.Equal(0.005, sizeHigh.ToContext().Peers[0].ObservedRoundTripSeconds, 4);
        Assert.Equal(1e8, sizeHigh.ToContext().Peers[0].ObservedBitsPerSecond, 1e6);

        // The record at its own level; the true link unchanged.
        var records = rec.Select(r => Math.Pow(10, r.Features[Layout.IndexOf(FeatureKind.ResponseBytesLog)]) - 1).Where(v => v > 0).ToArray();
        var recordHigh = CalibrationFitter.AtObservedLevel(calibration, log, Layout, 0.0, 0.0, 1.0);
        Assert.Equal(records.Max(), recordHigh.Models.Single(m => m.Name == "rec").ObservedResponseBytes, 5.0);
        Assert.Equal(calibration.Peers[0].UplinkBitsPerSecond, recordHigh.ToContext().Peers[0].UplinkBitsPerSecond);
    }

    [Fact]
    public void WithObservedEstimates_RunPricedWithAnotherRtt_ThatRunsPricedRoundTrip()
    {
        // The whole log priced with a 10 ms round trip; one run's replies with 20 ms (a large transfer raised the agent's estimate).
        var log = Log(600, 0.008, 40e6, 160e6);
        var calibration = CalibrationFitter.Fit(log, Layout, "test.db", "agent-v2-s11-f41");
        var run = Log(120, 0.008, 40e6, 160e6, seed: 9).Select(r => r.Offloaded
            ? r with { RadioJoules = (calibration.Device.RadioWatts * (r.TransferSeconds - 0.020)) + (calibration.Device.WaitWatts * (r.QueueSeconds + r.ExecSeconds + 0.020)) }
            : r).ToList();

        var observed = CalibrationFitter.WithObservedEstimates(calibration, run, Layout);

        Assert.All(calibration.Peers[0].PricedRoundTripSeconds.Where(p => p.Key != "cls").Select(p => p.Value), v => Assert.Equal(0.010, v, 0.001));
        Assert.All(observed.Peers[0].PricedRoundTripSeconds.Values, v => Assert.Equal(0.020, v, 1e-6));
    }

    [Fact]
    public void Fit_PlacementDependsOnSize_EachServersTimeAtTheMeanSize()
    {
        // Time in proportion to the bytes (board 100 ms at 400 KB, the edge 4x faster); the board kept
        // the requests under 400 KB, the edge got the rest. The plain means (75 and 31 ms) are of
        // different sizes; at the mean size both are the truth.
        var log = Log(600, 0.008, 190e6, 185e6).Where(r => r.Model == "rec").Select(r =>
        {
            var local = r.InputBytes < 400_000;
            var exec = 0.1 * r.InputBytes / 400_000.0 / (local ? 1 : 4);
            return r with { RanAt = local ? "local" : "peer:edge", ExecSeconds = exec, TransferSeconds = local ? 0 : r.TransferSeconds, DelaySeconds = exec + (local ? 0 : r.TransferSeconds) };
        }).ToList();
        var mean = log.Average(r => (double)r.InputBytes);

        var calibration = CalibrationFitter.Fit(log, Layout, "test.db", "agent-v2-s11-f41");

        var rec = Assert.Single(calibration.Models);
        Assert.Equal(mean, rec.MeanRequestBytes, 1e-6);
        Assert.Equal(1.0, rec.ExecSizeSlope, 0.01);
        Assert.Equal(0.1 * mean / 400_000, rec.DeviceExecSeconds, 1e-4);
        Assert.Equal(0.025 * mean / 400_000, rec.ExecAtMeanBytesSeconds["peer:edge"], 1e-4);
        Assert.True(rec.ExecSeconds["local"].Mean < 0.9 * rec.DeviceExecSeconds);
        var context = calibration.ToContext();
        Assert.Equal(rec.ExecAtMeanBytesSeconds["peer:edge"], context.PeerExecSeconds[0], 9);

        // At the widest lines' level the times are the widest lines' times on both servers.
        var wide = CalibrationFitter.AtObservedLevel(calibration, log, Layout, 1.0, 0.5, 0.5).Models.Single();
        Assert.Equal(0.1 * log.Max(r => r.InputBytes) / 400_000, wide.DeviceExecSeconds, 1e-4);
        Assert.Equal(0.025 * log.Max(r => r.InputBytes) / 400_000, wide.ExecAtMeanBytesSeconds["peer:edge"], 1e-4);
    }
}
