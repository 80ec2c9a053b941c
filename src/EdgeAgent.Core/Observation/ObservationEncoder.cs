using System.Runtime.InteropServices;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;

namespace EdgeAgent.Core.Observation;

/// <summary>
/// Writes observations in a <see cref="FeatureLayout"/>: rows of [S, F] floats, a mask [S]
/// (1 present, 0 absent) and the preference [2] (w_delay, w_energy). The one piece of code the
/// simulator and the live agent share, so a policy trained in simulation sees the same features in
/// production. Every method writes into caller-provided spans and allocates nothing.
/// </summary>
/// <remarks>
/// Units per column are those of <see cref="FeatureKind"/>: GHz, Mbit, 1e8 bit/s, tasks, seconds.
/// A server without an uplink (the device itself, rate +infinity) gets
/// <see cref="LocalUplinkBitsPerSecond"/> in the rate column so features stay finite.
/// Two families of layouts: the gmorl profiles (<see cref="WriteServer"/>, bits and cycles) and the
/// agent profile (<see cref="FeatureLayout.IsAgentLayout"/>: <see cref="WriteCandidate"/> from a
/// <see cref="CandidateState"/> of raw SI quantities). <see cref="Encode"/> turns each live
/// <see cref="ServerObservation"/> into a <see cref="CandidateState"/> and calls the same
/// <see cref="WriteCandidate"/> the simulator calls, so both share every line of feature arithmetic.
/// </remarks>
public sealed class ObservationEncoder
{
    /// <summary>Value filling the rows of absent servers.</summary>
    public const float AbsentValue = -1f;

    private readonly FeatureKind[] _kinds;
    private readonly int _histStart;
    private readonly int _bins;
    private readonly double _inverseBinWidth;
    private readonly bool _agent;

    /// <summary>Creates an encoder for <paramref name="layout"/>.</summary>
    public ObservationEncoder(FeatureLayout layout, double localUplinkBitsPerSecond = 1e10)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (!(localUplinkBitsPerSecond > 0 && double.IsFinite(localUplinkBitsPerSecond)))
        {
            throw new ArgumentOutOfRangeException(nameof(localUplinkBitsPerSecond), localUplinkBitsPerSecond, "The local uplink rate stand-in must be a positive finite bit rate.");
        }

        Layout = layout;
        LocalUplinkBitsPerSecond = localUplinkBitsPerSecond;
        _kinds = [.. layout.Scalars.Select(s => s.Kind)];
        _histStart = _kinds.Length;
        _bins = layout.HistogramBins;
        _inverseBinWidth = _bins > 0 ? 1.0 / layout.HistogramBinWidth : 0.0;
        _agent = layout.IsAgentLayout;
    }

    /// <summary>The layout written.</summary>
    public FeatureLayout Layout { get; }

    /// <summary>Rate written for a server reached without a link (the device itself).</summary>
    public double LocalUplinkBitsPerSecond { get; }

    /// <summary>F, the row length.</summary>
    public int FeatureCount => Layout.FeatureCount;

    /// <summary>S, the number of rows.</summary>
    public int MaxServers => Layout.MaxServers;

    /// <summary>
    /// Writes one present server's row. Residual work of each task on the server is
    /// <c>workMarks[k] - workOffset</c> bits (the simulator keeps finish marks on a per-server
    /// service clock; callers with plain residuals pass offset 0).
    /// </summary>
    /// <param name="row">The row, length F.</param>
    /// <param name="taskBits">Size of the task being placed, bits.</param>
    /// <param name="presentServers">Number of present servers (the row count with mask 1).</param>
    /// <param name="active">False only for the terminal observation of a simulated episode.</param>
    /// <param name="computeHz">Server compute speed, cycles per second.</param>
    /// <param name="uplinkBitsPerSecond">Uplink rate from the task's source to the server; +infinity for the device itself.</param>
    /// <param name="isLocal">True for the device itself.</param>
    /// <param name="executing">Tasks executing on the server.</param>
    /// <param name="workMarks">Per executing task, its finish mark in bits (see summary).</param>
    /// <param name="workOffset">Subtracted from every mark to give the residual.</param>
    public void WriteServer(Span<float> row, double taskBits, int presentServers, bool active, double computeHz,
        double uplinkBitsPerSecond, bool isLocal, int executing, ReadOnlySpan<double> workMarks, double workOffset)
    {
        if (row.Length != FeatureCount)
        {
            throw new ArgumentException($"A server row holds {FeatureCount} features; got a span of {row.Length}.", nameof(row));
        }

        var rate = double.IsPositiveInfinity(uplinkBitsPerSecond) ? LocalUplinkBitsPerSecond : uplinkBitsPerSecond;
        for (var c = 0; c < _kinds.Length; c++)
        {
            row[c] = _kinds[c] switch
            {
                FeatureKind.Bias => 1f,
                FeatureKind.ComputeGhz => (float)(computeHz * 1e-9),
                FeatureKind.ServerCount => presentServers - 1,
                FeatureKind.TaskMbit => (float)(taskBits * 1e-6),
                FeatureKind.Active => active ? 1f : 0f,
                FeatureKind.UplinkRate => (float)(rate * 1e-8),
                FeatureKind.Executing => executing,
                FeatureKind.IsLocal => isLocal ? 1f : 0f,
                FeatureKind.UploadSeconds => isLocal || double.IsPositiveInfinity(uplinkBitsPerSecond) || taskBits <= 0 ? 0f : (float)(taskBits / uplinkBitsPerSecond),
                _ => 0f,
            };
        }

        if (_bins == 0)
        {
            return;
        }

        var hist = row.Slice(_histStart, _bins);
        hist.Clear();
        foreach (var mark in workMarks)
        {
            hist[BinOf(mark - workOffset)] += 1f;
        }
    }

    /// <summary>Histogram bin of a residual in the layout's unit (bits or seconds): floor(residual / width), clamped to [0, bins - 1] (last bin open-ended).</summary>
    public int BinOf(double residual)
    {
        var b = residual * _inverseBinWidth;
        return b <= 0 ? 0 : b >= _bins - 1 ? _bins - 1 : (int)b;
    }

    /// <summary>Fills an absent server's row with -1.</summary>
    public static void WriteAbsent(Span<float> row) => row.Fill(AbsentValue);

    /// <summary>Writes (w_delay, w_energy).</summary>
    public static void WritePreference(Span<float> preference, double delayWeight)
    {
        if (preference.Length != 2)
        {
            throw new ArgumentException($"The preference span holds 2 values; got {preference.Length}.", nameof(preference));
        }

        preference[0] = (float)delayWeight;
        preference[1] = (float)(1.0 - delayWeight);
    }

    /// <summary>
    /// Encodes a live <see cref="OffloadObservation"/> into one observation (servers [S, F], mask [S],
    /// preference [2]). Row i is <c>observation.Servers[i]</c>; unavailable servers and rows past
    /// the list are absent. The mapping of live measurements onto the simulator's units is
    /// approximate, see <see cref="LiveObservationMapping"/>.
    /// </summary>
    /// <exception cref="ArgumentException">More servers than S, or spans of the wrong size.</exception>
    public void Encode(OffloadObservation observation, Preference preference, Span<float> servers, Span<float> mask, Span<float> preferenceOut, LiveObservationMapping? mapping = null)
    {
        ArgumentNullException.ThrowIfNull(observation);
        mapping ??= LiveObservationMapping.Default;
        var list = observation.Servers;
        if (list.Count > MaxServers)
        {
            throw new ArgumentException($"The observation has {list.Count} servers; the layout holds at most {MaxServers}.", nameof(observation));
        }

        CheckSpans(servers, mask);
        if (_agent)
        {
            EncodeAgent(observation, servers, mask);
            WritePreference(preferenceOut, preference.DelayWeight);
            return;
        }

        var present = 0;
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i].Available)
            {
                present++;
            }
        }

        var taskBits = Math.Max(0, observation.Task.InputBytes) * 8.0;
        Span<double> marks = stackalloc double[1];
        for (var i = 0; i < MaxServers; i++)
        {
            var row = servers.Slice(i * FeatureCount, FeatureCount);
            if (i >= list.Count || !list[i].Available)
            {
                WriteAbsent(row);
                mask[i] = 0f;
                continue;
            }

            var s = list[i];
            var hz = mapping.EffectiveComputeHz(s, taskBits);
            var isLocal = s.Kind == ServerKind.Local;
            var rate = isLocal ? double.PositiveInfinity : s.UplinkBitsPerSecond;
            WriteServer(row, taskBits, present, true, hz, rate, isLocal, s.Executing + s.Queued, [], 0);
            if (_bins > 0)
            {
                // Re-bin the peer's histogram (counts by residual seconds) into residual bits at the effective speed.
                var hist = row.Slice(_histStart, _bins);
                var source = s.ResidualWorkHistogram;
                var bitsPerSecondOfWork = hz / mapping.CyclesPerBit;
                for (var b = 0; b < source.Count; b++)
                {
                    var count = source[b];
                    if (count <= 0)
                    {
                        continue;
                    }

                    var seconds = b == source.Count - 1 ? b * s.HistogramBinSeconds : (b + 0.5) * s.HistogramBinSeconds;
                    hist[BinOf(seconds * bitsPerSecondOfWork)] += (float)count;
                }
            }

            mask[i] = 1f;
        }

        WritePreference(preferenceOut, preference.DelayWeight);
    }

    /// <summary>
    /// The delay estimate of a candidate in the agent profile: <see cref="CompletionEstimate"/>
    /// (wait + upload + round trip + execution + download) from raw quantities.
    /// </summary>
    public static double EstimateDelaySeconds(in TaskState task, in CandidateState candidate) =>
        CompletionEstimate.Seconds(task.RequestBytes, task.ResponseBytes, candidate.UplinkBitsPerSecond, candidate.DownlinkBitsPerSecond,
            candidate.RoundTripSeconds, candidate.ExpectedExecSeconds, candidate.Running, candidate.Queued, candidate.MaxConcurrency, candidate.ResidualWorkSeconds);

    /// <summary>
    /// The delay estimate with the agent's own traffic (the <see cref="FeatureKind.OwnDelayEstimateLog"/>
    /// column): the upload starts when the link is through the agent's earlier uploads and the task
    /// reaches the candidate half a round trip after it is sent; meanwhile the candidate's queue,
    /// which also gets the agent's requests still on their way (<see cref="CandidateState.ArrivingTasks"/>,
    /// <see cref="CandidateState.ArrivingWorkSeconds"/>), drains:
    /// <code>
    /// T = max(backlog + upload + rtt / 2, wait(running, queued + arriving, residual + arriving work)) + exec + rtt / 2 + download
    /// </code>
    /// with wait as <see cref="CompletionEstimate.QueueWaitSeconds(int, int, int, double)"/>. For a local
    /// row (no link, nothing arriving) it equals <see cref="EstimateDelaySeconds"/>.
    /// </summary>
    public static double OwnTrafficDelaySeconds(in TaskState task, in CandidateState candidate)
    {
        var rtt = Math.Max(0.0, candidate.RoundTripSeconds);
        var travel = Math.Max(0.0, candidate.UploadBacklogSeconds) + CompletionEstimate.TransferSeconds(task.RequestBytes, candidate.UplinkBitsPerSecond) + (0.5 * rtt);
        var wait = CompletionEstimate.QueueWaitSeconds(candidate.Running, candidate.Queued + Math.Max(0, candidate.ArrivingTasks), candidate.MaxConcurrency,
            candidate.ResidualWorkSeconds + Math.Max(0.0, candidate.ArrivingWorkSeconds));
        return Math.Max(travel, wait) + Math.Max(0.0, candidate.ExpectedExecSeconds) + (0.5 * rtt) + CompletionEstimate.TransferSeconds(task.ResponseBytes, candidate.DownlinkBitsPerSecond);
    }

    /// <summary>
    /// The times an offload's device energy is priced on, with the agent's own traffic: the one place
    /// the simulator's observation and the live ClusterView take them from (each applies its power
    /// model: radio W * <paramref name="radioSeconds"/> + wait W * <paramref name="waitSeconds"/>).
    /// As the Dispatcher prices a finished offload (its wire time less the round trip is radio, the
    /// wait for the link included), radio is the wait for the link behind the agent's earlier uploads
    /// plus the upload and the download:
    /// <code>
    /// radio = backlog + request bytes / uplink + response bytes / downlink
    /// wait  = OwnTrafficDelaySeconds - radio   (round trip, the rest of the candidate's queue, execution)
    /// </code>
    /// Without own traffic (backlog 0, nothing arriving) it gives the times of the classic estimate
    /// (transfer, <see cref="EstimateDelaySeconds"/> - transfer). Not for local rows (no link).
    /// </summary>
    public static void OwnTrafficOffloadSeconds(in TaskState task, in CandidateState candidate, out double radioSeconds, out double waitSeconds)
    {
        radioSeconds = Math.Max(0.0, candidate.UploadBacklogSeconds)
            + CompletionEstimate.TransferSeconds(task.RequestBytes, task.ResponseBytes, candidate.UplinkBitsPerSecond, candidate.DownlinkBitsPerSecond);
        var rest = OwnTrafficDelaySeconds(task, candidate) - radioSeconds;
        waitSeconds = double.IsNaN(rest) ? 0.0 : Math.Max(0.0, rest); // a dead link: radio is infinite already
    }

    /// <summary>
    /// Writes one present candidate's row in the agent profile. <paramref name="delaySeconds"/> is
    /// the candidate's <see cref="EstimateDelaySeconds"/>; <paramref name="bestDelaySeconds"/> and
    /// <paramref name="bestEnergyJoules"/> are the smallest delay estimate and energy over the
    /// present candidates (the relative features). Every column is finite: times are clamped to
    /// [1e-4, 1e6] s inside the logarithm, energies to [1e-6, 1e6] J, ratios to [0, 10] decades.
    /// </summary>
    /// <exception cref="ArgumentException">The row is not F long.</exception>
    public void WriteCandidate(Span<float> row, in TaskState task, in CandidateState candidate, double delaySeconds, double bestDelaySeconds, double bestEnergyJoules)
    {
        if (row.Length != FeatureCount)
        {
            throw new ArgumentException($"A server row holds {FeatureCount} features; got a span of {row.Length}.", nameof(row));
        }

        WriteRow(row, task, new RowTerms(task, bestDelaySeconds, bestEnergyJoules), candidate, delaySeconds);
    }

    // The logarithms every row of one observation shares, computed once per observation (the same
    // calls on the same values as per row, so the same floats).
    private readonly struct RowTerms
    {
        public readonly double BestDelayLog;
        public readonly double BestEnergyLog;
        public readonly float RequestBytesLog;
        public readonly float ResponseBytesLog;
        public readonly double DeadlineLog;
        public readonly float OwnRequestRateLog;
        public readonly float OwnFollowedInFlightLog;
        public readonly float OwnBatchAfterLog;

        public RowTerms(in TaskState task, double bestDelaySeconds, double bestEnergyJoules)
        {
            BestDelayLog = LogTime(bestDelaySeconds);
            BestEnergyLog = LogEnergy(bestEnergyJoules);
            RequestBytesLog = (float)Math.Log10(1.0 + Math.Max(0L, task.RequestBytes));
            ResponseBytesLog = (float)Math.Log10(1.0 + Math.Max(0L, task.ResponseBytes));
            DeadlineLog = task.HasDeadline ? LogTime(task.DeadlineSeconds) : 0.0;
            OwnRequestRateLog = (float)LogRequestRate(task.OwnRequestsPerSecond);
            OwnFollowedInFlightLog = (float)Math.Log2(1.0 + Math.Max(0, task.OwnFollowedInFlight));
            OwnBatchAfterLog = (float)Math.Log2(1.0 + Math.Max(0, task.OwnBatchAfter));
        }
    }

    private void WriteRow(Span<float> row, in TaskState task, in RowTerms terms, in CandidateState candidate, double delaySeconds)
    {
        var delayLog = LogTime(delaySeconds);
        var energyLog = LogEnergy(candidate.EnergyJoules);
        for (var c = 0; c < _kinds.Length; c++)
        {
            row[c] = _kinds[c] switch
            {
                FeatureKind.Bias => 1f,
                FeatureKind.IsLocal => candidate.IsLocal ? 1f : 0f,
                FeatureKind.IsQuantizedVariant => candidate.IsQuantizedVariant ? 1f : 0f,
                FeatureKind.AccuracyDropPoints => (float)Finite(candidate.AccuracyDropPoints),
                FeatureKind.RoundTripLog => (float)LogTime(candidate.RoundTripSeconds),
                FeatureKind.UplinkLog => (float)LogRate(candidate.UplinkBitsPerSecond),
                FeatureKind.DownlinkLog => (float)LogRate(candidate.DownlinkBitsPerSecond),
                FeatureKind.ExecLog => (float)LogTime(candidate.ExpectedExecSeconds),
                FeatureKind.RunningTasks => Math.Max(0, candidate.Running),
                FeatureKind.QueuedLog => (float)Math.Log2(1.0 + Math.Max(0, candidate.Queued)),
                FeatureKind.Concurrency => Math.Max(1, candidate.MaxConcurrency),
                FeatureKind.QueueWaitLog => (float)LogTime(CompletionEstimate.QueueWaitSeconds(candidate.Running, candidate.Queued, candidate.MaxConcurrency, candidate.ResidualWorkSeconds)),
                FeatureKind.ResidualWorkLog => (float)LogTime(candidate.ResidualWorkSeconds),
                FeatureKind.EnergyLog => (float)energyLog,
                FeatureKind.DelayEstimateLog => (float)delayLog,
                FeatureKind.DelayVsBestLog => (float)Math.Clamp(delayLog - terms.BestDelayLog, 0.0, 10.0),
                FeatureKind.EnergyVsBestLog => (float)Math.Clamp(energyLog - terms.BestEnergyLog, 0.0, 10.0),
                FeatureKind.RequestBytesLog => terms.RequestBytesLog,
                FeatureKind.ResponseBytesLog => terms.ResponseBytesLog,
                FeatureKind.HasDeadline => task.HasDeadline ? 1f : 0f,
                FeatureKind.DeadlineMarginLog => task.HasDeadline ? (float)Math.Clamp(terms.DeadlineLog - delayLog, -3.0, 3.0) : 3f,
                FeatureKind.OwnInFlightLog => (float)Math.Log2(1.0 + Math.Max(0, candidate.OwnInFlight)),
                FeatureKind.UploadBacklogLog => (float)LogTime(candidate.UploadBacklogSeconds),
                FeatureKind.ArrivingWorkLog => (float)LogTime(candidate.ArrivingWorkSeconds),
                FeatureKind.OwnDelayEstimateLog => (float)LogTime(OwnTrafficDelaySeconds(task, candidate)),
                FeatureKind.OwnEnergyLog => (float)LogEnergy(candidate.OwnTrafficEnergyJoules),
                FeatureKind.OwnRequestRateLog => terms.OwnRequestRateLog,
                FeatureKind.OwnFollowedInFlightLog => terms.OwnFollowedInFlightLog,
                FeatureKind.OwnBatchAfterLog => terms.OwnBatchAfterLog,
                _ => 0f,
            };
        }

        if (_bins == 0)
        {
            return;
        }

        var hist = row.Slice(_histStart, _bins);
        hist.Clear();
        if (_inverseBinWidth <= 0 || !_agent)
        {
            return;
        }

        foreach (var residual in candidate.ResidualSeconds)
        {
            hist[BinOf(residual)] += 1f;
        }

        var source = candidate.ResidualHistogram;
        var width = candidate.HistogramBinSeconds;
        if (width > 0)
        {
            // Counts by residual seconds in bins of another width: each count at its bin's midpoint,
            // the open last bin at its lower edge (equal widths map bin for bin).
            for (var b = 0; b < source.Length; b++)
            {
                var count = source[b];
                if (count > 0)
                {
                    var seconds = b == source.Length - 1 ? b * width : (b + 0.5) * width;
                    hist[BinOf(seconds)] += (float)count;
                }
            }
        }
    }

    /// <summary>log10(s + 1e-4) with s clamped to [0, 1e6] (NaN as 0): the agent profile's time transform.</summary>
    public static double LogTime(double seconds) =>
        Math.Log10(Math.Clamp(double.IsNaN(seconds) ? 0.0 : seconds, 0.0, DevicePowerTable.NonFiniteSeconds) + FeatureLayout.TimeOffsetSeconds);

    /// <summary>log10(J + 1e-6) with J clamped to [0, 1e6] (NaN as 0): the agent profile's energy transform.</summary>
    public static double LogEnergy(double joules) =>
        Math.Log10(Math.Clamp(double.IsNaN(joules) ? 0.0 : joules, 0.0, 1e6) + FeatureLayout.EnergyOffsetJoules);

    /// <summary>log2(1 + requests/s) with the rate clamped to [0, 1e6] (NaN as 0): the own request rate's transform.</summary>
    public static double LogRequestRate(double requestsPerSecond) =>
        Math.Log2(1.0 + Math.Clamp(double.IsNaN(requestsPerSecond) ? 0.0 : requestsPerSecond, 0.0, 1e6));

    private double LogRate(double bitsPerSecond) =>
        Math.Log10(double.IsPositiveInfinity(bitsPerSecond) ? LocalUplinkBitsPerSecond : Math.Clamp(double.IsNaN(bitsPerSecond) ? 1.0 : bitsPerSecond, 1.0, LocalUplinkBitsPerSecond));

    private static double Finite(double value) => double.IsFinite(value) ? value : 0.0;

    // The agent profile's Encode: every available row becomes a CandidateState (raw SI quantities)
    // and goes through WriteCandidate, the simulator's entry point.
    private void EncodeAgent(OffloadObservation observation, Span<float> servers, Span<float> mask)
    {
        var list = observation.Servers;
        var t = observation.Task;
        var task = new TaskState(t.InputBytes, t.ExpectedResponseBytes, t.Deadline is { } d ? d.TotalSeconds : double.PositiveInfinity) { OwnRequestsPerSecond = t.OwnRequestsPerSecond, OwnFollowedInFlight = t.OwnFollowedInFlight, OwnBatchAfter = t.OwnBatchAfter };
        Span<double> delays = MaxServers <= 256 ? stackalloc double[MaxServers] : new double[MaxServers];
        var bestDelay = double.PositiveInfinity;
        var bestEnergy = double.PositiveInfinity;
        for (var i = 0; i < list.Count; i++)
        {
            var s = list[i];
            if (!s.Available)
            {
                continue;
            }

            var state = ToCandidate(s, default);
            delays[i] = EstimateDelaySeconds(task, state);
            bestDelay = Math.Min(bestDelay, delays[i]);
            bestEnergy = Math.Min(bestEnergy, state.EnergyJoules);
        }

        var terms = new RowTerms(task, bestDelay, bestEnergy);
        for (var i = 0; i < MaxServers; i++)
        {
            var row = servers.Slice(i * FeatureCount, FeatureCount);
            if (i >= list.Count || !list[i].Available)
            {
                WriteAbsent(row);
                mask[i] = 0f;
                continue;
            }

            var s = list[i];
            var state = ToCandidate(s, HistogramSpan(s.ResidualWorkHistogram));
            WriteRow(row, task, terms, state, delays[i]);
            mask[i] = 1f;
        }
    }

    /// <summary>The raw quantities of a live candidate, as the agent profile reads them.</summary>
    public static CandidateState ToCandidate(ServerObservation server, ReadOnlySpan<double> residualHistogram)
    {
        ArgumentNullException.ThrowIfNull(server);
        var isLocal = server.Kind == ServerKind.Local;
        return new CandidateState
        {
            IsLocal = isLocal,
            IsQuantizedVariant = isLocal && !ModelVariant.IsDefault(server.Placement.Target),
            AccuracyDropPoints = server.AccuracyDropPoints,
            RoundTripSeconds = isLocal ? 0.0 : server.RoundTripSeconds,
            UplinkBitsPerSecond = isLocal ? double.PositiveInfinity : server.UplinkBitsPerSecond,
            DownlinkBitsPerSecond = isLocal ? double.PositiveInfinity : server.DownlinkBitsPerSecond,
            ExpectedExecSeconds = server.ExpectedExecSeconds,
            Running = server.Executing,
            Queued = server.Queued,
            MaxConcurrency = server.MaxConcurrency,
            ResidualWorkSeconds = server.ResidualWorkSeconds,
            ResidualHistogram = residualHistogram,
            HistogramBinSeconds = server.HistogramBinSeconds,
            EnergyJoules = server.EstimatedEnergyJoules,
            OwnTrafficEnergyJoules = server.OwnTrafficEnergyJoules ?? server.EstimatedEnergyJoules,
            OwnInFlight = isLocal ? 0 : server.OwnInFlight,
            UploadBacklogSeconds = isLocal ? 0.0 : server.UploadBacklogSeconds,
            ArrivingTasks = isLocal ? 0 : server.ArrivingTasks,
            ArrivingWorkSeconds = isLocal ? 0.0 : server.ArrivingWorkSeconds,
        };
    }

    // The executors' histograms arrive as arrays; anything else is copied (the one allocating case).
    private static ReadOnlySpan<double> HistogramSpan(IReadOnlyList<double> histogram) => histogram switch
    {
        double[] array => array,
        List<double> list => CollectionsMarshal.AsSpan(list),
        _ => histogram.ToArray(),
    };

    private void CheckSpans(Span<float> servers, Span<float> mask)
    {
        if (servers.Length != MaxServers * FeatureCount)
        {
            throw new ArgumentException($"The servers span holds S*F = {MaxServers * FeatureCount} floats; got {servers.Length}.", nameof(servers));
        }

        if (mask.Length != MaxServers)
        {
            throw new ArgumentException($"The mask span holds S = {MaxServers} floats; got {mask.Length}.", nameof(mask));
        }
    }
}

/// <summary>
/// How live measurements map onto the simulator's units. Approximate by nature: the simulator
/// knows task sizes in bits and servers in cycles per second; the agent knows bytes to upload and
/// measured execution seconds. The mapping keeps the two quantities a policy reasons with exact:
/// upload time (task bits / measured uplink) and execution time alone (task bits * eta / f).
/// <list type="bullet">
/// <item>Task size: the request's input bytes * 8 (what travels on an offload).</item>
/// <item>Compute speed: the effective f = task bits * eta / ExpectedExecSeconds, so the simulator's
/// alone-execution time L*eta/f equals the measured one. When no measurement exists (0), f =
/// ComputeSpeed * <see cref="ReferenceComputeHz"/>.</item>
/// <item>Residual work: the peer reports counts by residual seconds; each count is placed at its
/// bin's midpoint (the open last bin at its lower edge) and converted to bits at f / eta.</item>
/// <item>Executing: running plus queued tasks (processor sharing in the simulator has no queue).</item>
/// </list>
/// </summary>
public sealed record LiveObservationMapping
{
    /// <summary>The mapping with eta = 1000 cycles/bit and a 2 GHz reference speed.</summary>
    public static LiveObservationMapping Default { get; } = new();

    /// <summary>eta, cycles per bit (the simulator's 1000).</summary>
    public double CyclesPerBit { get; init; } = 1000;

    /// <summary>Speed of a server with ComputeSpeed 1 when no execution time was measured.</summary>
    public double ReferenceComputeHz { get; init; } = 2e9;

    /// <summary>The effective compute speed of <paramref name="server"/> for a task of <paramref name="taskBits"/>.</summary>
    public double EffectiveComputeHz(ServerObservation server, double taskBits)
    {
        ArgumentNullException.ThrowIfNull(server);
        return server.ExpectedExecSeconds > 0 && taskBits > 0
            ? taskBits * CyclesPerBit / server.ExpectedExecSeconds
            : Math.Max(0, server.ComputeSpeed) * ReferenceComputeHz;
    }
}
