using System.Globalization;

namespace EdgeAgent.Core.Observation;

/// <summary>What one per-server feature column measures.</summary>
public enum FeatureKind
{
    /// <summary>Constant 1 for a present server (lets the network tell present rows from absent rows filled with -1).</summary>
    Bias,

    /// <summary>Server compute speed, in GHz (cycles per second / 1e9).</summary>
    ComputeGhz,

    /// <summary>Number of present servers minus one (the edge count E in the gmorl profile).</summary>
    ServerCount,

    /// <summary>Size of the task being placed, in Mbit (bits / 1e6).</summary>
    TaskMbit,

    /// <summary>1 while the episode runs (the reference's 1 - done); always 1 in the live agent.</summary>
    Active,

    /// <summary>Uplink rate from the task's user to this server, in units of 1e8 bit/s.</summary>
    UplinkRate,

    /// <summary>Number of tasks executing on the server.</summary>
    Executing,

    /// <summary>1 for the device itself (a `local` server), 0 otherwise.</summary>
    IsLocal,

    /// <summary>Upload time of the task to this server, in seconds (0 for local).</summary>
    UploadSeconds,

    // The agent profile's features (FeatureLayout.Agent). Times are written as log10(seconds + 1e-4),
    // so 0.1 ms to 1000 s span -4..3 and a factor of 10 is one unit wherever it happens.

    /// <summary>1 for a local quantized variant (a local row other than the default variant), 0 otherwise.</summary>
    IsQuantizedVariant,

    /// <summary>Accuracy loss of the candidate against the float model, in points (0 for peers and the default variant).</summary>
    AccuracyDropPoints,

    /// <summary>Round-trip time to the candidate, log10(s + 1e-4) (local: 0 s).</summary>
    RoundTripLog,

    /// <summary>Uplink throughput to the candidate, log10(bit/s); local (no link) writes the encoder's stand-in rate (1e10 bit/s).</summary>
    UplinkLog,

    /// <summary>Downlink throughput from the candidate, log10(bit/s); unknown or local writes the stand-in rate.</summary>
    DownlinkLog,

    /// <summary>Expected execution time of the task's model on the candidate when alone, log10(s + 1e-4).</summary>
    ExecLog,

    /// <summary>Tasks executing on the candidate's executor now (shared by every local row).</summary>
    RunningTasks,

    /// <summary>Tasks waiting in the candidate's FIFO queue, log2(1 + tasks).</summary>
    QueuedLog,

    /// <summary>Bounded concurrency of the candidate's executor, in slots.</summary>
    Concurrency,

    /// <summary>Estimated wait before the task would start (CompletionEstimate.QueueWaitSeconds), log10(s + 1e-4).</summary>
    QueueWaitLog,

    /// <summary>Sum of the residual work of the candidate's running and queued tasks, log10(s + 1e-4).</summary>
    ResidualWorkLog,

    /// <summary>This device's estimated energy for the task placed here, log10(J + 1e-6).</summary>
    EnergyLog,

    /// <summary>Estimated delay (wait + upload + round trip + execution + download), log10(s + 1e-4).</summary>
    DelayEstimateLog,

    /// <summary>log10((T + 1e-4) / (T_best + 1e-4)): the delay estimate against the fastest present candidate's (0 for it).</summary>
    DelayVsBestLog,

    /// <summary>log10((E + 1e-6) / (E_best + 1e-6)): the energy estimate against the most frugal present candidate's (0 for it).</summary>
    EnergyVsBestLog,

    /// <summary>Bytes that travel to a peer if the task is offloaded, log10(1 + bytes).</summary>
    RequestBytesLog,

    /// <summary>Expected bytes of the response, log10(1 + bytes) (0 when unknown).</summary>
    ResponseBytesLog,

    /// <summary>1 when the task has a deadline, 0 otherwise.</summary>
    HasDeadline,

    /// <summary>log10((deadline + 1e-4) / (T + 1e-4)) clamped to [-3, 3]: positive when the estimate meets the deadline; 3 without a deadline.</summary>
    DeadlineMarginLog,

    // Own traffic (FeatureLayout.Agent(ownTraffic: true)): what the agent itself has sent that the
    // candidate's load report does not show yet, and the delay estimate that accounts for it.

    /// <summary>This agent's own requests sent to the candidate and not yet answered, log2(1 + tasks) (0 for local rows).</summary>
    OwnInFlightLog,

    /// <summary>Seconds until the link is through this agent's earlier uploads to the candidate, log10(s + 1e-4).</summary>
    UploadBacklogLog,

    /// <summary>Expected execution seconds of this agent's requests still on their way to the candidate, log10(s + 1e-4).</summary>
    ArrivingWorkLog,

    /// <summary>
    /// The delay estimate with the agent's own traffic (<c>ObservationEncoder.OwnTrafficDelaySeconds</c>):
    /// the upload waits for the backlog and overlaps the candidate's queue, which includes the arriving jobs; log10(s + 1e-4).
    /// </summary>
    OwnDelayEstimateLog,

    /// <summary>
    /// This device's estimated energy with the agent's own traffic (<c>ObservationEncoder.OwnTrafficOffloadSeconds</c>):
    /// for a peer, radio power while the upload waits for the link behind the agent's earlier uploads and
    /// while the request and response travel, waiting power for the rest of the own-traffic delay
    /// estimate (round trip, the candidate's queue with the arriving jobs, execution), as the Dispatcher
    /// prices a finished offload; for a local row the same as <see cref="EnergyLog"/>; log10(J + 1e-6).
    /// </summary>
    OwnEnergyLog,

    /// <summary>
    /// This agent's own recent request arrival rate (<see cref="OwnRequestRate"/>: requests per second,
    /// decayed over 2 s), log2(1 + requests/s); the same in every row. What a placement costs the
    /// agent's own later requests depends on it, which the one-step estimates do not price.
    /// </summary>
    OwnRequestRateLog,

    /// <summary>
    /// This agent's own requests in flight (decided, not yet answered; on the device or any peer) that a
    /// later stage of the same page follows (a pipeline's detection or classification, or a line that
    /// another line follows), not counting the request being decided; log2(1 + requests), the same in
    /// every row. The work those stages bring when they are answered is known to a look-ahead and to the
    /// client but not to the one-step estimates (policies/README.md, the eighth attempt).
    /// </summary>
    OwnFollowedInFlightLog,
    /// <summary>
    /// The agent's own requests that arrive together with this one and are decided right after it (the
    /// rest of a fan-out: a page's other lines sent at once after its detection answered); log2(1 + requests),
    /// the same in every row. The live agent reads it from the request parameter <c>edgeagent.batch_after</c>
    /// (0 without it); the simulator counts the page's stages ready at the same instant. The one-step
    /// estimates do not price the work those requests bring to the candidate a moment later.
    /// </summary>
    OwnBatchAfterLog,
}

/// <summary>The unit of the residual-work histogram's bins.</summary>
public enum HistogramUnit
{
    /// <summary>Bits of work left (the gmorl profiles: work is task bits at eta cycles per bit).</summary>
    Bits,

    /// <summary>Seconds of execution left on the candidate (the agent profile; what executors report).</summary>
    Seconds,
}

/// <summary>One scalar feature column: what it is, its name and unit as recorded in policy files.</summary>
public readonly record struct FeatureSpec(FeatureKind Kind, string Name, string Unit);

/// <summary>
/// The order and meaning of the per-server feature columns of an observation [S, F]: scalar
/// features first (in <see cref="Scalars"/> order), then <see cref="HistogramBins"/> counts of
/// queued and executing tasks by residual work in bins of <see cref="HistogramBinWidth"/>
/// <see cref="HistogramUnit"/>s, the last bin open-ended. Absent servers are rows of -1 with mask
/// 0. The layout travels with a policy as ONNX metadata_props (<see cref="ToMetadata"/>,
/// <see cref="FromMetadata"/>) so the agent refuses a policy whose layout it does not produce.
/// </summary>
/// <remarks>
/// Metadata format: version 1 (histogram in bits, key <c>histogram_bin_bits</c>) is written for
/// layouts with a bit histogram, exactly as before the agent profile, so gmorl policies keep their
/// bytes; version 2 adds <c>histogram_unit</c> ("bits" or "s") and <c>histogram_bin_width</c> and is
/// written for layouts with a histogram in seconds. Both are read.
/// </remarks>
public sealed class FeatureLayout : IEquatable<FeatureLayout>
{
    /// <summary>Metadata key prefix of every layout entry.</summary>
    public const string MetadataPrefix = "edgeagent.layout.";

    /// <summary>Highest version of the metadata format this build reads (and writes for a histogram in seconds).</summary>
    public const int FormatVersion = 2;

    /// <summary>Offset inside the logarithm of every time feature of the agent profile, seconds (0.1 ms).</summary>
    public const double TimeOffsetSeconds = 1e-4;

    /// <summary>Offset inside the logarithm of the energy features of the agent profile, joules (1 uJ).</summary>
    public const double EnergyOffsetJoules = 1e-6;

    private readonly FeatureSpec[] _scalars;

    /// <summary>Creates a layout with a histogram in bits (the gmorl profiles).</summary>
    /// <exception cref="ArgumentException">A value is out of range (named in the message).</exception>
    public FeatureLayout(string profile, int maxServers, IEnumerable<FeatureKind> scalars, int histogramBins, double histogramBinBits)
        : this(profile, maxServers, scalars, histogramBins, histogramBinBits, HistogramUnit.Bits)
    {
    }

    /// <summary>Creates a layout.</summary>
    /// <exception cref="ArgumentException">A value is out of range (named in the message).</exception>
    public FeatureLayout(string profile, int maxServers, IEnumerable<FeatureKind> scalars, int histogramBins, double histogramBinWidth, HistogramUnit histogramUnit)
    {
        ArgumentNullException.ThrowIfNull(scalars);
        if (string.IsNullOrWhiteSpace(profile) || profile.Contains(',', StringComparison.Ordinal))
        {
            throw new ArgumentException("The profile name must be a non-empty name without commas.", nameof(profile));
        }

        if (maxServers is < 1 or > 4096)
        {
            throw new ArgumentException($"The maximum server count must be in [1, 4096]; got {maxServers}.", nameof(maxServers));
        }

        if (histogramBins is < 0 or > 4096)
        {
            throw new ArgumentException($"The histogram bin count must be in [0, 4096]; got {histogramBins}.", nameof(histogramBins));
        }

        if (!Enum.IsDefined(histogramUnit))
        {
            throw new ArgumentException($"Unknown histogram unit {histogramUnit}.", nameof(histogramUnit));
        }

        if (histogramBins > 0 && !(histogramBinWidth > 0 && double.IsFinite(histogramBinWidth)))
        {
            throw new ArgumentException($"The histogram bin width must be a positive number of {UnitName(histogramUnit)}; got {histogramBinWidth}.", nameof(histogramBinWidth));
        }

        _scalars = [.. scalars.Select(Describe)];
        if (_scalars.Length == 0 && histogramBins == 0)
        {
            throw new ArgumentException("A layout needs at least one feature.", nameof(scalars));
        }

        if (_scalars.Select(s => s.Kind).Distinct().Count() != _scalars.Length)
        {
            throw new ArgumentException("A scalar feature appears twice in the layout.", nameof(scalars));
        }

        Profile = profile;
        MaxServers = maxServers;
        HistogramBins = histogramBins;
        HistogramUnit = histogramUnit;
        HistogramBinWidth = histogramBins > 0 ? histogramBinWidth : 0;
    }

    /// <summary>
    /// The gmorl profile's layout: the reference implementation's per-server vector (constant 1,
    /// f (GHz), E, L (Mbit), 1 - done, rate (1e8 bit/s), n executing), the upload time L / rate (s),
    /// then 60 bins of 1 Mbit (68 features). The upload time is a ratio of two other features; given
    /// explicitly, a small network need not learn to divide, and both the upload energy and the
    /// upload delay are proportional to it. <paramref name="maxEdges"/> edges plus the cloud give S.
    /// </summary>
    public static FeatureLayout Gmorl(int maxEdges = 10, int histogramBins = 60, double histogramBinBits = 1e6) =>
        new("gmorl", maxEdges + 1,
            [FeatureKind.Bias, FeatureKind.ComputeGhz, FeatureKind.ServerCount, FeatureKind.TaskMbit, FeatureKind.Active, FeatureKind.UplinkRate, FeatureKind.Executing, FeatureKind.UploadSeconds],
            histogramBins, histogramBinBits);

    /// <summary>The scalar features of the agent profile, in column order.</summary>
    public static IReadOnlyList<FeatureKind> AgentScalars { get; } =
    [
        FeatureKind.Bias, FeatureKind.IsLocal, FeatureKind.IsQuantizedVariant, FeatureKind.AccuracyDropPoints,
        FeatureKind.RoundTripLog, FeatureKind.UplinkLog, FeatureKind.DownlinkLog, FeatureKind.ExecLog,
        FeatureKind.RunningTasks, FeatureKind.QueuedLog, FeatureKind.Concurrency, FeatureKind.QueueWaitLog, FeatureKind.ResidualWorkLog,
        FeatureKind.EnergyLog, FeatureKind.DelayEstimateLog, FeatureKind.DelayVsBestLog, FeatureKind.EnergyVsBestLog,
        FeatureKind.RequestBytesLog, FeatureKind.ResponseBytesLog, FeatureKind.HasDeadline, FeatureKind.DeadlineMarginLog,
    ];

    /// <summary>The own-traffic columns <see cref="Agent"/> appends to <see cref="AgentScalars"/> with ownTraffic true.</summary>
    public static IReadOnlyList<FeatureKind> OwnTrafficScalars { get; } =
    [
        FeatureKind.OwnInFlightLog, FeatureKind.UploadBacklogLog, FeatureKind.ArrivingWorkLog, FeatureKind.OwnDelayEstimateLog, FeatureKind.OwnEnergyLog,
    ];

    /// <summary>The column <see cref="Agent"/> appends after the own-traffic columns with ownRate true.</summary>
    public static IReadOnlyList<FeatureKind> OwnRateScalars { get; } = [FeatureKind.OwnRequestRateLog];

    /// <summary>The column <see cref="Agent"/> appends after the own request rate with ownPipeline true.</summary>
    public static IReadOnlyList<FeatureKind> OwnPipelineScalars { get; } = [FeatureKind.OwnFollowedInFlightLog];

    /// <summary>The column <see cref="Agent"/> appends after the own pipeline column with ownBatch true.</summary>
    public static IReadOnlyList<FeatureKind> OwnBatchScalars { get; } = [FeatureKind.OwnBatchAfterLog];

    /// <summary>
    /// The agent profile's layout: what the live ClusterView measures per candidate (the device as
    /// one row per local variant, then the peers), the <see cref="AgentScalars"/> (21 columns: flags,
    /// accuracy drop, log-scaled times, throughputs, counts, energy, the delay and energy estimates
    /// also relative to the best present candidate, task bytes, deadline), then
    /// <paramref name="histogramBins"/> bins of <paramref name="histogramBinSeconds"/> seconds of
    /// residual work (default 16 x 10 ms, the executors' own default, so a live histogram maps bin
    /// for bin). S = <paramref name="maxLocalVariants"/> + <paramref name="maxPeers"/> (default 3 + 8 = 11).
    /// With <paramref name="ownTraffic"/> the <see cref="OwnTrafficScalars"/> follow the 21 (F = 42 by
    /// default): the agent's own requests in flight, its upload backlog, the work of its requests still
    /// on their way, and the delay and energy estimates that account for them; every other column keeps
    /// its meaning (files of the 41-column own-traffic layout, without the energy estimate, and of the
    /// 37-column layout read a subset of these columns). With <paramref name="ownRate"/> (and
    /// <paramref name="ownTraffic"/>) the <see cref="OwnRateScalars"/> follow those (F = 43): the agent's
    /// own recent request rate; files of the 42-column layout read a subset of these columns. With
    /// <paramref name="ownPipeline"/> (and <paramref name="ownRate"/>) the <see cref="OwnPipelineScalars"/>
    /// follow (F = 44): the agent's own requests in flight that a later stage of their page follows;
    /// files of the 43-column layout read a subset of these columns. With <paramref name="ownBatch"/> (and
    /// <paramref name="ownPipeline"/>) the <see cref="OwnBatchScalars"/> follow (F = 45): the agent's own
    /// requests that arrive with this one and are decided right after it; files of the 44-column layout
    /// read a subset of these columns.
    /// </summary>
    public static FeatureLayout Agent(int maxPeers = 8, int maxLocalVariants = 3, int histogramBins = 16, double histogramBinSeconds = 0.01, bool ownTraffic = false, bool ownRate = false, bool ownPipeline = false, bool ownBatch = false)
    {
        if (ownRate && !ownTraffic)
        {
            throw new ArgumentException("The own request rate column follows the own-traffic columns; ask for ownTraffic too.", nameof(ownRate));
        }

        if (ownPipeline && !ownRate)
        {
            throw new ArgumentException("The own pipeline column follows the own request rate column; ask for ownRate (and ownTraffic) too.", nameof(ownPipeline));
        }

        if (ownBatch && !ownPipeline)
        {
            throw new ArgumentException("The own batch column follows the own pipeline column; ask for ownPipeline (and ownRate, ownTraffic) too.", nameof(ownBatch));
        }

        if (maxPeers < 0 || maxLocalVariants < 1)
        {
            throw new ArgumentException($"The agent layout needs at least one local row and no negative peer count; got {maxLocalVariants} local, {maxPeers} peers.", nameof(maxPeers));
        }

        IEnumerable<FeatureKind> scalars = AgentScalars;
        if (ownTraffic)
        {
            scalars = scalars.Concat(OwnTrafficScalars);
        }

        if (ownRate)
        {
            scalars = scalars.Concat(OwnRateScalars);
        }

        if (ownPipeline)
        {
            scalars = scalars.Concat(OwnPipelineScalars);
        }

        if (ownBatch)
        {
            scalars = scalars.Concat(OwnBatchScalars);
        }

        return new("agent", maxLocalVariants + maxPeers, scalars, histogramBins, histogramBinSeconds, HistogramUnit.Seconds);
    }

    /// <summary>Name of the simulator profile the layout belongs to ("gmorl", "shannon", "agent", ...).</summary>
    public string Profile { get; }

    /// <summary>S: rows of an observation (servers the policy can choose among, present or not).</summary>
    public int MaxServers { get; }

    /// <summary>Scalar features, in column order.</summary>
    public IReadOnlyList<FeatureSpec> Scalars => _scalars;

    /// <summary>Number of residual-work histogram bins after the scalars.</summary>
    public int HistogramBins { get; }

    /// <summary>Unit of <see cref="HistogramBinWidth"/>.</summary>
    public HistogramUnit HistogramUnit { get; }

    /// <summary>Width of one histogram bin in <see cref="HistogramUnit"/>s.</summary>
    public double HistogramBinWidth { get; }

    /// <summary>Width of one histogram bin in bits of residual work (1e6 = 1 Mbit); 0 when the histogram is in seconds.</summary>
    public double HistogramBinBits => HistogramUnit == HistogramUnit.Bits ? HistogramBinWidth : 0;

    /// <summary>Width of one histogram bin in seconds of residual work; 0 when the histogram is in bits.</summary>
    public double HistogramBinSeconds => HistogramUnit == HistogramUnit.Seconds ? HistogramBinWidth : 0;

    /// <summary>True when the layout has a feature of the agent profile (the encoder then writes rows with the agent arithmetic).</summary>
    public bool IsAgentLayout => _scalars.Any(s => s.Kind >= FeatureKind.IsQuantizedVariant) || HistogramUnit == HistogramUnit.Seconds;

    /// <summary>F: columns per server row.</summary>
    public int FeatureCount => _scalars.Length + HistogramBins;

    /// <summary>Column of a scalar feature, or -1 when the layout does not have it.</summary>
    public int IndexOf(FeatureKind kind) => Array.FindIndex(_scalars, s => s.Kind == kind);

    /// <summary>Every column name with its unit, in order: "name[unit]".</summary>
    public IReadOnlyList<string> ColumnNames()
    {
        var names = new List<string>(FeatureCount);
        names.AddRange(_scalars.Select(s => $"{s.Name}[{s.Unit}]"));
        var (scale, unit) = HistogramUnit == HistogramUnit.Bits ? (1e-6, "Mbit") : (1e3, "ms");
        for (var b = 0; b < HistogramBins; b++)
        {
            var lo = b * HistogramBinWidth * scale;
            var hi = (b + 1) * HistogramBinWidth * scale;
            names.Add(b == HistogramBins - 1
                ? string.Create(CultureInfo.InvariantCulture, $"residual_hist_{b}[tasks with residual >= {lo:0.###} {unit}]")
                : string.Create(CultureInfo.InvariantCulture, $"residual_hist_{b}[tasks with residual in [{lo:0.###}, {hi:0.###}) {unit}]"));
        }

        return names;
    }

    /// <summary>The layout as string key/values for ONNX metadata_props.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var inv = CultureInfo.InvariantCulture;
        var md = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [MetadataPrefix + "profile"] = Profile,
            [MetadataPrefix + "max_servers"] = MaxServers.ToString(inv),
            [MetadataPrefix + "feature_count"] = FeatureCount.ToString(inv),
            [MetadataPrefix + "scalar_features"] = string.Join(',', _scalars.Select(s => s.Kind.ToString())),
            [MetadataPrefix + "histogram_bins"] = HistogramBins.ToString(inv),
            [MetadataPrefix + "columns"] = string.Join(';', ColumnNames()),
            [MetadataPrefix + "absent_row_value"] = "-1",
            [MetadataPrefix + "preference"] = "w_delay,w_energy (sum 1)",
        };
        if (HistogramUnit == HistogramUnit.Bits)
        {
            // Version 1, exactly as written before the agent profile existed.
            md[MetadataPrefix + "version"] = "1";
            md[MetadataPrefix + "histogram_bin_bits"] = HistogramBinWidth.ToString("R", inv);
        }
        else
        {
            md[MetadataPrefix + "version"] = FormatVersion.ToString(inv);
            md[MetadataPrefix + "histogram_unit"] = UnitName(HistogramUnit);
            md[MetadataPrefix + "histogram_bin_width"] = HistogramBinWidth.ToString("R", inv);
        }

        return md;
    }

    /// <summary>Reads a layout written by <see cref="ToMetadata"/> (format version 1 or 2); other keys are ignored.</summary>
    /// <exception cref="FormatException">A key is missing or malformed (named in the message).</exception>
    public static FeatureLayout FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string Get(string key) => metadata.TryGetValue(MetadataPrefix + key, out var v)
            ? v
            : throw new FormatException($"Policy metadata lacks '{MetadataPrefix}{key}'.");
        int GetInt(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"Policy metadata '{MetadataPrefix}{key}' is not an integer: '{Get(key)}'.");
        double GetDouble(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"Policy metadata '{MetadataPrefix}{key}' is not a number: '{Get(key)}'.");

        var version = GetInt("version");
        if (version is < 1 or > FormatVersion)
        {
            throw new FormatException($"Policy metadata '{MetadataPrefix}version' is {version}; this build reads versions 1 to {FormatVersion}.");
        }

        var kinds = new List<FeatureKind>();
        foreach (var name in Get("scalar_features").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse(name, false, out FeatureKind kind) || !Enum.IsDefined(kind) || int.TryParse(name, out _))
            {
                throw new FormatException($"Policy metadata '{MetadataPrefix}scalar_features' names an unknown feature '{name}'.");
            }

            kinds.Add(kind);
        }

        HistogramUnit unit;
        double width;
        if (version == 1)
        {
            unit = HistogramUnit.Bits;
            width = GetDouble("histogram_bin_bits");
        }
        else
        {
            unit = Get("histogram_unit") switch
            {
                "bits" => HistogramUnit.Bits,
                "s" => HistogramUnit.Seconds,
                var other => throw new FormatException($"Policy metadata '{MetadataPrefix}histogram_unit' is '{other}'; expected 'bits' or 's'."),
            };
            width = GetDouble("histogram_bin_width");
        }

        FeatureLayout layout;
        try
        {
            layout = new FeatureLayout(Get("profile"), GetInt("max_servers"), kinds, GetInt("histogram_bins"), width, unit);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("Policy metadata describes an invalid layout: " + ex.Message, ex);
        }

        if (layout.FeatureCount != GetInt("feature_count"))
        {
            throw new FormatException($"Policy metadata '{MetadataPrefix}feature_count' is {GetInt("feature_count")} but the listed features make {layout.FeatureCount}.");
        }

        return layout;
    }

    /// <summary>
    /// Throws unless <paramref name="policy"/> (the layout a policy file records) describes the same
    /// columns as this layout (what <paramref name="producer"/> writes): the agent's check before it
    /// loads a policy. The message names the first difference: the profile, S, or the first column
    /// whose feature or unit differs, e.g. "policy expects feature 'round_trip[log10(s + 1e-4)]' at
    /// column 4; this agent produces 'uplink[log10 bit/s]'".
    /// </summary>
    /// <exception cref="InvalidOperationException">The layouts differ; the message says how.</exception>
    public void EnsureCompatible(FeatureLayout policy, string producer = "this agent")
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (Equals(policy))
        {
            return;
        }

        throw new InvalidOperationException(
            $"Observation layout mismatch: {FirstDifference(policy, producer)} (policy: {policy.Describe()}; {producer}: {Describe()}).");
    }

    /// <summary>
    /// Throws unless a producer of this layout can also write <paramref name="policy"/>'s: the same
    /// profile, S and histogram, and every scalar feature of the policy one this layout has (in any
    /// order: the encoder writes any layout of the features it computes). This is how a newer agent
    /// keeps loading policy files of an older layout (the 37-column agent files and the 41-column
    /// own-traffic files under the 42-column own-traffic layout). The message is <see cref="EnsureCompatible"/>'s when the layouts are not
    /// even of the same kind, else it names the first feature this layout does not produce.
    /// </summary>
    /// <exception cref="InvalidOperationException">The policy needs something this layout lacks; the message says what.</exception>
    public void EnsureProducible(FeatureLayout policy, string producer = "this agent")
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (Equals(policy))
        {
            return;
        }

        var sameKind = Profile == policy.Profile && MaxServers == policy.MaxServers && HistogramBins == policy.HistogramBins
            && HistogramUnit == policy.HistogramUnit && HistogramBinWidth.Equals(policy.HistogramBinWidth) && IsAgentLayout && policy.IsAgentLayout;
        if (!sameKind)
        {
            EnsureCompatible(policy, producer);
            return;
        }

        for (var c = 0; c < policy._scalars.Length; c++)
        {
            if (IndexOf(policy._scalars[c].Kind) < 0)
            {
                throw new InvalidOperationException(
                    $"Observation layout mismatch: policy expects feature '{policy._scalars[c].Name}[{policy._scalars[c].Unit}]' at column {c}, which {producer} does not produce (policy: {policy.Describe()}; {producer}: {Describe()}).");
            }
        }
    }

    /// <summary>
    /// For each column of <paramref name="subset"/>, the column of this layout holding the same
    /// feature (histogram bins map bin for bin): how rows written in this layout are cut down to an
    /// older policy's. Call <see cref="EnsureProducible"/> first.
    /// </summary>
    /// <exception cref="InvalidOperationException">A column of <paramref name="subset"/> has no counterpart here.</exception>
    public int[] ColumnMap(FeatureLayout subset)
    {
        ArgumentNullException.ThrowIfNull(subset);
        EnsureProducible(subset, "this layout");
        var map = new int[subset.FeatureCount];
        for (var c = 0; c < subset._scalars.Length; c++)
        {
            map[c] = IndexOf(subset._scalars[c].Kind);
        }

        for (var b = 0; b < subset.HistogramBins; b++)
        {
            map[subset._scalars.Length + b] = _scalars.Length + b;
        }

        return map;
    }

    /// <summary>A one-line description: profile, S, F and columns.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"profile={Profile} S={MaxServers} F={FeatureCount} scalars=[{string.Join(',', _scalars.Select(s => s.Kind))}] histogram={HistogramBins}x{DescribeBinWidth()}");

    /// <inheritdoc />
    public bool Equals(FeatureLayout? other) =>
        other is not null && Profile == other.Profile && MaxServers == other.MaxServers && HistogramBins == other.HistogramBins
        && HistogramUnit == other.HistogramUnit && HistogramBinWidth.Equals(other.HistogramBinWidth)
        && _scalars.Select(s => s.Kind).SequenceEqual(other._scalars.Select(s => s.Kind));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FeatureLayout);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Profile, MaxServers, HistogramBins, HistogramUnit, HistogramBinWidth, _scalars.Length);

    /// <inheritdoc />
    public override string ToString() => Describe();

    private string FirstDifference(FeatureLayout policy, string producer)
    {
        var mine = ColumnNames();
        var theirs = policy.ColumnNames();
        for (var c = 0; c < Math.Max(mine.Count, theirs.Count); c++)
        {
            if (c >= theirs.Count)
            {
                return $"policy has {theirs.Count} columns; {producer} also produces '{mine[c]}' at column {c}";
            }

            if (c >= mine.Count)
            {
                return $"policy expects feature '{theirs[c]}' at column {c}; {producer} produces only {mine.Count} columns";
            }

            if (!string.Equals(mine[c], theirs[c], StringComparison.Ordinal))
            {
                return $"policy expects feature '{theirs[c]}' at column {c}; {producer} produces '{mine[c]}'";
            }
        }

        if (Profile != policy.Profile)
        {
            return $"policy was trained for profile '{policy.Profile}'; {producer} produces profile '{Profile}'";
        }

        if (MaxServers != policy.MaxServers)
        {
            return $"policy expects S = {policy.MaxServers} candidate rows; {producer} produces {MaxServers}";
        }

        return $"policy expects histogram bins of {policy.DescribeBinWidth()}; {producer} produces {DescribeBinWidth()}";
    }

    private string DescribeBinWidth() => HistogramUnit == HistogramUnit.Bits
        ? string.Create(CultureInfo.InvariantCulture, $"{HistogramBinWidth / 1e6:0.###}Mbit")
        : string.Create(CultureInfo.InvariantCulture, $"{HistogramBinWidth * 1e3:0.###}ms");

    private static string UnitName(HistogramUnit unit) => unit == HistogramUnit.Bits ? "bits" : "s";

    private static FeatureSpec Describe(FeatureKind kind) => kind switch
    {
        FeatureKind.Bias => new(kind, "bias", "1"),
        FeatureKind.ComputeGhz => new(kind, "compute_speed", "GHz"),
        FeatureKind.ServerCount => new(kind, "server_count_minus_one", "servers"),
        FeatureKind.TaskMbit => new(kind, "task_size", "Mbit"),
        FeatureKind.Active => new(kind, "active", "1"),
        FeatureKind.UplinkRate => new(kind, "uplink_rate", "1e8 bit/s"),
        FeatureKind.Executing => new(kind, "executing", "tasks"),
        FeatureKind.IsLocal => new(kind, "is_local", "1"),
        FeatureKind.UploadSeconds => new(kind, "upload_time", "s"),
        FeatureKind.IsQuantizedVariant => new(kind, "is_quantized_variant", "1"),
        FeatureKind.AccuracyDropPoints => new(kind, "accuracy_drop", "points"),
        FeatureKind.RoundTripLog => new(kind, "round_trip", "log10(s + 1e-4)"),
        FeatureKind.UplinkLog => new(kind, "uplink", "log10 bit/s"),
        FeatureKind.DownlinkLog => new(kind, "downlink", "log10 bit/s"),
        FeatureKind.ExecLog => new(kind, "exec_time", "log10(s + 1e-4)"),
        FeatureKind.RunningTasks => new(kind, "running", "tasks"),
        FeatureKind.QueuedLog => new(kind, "queued", "log2(1 + tasks)"),
        FeatureKind.Concurrency => new(kind, "concurrency", "slots"),
        FeatureKind.QueueWaitLog => new(kind, "queue_wait_estimate", "log10(s + 1e-4)"),
        FeatureKind.ResidualWorkLog => new(kind, "residual_work", "log10(s + 1e-4)"),
        FeatureKind.EnergyLog => new(kind, "device_energy_estimate", "log10(J + 1e-6)"),
        FeatureKind.DelayEstimateLog => new(kind, "delay_estimate", "log10(s + 1e-4)"),
        FeatureKind.DelayVsBestLog => new(kind, "delay_vs_best", "log10 ratio"),
        FeatureKind.EnergyVsBestLog => new(kind, "energy_vs_best", "log10 ratio"),
        FeatureKind.RequestBytesLog => new(kind, "request_bytes", "log10(1 + B)"),
        FeatureKind.ResponseBytesLog => new(kind, "response_bytes", "log10(1 + B)"),
        FeatureKind.HasDeadline => new(kind, "has_deadline", "1"),
        FeatureKind.DeadlineMarginLog => new(kind, "deadline_margin", "log10 ratio, [-3, 3]"),
        FeatureKind.OwnInFlightLog => new(kind, "own_in_flight", "log2(1 + tasks)"),
        FeatureKind.UploadBacklogLog => new(kind, "upload_backlog", "log10(s + 1e-4)"),
        FeatureKind.ArrivingWorkLog => new(kind, "arriving_work", "log10(s + 1e-4)"),
        FeatureKind.OwnDelayEstimateLog => new(kind, "delay_estimate_own", "log10(s + 1e-4)"),
        FeatureKind.OwnEnergyLog => new(kind, "device_energy_estimate_own", "log10(J + 1e-6)"),
        FeatureKind.OwnRequestRateLog => new(kind, "own_request_rate", "log2(1 + requests/s)"),
        FeatureKind.OwnFollowedInFlightLog => new(kind, "own_followed_in_flight", "log2(1 + requests)"),
        FeatureKind.OwnBatchAfterLog => new(kind, "own_batch_after", "log2(1 + requests)"),
        _ => throw new ArgumentException($"Unknown feature kind {kind}.", nameof(kind)),
    };
}
