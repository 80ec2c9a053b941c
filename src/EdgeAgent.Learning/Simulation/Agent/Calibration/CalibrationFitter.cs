using System.Globalization;
using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Learning.Simulation.Agent.Calibration;

/// <summary>
/// Fits a <see cref="DeploymentCalibration"/> to the requests of a decision log. Everything is
/// read from what the agent measured: execution times per model and server (medians, the pooled
/// log-normal spread as the simulator's jitter), per peer the wire time against the bytes moved
/// (least squares over the models' medians: intercept = round trip, slope = 1 / bandwidth; the
/// agent's own RTT and throughput estimates from the observations when only one size was sent),
/// compute speed (device fp32 time / peer time), executor slots from the observations, the power
/// table from the recorded joules (compute J / exec s; radio and wait watts by least squares of
/// offload joules on transfer and waiting time), and the arrival process from the gaps between
/// jobs (an OCR pipeline, det then cls and rec per line, is one job).
/// </summary>
public static class CalibrationFitter
{
    /// <summary>Fewest successful requests a fit needs.</summary>
    public const int MinimumRequests = 5;

    /// <summary>
    /// The weight the agent's record of a model's response size gives the newest response
    /// (Node's <c>ClusterView.RecordResponseBytes</c>: record = 0.3 x newest + 0.7 x record). The
    /// decision log keeps that record (the observation's response-size feature), not each
    /// response's size; two consecutive records of a model recover the response between them.
    /// </summary>
    public const double ResponseRecordWeight = 0.3;

    // Fewest requests a peer's per-request link fit needs (with 3 unknowns: RTT, uplink, downlink).
    private const int MinimumLinkRequests = 6;

    private static readonly string[] Ocr = ["ocr-det", "ocr-cls", "ocr-rec"];

    /// <summary>Fits the calibration.</summary>
    /// <param name="requests">The log's requests (any order).</param>
    /// <param name="layout">The layout their features are in (agent layout).</param>
    /// <param name="database">Where they came from (recorded in the file).</param>
    /// <param name="layoutName">The layout's name as the log records it.</param>
    /// <exception cref="CalibrationException">Too few successful requests, or not the agent layout (one line).</exception>
    public static DeploymentCalibration Fit(IReadOnlyList<LoggedRequest> requests, FeatureLayout layout, string database, string layoutName)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(layout);
        if (!layout.IsAgentLayout || layout.HistogramUnit != HistogramUnit.Seconds)
        {
            throw new CalibrationException($"The log's layout '{layoutName}' is not the agent's observation layout; calibration reads logs of `edgeagent agent`.");
        }

        var ok = requests.Where(r => r.Success).OrderBy(r => r.ArrivedAt).ToArray();
        if (ok.Length < MinimumRequests)
        {
            throw new CalibrationException(string.Create(CultureInfo.InvariantCulture,
                $"The log holds {ok.Length} successful requests ({requests.Count} in all); calibration needs at least {MinimumRequests}: run the agent with its decision log on under the deployment's workload first."));
        }

        var columns = new Columns(layout);
        var notes = new List<string>();
        var inv = CultureInfo.InvariantCulture;

        // Models: the OCR trio first in pipeline order, then the others by name.
        var modelNames = ok.Select(r => r.Model).Distinct(StringComparer.Ordinal)
            .OrderBy(n => Array.IndexOf(Ocr, n) is var i && i >= 0 ? i : Ocr.Length).ThenBy(n => n, StringComparer.Ordinal).ToArray();
        if (modelNames.Length > AgentContext.MaxModels)
        {
            notes.Add(string.Create(inv, $"{modelNames.Length} models in the log; the simulator takes {AgentContext.MaxModels}: kept the most requested."));
            modelNames = [.. modelNames.OrderByDescending(n => ok.Count(r => r.Model == n)).Take(AgentContext.MaxModels)
                .OrderBy(n => Array.IndexOf(Ocr, n) is var i && i >= 0 ? i : Ocr.Length).ThenBy(n => n, StringComparer.Ordinal)];
        }

        var responses = ResponseBytesOf(requests, layout);
        double Response(LoggedRequest r) => responses.TryGetValue(r, out var b) ? b : Math.Max(0, columns.ResponseBytes(r));
        var logRatios = new List<double>();
        var residualLogRatios = new List<double>();
        var models = new List<ModelCalibration>();
        foreach (var name in modelNames)
        {
            var rows = ok.Where(r => r.Model == name).ToArray();
            var exec = rows.GroupBy(r => r.RanAt, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Distribution.Of(g.Select(r => r.ExecSeconds))!, StringComparer.Ordinal);
            var delay = rows.GroupBy(r => r.RanAt, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Distribution.Of(g.Select(r => r.DelaySeconds))!, StringComparer.Ordinal);
            foreach (var group in rows.GroupBy(r => r.RanAt, StringComparer.Ordinal).Where(g => g.Count() >= 5))
            {
                var median = exec[group.Key].Median;
                if (median > 0)
                {
                    logRatios.AddRange(group.Where(r => r.ExecSeconds > 0).Select(r => Math.Log(r.ExecSeconds / median)));
                }
            }

            // The device's fp32 time: measured when it ran locally, else what the agent expected (its profile or estimate).
            double deviceExec;
            string source;
            // The mean, not the median: the simulator's jitter is a mean-1 factor on this time, and what
            // is predicted is the mean delay (a log-normal spread of sigma 0.5 puts the mean 13 % above the median).
            // Each server's mean at the model's mean request size (near a switch point the board keeps
            // the narrow recognition lines and the edge gets the wide ones, so their plain means are of
            // different sizes).
            var meanBytes = rows.Average(r => (double)r.InputBytes);
            var (sizeSlope, atMeanBytes) = ExecAtMeanSize(rows, meanBytes);
            foreach (var group in rows.GroupBy(r => r.RanAt, StringComparer.Ordinal).Where(g => g.Count() >= 5 && atMeanBytes.ContainsKey(g.Key)))
            {
                // Each time against its server's size line at its own bytes (ExecAtMeanSize's line).
                var at = atMeanBytes[group.Key];
                residualLogRatios.AddRange(group.Where(r => r.ExecSeconds > 0 && at > 0).Select(r =>
                    Math.Log(r.ExecSeconds / (at * Math.Max(0.2, 1 + (sizeSlope * (r.InputBytes - meanBytes) / Math.Max(1, meanBytes)))))));
            }
            if (exec.TryGetValue("local", out var local) && local.Count >= 3 && local.Mean > 0)
            {
                (deviceExec, source) = (atMeanBytes.TryGetValue("local", out var atMean) ? atMean : local.Mean, "measured");
            }
            else
            {
                var expected = Distribution.Of(rows.Select(r => columns.LocalDefaultRow(r) is { } row ? columns.Time(r, row, columns.Exec) : double.NaN).Where(v => v > 0));
                (deviceExec, source) = expected is null ? (Math.Max(1e-4, exec.Values.Select(d => d.Median).DefaultIfEmpty(0.01).Max()), "assumed") : (expected.Median, "expected");
                notes.Add(source == "expected"
                    ? string.Create(inv, $"{name}: fewer than 3 local runs; the device's fp32 time is the agent's expected time ({deviceExec * 1000:0.###} ms)")
                    : string.Create(inv, $"{name}: never ran locally and no local row was observed; assumed the slowest measured time ({deviceExec * 1000:0.###} ms)"));
            }

            // How far the agent's own expectation (what its policy saw) is from what ran.
            var observedLocal = Distribution.Of(rows.Select(r => columns.LocalDefaultRow(r) is { } row ? columns.Time(r, row, columns.Exec) : double.NaN).Where(v => v > 0));
            var observedRatio = source == "measured" && observedLocal is not null ? Math.Clamp(observedLocal.Median / deviceExec, 0.01, 100) : 1;

            // The agent's own time per request (decoding, deciding, tensors, the response), outside the
            // executor and the peer call; fallbacks left out (their delay holds the failed peer call).
            static double Overhead(IEnumerable<LoggedRequest> rows) =>
                rows.Select(r => r.DelaySeconds - r.QueueSeconds - r.TransferSeconds - r.ExecSeconds).Where(v => double.IsFinite(v)).Select(v => Math.Max(0, v)).DefaultIfEmpty(0).Average();
            models.Add(new ModelCalibration
            {
                ObservedExecRatio = observedRatio,
                Name = name,
                Requests = rows.Length,
                RequestBytes = (long)Distribution.Of(rows.Select(r => (double)r.InputBytes))!.Median,
                ResponseBytes = (long)Math.Round(Distribution.Of(rows.Select(Response).Where(v => v >= 0))?.Median ?? 0),
                ObservedResponseBytes = (long)Math.Round(Distribution.Of(rows.Select(r => columns.ResponseBytes(r)).Where(v => v >= 0))?.Median ?? 0),
                DeviceExecSeconds = deviceExec,
                DeviceExecSource = source,
                OverheadLocalSeconds = Overhead(rows.Where(r => !r.Offloaded && r.FallbackFrom is null)),
                OverheadPeerSeconds = Overhead(rows.Where(r => r.Offloaded)),
                Int8ExecSeconds = exec.TryGetValue("local:int8", out var i8) ? i8.Mean : null,
                MixedExecSeconds = exec.TryGetValue("local:mixed", out var mx) ? mx.Mean : null,
                ExecSeconds = exec,
                MeanRequestBytes = meanBytes,
                ExecSizeSlope = sizeSlope,
                ExecAtMeanBytesSeconds = atMeanBytes,
                DelaySeconds = delay,
            });
        }

        var deviceExecOf = models.ToDictionary(m => m.Name, m => m.DeviceExecSeconds, StringComparer.Ordinal);
        var modelSet = new HashSet<string>(modelNames, StringComparer.Ordinal);

        // Peers: every peer the observations offered or a request ran on.
        var peerNames = ok.SelectMany(r => r.Candidates).Where(c => c.StartsWith("peer:", StringComparison.Ordinal))
            .Concat(ok.Where(r => r.Offloaded).Select(r => r.RanAt)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (peerNames.Length > AgentContext.MaxPeers)
        {
            notes.Add(string.Create(inv, $"{peerNames.Length} peers in the log; the simulator takes {AgentContext.MaxPeers}: kept the most used."));
            peerNames = [.. peerNames.OrderByDescending(p => ok.Count(r => r.RanAt == p)).Take(AgentContext.MaxPeers).Order(StringComparer.Ordinal)];
        }

        var peers = new List<PeerCalibration>();
        foreach (var placement in peerNames)
        {
            var name = placement["peer:".Length..];
            var ran = ok.Where(r => r.RanAt == placement && modelSet.Contains(r.Model)).ToArray();
            var seen = ok.Select(r => (Request: r, Row: IndexOf(r.Candidates, placement))).Where(x => x.Row >= 0 && x.Row < x.Request.Mask.Length && x.Request.Mask[x.Row] > 0).ToArray();
            var observedRtt = Distribution.Of(seen.Select(x => columns.Time(x.Request, x.Row, columns.RoundTrip)));
            var observedRate = Distribution.Of(seen.Select(x => columns.Rate(x.Request, x.Row, columns.Uplink)).Where(v => v > 0));
            var concurrency = seen.Length == 0 ? 1 : (int)Math.Round(Distribution.Of(seen.Select(x => (double)columns.Value(x.Request, x.Row, columns.Concurrency)))!.Median);

            // Wire time against the bytes each request moved up (its input) and down (its response).
            var wire = ran.Select(r => new WireSample(r.Model, 8.0 * r.InputBytes, 8.0 * Response(r), r.TransferSeconds)).Where(x => double.IsFinite(x.Seconds)).ToArray();
            double rtt, rate, up = 0, down = 0;
            string linkSource;
            IReadOnlyDictionary<string, Distribution> residuals = new Dictionary<string, Distribution>();
            if (FitLink(wire) is { } link)
            {
                (rtt, rate, up, down) = (link.RoundTripSeconds, link.BitsPerSecond, link.UplinkBitsPerSecond, link.DownlinkBitsPerSecond);
                residuals = link.Residuals;
                linkSource = link.Split
                    ? string.Create(inv, $"fitted: each request's wire time against its bytes up and down ({wire.Length} requests, {ran.Select(r => r.Model).Distinct(StringComparer.Ordinal).Count()} models)")
                    : string.Create(inv, $"fitted: each request's wire time against its bytes, one rate both ways ({wire.Length} requests; up and down not separable)");
            }
            else if (wire.Length >= 3 && observedRtt is not null)
            {
                // One size (or no usable slope): the agent's measured RTT, the rest of the wire time is the bytes' transfer.
                var bits = wire.Average(x => x.UpBits + x.DownBits);
                rtt = observedRtt.Median;
                var rest = wire.Average(x => x.Seconds) - rtt;
                rate = rest > 1e-6 && bits > 0 ? bits / rest : observedRate?.Median ?? 100e6;
                linkSource = "measured RTT; bandwidth from the wire time of one request size";
            }
            else
            {
                rtt = observedRtt?.Median ?? 0.01;
                rate = observedRate?.Median ?? 100e6;
                // Fewer than 3 requests (a cold warm-up transfer took 4.9 Mbit/s of a 40 Mbit/s link): the
                // agent's estimates, which its link probes keep fresh, say more than one wire time.
                linkSource = ran.Length == 0 ? "never used: the agent's RTT and throughput estimates" : string.Create(inv, $"{ran.Length} request(s) only: the agent's RTT and throughput estimates");
            }

            rate = Math.Clamp(rate, 1e3, 1e11);
            (up, down) = up > 0 && down > 0 ? (Math.Clamp(up, 1e3, 1e11), Math.Clamp(down, 1e3, 1e11)) : (0, 0);

            // Speed: the device's fp32 time over the peer's, geometric mean over its models weighted by requests.
            var speedTerms = ran.GroupBy(r => r.Model, StringComparer.Ordinal)
                .Select(g => (Log: Math.Log(deviceExecOf[g.Key] / Math.Max(1e-6, Distribution.Of(g.Select(r => r.ExecSeconds))!.Mean)), Weight: (double)g.Count()))
                .ToArray();
            var observedTerms = ran.GroupBy(r => r.Model, StringComparer.Ordinal)
                .Select(g => (Model: g.Key, Observed: Distribution.Of(g.Select(r => columns.Time(r, IndexOf(r.Candidates, placement), columns.Exec)).Where(v => v > 0))?.Median ?? double.NaN,
                    Measured: Distribution.Of(g.Select(r => r.ExecSeconds))!.Mean, Weight: (double)g.Count()))
                .Where(t => t.Observed > 0 && t.Measured > 0).ToArray();
            var observedPeerRatio = observedTerms.Length == 0 ? 1 : Math.Clamp(Math.Exp(observedTerms.Sum(t => Math.Log(t.Observed / t.Measured) * t.Weight) / observedTerms.Sum(t => t.Weight)), 0.01, 100);
            double speed;
            if (speedTerms.Length > 0)
            {
                speed = Math.Exp(speedTerms.Sum(t => t.Log * t.Weight) / speedTerms.Sum(t => t.Weight));
            }
            else
            {
                // Never ran there: the agent's expected exec on the peer against the device's.
                var ratios = seen.Select(x => columns.LocalDefaultRow(x.Request) is { } lr
                    ? columns.Time(x.Request, lr, columns.Exec) / Math.Max(1e-6, columns.Time(x.Request, x.Row, columns.Exec))
                    : double.NaN).Where(v => v > 0 && double.IsFinite(v));
                speed = Distribution.Of(ratios)?.Median ?? 1;
                notes.Add(string.Create(inv, $"peer {name}: ran no request; speed {speed:0.###}x from the agent's expected times"));
            }

            peers.Add(new PeerCalibration
            {
                Name = name,
                Requests = ran.Length,
                RoundTripSeconds = rtt,
                BitsPerSecond = rate,
                UplinkBitsPerSecond = up,
                DownlinkBitsPerSecond = down,
                WireResidualSeconds = residuals,
                LinkSource = linkSource,
                Speed = Math.Clamp(speed, 1e-3, 1e3),
                Concurrency = Math.Clamp(concurrency, 1, AgentContext.MaxConcurrency),
                ObservedExecRatio = observedPeerRatio,
                ObservedExecRatios = observedTerms.ToDictionary(t => t.Model, t => Math.Clamp(t.Observed / t.Measured, 0.01, 100), StringComparer.Ordinal),
                ObservedRoundTripSeconds = observedRtt,
                ObservedBitsPerSecond = observedRate,
                TransferSeconds = Distribution.Of(ran.Select(r => r.TransferSeconds)),
                QueueSeconds = Distribution.Of(ran.Select(r => r.QueueSeconds)),
                Models = [.. seen.Select(x => x.Request.Model).Where(modelSet.Contains).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            });
        }

        var device = FitDevice(ok, columns, Response, logRatios, notes) with { ExecResidualSigma = Math.Clamp(SampleSd(residualLogRatios), 0, 2) };

        // The round trip the agent took off each offload's wire time when it priced the radio time:
        // its RTT estimate at the reply, which a large transfer raises above the one the decision saw
        // (the demo's edge: 10 ms at the decision, 17-20 ms at the reply of det and rec). Recovered from
        // the joules with the fitted power: transfer = (J - wait W x call) / (radio W - wait W).
        if (device.RadioWatts - device.WaitWatts > 1e-6)
        {
            peers = [.. peers.Select(peer => peer with { PricedRoundTripSeconds = PricedRoundTrips(ok.Where(r => modelSet.Contains(r.Model)), peer.Name, device) })];
        }

        var arrivals = FitArrivals(ok.Where(r => modelSet.Contains(r.Model)).ToArray(), modelNames, notes);
        notes.Add("peers' background load from other clients is not identifiable from one agent's log: 0 in the context");
        return new DeploymentCalibration
        {
            Source = new CalibrationSource { Database = database, Requests = ok.Length, From = ok.Min(r => r.Timestamp), To = ok.Max(r => r.Timestamp), Layout = layoutName },
            Device = device,
            Models = models,
            Peers = peers,
            Arrivals = arrivals,
            Notes = notes,
        };
    }

    // The round trip the agent took off each offload's wire time when it priced the radio time, per
    // model with at least 3 offloads to the peer (mean), recovered from the joules with the fitted
    // power: transfer = (J - wait W x call) / (radio W - wait W).
    private static Dictionary<string, double> PricedRoundTrips(IEnumerable<LoggedRequest> ok, string peer, DeviceCalibration device) =>
        ok.Where(r => r.RanAt == "peer:" + peer && r.RadioJoules > 0)
            .Select(r => (r.Model, Rtt: r.TransferSeconds - ((r.RadioJoules - (device.WaitWatts * (r.TransferSeconds + r.QueueSeconds + r.ExecSeconds))) / (device.RadioWatts - device.WaitWatts))))
            .Where(x => double.IsFinite(x.Rtt) && x.Rtt > 0)
            .GroupBy(x => x.Model, StringComparer.Ordinal)
            .Where(g => g.Count() >= 3)
            .ToDictionary(g => g.Key, g => g.Average(x => x.Rtt), StringComparer.Ordinal);

    /// <summary>
    /// The calibration with the agent's own estimates (what its policy saw) taken from
    /// <paramref name="requests"/> alone, one stretch of the log such as one eval live run: per
    /// model the median expected fp32 time on the device over <see cref="ModelCalibration.DeviceExecSeconds"/>;
    /// per peer the expected execution time of each model over the time the simulator runs it there
    /// (and their geometric mean over the models, weighted by requests), its RTT and throughput
    /// estimates, the round trip it took off each offload's wire time when it priced the radio
    /// energy (from the stretch's joules), and its record of each model's response size (median). The agent refreshes an estimate only when it uses it (or probes it), so it moves
    /// between runs (the board's recognition estimate: 94-102 ms in one run, 74.5 ms in the next),
    /// and the policy's choice near a switch point follows it; the whole log's medians show every
    /// run the same estimate. A model or peer the stretch has no observation of keeps the
    /// calibration's value; the true times, links and power are the calibration's.
    /// </summary>
    /// <param name="calibration">The deployment's calibration (fitted from the whole log, or a file).</param>
    /// <param name="requests">The stretch's requests (any order; failed ones are left out).</param>
    /// <param name="layout">The layout their features are in (agent layout).</param>
    /// <exception cref="CalibrationException">Not the agent layout (one line).</exception>
    public static DeploymentCalibration WithObservedEstimates(DeploymentCalibration calibration, IReadOnlyList<LoggedRequest> requests, FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(layout);
        if (!layout.IsAgentLayout || layout.HistogramUnit != HistogramUnit.Seconds)
        {
            throw new CalibrationException("The requests are not in the agent's observation layout; observed estimates are read from logs of `edgeagent agent`.");
        }

        var ok = requests.Where(r => r.Success).ToArray();
        if (ok.Length == 0)
        {
            return calibration;
        }

        var columns = new Columns(layout);
        var models = calibration.Models.Select(model =>
        {
            var observed = Distribution.Of(ok.Where(r => r.Model == model.Name)
                .Select(r => columns.LocalDefaultRow(r) is { } row ? columns.Time(r, row, columns.Exec) : double.NaN).Where(v => v > 0));
            var record = Distribution.Of(ok.Where(r => r.Model == model.Name).Select(r => columns.ResponseBytes(r)).Where(v => v >= 0));
            model = record is null ? model : model with { ObservedResponseBytes = (long)Math.Round(record.Median) };
            return observed is null || !(model.DeviceExecSeconds > 0)
                ? model
                : model with { ObservedExecRatio = Math.Clamp(observed.Median / model.DeviceExecSeconds, 0.01, 100) };
        }).ToArray();

        var peers = calibration.Peers.Select(peer =>
        {
            var placement = "peer:" + peer.Name;
            var seen = ok.Select(r => (Request: r, Row: IndexOf(r.Candidates, placement)))
                .Where(x => x.Row >= 0 && x.Row < x.Request.Mask.Length && x.Request.Mask[x.Row] > 0).ToArray();
            if (seen.Length == 0)
            {
                return peer;
            }

            var terms = seen.GroupBy(x => x.Request.Model, StringComparer.Ordinal)
                .Select(g => (
                    Model: g.Key,
                    Observed: Distribution.Of(g.Select(x => columns.Time(x.Request, x.Row, columns.Exec)).Where(v => v > 0))?.Median ?? double.NaN,
                    Simulated: SimulatedPeerExec(calibration, peer, g.Key),
                    Weight: (double)g.Count()))
                .Where(t => t.Observed > 0 && t.Simulated > 0 && double.IsFinite(t.Simulated)).ToArray();
            return peer with
            {
                ObservedExecRatio = terms.Length == 0 ? peer.ObservedExecRatio
                    : Math.Clamp(Math.Exp(terms.Sum(t => Math.Log(t.Observed / t.Simulated) * t.Weight) / terms.Sum(t => t.Weight)), 0.01, 100),
                // Models the stretch did not offer this peer keep the calibration's ratio.
                ObservedExecRatios = new Dictionary<string, double>(
                    peer.ObservedExecRatios.Where(r => !terms.Any(t => t.Model == r.Key))
                        .Concat(terms.Select(t => KeyValuePair.Create(t.Model, Math.Clamp(t.Observed / t.Simulated, 0.01, 100)))),
                    StringComparer.Ordinal),
                ObservedRoundTripSeconds = Distribution.Of(seen.Select(x => columns.Time(x.Request, x.Row, columns.RoundTrip)).Where(double.IsFinite)) ?? peer.ObservedRoundTripSeconds,
                // What the agent took off as the round trip when it priced this stretch's offloads: its
                // RTT estimate at the reply, which moves with the run (the demo's edge: 17-20 ms in the
                // all-offloaded run, 7-8 ms where only recognition went); models with fewer than 3
                // offloads in the stretch keep the calibration's.
                PricedRoundTripSeconds = calibration.Device.RadioWatts - calibration.Device.WaitWatts > 1e-6
                    ? new Dictionary<string, double>(
                        PricedRoundTrips(ok, peer.Name, calibration.Device) is var own
                            ? peer.PricedRoundTripSeconds.Where(p => !own.ContainsKey(p.Key)).Concat(own)
                            : peer.PricedRoundTripSeconds,
                        StringComparer.Ordinal)
                    : peer.PricedRoundTripSeconds,
                ObservedBitsPerSecond = Distribution.Of(seen.Select(x => columns.Rate(x.Request, x.Row, columns.Uplink)).Where(v => v > 0 && double.IsFinite(v))) ?? peer.ObservedBitsPerSecond,
            };
        }).ToArray();

        return calibration with { Models = models, Peers = peers };
    }

    /// <summary>Fewest requests a server must have run in a stretch for <see cref="WithRunExecutionTimes"/> to take its time from the stretch.</summary>
    public const int MinimumRunExecRequests = 10;

    /// <summary>
    /// The calibration with each server's execution times at the speed it ran during one stretch of
    /// the log (one eval live run): per server (the board, each peer) the sum of its measured times
    /// over the sum of what the calibration's size lines give for the same requests
    /// (<see cref="ModelCalibration.ExecAtMeanBytesSeconds"/>, <see cref="ModelCalibration.ExecSizeSlope"/>:
    /// the sizes it ran are accounted for), applied to every model's times on that server. The
    /// emulated board and peers share one machine whose speed drifts over minutes (the board's
    /// all-local runs of one sweep: 41.8-50.6 ms per request; its detection 3.44 to 3.88 ms per
    /// 100 KB over 5 minutes), which one calibrated mean per model cannot follow; the drift is a
    /// condition of the run, like its link. A server with fewer than <see cref="MinimumRunExecRequests"/>
    /// requests in the stretch keeps the calibration's times; the factor is clamped to [0.5, 2].
    /// Returns the calibration and the factor applied per server ("local", "peer:NAME"; 1 where kept).
    /// </summary>
    /// <param name="calibration">The deployment's calibration (fitted from the whole log, or a file).</param>
    /// <param name="requests">The stretch's requests (failed ones are left out).</param>
    public static (DeploymentCalibration Calibration, IReadOnlyDictionary<string, double> Factors) WithRunExecutionTimes(DeploymentCalibration calibration, IReadOnlyList<LoggedRequest> requests)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(requests);
        var models = calibration.Models.ToDictionary(m => m.Name, StringComparer.Ordinal);
        double? Line(LoggedRequest r)
        {
            if (!models.TryGetValue(r.Model, out var m))
            {
                return null;
            }

            var at = m.ExecAtMeanBytesSeconds.TryGetValue(r.RanAt, out var a) && a > 0 && double.IsFinite(a) ? a
                : r.RanAt == "local" ? m.DeviceExecSeconds : double.NaN;
            var scale = m.MeanRequestBytes > 0 ? Math.Clamp(1 + (m.ExecSizeSlope * (r.InputBytes - m.MeanRequestBytes) / m.MeanRequestBytes), 0.2, 5) : 1;
            return at > 0 && double.IsFinite(at) ? at * scale : null;
        }

        var factors = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var server in requests.Where(r => r.Success && r.ExecSeconds > 0 && double.IsFinite(r.ExecSeconds)).GroupBy(r => r.RanAt, StringComparer.Ordinal))
        {
            var pairs = server.Select(r => (Measured: r.ExecSeconds, Line: Line(r))).Where(p => p.Line is > 0).ToArray();
            factors[server.Key] = pairs.Length >= MinimumRunExecRequests
                ? Math.Clamp(pairs.Sum(p => p.Measured) / pairs.Sum(p => p.Line!.Value), 0.5, 2)
                : 1;
        }

        double Factor(string server) => factors.TryGetValue(server, out var f) ? f : 1;
        static Distribution Scaled(Distribution d, double f) => f == 1 ? d : d with { Mean = d.Mean * f, Quantiles = [.. d.Quantiles.Select(v => v * f)] };
        var local = Factor("local");
        var scaled = calibration.Models.Select(m => m with
        {
            DeviceExecSeconds = m.DeviceExecSeconds * local,
            Int8ExecSeconds = m.Int8ExecSeconds * local,
            MixedExecSeconds = m.MixedExecSeconds * local,
            ExecAtMeanBytesSeconds = m.ExecAtMeanBytesSeconds.ToDictionary(e => e.Key, e => e.Value * Factor(e.Key), StringComparer.Ordinal),
            ExecSeconds = m.ExecSeconds.ToDictionary(e => e.Key, e => Scaled(e.Value, Factor(e.Key)), StringComparer.Ordinal),
        }).ToArray();
        return (calibration with { Models = scaled }, factors);
    }

    /// <summary>
    /// The calibration at one <paramref name="level"/> (0 to 1) of a stretch's spread, every
    /// quantity at the same level: <see cref="AtObservedLevel(DeploymentCalibration, IReadOnlyList{LoggedRequest}, FeatureLayout, double, double, double)"/>
    /// with the link and record levels equal to it.
    /// </summary>
    /// <param name="calibration">The calibration (usually <see cref="WithObservedEstimates"/> of the same requests).</param>
    /// <param name="requests">The stretch's requests.</param>
    /// <param name="layout">The layout their features are in (agent layout).</param>
    /// <param name="level">Quantile level, 0 to 1 (0.5: the medians).</param>
    /// <exception cref="CalibrationException">Not the agent layout (one line).</exception>
    public static DeploymentCalibration AtObservedLevel(DeploymentCalibration calibration, IReadOnlyList<LoggedRequest> requests, FeatureLayout layout, double level) =>
        AtObservedLevel(calibration, requests, layout, level, level, level);

    /// <summary>
    /// The calibration at one point of the spread, within <paramref name="requests"/> (one stretch
    /// of the log such as one eval live run), of what the agent decides on and what it moves: each
    /// model's request bytes, its responses' sizes (recovered: <see cref="ResponseBytesOf"/>) and
    /// its execution times on every server scaled with the request bytes (a line of time against
    /// size fitted to the requests, relative to its value at their mean size), all at
    /// <paramref name="sizeLevel"/>; each peer's RTT and throughput estimates at
    /// <paramref name="linkLevel"/> (they rise together in the log: a large transfer raises both);
    /// the agent's record of each model's response size at <paramref name="recordLevel"/>. The
    /// three move independently in the decision log (request bytes against RTT estimate,
    /// throughput estimate and response record: |correlation| at most 0.19 over four sweeps of the
    /// demo), so a mixture of contexts should spread them independently; a context at one level of
    /// all three pairs the widest lines with the slowest-looking link. A mixture of contexts at
    /// spread levels stands in for the per-request swing that one median removes: near a switch
    /// point the live policy sends some requests one way and some the other.
    /// </summary>
    /// <param name="calibration">The calibration (usually <see cref="WithObservedEstimates"/> of the same requests).</param>
    /// <param name="requests">The stretch's requests.</param>
    /// <param name="layout">The layout their features are in (agent layout).</param>
    /// <param name="sizeLevel">Quantile level of the sizes and times, 0 to 1.</param>
    /// <param name="linkLevel">Quantile level of the agent's RTT and throughput estimates, 0 to 1.</param>
    /// <param name="recordLevel">Quantile level of the agent's response-size record, 0 to 1.</param>
    /// <exception cref="CalibrationException">Not the agent layout (one line).</exception>
    public static DeploymentCalibration AtObservedLevel(DeploymentCalibration calibration, IReadOnlyList<LoggedRequest> requests, FeatureLayout layout, double sizeLevel, double linkLevel, double recordLevel)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(linkLevel, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(linkLevel, 1);
        return AtObservedLevel(calibration, requests, layout, sizeLevel, _ => linkLevel, recordLevel);
    }

    /// <summary>
    /// <see cref="AtObservedLevel(DeploymentCalibration, IReadOnlyList{LoggedRequest}, FeatureLayout, double, double, double)"/>
    /// with each peer's link estimates at a level of its own (<paramref name="peerLinkLevel"/> of the
    /// peer's index): one peer's estimates do not move with another's in the decision log (the
    /// cloud's and the edge's throughput estimates: correlation -0.96 to +0.86 from run to run, -0.11
    /// in the 6 items/s sweep's w_delay 0 run), and at the energy end the choice between two peers
    /// follows which estimate is the better at the moment: at one level for both, the same peer wins
    /// almost every context (the edge at 88 % simulated against 54 % live in that run).
    /// </summary>
    /// <exception cref="CalibrationException">Not the agent layout (one line).</exception>
    public static DeploymentCalibration AtObservedLevel(DeploymentCalibration calibration, IReadOnlyList<LoggedRequest> requests, FeatureLayout layout, double sizeLevel, Func<int, double> peerLinkLevel, double recordLevel)
    {
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(peerLinkLevel);
        foreach (var level in (ReadOnlySpan<double>)[sizeLevel, recordLevel, .. Enumerable.Range(0, calibration.Peers.Count).Select(peerLinkLevel)])
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(level, 0);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(level, 1);
        }

        if (!layout.IsAgentLayout || layout.HistogramUnit != HistogramUnit.Seconds)
        {
            throw new CalibrationException("The requests are not in the agent's observation layout; observed estimates are read from logs of `edgeagent agent`.");
        }

        var ok = requests.Where(r => r.Success).ToArray();
        var columns = new Columns(layout);
        var responses = ResponseBytesOf(requests, layout);
        static Distribution? Point(Distribution? d, double p) => d is null || !double.IsFinite(d.Quantile(p)) ? d : Distribution.Of([d.Quantile(p)]);
        var models = calibration.Models.Select(model =>
        {
            var rows = ok.Where(r => r.Model == model.Name).ToArray();
            var request = Distribution.Of(rows.Select(r => (double)r.InputBytes).Where(v => v > 0));
            var response = Distribution.Of(rows.Select(r => responses.TryGetValue(r, out var b) ? b : double.NaN).Where(v => v >= 0));
            var record = Distribution.Of(rows.Select(r => columns.ResponseBytes(r)).Where(v => v >= 0));
            if (request is null)
            {
                return model;
            }

            // Execution time grows with the input (a recognition line's width: 48 ms at 150 KB, 188 ms
            // at 550 KB on the demo's board), and the requests kept on the board near a switch point
            // are the widest: every server's times scaled by the size line at this level's bytes over
            // the line at the mean bytes (so the mixture keeps the calibrated means).
            // With the calibration's size line (k at its mean size), the times at this level's bytes;
            // a calibration written without one: the rows' pooled line relative to their mean.
            var bytes = request.Quantile(sizeLevel);
            var scale = model.MeanRequestBytes > 0
                ? Math.Clamp(1 + (model.ExecSizeSlope * (bytes - model.MeanRequestBytes) / model.MeanRequestBytes), 0.2, 5)
                : ExecSizeScale(rows, bytes, request.Mean);
            Distribution Scaled(Distribution d) => d with { Mean = d.Mean * scale, Quantiles = [.. d.Quantiles.Select(v => v * scale)] };
            var scaled = model with
            {
                RequestBytes = (long)Math.Round(bytes),
                ResponseBytes = response is null ? model.ResponseBytes : (long)Math.Round(response.Quantile(sizeLevel)),
                ObservedResponseBytes = record is null ? model.ObservedResponseBytes : (long)Math.Round(record.Quantile(recordLevel)),
                DeviceExecSeconds = model.DeviceExecSeconds * scale,
                Int8ExecSeconds = model.Int8ExecSeconds * scale,
                MixedExecSeconds = model.MixedExecSeconds * scale,
                ExecSeconds = model.ExecSeconds.ToDictionary(e => e.Key, e => Scaled(e.Value), StringComparer.Ordinal),
                ExecAtMeanBytesSeconds = model.ExecAtMeanBytesSeconds.ToDictionary(e => e.Key, e => e.Value * scale, StringComparer.Ordinal),
            };

            // What the agent expected on the board for a request of this size: its own estimates are
            // size-aware lines too, not always as steep as the times (recognition: 0.8 of the
            // board's slope), so the observation follows the line of its estimates against the bytes.
            var estimate = model.DeviceExecSource == "measured" && scaled.DeviceExecSeconds > 0
                ? EstimateAt([.. rows.Select(r => (Bytes: (double)r.InputBytes, Estimate: columns.LocalDefaultRow(r) is { } row ? columns.Time(r, row, columns.Exec) : double.NaN)).Where(p => p.Estimate > 0)], bytes)
                : null;
            return estimate is { } e ? scaled with { ObservedExecRatio = Math.Clamp(e / scaled.DeviceExecSeconds, 0.01, 100) } : scaled;
        }).ToArray();
        var sized = calibration with { Models = models };
        var peers = calibration.Peers.Select((peer, index) =>
        {
            var linkLevel = peerLinkLevel(index);
            // Likewise each model's expected time on the peer, from the peer's row in the stretch.
            var placement = "peer:" + peer.Name;
            var ratios = new Dictionary<string, double>(peer.ObservedExecRatios, StringComparer.Ordinal);
            foreach (var model in models)
            {
                var points = ok.Where(r => r.Model == model.Name).Select(r => (Request: r, Row: IndexOf(r.Candidates, placement)))
                    .Where(x => x.Row >= 0 && x.Row < x.Request.Mask.Length && x.Request.Mask[x.Row] > 0)
                    .Select(x => (Bytes: (double)x.Request.InputBytes, Estimate: columns.Time(x.Request, x.Row, columns.Exec))).Where(p => p.Estimate > 0).ToArray();
                var simulated = SimulatedPeerExec(sized, peer, model.Name);
                if (EstimateAt(points, model.RequestBytes) is { } e && simulated > 0 && double.IsFinite(simulated))
                {
                    ratios[model.Name] = Math.Clamp(e / simulated, 0.01, 100);
                }
            }

            return peer with
            {
                ObservedRoundTripSeconds = Point(peer.ObservedRoundTripSeconds, linkLevel),
                ObservedBitsPerSecond = Point(peer.ObservedBitsPerSecond, linkLevel),
                ObservedExecRatios = ratios,
            };
        }).ToArray();
        return sized with { Peers = peers };
    }

    // How execution time grows with the request bytes, and each server's time at the mean size:
    // exec_s(bytes) = c_s (1 + k (bytes - M) / M). k is the relative slope at M of each server's own
    // least-squares line of time against bytes (servers with at least 5 runs over sizes spread by 5 %
    // or more), averaged with their runs as weights, in [0, 2] (0 when no server can tell); c_s, the
    // time at M, follows from the server's mean and the mean size of its runs. Pooling the servers'
    // times over their own means instead flattened k (0.4-0.5 against 0.9-1.1 per server on the
    // demo's mixed runs), because which server runs a request depends on its size.
    private static (double Slope, Dictionary<string, double> AtMean) ExecAtMeanSize(LoggedRequest[] rows, double meanBytes)
    {
        var groups = rows.Where(r => r.ExecSeconds > 0 && double.IsFinite(r.ExecSeconds)).GroupBy(r => r.RanAt, StringComparer.Ordinal).Where(g => g.Count() >= 3).ToArray();
        var slopes = new List<(double K, double Weight)>();
        foreach (var g in groups.Where(g => g.Count() >= 5))
        {
            var bytes = g.Select(r => (double)r.InputBytes).ToArray();
            var mean = bytes.Average();
            var sd = Math.Sqrt(bytes.Sum(b => (b - mean) * (b - mean)) / bytes.Length);
            if (mean > 0 && sd >= 0.05 * mean && FitLine([.. g.Select(r => ((double)r.InputBytes, r.ExecSeconds, 1.0))]) is { } line && line.Intercept + (line.Slope * meanBytes) is var at && at > 0)
            {
                slopes.Add((line.Slope * meanBytes / at, g.Count()));
            }
        }

        var k = slopes.Count == 0 || !(meanBytes > 0) ? 0 : Math.Clamp(slopes.Sum(x => x.K * x.Weight) / slopes.Sum(x => x.Weight), 0, 2);
        var atMean = groups.ToDictionary(
            g => g.Key,
            g => g.Average(r => r.ExecSeconds) / Math.Max(0.2, 1 + (k * (g.Average(r => (double)r.InputBytes) - meanBytes) / Math.Max(1, meanBytes))),
            StringComparer.Ordinal);
        return (k, atMean);
    }

    // The sample standard deviation, 0 with fewer than 10 values.
    private static double SampleSd(IReadOnlyList<double> values)
    {
        if (values.Count < 10)
        {
            return 0;
        }

        var mean = values.Average();
        return Math.Sqrt(values.Sum(x => (x - mean) * (x - mean)) / (values.Count - 1));
    }

    // The least-squares line of an estimate against the request bytes evaluated at `bytes`, or null
    // with fewer than 5 points, sizes spread by less than 5 %, or a value at or below 0 there.
    private static double? EstimateAt(IReadOnlyList<(double Bytes, double Estimate)> points, double bytes)
    {
        if (points.Count < 5)
        {
            return null;
        }

        var mean = points.Average(p => p.Bytes);
        var sd = Math.Sqrt(points.Sum(p => (p.Bytes - mean) * (p.Bytes - mean)) / points.Count);
        if (!(mean > 0) || sd < 0.05 * mean || FitLine([.. points.Select(p => (p.Bytes, p.Estimate, 1.0))]) is not { } line)
        {
            return null;
        }

        var at = line.Intercept + (line.Slope * bytes);
        return at > 0 && double.IsFinite(at) ? at : null;
    }

    // Least squares of each request's execution time over its server's mean in these rows against its
    // input bytes (servers pooled: the shape of time against size is the model's), evaluated at
    // `bytes` over at `mean`; 1 when the rows cannot tell (fewer than 5, one size, a line through 0 or below).
    private static double ExecSizeScale(LoggedRequest[] rows, double bytes, double mean)
    {
        var means = rows.Where(r => r.ExecSeconds > 0).GroupBy(r => r.RanAt, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Average(r => r.ExecSeconds), StringComparer.Ordinal);
        var points = rows.Where(r => r.ExecSeconds > 0 && means[r.RanAt] > 0).Select(r => (Bits: (double)r.InputBytes, Seconds: r.ExecSeconds / means[r.RanAt], Weight: 1.0)).ToArray();
        if (points.Length < 5 || FitLine(points) is not { } line)
        {
            return 1;
        }

        var at = line.Intercept + (line.Slope * bytes);
        var atMean = line.Intercept + (line.Slope * mean);
        return at > 0 && atMean > 0 ? Math.Clamp(at / atMean, 0.2, 5) : 1;
    }

    // The time the simulator runs a model on a peer (DeploymentCalibration.ToContext): its own mean
    // there when it ran there at least 3 times, else the device's time / the peer's speed; NaN when
    // the calibration does not list the model.
    private static double SimulatedPeerExec(DeploymentCalibration calibration, PeerCalibration peer, string model)
    {
        var m = calibration.Models.FirstOrDefault(x => x.Name == model);
        if (m is null)
        {
            return double.NaN;
        }

        return m.ExecAtMeanBytesSeconds.TryGetValue("peer:" + peer.Name, out var atMean) && atMean > 0 && double.IsFinite(atMean) ? atMean
            : m.ExecSeconds.TryGetValue("peer:" + peer.Name, out var measured) && measured.Count >= 3 && measured.Mean > 0 && double.IsFinite(measured.Mean)
            ? measured.Mean
            : m.DeviceExecSeconds / Math.Max(1e-9, peer.Speed);
    }

    private static DeviceCalibration FitDevice(LoggedRequest[] ok, Columns columns, Func<LoggedRequest, double> response, List<double> logRatios, List<string> notes)
    {
        var inv = CultureInfo.InvariantCulture;
        var locals = ok.Where(r => !r.Offloaded && r.ExecSeconds > 0).ToArray();
        var computeWatts = Distribution.Of(locals.Where(r => r.ComputeJoules > 0).Select(r => r.ComputeJoules / r.ExecSeconds));
        var defaults = DevicePowerTable.Default;
        var fitted = 0;
        var busy = defaults.BusyWatts;
        if (computeWatts is not null)
        {
            busy = defaults.IdleWatts + computeWatts.Median;
            fitted++;
        }
        else
        {
            notes.Add("no local request with compute energy: busy power is the agent's default");
        }

        // Offload joules = radio W x transfer + wait W x the rest of the peer call; the transfer as the
        // agent's Dispatcher computes it: the wire time less its round-trip estimate when that leaves at
        // least 1 ms, else the bytes at its throughput estimate (the estimates the decision saw).
        var offloads = ok.Where(r => r.Offloaded && r.RadioJoules > 0).Select(r =>
        {
            var row = IndexOf(r.Candidates, r.RanAt);
            var rate = row >= 0 ? columns.Rate(r, row, columns.Uplink) : double.NaN;
            var rtt = row >= 0 ? columns.Time(r, row, columns.RoundTrip) : double.NaN;
            var bits = 8.0 * (r.InputBytes + response(r));
            var elapsed = r.TransferSeconds + r.QueueSeconds + r.ExecSeconds;
            var measured = r.TransferSeconds - rtt;
            var transfer = measured >= 0.001 ? Math.Min(elapsed, measured) : rate > 0 ? Math.Min(elapsed, bits / rate) : double.NaN;
            return (Transfer: transfer, Wait: Math.Max(0, elapsed - transfer), Joules: r.RadioJoules);
        }).Where(x => double.IsFinite(x.Transfer)).ToArray();
        var (radio, wait) = (defaults.RadioWatts, defaults.WaitWatts);
        if (offloads.Length >= 3 && NonNegativeLeastSquares(offloads) is { } w)
        {
            (radio, wait) = w;
            fitted += 2;
        }
        else
        {
            notes.Add("fewer than 3 offloads with radio energy: radio and wait power are the agent's defaults");
        }

        var localConcurrency = ok.Select(r => columns.LocalDefaultRow(r) is { } row ? columns.Value(r, row, columns.Concurrency) : float.NaN).Where(float.IsFinite).ToArray();
        double sigma = 0;
        if (logRatios.Count >= 10)
        {
            var mean = logRatios.Average();
            sigma = Math.Sqrt(logRatios.Sum(x => (x - mean) * (x - mean)) / (logRatios.Count - 1));
        }
        else
        {
            notes.Add(string.Create(inv, $"too few repeated runs to fit the spread of execution times: jitter sigma 0"));
        }

        return new DeviceCalibration
        {
            LocalConcurrency = localConcurrency.Length == 0 ? 1 : (int)Math.Round(Distribution.Of(localConcurrency.Select(v => (double)v))!.Median),
            IdleWatts = defaults.IdleWatts,
            BusyWatts = busy,
            RadioWatts = radio,
            WaitWatts = wait,
            PowerSource = fitted == 3 ? "fitted" : fitted == 0 ? "default" : "partly fitted",
            ComputeWatts = computeWatts,
            ExecJitterSigma = Math.Clamp(sigma, 0, 2),
            LocalQueueSeconds = Distribution.Of(ok.Where(r => !r.Offloaded).Select(r => r.QueueSeconds)),
        };
    }

    private static ArrivalCalibration FitArrivals(LoggedRequest[] ok, string[] modelNames, List<string> notes)
    {
        var inv = CultureInfo.InvariantCulture;
        var workloads = new List<WorkloadCalibration>();
        var jobArrivals = new List<(DateTimeOffset At, double Weight)>();
        var present = modelNames.ToHashSet(StringComparer.Ordinal);
        var pipeline = Ocr.Where(present.Contains).ToArray();
        var single = modelNames.ToList();
        if (pipeline.Length >= 2 && pipeline[0] == Ocr[0])
        {
            // The OCR pipeline: a job per detection request, its lines from the per-line stages' counts.
            var jobs = ok.Count(r => r.Model == Ocr[0]);
            var perLine = pipeline.Skip(1).Select(m => ok.Count(r => r.Model == m) / (double)Math.Max(1, jobs)).Max();
            workloads.Add(new WorkloadCalibration
            {
                Stages = pipeline,
                LinesMin = Math.Clamp((int)Math.Floor(perLine), 1, AgentContext.MaxLines),
                LinesMax = Math.Clamp((int)Math.Ceiling(perLine), 1, AgentContext.MaxLines),
                LinesMean = Math.Clamp(perLine, 1, AgentContext.MaxLines),
                SequentialLines = true, // the OCR pipeline (OcrPipeline.ReadAsync) reads a page's lines one after another
                Weight = jobs,
            });
            jobArrivals.AddRange(ok.Where(r => r.Model == Ocr[0]).Select(r => (r.ArrivedAt, r.DelayWeight)));
            single.RemoveAll(pipeline.Contains);
            notes.Add(string.Create(inv, $"OCR pipeline: {jobs} jobs, {perLine:0.##} lines per job"));
        }

        foreach (var m in single)
        {
            var arrivals = ok.Where(r => r.Model == m).Select(r => (r.ArrivedAt, r.DelayWeight)).ToArray();
            workloads.Add(new WorkloadCalibration { Stages = [m], Weight = arrivals.Length });
            jobArrivals.AddRange(arrivals);
        }

        jobArrivals.Sort((a, b) => a.At.CompareTo(b.At));
        var pairs = jobArrivals.Zip(jobArrivals.Skip(1), (a, b) => (Gap: (b.At - a.At).TotalSeconds, SameWeight: a.Weight == b.Weight)).ToArray();

        // A log spans several sessions (agent restarts, eval live's runs at one preference each,
        // idle hours): a change of preference or a gap far beyond the typical one (20 x the median
        // and at least 5 s) ends a session and is not an inter-arrival time; the rate is jobs over
        // the sessions' busy time.
        var typical = Distribution.Of(pairs.Where(p => p.SameWeight).Select(p => p.Gap))?.Median ?? 0;
        var cut = Math.Max(5.0, 20 * typical);
        var gaps = pairs.Where(p => p.SameWeight && p.Gap <= cut).Select(p => p.Gap).ToArray();
        var sessions = pairs.Length - gaps.Length + 1;
        var span = gaps.Sum();
        var rate = span > 0 ? gaps.Length / span : 1;
        if (sessions > 1)
        {
            notes.Add(string.Create(inv, $"arrivals: {sessions} sessions (a change of preference or a gap over {cut:0.#} s between them; those gaps left out)"));
        }
        double cv = 1;
        if (gaps.Length >= 2)
        {
            var mean = gaps.Average();
            cv = mean > 0 ? Math.Sqrt(gaps.Sum(g => (g - mean) * (g - mean)) / (gaps.Length - 1)) / mean : 1;
        }

        // Gaps that vary little: a fixed rate (a load generator); far more than exponential: bursts
        // (geometric bursts of mean b, close together: CV^2 ~ 2b - 1).
        var (kind, burst) = cv < 0.35 ? ("periodic", 1.0) : cv > 1.5 ? ("bursty", Math.Max(1, ((cv * cv) + 1) / 2)) : ("poisson", 1.0);

        // A load generator at a fixed rate whose gaps stretched only while the agent fell behind (a
        // client that holds back when too many of its items are in flight: eval live at 6 items/s
        // with every request to a 300 ms cloud and a one-slot edge): the middle half of the gaps
        // within 5 % of their median (exponential gaps: 1.6 x) and at most 10 % of them beyond 1.5 x
        // it. The offered rate is the generator's, 1 / the median gap; the long gaps are back-pressure,
        // not arrivals the simulator should draw (they made it Poisson at a lower rate, whose queues
        // the live runs never saw).
        if (kind != "periodic" && cv <= 1.5 && gaps.Length >= 20 && Distribution.Of(gaps) is { } spread && spread.Median > 0)
        {
            var iqr = spread.Quantile(0.75) - spread.Quantile(0.25);
            var stretched = gaps.Count(g => g > 1.5 * spread.Median);
            if (iqr <= 0.1 * spread.Median && stretched <= 0.1 * gaps.Length)
            {
                notes.Add(string.Create(inv, $"arrivals: periodic at 1 / the median gap ({spread.Median * 1000:0.#} ms, middle half within {iqr / spread.Median:P1} of it); {stretched} of {gaps.Length} gaps over 1.5 x it (the client held back; CV of all gaps {cv:0.##}, rate over them {rate:0.###} jobs/s) left out of the rate"));
                kind = "periodic";
                rate = 1 / spread.Median;
            }
        }
        if (span <= 0)
        {
            notes.Add("one job only: arrival rate 1/s assumed");
        }

        return new ArrivalCalibration
        {
            Kind = kind,
            JobsPerSecond = rate,
            BurstMean = burst,
            CoefficientOfVariation = cv,
            InterarrivalSeconds = Distribution.Of(gaps),
            Workloads = workloads,
        };
    }

    private static int IndexOf(IReadOnlyList<string> candidates, string placement)
    {
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i] == placement)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>
    /// Each successful request's response size in bytes, recovered from the agent's record of the
    /// model's response size that the log keeps (the observation's response-size feature, smoothed
    /// with <see cref="ResponseRecordWeight"/>): where a request was decided after the previous
    /// request of its model had replied and the next one was decided after it replied, the two
    /// records around its reply give its size exactly; every other request of the model gets the
    /// least-squares line of those sizes against the request bytes (recognition's response grows
    /// with its line: 5.75 x the request on the demo), or the record when fewer than 3 were
    /// recovered. Recovered sizes far off that line (an unlogged reply in between) are replaced by it.
    /// </summary>
    /// <param name="requests">The log's requests (any order; failed ones set no record but carry one).</param>
    /// <param name="layout">The layout their features are in (agent layout).</param>
    /// <returns>Bytes by request (by reference), for the successful requests.</returns>
    public static IReadOnlyDictionary<LoggedRequest, double> ResponseBytesOf(IReadOnlyList<LoggedRequest> requests, FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(requests);
        ArgumentNullException.ThrowIfNull(layout);
        var columns = new Columns(layout);
        var result = new Dictionary<LoggedRequest, double>(ReferenceEqualityComparer.Instance);
        foreach (var group in requests.GroupBy(r => r.Model, StringComparer.Ordinal))
        {
            // Reply order (the log's order of recording); a record is read where a request was decided.
            var seq = group.OrderBy(r => r.Timestamp).ToArray();
            var exact = new List<(LoggedRequest Request, double Bytes)>();
            for (var k = 0; k < seq.Length; k++)
            {
                var r = seq[k];
                if (!r.Success || k + 1 >= seq.Length)
                {
                    continue;
                }

                var next = seq[k + 1];
                var before = columns.ResponseBytes(r);
                var after = columns.ResponseBytes(next);
                var alone = next.ArrivedAt >= r.Timestamp && (k == 0 || r.ArrivedAt >= seq[k - 1].Timestamp);
                if (!alone || !double.IsFinite(before) || !(after > 0))
                {
                    continue;
                }

                // The first response of a model is recorded as it is.
                var bytes = before > 0 ? (after - ((1 - ResponseRecordWeight) * before)) / ResponseRecordWeight : after;
                if (bytes > 0)
                {
                    exact.Add((r, bytes));
                }
            }

            var line = exact.Count >= 3 ? FitLine([.. exact.Select(x => ((double)x.Request.InputBytes, x.Bytes, 1.0))]) : null;
            if (line is null && exact.Count >= 3)
            {
                // One request size: the sizes' median.
                var median = Distribution.Of(exact.Select(x => x.Bytes))!.Median;
                line = (median, 0);
            }

            if (line is { } l)
            {
                // Off the line by more than 5 % (and 64 B): an unlogged reply changed the record in between; refit without them.
                static double At((double Intercept, double Slope) l, LoggedRequest r) => l.Intercept + (l.Slope * r.InputBytes);
                var kept = exact.Where(x => Math.Abs(x.Bytes - At(l, x.Request)) <= Math.Max(64, 0.05 * Math.Abs(At(l, x.Request)))).ToList();
                if (kept.Count >= 3 && kept.Count < exact.Count && FitLine([.. kept.Select(x => ((double)x.Request.InputBytes, x.Bytes, 1.0))]) is { } refit)
                {
                    l = refit;
                }

                foreach (var (request, bytes) in kept)
                {
                    result[request] = bytes;
                }

                foreach (var r in seq.Where(r => r.Success && !result.ContainsKey(r)))
                {
                    result[r] = Math.Max(0, At(l, r));
                }
            }
            else
            {
                foreach (var r in seq.Where(r => r.Success))
                {
                    result[r] = exact.FirstOrDefault(x => ReferenceEquals(x.Request, r)).Bytes is var b && b > 0 ? b : Math.Max(0, columns.ResponseBytes(r));
                }
            }
        }

        return result;
    }

    /// <summary>One offloaded request's wire time and the bits it moved each way.</summary>
    /// <param name="Model">Its model.</param>
    /// <param name="UpBits">Bits uploaded (the request).</param>
    /// <param name="DownBits">Bits downloaded (the response).</param>
    /// <param name="Seconds">Its wire time (the peer call less the peer's queue and execution), s.</param>
    public sealed record WireSample(string Model, double UpBits, double DownBits, double Seconds);

    /// <summary>A peer's link fitted to its requests' wire times.</summary>
    /// <param name="RoundTripSeconds">The round trip (intercept), s.</param>
    /// <param name="BitsPerSecond">One rate both ways (the fit of the wire time against all bits moved).</param>
    /// <param name="UplinkBitsPerSecond">Uplink rate (equal to <paramref name="BitsPerSecond"/> when not <paramref name="Split"/>).</param>
    /// <param name="DownlinkBitsPerSecond">Downlink rate (likewise).</param>
    /// <param name="Split">True when the two directions were fitted apart.</param>
    /// <param name="Residuals">Per model, the wire time less the fitted one, s.</param>
    public sealed record LinkFit(double RoundTripSeconds, double BitsPerSecond, double UplinkBitsPerSecond, double DownlinkBitsPerSecond, bool Split, IReadOnlyDictionary<string, Distribution> Residuals);

    /// <summary>
    /// Least squares of each request's wire time = RTT + up bits / uplink + down bits / downlink
    /// (the mean is what the simulator predicts, so squares, not a robust loss). The two rates are
    /// fitted apart when the requests' up and down bits are not (nearly) proportional to each other
    /// (|correlation| below 0.99, e.g. detection uploads 3x what it downloads, recognition the
    /// reverse) and both slopes come out positive; else one rate both ways against the bits
    /// moved. Null with fewer than 6 requests, one size only, or no positive slope, or a round
    /// trip below -0.5 ms.
    /// </summary>
    /// <param name="samples">The peer's requests.</param>
    public static LinkFit? FitLink(IReadOnlyList<WireSample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < MinimumLinkRequests)
        {
            return null;
        }

        var n = (double)samples.Count;
        var mu = samples.Average(x => x.UpBits);
        var md = samples.Average(x => x.DownBits);
        var mt = samples.Average(x => x.Seconds);
        double suu = 0, sdd = 0, sud = 0, sut = 0, sdt = 0;
        foreach (var x in samples)
        {
            var (u, d, t) = (x.UpBits - mu, x.DownBits - md, x.Seconds - mt);
            suu += u * u;
            sdd += d * d;
            sud += u * d;
            sut += u * t;
            sdt += d * t;
        }

        Dictionary<string, Distribution> Residuals(Func<WireSample, double> predict) =>
            samples.GroupBy(x => x.Model, StringComparer.Ordinal).ToDictionary(g => g.Key, g => Distribution.Of(g.Select(x => x.Seconds - predict(x)))!, StringComparer.Ordinal);

        var separable = suu > 1e-6 * n * mu * mu && sdd > 1e-6 * n * md * md && (sud * sud) < 0.98 * suu * sdd;
        if (separable)
        {
            var det = (suu * sdd) - (sud * sud);
            var bu = ((sut * sdd) - (sdt * sud)) / det;
            var bd = ((sdt * suu) - (sut * sud)) / det;
            var a = mt - (bu * mu) - (bd * md);
            if (bu > 0 && bd > 0 && a >= -0.0005 && FitLine([.. samples.Select(x => (x.UpBits + x.DownBits, x.Seconds, 1.0))]) is { } one && one.Slope > 0)
            {
                var rtt = Math.Max(0, a);
                return new LinkFit(rtt, 1.0 / one.Slope, 1.0 / bu, 1.0 / bd, true, Residuals(x => a + (bu * x.UpBits) + (bd * x.DownBits)));
            }
        }

        if (FitLine([.. samples.Select(x => (x.UpBits + x.DownBits, x.Seconds, 1.0))]) is { } line && line.Slope > 0 && line.Intercept >= -0.0005)
        {
            return new LinkFit(Math.Max(0, line.Intercept), 1.0 / line.Slope, 1.0 / line.Slope, 1.0 / line.Slope, false, Residuals(x => line.Intercept + (line.Slope * (x.UpBits + x.DownBits))));
        }

        return null;
    }

    // Weighted least squares of Seconds = a + b Bits.
    private static (double Intercept, double Slope)? FitLine(IReadOnlyList<(double Bits, double Seconds, double Weight)> points)
    {
        var w = points.Sum(p => p.Weight);
        var mx = points.Sum(p => p.Weight * p.Bits) / w;
        var my = points.Sum(p => p.Weight * p.Seconds) / w;
        var sxx = points.Sum(p => p.Weight * (p.Bits - mx) * (p.Bits - mx));
        if (sxx <= 0 || mx <= 0 || sxx / w < 1e-6 * mx * mx)
        {
            return null;
        }

        var slope = points.Sum(p => p.Weight * (p.Bits - mx) * (p.Seconds - my)) / sxx;
        return (my - (slope * mx), slope);
    }

    // joules = r transfer + w wait with r, w >= 0.
    private static (double Radio, double Wait)? NonNegativeLeastSquares(IReadOnlyList<(double Transfer, double Wait, double Joules)> rows)
    {
        double a11 = 0, a12 = 0, a22 = 0, b1 = 0, b2 = 0;
        foreach (var (t, w, j) in rows)
        {
            a11 += t * t;
            a12 += t * w;
            a22 += w * w;
            b1 += t * j;
            b2 += w * j;
        }

        var det = (a11 * a22) - (a12 * a12);
        if (Math.Abs(det) > 1e-12 * Math.Max(1e-300, a11 * a22))
        {
            var r = ((b1 * a22) - (b2 * a12)) / det;
            var w = ((a11 * b2) - (a12 * b1)) / det;
            if (r >= 0 && w >= 0)
            {
                return (r, w);
            }
        }

        // One of them at zero: the better of the two one-term fits.
        var radioOnly = a11 > 0 ? Math.Max(0, b1 / a11) : 0;
        var waitOnly = a22 > 0 ? Math.Max(0, b2 / a22) : 0;
        var errRadio = rows.Sum(x => Math.Pow(x.Joules - (radioOnly * x.Transfer), 2));
        var errWait = rows.Sum(x => Math.Pow(x.Joules - (waitOnly * x.Wait), 2));
        return a11 <= 0 && a22 <= 0 ? null : errRadio <= errWait ? (radioOnly, 0) : (0, waitOnly);
    }

    // Reads decoded quantities out of a logged observation in the agent layout.
    private sealed class Columns(FeatureLayout layout)
    {
        public int IsLocal { get; } = layout.IndexOf(FeatureKind.IsLocal);

        public int IsQuantized { get; } = layout.IndexOf(FeatureKind.IsQuantizedVariant);

        public int RoundTrip { get; } = layout.IndexOf(FeatureKind.RoundTripLog);

        public int Uplink { get; } = layout.IndexOf(FeatureKind.UplinkLog);

        public int Exec { get; } = layout.IndexOf(FeatureKind.ExecLog);

        public int Concurrency { get; } = layout.IndexOf(FeatureKind.Concurrency);

        public int Response { get; } = layout.IndexOf(FeatureKind.ResponseBytesLog);

        public float Value(LoggedRequest r, int row, int column)
        {
            var at = (row * layout.FeatureCount) + column;
            return column < 0 || row < 0 || at >= r.Features.Length || row >= r.Mask.Length || r.Mask[row] <= 0 ? float.NaN : r.Features[at];
        }

        public double Time(LoggedRequest r, int row, int column) => Math.Max(0, Math.Pow(10, Value(r, row, column)) - FeatureLayout.TimeOffsetSeconds);

        public double Rate(LoggedRequest r, int row, int column) => Math.Pow(10, Value(r, row, column));

        public double ResponseBytes(LoggedRequest r) => r.Candidates.Count == 0 ? double.NaN : Math.Max(0, Math.Pow(10, Value(r, 0, Response)) - 1);

        // The device's default (fp32) row, or null when the observation had none.
        public int? LocalDefaultRow(LoggedRequest r)
        {
            for (var i = 0; i < r.Candidates.Count; i++)
            {
                if (Value(r, i, IsLocal) == 1f && Value(r, i, IsQuantized) == 0f)
                {
                    return i;
                }
            }

            return null;
        }
    }
}
