using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Learning.Simulation.Agent.Calibration;

/// <summary>A calibration file that cannot be used; the message is one line naming the file and the problem.</summary>
public sealed class CalibrationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CalibrationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public CalibrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CalibrationException()
    {
    }
}

/// <summary>Where the calibration came from.</summary>
public sealed record CalibrationSource
{
    /// <summary>The decision log it was fitted from.</summary>
    public string Database { get; init; } = "";

    /// <summary>Successful requests used.</summary>
    public int Requests { get; init; }

    /// <summary>First request's reply time.</summary>
    public DateTimeOffset From { get; init; }

    /// <summary>Last request's reply time.</summary>
    public DateTimeOffset To { get; init; }

    /// <summary>The log's observation layout.</summary>
    public string Layout { get; init; } = "";
}

/// <summary>The device: its executor, power table and how much execution times vary.</summary>
public sealed record DeviceCalibration
{
    /// <summary>Slots of the local executor (the local row's concurrency feature).</summary>
    public int LocalConcurrency { get; init; } = 1;

    /// <summary>Idle power, W (not identifiable from the log: the agent's default unless given).</summary>
    public double IdleWatts { get; init; } = DevicePowerTable.Default.IdleWatts;

    /// <summary>Busy power, W (idle + the fitted compute power).</summary>
    public double BusyWatts { get; init; } = DevicePowerTable.Default.BusyWatts;

    /// <summary>Radio power during transfers, W.</summary>
    public double RadioWatts { get; init; } = DevicePowerTable.Default.RadioWatts;

    /// <summary>Power while waiting for a peer, W.</summary>
    public double WaitWatts { get; init; } = DevicePowerTable.Default.WaitWatts;

    /// <summary>How the power table was obtained ("fitted", "partly fitted", "default").</summary>
    public string PowerSource { get; init; } = "default";

    /// <summary>Compute power of local requests (compute J / exec s), W.</summary>
    public Distribution? ComputeWatts { get; init; }

    /// <summary>Sigma of the log-normal spread of execution times around each (model, server)'s median, pooled.</summary>
    public double ExecJitterSigma { get; init; }

    /// <summary>
    /// Sigma of the log-normal spread of execution times around each (model, server)'s size line
    /// (<see cref="ModelCalibration.ExecAtMeanBytesSeconds"/>, <see cref="ModelCalibration.ExecSizeSlope"/>),
    /// pooled: the spread left when the request's size is known, which a simulator that draws each
    /// job's size (size classes) adds as its jitter; <see cref="ExecJitterSigma"/> holds the sizes'
    /// spread too. 0 (files written before it, or too few requests): not fitted.
    /// </summary>
    public double ExecResidualSigma { get; init; }

    /// <summary>Queue wait of requests that ran locally, s.</summary>
    public Distribution? LocalQueueSeconds { get; init; }
}

/// <summary>One model as the deployment served it.</summary>
public sealed record ModelCalibration
{
    /// <summary>Model name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Successful requests of this model.</summary>
    public int Requests { get; init; }

    /// <summary>Request bytes (median).</summary>
    public long RequestBytes { get; init; }

    /// <summary>Response bytes (median of each response's size, recovered from the agent's record of them: <see cref="CalibrationFitter.ResponseBytesOf"/>).</summary>
    public long ResponseBytes { get; init; }

    /// <summary>
    /// The response size the agent's observations showed (median of its smoothed record, which
    /// follows the recent responses, not the request being decided); 0 (files written before
    /// it): <see cref="ResponseBytes"/>.
    /// </summary>
    public long ObservedResponseBytes { get; init; }

    /// <summary>fp32 execution time on the device the simulator uses, s (measured mean at <see cref="MeanRequestBytes"/>: the simulator's jitter is a mean-1 factor on it; or the agent's expected time when it never ran locally).</summary>
    public double DeviceExecSeconds { get; init; }

    /// <summary>Mean request bytes of the model's requests (0 in files written before 2026-12-04 22:00 UTC: the times are plain means).</summary>
    public double MeanRequestBytes { get; init; }

    /// <summary>
    /// Relative slope of execution time against request bytes at <see cref="MeanRequestBytes"/>:
    /// time(bytes) = time at the mean x (1 + slope x (bytes - mean) / mean); each server's own
    /// least-squares line, pooled (recognition on the demo: 0.9-1.1, a line's time in proportion to
    /// its width). 0: not size-dependent or not identifiable.
    /// </summary>
    public double ExecSizeSlope { get; init; }

    /// <summary>Each server's execution time at <see cref="MeanRequestBytes"/> (servers with at least 3 runs), s; what the simulator runs there.</summary>
    public IReadOnlyDictionary<string, double> ExecAtMeanBytesSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>Where <see cref="DeviceExecSeconds"/> comes from ("measured" or "expected").</summary>
    public string DeviceExecSource { get; init; } = "measured";

    /// <summary>The agent's expected fp32 time in its observations (median) over <see cref="DeviceExecSeconds"/> (1 when it never ran locally): how far its estimate is off.</summary>
    public double ObservedExecRatio { get; init; } = 1;

    /// <summary>The agent's own time per request run on the device (delay less queue, transfer and execution; mean over local requests that were not fallbacks), s.</summary>
    public double OverheadLocalSeconds { get; init; }

    /// <summary>The agent's own time per offloaded request (outside the peer call; mean), s.</summary>
    public double OverheadPeerSeconds { get; init; }

    /// <summary>int8 execution time on the device, s (null: never offered).</summary>
    public double? Int8ExecSeconds { get; init; }

    /// <summary>Mixed-precision execution time on the device, s (null: never offered).</summary>
    public double? MixedExecSeconds { get; init; }

    /// <summary>Measured execution time by where it ran ("local", "local:int8", "peer:edge"), s.</summary>
    public IReadOnlyDictionary<string, Distribution> ExecSeconds { get; init; } = new Dictionary<string, Distribution>();

    /// <summary>End-to-end delay in the agent by where it ran, s.</summary>
    public IReadOnlyDictionary<string, Distribution> DelaySeconds { get; init; } = new Dictionary<string, Distribution>();
}

/// <summary>One peer as reached from the device.</summary>
public sealed record PeerCalibration
{
    /// <summary>Peer name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Requests it ran.</summary>
    public int Requests { get; init; }

    /// <summary>Round trip the simulator uses, s (intercept of the requests' wire times against their bytes up and down; the agent's measured RTT when the fit is not possible).</summary>
    public double RoundTripSeconds { get; init; }

    /// <summary>One rate both ways, bit/s (slope of the requests' wire times against all the bytes they moved, or the agent's throughput estimate); the simulator's rate in a direction without its own.</summary>
    public double BitsPerSecond { get; init; }

    /// <summary>Uplink rate the simulator uses, bit/s (fitted apart from the downlink: <see cref="CalibrationFitter.FitLink"/>); 0: <see cref="BitsPerSecond"/>.</summary>
    public double UplinkBitsPerSecond { get; init; }

    /// <summary>Downlink rate the simulator uses, bit/s; 0: <see cref="BitsPerSecond"/>.</summary>
    public double DownlinkBitsPerSecond { get; init; }

    /// <summary>Per model, each request's wire time less the fitted link's, s (the spread the simulator's fixed link leaves out).</summary>
    public IReadOnlyDictionary<string, Distribution> WireResidualSeconds { get; init; } = new Dictionary<string, Distribution>();

    /// <summary>How <see cref="RoundTripSeconds"/> and <see cref="BitsPerSecond"/> were obtained.</summary>
    public string LinkSource { get; init; } = "";

    /// <summary>Compute speed relative to the device (device fp32 exec / the peer's mean exec, geometric mean over models).</summary>
    public double Speed { get; init; } = 1;

    /// <summary>Slots of the peer's executor (its row's concurrency feature).</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>The agent's expected execution time on this peer (its observations) over the measured one, geometric mean over models (1: no runs).</summary>
    public double ObservedExecRatio { get; init; } = 1;

    /// <summary>
    /// The same ratio per model (by name): the agent's estimates of one peer can be off in opposite
    /// directions for different models (the demo's edge: detection expected 18 ms against 14 ms
    /// measured, recognition below its measured time). A model missing here takes <see cref="ObservedExecRatio"/>.
    /// </summary>
    public IReadOnlyDictionary<string, double> ObservedExecRatios { get; init; } = new Dictionary<string, double>();

    /// <summary>The agent's RTT measurements as its observations carried them, s.</summary>
    public Distribution? ObservedRoundTripSeconds { get; init; }

    /// <summary>The agent's throughput estimates, bit/s.</summary>
    public Distribution? ObservedBitsPerSecond { get; init; }

    /// <summary>Wire time of the requests it ran, s.</summary>
    public Distribution? TransferSeconds { get; init; }

    /// <summary>Queue wait on the peer, s.</summary>
    public Distribution? QueueSeconds { get; init; }

    /// <summary>Models it ran.</summary>
    public IReadOnlyList<string> Models { get; init; } = [];

    /// <summary>Per model, the round trip the agent took off the wire time when it priced an offload's radio time (its RTT estimate at the reply; mean), s.</summary>
    public IReadOnlyDictionary<string, double> PricedRoundTripSeconds { get; init; } = new Dictionary<string, double>();
}

/// <summary>One workload of the mix.</summary>
public sealed record WorkloadCalibration
{
    /// <summary>Model names of the stages (1 to 3; a pipeline runs stage 0 once, then the rest per line).</summary>
    public IReadOnlyList<string> Stages { get; init; } = [];

    /// <summary>Fewest lines per job (pipelines).</summary>
    public int LinesMin { get; init; } = 1;

    /// <summary>Most lines per job (pipelines).</summary>
    public int LinesMax { get; init; } = 1;

    /// <summary>Share of jobs.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>Mean lines per job (0: uniform between the fewest and most).</summary>
    public double LinesMean { get; init; }

    /// <summary>True: a job's lines run one after another (the OCR pipeline of the demo reads them so).</summary>
    public bool SequentialLines { get; init; }
}

/// <summary>How jobs arrived.</summary>
public sealed record ArrivalCalibration
{
    /// <summary>poisson, bursty or periodic (from the coefficient of variation of the gaps between jobs).</summary>
    public string Kind { get; init; } = "poisson";

    /// <summary>Jobs per second over the log's span.</summary>
    public double JobsPerSecond { get; init; } = 1;

    /// <summary>Mean jobs per burst (bursty).</summary>
    public double BurstMean { get; init; } = 1;

    /// <summary>Coefficient of variation of the gaps between jobs (1 Poisson, 0 periodic, above 1 bursty).</summary>
    public double CoefficientOfVariation { get; init; }

    /// <summary>Gaps between job arrivals, s.</summary>
    public Distribution? InterarrivalSeconds { get; init; }

    /// <summary>The workload mix.</summary>
    public IReadOnlyList<WorkloadCalibration> Workloads { get; init; } = [];

    /// <summary>
    /// The client's cap on jobs in flight (<see cref="AgentContext.MaxJobsInFlight"/>: an arrival due
    /// while this many jobs are in flight waits for one to finish, as the demo's driver holds items
    /// back at 8); 0 (files written before 5 December 2026 too): open arrivals. Not identifiable from
    /// the log alone (a client that never reached its cap looks the same): <c>calibrate --client-cap</c>
    /// sets it, <c>eval live</c> writes its driver's; <c>train --calibration</c> trains with it.
    /// </summary>
    public int ClientMaxInFlight { get; init; }
}

/// <summary>
/// A deployment's context fitted from its decision log (<c>edgeagent calibrate --from-log</c>):
/// per peer the link (round trip, uplink and downlink rates) and compute speed, per model and server the execution
/// times, the arrival process, the device's power table, each as the values the agent simulator
/// uses plus the empirical distributions they came from. Versioned JSON
/// (<see cref="SchemaName"/>, <see cref="SchemaVersion"/>); <see cref="ToContext"/> gives the
/// simulator's <see cref="AgentContext"/>.
/// </summary>
public sealed record DeploymentCalibration
{
    /// <summary>The file's schema name.</summary>
    public const string SchemaName = "edgeagent.calibration";

    /// <summary>The schema version this build writes and reads.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Always <see cref="SchemaName"/>.</summary>
    public string Schema { get; init; } = SchemaName;

    /// <summary>Schema version of the file.</summary>
    public int Version { get; init; } = SchemaVersion;

    /// <summary>Where it came from.</summary>
    public CalibrationSource Source { get; init; } = new();

    /// <summary>The device.</summary>
    public DeviceCalibration Device { get; init; } = new();

    /// <summary>Models, in the order the context lists them.</summary>
    public IReadOnlyList<ModelCalibration> Models { get; init; } = [];

    /// <summary>Peers, in the order the context lists them.</summary>
    public IReadOnlyList<PeerCalibration> Peers { get; init; } = [];

    /// <summary>Arrivals and workload mix.</summary>
    public ArrivalCalibration Arrivals { get; init; } = new();

    /// <summary>What could not be fitted and what was assumed instead.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The simulator's context for this deployment (validated).</summary>
    /// <exception cref="CalibrationException">The calibration does not make a valid context (the message says why).</exception>
    public AgentContext ToContext()
    {
        var c = new AgentContext
        {
            Power = new DevicePowerTable(Device.IdleWatts, Device.BusyWatts, Device.RadioWatts, Device.WaitWatts),
            LocalConcurrency = Math.Clamp(Device.LocalConcurrency, 1, AgentContext.MaxConcurrency),
            ExecJitterSigma = Math.Clamp(Device.ExecJitterSigma, 0, 2),
            JobsPerSecond = Arrivals.JobsPerSecond,
            BurstMean = Math.Max(1, Arrivals.BurstMean),
            Arrivals = Arrivals.Kind switch
            {
                "bursty" => ArrivalKind.Bursty,
                "periodic" => ArrivalKind.Periodic,
                _ => ArrivalKind.Poisson,
            },
            MaxJobsInFlight = Arrivals.ClientMaxInFlight,
        };
        if (Models.Count is 0 or > AgentContext.MaxModels)
        {
            throw new CalibrationException($"The calibration lists {Models.Count} models; the simulator takes 1 to {AgentContext.MaxModels}.");
        }

        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var m = 0; m < Models.Count; m++)
        {
            var model = Models[m];
            var profile = AgentContext.Model(model.Name, model.RequestBytes, model.ResponseBytes, model.DeviceExecSeconds);
            profile.ExecInt8 = model.Int8ExecSeconds ?? double.NaN;
            profile.ExecMixed = model.MixedExecSeconds ?? double.NaN;
            profile.ObservedExecRatio = model.ObservedExecRatio;
            profile.ObservedResponseBytes = Math.Max(0, model.ObservedResponseBytes);
            profile.OverheadLocalSeconds = Math.Clamp(model.OverheadLocalSeconds, 0, 60);
            profile.OverheadPeerSeconds = Math.Clamp(model.OverheadPeerSeconds, 0, 60);
            c.Models[m] = profile;
            index[model.Name] = m;
        }

        c.ModelCount = Models.Count;
        var peers = Peers.Take(AgentContext.MaxPeers).ToArray();
        for (var p = 0; p < peers.Length; p++)
        {
            var peer = peers[p];
            var served = 0;
            foreach (var name in peer.Models.Count > 0 ? peer.Models : Models.Select(m => m.Name))
            {
                if (index.TryGetValue(name, out var m))
                {
                    served |= 1 << m;
                }
            }

            c.Peers[p] = new AgentPeerProfile
            {
                Name = peer.Name,
                Kind = ServerKind.Edge,
                RoundTripSeconds = Math.Max(0, peer.RoundTripSeconds),
                UplinkBitsPerSecond = peer.UplinkBitsPerSecond > 0 ? peer.UplinkBitsPerSecond : peer.BitsPerSecond,
                DownlinkBitsPerSecond = peer.DownlinkBitsPerSecond > 0 ? peer.DownlinkBitsPerSecond : peer.BitsPerSecond,
                Speed = peer.Speed,
                Concurrency = Math.Clamp(peer.Concurrency, 1, AgentContext.MaxConcurrency),
                ServedModels = served,
                ObservedExecRatio = peer.ObservedExecRatio,
                ObservedRoundTripSeconds = peer.ObservedRoundTripSeconds is { } rtt && double.IsFinite(rtt.Median) ? Math.Max(0, rtt.Median) : 0,
                ObservedBitsPerSecond = peer.ObservedBitsPerSecond is { } rate && double.IsFinite(rate.Median) ? Math.Max(0, rate.Median) : 0,
            };
        }

        c.PeerCount = peers.Length;

        // Each model's own mean time on each peer where it ran there (at least 3 times): a single
        // speed per peer misplaces models whose ratio to the device differs (ORT threads, batch shapes).
        for (var p = 0; p < peers.Length; p++)
        {
            for (var m = 0; m < Models.Count; m++)
            {
                if (Models[m].ExecAtMeanBytesSeconds.TryGetValue("peer:" + peers[p].Name, out var atMean) && atMean > 0 && double.IsFinite(atMean))
                {
                    c.PeerExecSeconds[(p * AgentContext.MaxModels) + m] = atMean;
                }
                else if (Models[m].ExecSeconds.TryGetValue("peer:" + peers[p].Name, out var measured) && measured.Count >= 3 && measured.Mean > 0 && double.IsFinite(measured.Mean))
                {
                    c.PeerExecSeconds[(p * AgentContext.MaxModels) + m] = measured.Mean;
                }

                if (peers[p].PricedRoundTripSeconds.TryGetValue(Models[m].Name, out var priced) && priced > 0 && double.IsFinite(priced))
                {
                    c.PeerPricedRoundTripSeconds[(p * AgentContext.MaxModels) + m] = priced;
                }

                if (peers[p].ObservedExecRatios.TryGetValue(Models[m].Name, out var observed) && observed > 0 && double.IsFinite(observed))
                {
                    c.PeerObservedExecRatio[(p * AgentContext.MaxModels) + m] = observed;
                }
            }
        }
        var workloads = Arrivals.Workloads.Where(w => w.Stages.Count > 0 && w.Stages.All(index.ContainsKey)).Take(AgentContext.MaxWorkloads).ToArray();
        if (workloads.Length == 0)
        {
            throw new CalibrationException("The calibration's workload mix names no model it lists.");
        }

        for (var w = 0; w < workloads.Length; w++)
        {
            var wl = workloads[w];
            c.Workloads[w] = new AgentWorkload
            {
                StageCount = Math.Min(3, wl.Stages.Count),
                Stage0 = index[wl.Stages[0]],
                Stage1 = wl.Stages.Count > 1 ? index[wl.Stages[1]] : 0,
                Stage2 = wl.Stages.Count > 2 ? index[wl.Stages[2]] : 0,
                LinesMin = Math.Clamp(wl.LinesMin, 1, AgentContext.MaxLines),
                LinesMax = Math.Clamp(Math.Max(wl.LinesMin, wl.LinesMax), 1, AgentContext.MaxLines),
                LinesMean = wl.LinesMean > 0 ? Math.Clamp(wl.LinesMean, Math.Clamp(wl.LinesMin, 1, AgentContext.MaxLines), Math.Clamp(Math.Max(wl.LinesMin, wl.LinesMax), 1, AgentContext.MaxLines)) : 0,
                SequentialLines = wl.SequentialLines,
                Weight = wl.Weight,
            };
        }

        c.WorkloadCount = workloads.Length;
        try
        {
            c.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new CalibrationException("The calibration does not make a valid simulator context: " + ex.Message, ex);
        }

        return c;
    }

    /// <summary>Writes the file (through a temporary file renamed over the target).</summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, Json));
        File.Move(temporary, full, overwrite: true);
    }

    /// <summary>The file's JSON text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Reads a calibration file.</summary>
    /// <exception cref="CalibrationException">Missing, unreadable, not a calibration, another schema version, or not a valid context (one line naming the file).</exception>
    public static DeploymentCalibration Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CalibrationException($"Calibration file {path}: cannot read it ({ex.Message}).", ex);
        }

        int version;
        string? schema;
        try
        {
            using var doc = JsonDocument.Parse(text);
            schema = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("schema", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
            version = doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("version", out var v) && v.TryGetInt32(out var n) ? n : -1;
        }
        catch (JsonException ex)
        {
            throw new CalibrationException($"Calibration file {path}: not JSON ({ex.Message}).", ex);
        }

        if (schema != SchemaName)
        {
            throw new CalibrationException($"Calibration file {path}: \"schema\" is {(schema is null ? "missing" : "'" + schema + "'")}; expected '{SchemaName}' (write one with edgeagent calibrate --from-log).");
        }

        if (version != SchemaVersion)
        {
            throw new CalibrationException(string.Create(CultureInfo.InvariantCulture,
                $"Calibration file {path}: schema version {version}; this build reads version {SchemaVersion} ({(version > SchemaVersion ? "written by a newer EdgeAgent" : "calibrate the log again")})."));
        }

        DeploymentCalibration calibration;
        try
        {
            calibration = JsonSerializer.Deserialize<DeploymentCalibration>(text, Json) ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new CalibrationException($"Calibration file {path}: malformed ({ex.Message}).", ex);
        }

        try
        {
            calibration.ToContext();
        }
        catch (CalibrationException ex)
        {
            throw new CalibrationException($"Calibration file {path}: {ex.Message}", ex);
        }

        return calibration;
    }
}
