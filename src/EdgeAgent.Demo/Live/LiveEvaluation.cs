using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeAgent.Core.Pareto;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation.Agent;
using EdgeAgent.Learning.Simulation.Agent.Calibration;

namespace EdgeAgent.Demo.Live;

/// <summary>Settings of <see cref="LiveEvaluation"/>.</summary>
public sealed record LiveEvaluationSettings
{
    /// <summary>The demo runs' settings (duration, rate, seed, pages, models, peers, policy and its file); the preference and decision log are set per run.</summary>
    public required DemoSettings Demo { get; init; }

    /// <summary>Delay weights swept (at least 2).</summary>
    public required IReadOnlyList<double> Preferences { get; init; }

    /// <summary>Directory for the decision log, calibration and report.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>A calibration file to predict with (null: fitted from this run's own log).</summary>
    public string? CalibrationPath { get; init; }

    /// <summary>Simulated episodes per preference and context (with the run's estimates, <see cref="LiveEvaluation.EstimatesRun"/>: a tenth of it, at least 1, at each of the mixture's 100 contexts).</summary>
    public int Episodes { get; init; } = 16;

    /// <summary>Decisions per simulated episode.</summary>
    public int StepsPerEpisode { get; init; } = 100;

    /// <summary>Seed of the simulated episodes (common across preferences).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Relative gap beyond which sim and live disagree.</summary>
    public double Tolerance { get; init; } = 0.10;

    /// <summary>
    /// Which of the agent's own estimates (expected execution times, RTT, throughput) the simulated
    /// policy sees: <see cref="LiveEvaluation.EstimatesRun"/> (the default: each preference's from
    /// its own run, the link estimates at the run's spread), <see cref="LiveEvaluation.EstimatesRunMedian"/>
    /// (each run's medians) or <see cref="LiveEvaluation.EstimatesLog"/> (the calibration's, every run alike).
    /// </summary>
    public string ObservedEstimates { get; init; } = LiveEvaluation.EstimatesRun;

    /// <summary>
    /// How the run's spread of request sizes enters the prediction with <see cref="LiveEvaluation.EstimatesRun"/>:
    /// <see cref="LiveEvaluation.SizesPerJob"/> (the default since 5 December 2026: every simulated
    /// context draws each job's size from the run's 10 size levels, as a live run mixes them) or
    /// <see cref="LiveEvaluation.SizesPerContext"/> (before: one size level per context, every job of
    /// a context at it, which overstates queueing near full load: queueing is convex in the load).
    /// </summary>
    public string SizeMix { get; init; } = LiveEvaluation.SizesPerJob;

    /// <summary>
    /// The client's cap on items in flight in the simulated arrivals (<see cref="Learning.Simulation.Agent.AgentContext.MaxJobsInFlight"/>):
    /// the demo driver's <see cref="WorkloadDriver.DefaultMaxInFlight"/> by default; 0: open arrivals (before 5 December 2026).
    /// </summary>
    public int ClientMaxInFlight { get; init; } = WorkloadDriver.DefaultMaxInFlight;

    /// <summary>
    /// Passes over the preferences (<see cref="DemoComparison"/>'s repeats): the sweep walks them
    /// forward, then backward, and so on, each run <see cref="DemoSettings.Duration"/> long, and each
    /// preference's live point pools its runs (the log keeps every run's requests under its
    /// preference; the calibration is fitted over all of them). With one pass the machine's drift over
    /// the sweep falls on its last preferences; with an even number a drift linear in time falls on
    /// every preference alike (each one's runs sit symmetrically about the sweep's middle).
    /// </summary>
    public int Passes { get; init; } = 1;

    /// <summary>
    /// True: the first pass walks the preferences backward, from w_delay 1 to 0 (<see cref="DemoComparison.StartBackward"/>),
    /// so the greedy end's run, whose burst of offloads can leave the agent's link estimates far below
    /// the links (sweep t2 of 5 December 2026 20:17 UTC), comes last and its aftermath falls on no
    /// other preference. False (the default, every sweep before 5 December 2026 22:00 UTC): forward.
    /// </summary>
    public bool Backward { get; init; }

    /// <summary>
    /// How the agent's own execution-time estimates behave in the prediction's simulated observations:
    /// <see cref="LiveEvaluation.DynamicsOff"/> (fixed per simulated context, the prediction before
    /// 5 December 2026 12:39 UTC) or <see cref="LiveEvaluation.DynamicsExec"/> (each server's estimate of
    /// each model moves with the simulated runs' execution times as the agent's ExecTimeEstimate
    /// follows the real ones: <see cref="AgentContext.DynamicExecEstimates"/>).
    /// </summary>
    public string EstimatorDynamics { get; init; } = LiveEvaluation.DynamicsOff;

    /// <summary>
    /// How old the simulated agent's picture of each peer's queue is: <see cref="LiveEvaluation.ReportsLagged"/>
    /// (as the live agent's, from each peer's last load report, every Agent:LoadReportInterval:
    /// <see cref="AgentContext.PeerReportIntervalSeconds"/>) or <see cref="LiveEvaluation.ReportsExact"/>
    /// (the queue as it is at each decision, the prediction before 5 December 2026 16:00 UTC).
    /// </summary>
    public string PeerReports { get; init; } = LiveEvaluation.ReportsLagged;

    /// <summary>
    /// A CSV file for the prospective prediction's simulated observations (null: none): every decision of
    /// the first episode at each of the mixture's contexts, one line per present candidate with the
    /// feature columns by name (the decision log's layout names), to set beside the log's rows at the
    /// same preference (a diagnostic of what the simulated agent saw at a switch point).
    /// </summary>
    public string? ObservationTracePath { get; init; }
}

/// <summary>One preference: the live terms from the decision log and the simulator's prediction.</summary>
/// <param name="Preference">Delay weight.</param>
/// <param name="Live">Measured (decision log).</param>
/// <param name="Predicted">Simulated on the calibrated context.</param>
public sealed record LivePoint(double Preference, RequestTerms Live, RequestTerms Predicted)
{
    /// <summary>
    /// The live runs' idle-time execution-probe energy per request, J: a live-only term (the
    /// simulator has no execution probes), not part of <see cref="Live"/>'s energy.
    /// </summary>
    public double ExecProbeJoules { get; init; }

    /// <summary>
    /// The agent's estimates the prediction showed the simulated policy, as ratios to the times the
    /// simulator runs: per model name its expected device time, per "peer:NAME" its expected peer
    /// times (geometric mean over models) and per "peer:NAME/MODEL" the model's there (from this
    /// preference's run, or the calibration's for every run).
    /// </summary>
    public IReadOnlyDictionary<string, double> ObservedExecRatios { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// Per server ("local", "peer:NAME") the factor this run's execution times put on the
    /// calibration's (measured / the size lines; 1 where the run had too few requests there):
    /// what <see cref="PredictedAtRunSpeeds"/> ran with.
    /// </summary>
    public IReadOnlyDictionary<string, double> ExecTimeFactors { get; init; } = new Dictionary<string, double>();

    /// <summary>
    /// The speed-conditioned prediction: as <see cref="Predicted"/> but every server's execution
    /// times at the speed it ran in this very run (<see cref="CalibrationFitter.WithRunExecutionTimes"/>).
    /// Not a prospective prediction (it uses speeds measured in the run it predicts): a diagnostic
    /// that separates the machine's drift from the simulator's dynamics. Null in reports written before it.
    /// </summary>
    public RequestTerms? PredictedAtRunSpeeds { get; init; }

    /// <summary>(speed-conditioned - live) / live of the mean delay per request (NaN without <see cref="PredictedAtRunSpeeds"/>).</summary>
    public double DelayGapAtRunSpeeds => PredictedAtRunSpeeds is { } p ? (p.DelaySeconds - Live.DelaySeconds) / Live.DelaySeconds : double.NaN;

    /// <summary>(speed-conditioned - live) / live of the mean energy per request (NaN without <see cref="PredictedAtRunSpeeds"/>).</summary>
    public double EnergyGapAtRunSpeeds => PredictedAtRunSpeeds is { } p ? (p.EnergyJoules - Live.EnergyJoules) / Live.EnergyJoules : double.NaN;

    /// <summary>
    /// What the live agent saw of each peer in this preference's run, by "peer:NAME"
    /// (<see cref="PeerView.Of"/>): how often the peer was absent from the observation, how many
    /// requests fell back from it, and the spread of its link estimate. Empty in reports written before it.
    /// </summary>
    public IReadOnlyDictionary<string, PeerView> PeerViews { get; init; } = new Dictionary<string, PeerView>();

    /// <summary>(predicted - live) / live of the mean delay per request.</summary>
    public double DelayGap => (Predicted.DelaySeconds - Live.DelaySeconds) / Live.DelaySeconds;

    /// <summary>(predicted - live) / live of the mean energy per request.</summary>
    public double EnergyGap => (Predicted.EnergyJoules - Live.EnergyJoules) / Live.EnergyJoules;

    /// <summary>The delay term whose difference (predicted - live, s) is largest in size: queueing, transfer, execution or overhead.</summary>
    public (string Term, double Seconds) DelayTerm => new[]
    {
        ("queueing", Predicted.QueueSeconds - Live.QueueSeconds),
        ("transfer", Predicted.TransferSeconds - Live.TransferSeconds),
        ("execution", Predicted.ExecSeconds - Live.ExecSeconds),
        ("agent overhead", Predicted.OverheadSeconds - Live.OverheadSeconds),
    }.MaxBy(t => Math.Abs(t.Item2));

    /// <summary>
    /// The energy term whose difference (predicted - live, J) is largest in size: compute, radio or
    /// link probes. The live runs' execution probes are not compared (<see cref="ExecProbeJoules"/>).
    /// </summary>
    public (string Term, double Joules) EnergyTerm => new[]
    {
        ("energy: compute", Predicted.ComputeJoules - Live.ComputeJoules),
        ("energy: radio/wait", Predicted.RadioJoules - Live.RadioJoules),
        ("energy: link probes", Predicted.ProbeJoules - Live.ProbeJoules),
    }.MaxBy(t => Math.Abs(t.Item2));
}

/// <summary>
/// What the live agent saw of one peer over one run (its decision log's rows): a diagnostic of a run
/// whose placements differ from the rest of the sweep (a peer left out of the observations while its
/// circuit was open or its load stream down, requests falling back to the device, a link estimate far
/// from the link).
/// </summary>
/// <param name="Requests">Requests of the run that listed the peer as a candidate.</param>
/// <param name="AbsentShare">Share of those whose observation held the peer as absent (masked: unavailable to the policy).</param>
/// <param name="Decided">Requests the policy sent to the peer (including those that fell back).</param>
/// <param name="Fallbacks">Requests sent to the peer that ran on the device instead (the call failed, was late, or the circuit refused it).</param>
/// <param name="UplinkMbitP10">10th percentile of the agent's throughput estimate of the link over the present rows, Mbit/s (NaN when never present).</param>
/// <param name="UplinkMbitP50">Its median, Mbit/s.</param>
/// <param name="UplinkMbitP90">Its 90th percentile, Mbit/s.</param>
/// <param name="RoundTripMsP50">Median round-trip estimate over the present rows, ms.</param>
public sealed record PeerView(int Requests, double AbsentShare, int Decided, int Fallbacks, double UplinkMbitP10, double UplinkMbitP50, double UplinkMbitP90, double RoundTripMsP50)
{
    /// <summary>
    /// Per peer ("peer:NAME") what <paramref name="run"/>'s rows show: absence from the observation
    /// (mask 0), fallbacks (<see cref="LoggedRequest.FallbackFrom"/>: the peer's name, the request
    /// ran on the device) and the link estimate's spread, decoded from the layout's uplink and
    /// round-trip columns (log10 bit/s, log10(s + 1e-4)). Rows without those columns give NaN spreads.
    /// </summary>
    public static IReadOnlyDictionary<string, PeerView> Of(IReadOnlyList<LoggedRequest> run, Core.Observation.FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(layout);
        var f = layout.FeatureCount;
        var uplinkColumn = layout.IndexOf(Core.Observation.FeatureKind.UplinkLog);
        var rttColumn = layout.IndexOf(Core.Observation.FeatureKind.RoundTripLog);
        var seen = new Dictionary<string, (int Requests, int Absent, int Decided, int Fallbacks, List<double> Uplink, List<double> Rtt)>(StringComparer.Ordinal);
        foreach (var r in run)
        {
            for (var i = 0; i < r.Candidates.Count; i++)
            {
                var name = r.Candidates[i];
                if (!name.StartsWith("peer:", StringComparison.Ordinal))
                {
                    continue;
                }

                if (!seen.TryGetValue(name, out var s))
                {
                    s = (0, 0, 0, 0, [], []);
                }

                s.Requests++;
                var present = i < r.Mask.Length && r.Mask[i] > 0.5f;
                if (!present)
                {
                    s.Absent++;
                }
                else if ((i + 1) * f <= r.Features.Length)
                {
                    if (uplinkColumn >= 0)
                    {
                        s.Uplink.Add(Math.Pow(10, r.Features[(i * f) + uplinkColumn]) / 1e6);
                    }

                    if (rttColumn >= 0)
                    {
                        s.Rtt.Add((Math.Pow(10, r.Features[(i * f) + rttColumn]) - 1e-4) * 1000);
                    }
                }

                var fellBack = r.FallbackFrom is { } from && (from == name || "peer:" + from == name);
                if (fellBack || r.RanAt == name)
                {
                    s.Decided++;
                }

                if (fellBack)
                {
                    s.Fallbacks++;
                }

                seen[name] = s;
            }
        }

        return seen.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(
            p => p.Key,
            p => new PeerView(p.Value.Requests, p.Value.Requests > 0 ? p.Value.Absent / (double)p.Value.Requests : 0, p.Value.Decided, p.Value.Fallbacks,
                Quantile(p.Value.Uplink, 10), Quantile(p.Value.Uplink, 50), Quantile(p.Value.Uplink, 90), Quantile(p.Value.Rtt, 50)),
            StringComparer.Ordinal);
    }

    private static double Quantile(List<double> values, double percent) => Percentiles.Of(values, percent);
}

/// <summary>What <see cref="LiveEvaluation"/> found.</summary>
public sealed record LiveEvaluationReport
{
    /// <summary>Policy evaluated.</summary>
    public string Policy { get; init; } = "";

    /// <summary>Its file (learned).</summary>
    public string? PolicyFile { get; init; }

    /// <summary>The link/speed context of the demo peers.</summary>
    public string Context { get; init; } = "";

    /// <summary>Live run length per preference, s.</summary>
    public double RunSeconds { get; init; }

    /// <summary>OCR items per second.</summary>
    public double Rate { get; init; }

    /// <summary>The calibration predicted with.</summary>
    public string Calibration { get; init; } = "";

    /// <summary>Simulated episodes per preference and context (<see cref="LiveEvaluationSettings.Episodes"/>).</summary>
    public int Episodes { get; init; }

    /// <summary>Whose estimates the simulated policy saw (<see cref="LiveEvaluationSettings.ObservedEstimates"/>).</summary>
    public string ObservedEstimates { get; init; } = LiveEvaluation.EstimatesRun;

    /// <summary>How the sizes were mixed (<see cref="LiveEvaluationSettings.SizeMix"/>; reports written before it: per context).</summary>
    public string SizeMix { get; init; } = LiveEvaluation.SizesPerContext;

    /// <summary>The simulated client's cap on items in flight (<see cref="LiveEvaluationSettings.ClientMaxInFlight"/>; reports written before it: 0, none).</summary>
    public int ClientMaxInFlight { get; init; }

    /// <summary>Tolerance of the sim-to-real target.</summary>
    public double Tolerance { get; init; }

    /// <summary>Passes over the preferences (<see cref="LiveEvaluationSettings.Passes"/>; reports written before it: 1).</summary>
    public int Passes { get; init; } = 1;

    /// <summary>The first pass walked the preferences backward (<see cref="LiveEvaluationSettings.Backward"/>; reports written before it: forward).</summary>
    public bool Backward { get; init; }

    /// <summary>The estimates' dynamics in the prediction (<see cref="LiveEvaluationSettings.EstimatorDynamics"/>; reports written before it: off).</summary>
    public string EstimatorDynamics { get; init; } = LiveEvaluation.DynamicsOff;

    /// <summary>The simulated agent's picture of the peers' queues (<see cref="LiveEvaluationSettings.PeerReports"/>; reports written before it: exact).</summary>
    public string PeerReports { get; init; } = LiveEvaluation.ReportsExact;

    /// <summary>One entry per preference.</summary>
    public IReadOnlyList<LivePoint> Points { get; init; } = [];

    /// <summary>Common reference point of both fronts (1.1 x the worst mean delay and energy of either).</summary>
    public ObjectivePoint Reference { get; init; }

    /// <summary>Hypervolume of the live (mean delay, mean energy per request) points.</summary>
    public double LiveHypervolume { get; init; }

    /// <summary>Hypervolume of the predicted points.</summary>
    public double PredictedHypervolume { get; init; }

    /// <summary>Preferences where both gaps of the (prospective) prediction are within the tolerance.</summary>
    public int WithinTolerance => Points.Count(p => Math.Abs(p.DelayGap) <= Tolerance && Math.Abs(p.EnergyGap) <= Tolerance);

    /// <summary>Preferences where both gaps of the speed-conditioned prediction (<see cref="LivePoint.PredictedAtRunSpeeds"/>) are within the tolerance.</summary>
    public int WithinToleranceAtRunSpeeds => Points.Count(p => Math.Abs(p.DelayGapAtRunSpeeds) <= Tolerance && Math.Abs(p.EnergyGapAtRunSpeeds) <= Tolerance);

    /// <summary>
    /// The runs that kept every request on the board, live and (at most <see cref="LiveEvaluation.AllLocalShare"/> offloaded) in
    /// the prediction: the same configuration run after run, so their live execution times spread only with the machine.
    /// </summary>
    public IReadOnlyList<LivePoint> AllLocalRuns => [.. Points.Where(p => p.Live.Requests > 0 && p.Live.OffloadedShare == 0 && p.Predicted.OffloadedShare <= LiveEvaluation.AllLocalShare)];
}

/// <summary>
/// `edgeagent eval live`: the demo cluster (one agent, emulated peers on loopback) run once per
/// preference with the identical seeded OCR workload (<see cref="DemoComparison"/>, one policy),
/// every request written to the agent's decision log; the live (mean delay, mean device energy per
/// request) point of each preference read back from the log with its delay split into queueing,
/// transfer, execution and the agent's overhead; the log calibrated (<see cref="CalibrationFitter"/>)
/// unless a calibration file is given; the same policy played in the agent simulator on the
/// calibrated context at each preference (<see cref="SimulatedRequests"/>); gaps per point and the
/// term that explains each.
/// </summary>
public sealed class LiveEvaluation(LiveEvaluationSettings settings)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary><see cref="LiveEvaluationSettings.ObservedEstimates"/>: each run's estimates, the link estimates at the run's spread.</summary>
    public const string EstimatesRun = "run";

    /// <summary><see cref="LiveEvaluationSettings.SizeMix"/>: each simulated job draws its size level (size classes).</summary>
    public const string SizesPerJob = "per-job";

    /// <summary><see cref="LiveEvaluationSettings.SizeMix"/>: one size level per simulated context.</summary>
    public const string SizesPerContext = "per-context";

    /// <summary><see cref="LiveEvaluationSettings.EstimatorDynamics"/>: the agent's estimates fixed within each simulated context.</summary>
    public const string DynamicsOff = "off";

    /// <summary><see cref="LiveEvaluationSettings.EstimatorDynamics"/>: the agent's execution-time estimates move with the simulated runs.</summary>
    public const string DynamicsExec = "exec";

    /// <summary><see cref="LiveEvaluationSettings.PeerReports"/>: each peer's queue as it is at the decision.</summary>
    public const string ReportsExact = "exact";

    /// <summary><see cref="LiveEvaluationSettings.PeerReports"/>: each peer's queue as its last load report showed it.</summary>
    public const string ReportsLagged = "lagged";

    /// <summary>The interval of the peers' load reports the prediction uses with <see cref="ReportsLagged"/>: the agent's (AgentOptions.LoadReportInterval).</summary>
    public static double AgentReportIntervalSeconds() => new Node.Agent.AgentOptions().LoadReportInterval.TotalSeconds;

    /// <summary>
    /// The preferences in the order the live runs take them with <paramref name="passes"/> passes
    /// (<see cref="DemoComparison.RunOrderWithRepeats"/>: forward, backward, forward, ...; with <paramref name="backward"/> backward first).
    /// </summary>
    public static IReadOnlyList<double> RunOrder(IReadOnlyList<double> preferences, int passes, bool backward = false) =>
        [.. new DemoComparison(new DemoSettings(), ["learned"], preferences, [[]], passes) { StartBackward = backward }.RunOrderWithRepeats().Select(r => r.Preference)];

    /// <summary><see cref="LiveEvaluationSettings.ObservedEstimates"/>: each run's median estimates.</summary>
    public const string EstimatesRunMedian = "run-median";

    /// <summary><see cref="LiveEvaluationSettings.ObservedEstimates"/>: the calibration's estimates for every run.</summary>
    public const string EstimatesLog = "log";

    /// <summary>
    /// Quantile levels of a run's spread that the prediction mixes
    /// (<see cref="CalibrationFitter.AtObservedLevel(DeploymentCalibration, IReadOnlyList{LoggedRequest}, Core.Observation.FeatureLayout, double, double, double)"/>,
    /// <see cref="ObservedLevels"/>). Within a run the agent's RTT estimate swings (the demo's edge:
    /// 7 to 30 ms, a large transfer raises it) and so do its record of the recognition response
    /// (1.4 to 2.4 MB) and the lines' widths (184 to 636 KB), and the policy's choice near a switch
    /// point follows; one median puts every simulated request on one side.
    /// </summary>
    public static readonly IReadOnlyList<double> LinkEstimateLevels = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95];

    /// <summary>
    /// The (size, link, record) levels of the mixture's 100 contexts: every pair of a size level
    /// (request and response bytes, size-scaled execution times) and a link level (the agent's RTT
    /// and throughput estimates) of <see cref="LinkEstimateLevels"/>, the response-size record at
    /// level (size + 3 x link) mod 10 (uncorrelated with both): the three spreads move
    /// independently in the decision log (|correlation| at most 0.19 over four demo sweeps).
    /// Before 2026-12-04 21:30 UTC the mixture had 10 contexts with every quantity at one level
    /// and the throughput estimate at the other end, which paired the widest lines with the
    /// slowest-looking link, so near a switch point they were never offloaded.
    /// </summary>
    public static IReadOnlyList<(double Size, double Link, double Record)> ObservedLevels { get; } =
        [.. from size in Enumerable.Range(0, 10) from link in Enumerable.Range(0, 10) select (LinkEstimateLevels[size], LinkEstimateLevels[link], LinkEstimateLevels[(size + (3 * link)) % 10])];

    /// <summary>Largest simulated share offloaded for a run to count among <see cref="LiveEvaluationReport.AllLocalRuns"/>.</summary>
    public const double AllLocalShare = 0.05;

    /// <summary>Most requests offloaded live for a transfer gap to be called a few requests' (<see cref="Explain"/>).</summary>
    public const int FewRequests = 3;

    /// <summary>
    /// What explains a preference whose gap is beyond the tolerance, beyond the largest term: for an
    /// execution gap in a run that kept everything on the board, where the run's board time lies in
    /// the spread of the sweep's all-local runs (the same configuration run after run: a machine's
    /// drift, which one calibrated mean cannot follow, when the other all-local runs' spread covers
    /// the gap); for a transfer gap, how many requests went to a peer live against the prediction's
    /// share of the same requests (one or two wide requests decide a mean near a switch point); and
    /// any peer the live agent could not use in that run (<see cref="Unavailable"/>).
    /// Null within the tolerance.
    /// </summary>
    public static string? Explain(LivePoint point, LiveEvaluationReport report) =>
        ExplainTerms(point, report) is { } why ? why + Unavailable(point) : null;

    /// <summary>Fewest requests falling back from a peer in one run that <see cref="Unavailable"/> names.</summary>
    public const int FallbacksWorthNaming = 3;

    /// <summary>Smallest share of a run's observations without a peer that <see cref="Unavailable"/> names.</summary>
    public const double AbsentShareWorthNaming = 0.05;

    /// <summary>
    /// "; the agent saw peer:edge absent from 40 % of the observations, 6 fallbacks" for each peer the
    /// run's policy could not use as the sweep's other runs could (<see cref="LivePoint.PeerViews"/>:
    /// absent from at least <see cref="AbsentShareWorthNaming"/> of the observations or at least
    /// <see cref="FallbacksWorthNaming"/> requests falling back to the device), else "". The simulator
    /// always offers every calibrated peer, so such a run's placements follow the peer's outage, not the policy.
    /// </summary>
    public static string Unavailable(LivePoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var named = point.PeerViews
            .Where(v => v.Value.AbsentShare >= AbsentShareWorthNaming || v.Value.Fallbacks >= FallbacksWorthNaming)
            .Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Key} absent from {v.Value.AbsentShare:P0} of the observations, {v.Value.Fallbacks} of {v.Value.Decided} sent there fell back to the device"))
            .ToArray();
        return named.Length == 0 ? "" : "; the live agent saw " + string.Join("; ", named);
    }

    private static string? ExplainTerms(LivePoint point, LiveEvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(point);
        ArgumentNullException.ThrowIfNull(report);
        if (point.Live.Requests == 0 || (Math.Abs(point.DelayGap) <= report.Tolerance && Math.Abs(point.EnergyGap) <= report.Tolerance))
        {
            return null;
        }

        var inv = CultureInfo.InvariantCulture;
        var (term, seconds) = point.DelayTerm;
        var (energyTerm, _) = point.EnergyTerm;
        var local = report.AllLocalRuns;
        if ((term == "execution" || energyTerm == "energy: compute") && local.Contains(point) && local.Count >= 3)
        {
            var times = local.Select(p => p.Live.ExecSeconds).ToArray();
            var mean = times.Average();
            var sd = Math.Sqrt(times.Sum(t => (t - mean) * (t - mean)) / (times.Length - 1));
            var within = point.Predicted.ExecSeconds >= times.Min() && point.Predicted.ExecSeconds <= times.Max();
            return string.Create(inv,
                $"execution, run to run: the board's mean execution {point.Live.ExecSeconds * 1000:0.0} ms in this run, {times.Min() * 1000:0.0}-{times.Max() * 1000:0.0} ms (mean {mean * 1000:0.0}, sd {sd * 1000:0.0} = {sd / mean:P1}) over the sweep's {times.Length} all-local runs, simulated {point.Predicted.ExecSeconds * 1000:0.0} ms ({(within ? "inside" : "outside")} that spread{(within ? ": the machine's drift between runs, which one calibrated mean cannot follow" : ": the calibration's mean itself is off")})");
        }

        var offloaded = (int)Math.Round(point.Live.OffloadedShare * point.Live.Requests);
        if (term == "transfer" && offloaded <= FewRequests && point.Predicted.OffloadedShare * point.Live.Requests < FewRequests + 1)
        {
            return string.Create(inv,
                $"transfer, a few requests: {offloaded} of {point.Live.Requests} requests offloaded live, {point.Predicted.OffloadedShare * point.Live.Requests:0.0} expected by the prediction's share; they decide {seconds * 1000:+0.0;-0.0} ms of the mean");
        }

        var (_, joules) = point.EnergyTerm;
        return Math.Abs(point.DelayGap) > report.Tolerance
            ? string.Create(inv, $"{term} {seconds * 1000:+0.0;-0.0} ms{(term == "transfer" ? PeerShares(point) : "")}")
            : string.Create(inv, $"{energyTerm} {joules:+0.0000;-0.0000} J (delay within {report.Tolerance:P0})");
    }

    /// <summary>
    /// For a transfer gap: each peer's share of the requests live and simulated, the largest
    /// difference first, with the binomial standard deviation of the live share (its run's sampling
    /// noise): near a switch point between two peers a few points of share to a far one decide the
    /// mean (the 6 items/s sweep's w_delay 0.2: 13.9 % live against 11.2 % simulated to a cloud 300 ms away).
    /// </summary>
    public static string PeerShares(LivePoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        var inv = CultureInfo.InvariantCulture;
        var peers = point.Live.Placements.Keys.Union(point.Predicted.Placements.Keys, StringComparer.Ordinal)
            .Where(k => k.StartsWith("peer:", StringComparison.Ordinal))
            .Select(k => (Peer: k, Live: point.Live.Placements.TryGetValue(k, out var l) ? l : 0, Sim: point.Predicted.Placements.TryGetValue(k, out var q) ? q : 0))
            .OrderByDescending(x => Math.Abs(x.Live - x.Sim)).ThenBy(x => x.Peer, StringComparer.Ordinal).ToArray();
        var n = Math.Max(1, point.Live.Requests);
        return peers.Length == 0 ? "" : "; share of requests live / simulated: " + string.Join(", ", peers.Select(x => string.Create(inv,
            $"{x.Peer} {x.Live:P1} / {x.Sim:P1} (live sd {Math.Sqrt(x.Live * (1 - x.Live) / n) * 100:0.0} points)")));
    }

    /// <summary>Level index (of <see cref="LinkEstimateLevels"/>) of peer <paramref name="peer"/>'s link estimates in the per-job mixture's context (<paramref name="j"/>, <paramref name="r"/>): (j + peer x r) mod 10, so the first two peers' levels cross every pair.</summary>
    public static int PeerLevelIndex(int j, int r, int peer) => (j + (peer * r)) % LinkEstimateLevels.Count;

    /// <summary>Level index of the response-size record in the per-job mixture's context (<paramref name="j"/>, <paramref name="r"/>): (3 j + r) mod 10, every level equally often with each level of the first peer's.</summary>
    public static int RecordLevelIndex(int j, int r) => ((3 * j) + r) % LinkEstimateLevels.Count;

    /// <summary>
    /// The mixture's 100 contexts with each job's size drawn within the context
    /// (<see cref="LiveEvaluationSettings.SizeMix"/> <see cref="SizesPerJob"/>): each peer's link
    /// estimates at a level of its own and the response record at another (levels of
    /// <see cref="LinkEstimateLevels"/>; for context (j, r) peer p at (j + p r) mod 10, the record at
    /// (3 j + r) mod 10: the first two peers cross every pair of levels; in the log one peer's
    /// estimates do not move with another's), each with the run's 10 size levels as
    /// size classes (<see cref="CalibrationFitter.AtObservedLevel(DeploymentCalibration, IReadOnlyList{LoggedRequest}, Core.Observation.FeatureLayout, double, double, double)"/>
    /// at each size level: bytes, size-scaled times, the agent's size-aware estimates); the jitter is
    /// the spread around the size lines (<see cref="DeviceCalibration.ExecResidualSigma"/>) when the
    /// calibration has it, since the classes carry the sizes' spread.
    /// </summary>
    public static AgentContext[] PerJobSizeContexts(DeploymentCalibration observed, IReadOnlyList<LoggedRequest> run, Core.Observation.FeatureLayout layout)
    {
        ArgumentNullException.ThrowIfNull(observed);
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(layout);
        var classes = LinkEstimateLevels.Select(size => CalibrationFitter.AtObservedLevel(observed, run, layout, size, 0.5, 0.5).ToContext()).ToArray();
        var n = LinkEstimateLevels.Count;
        var contexts = new List<AgentContext>(n * n);
        for (var j = 0; j < n; j++)
        {
            for (var r = 0; r < n; r++)
            {
                var (a, b) = (j, r);
                var c = CalibrationFitter.AtObservedLevel(observed, run, layout, 0.5, p => LinkEstimateLevels[PeerLevelIndex(a, b, p)], LinkEstimateLevels[RecordLevelIndex(a, b)]).ToContext();
                c.SetSizeClasses(classes);
                if (observed.Device.ExecResidualSigma > 0)
                {
                    c.ExecJitterSigma = Math.Clamp(observed.Device.ExecResidualSigma, 0, 2);
                }

                contexts.Add(c);
            }
        }

        return [.. contexts];
    }

    /// <summary>Simulated episodes at each of the mixture's contexts for <paramref name="episodes"/> (<c>--episodes</c>): a tenth of it, at least 1.</summary>
    public static int EpisodesPerLevel(int episodes) => Math.Max(1, (int)Math.Ceiling(episodes / 10.0));

    /// <summary>The decision log the runs write.</summary>
    public string DatabasePath => Path.Combine(Path.GetFullPath(settings.OutputDirectory), "log", "decisions.db");

    /// <summary>The runs' link-probe energy per preference (the decision log holds requests only), written after the live runs.</summary>
    public string ProbesPath => Path.Combine(Path.GetFullPath(settings.OutputDirectory), "log", "probes.json");

    /// <summary>
    /// The runs' idle-time execution-probe energy per preference (Node's ExecutionProber), written
    /// after the live runs. The simulator has no execution probes: reported as their own live-only
    /// term, not added to the live energy the prediction is compared with.
    /// </summary>
    public string ExecProbesPath => Path.Combine(Path.GetFullPath(settings.OutputDirectory), "log", "exec-probes.json");

    /// <summary>The agent's link probes as the prediction models them: the demo agent's settings (AgentOptions defaults).</summary>
    public static LinkProbeModel AgentProbes()
    {
        var options = new Node.Agent.AgentOptions();
        return new LinkProbeModel
        {
            ProbeAfterSeconds = options.LinkProbeAfter.TotalSeconds,
            MaxBytes = options.LinkProbeMaxBytes,
            MinBytes = Math.Max(options.ThroughputSampleMinBytes, Node.Agent.LinkProber.MinProbeBytes),
            BudgetBytesPerSecond = options.LinkProbeBudgetBytesPerSecond,
            TargetSeconds = Node.Agent.LinkProber.TargetProbeSeconds,
        };
    }

    /// <summary>Runs the sweep live, then predicts it.</summary>
    public async Task<LiveEvaluationReport> RunAsync(TimeProvider time, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        Directory.CreateDirectory(settings.OutputDirectory);
        if (File.Exists(DatabasePath))
        {
            throw new ArgumentException($"--report: {DatabasePath} exists from an earlier run; give another directory.");
        }

        var demo = settings.Demo with { DecisionLogPath = Path.GetDirectoryName(DatabasePath) };
        var comparison = new DemoComparison(demo, [demo.Policy], settings.Preferences, [demo.Peers], settings.Passes) { StartBackward = settings.Backward };
        await comparison.RunAsync(time, progress, cancellationToken).ConfigureAwait(false);
        var probes = comparison.Results.GroupBy(r => r.Preference).ToDictionary(g => g.Key.ToString("R", CultureInfo.InvariantCulture), g => g.Sum(r => r.ProbeJoules));
        File.WriteAllText(ProbesPath, JsonSerializer.Serialize(probes, Json));
        var execProbes = comparison.Results.GroupBy(r => r.Preference).ToDictionary(g => g.Key.ToString("R", CultureInfo.InvariantCulture), g => g.Sum(r => r.ExecProbeJoules));
        File.WriteAllText(ExecProbesPath, JsonSerializer.Serialize(execProbes, Json));
        return Predict(progress);
    }

    /// <summary>Reads the live points from <see cref="DatabasePath"/> and predicts each with the simulator.</summary>
    /// <exception cref="CalibrationException">The log or the calibration cannot be used (one line).</exception>
    public LiveEvaluationReport Predict(Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var log = DecisionLogRequests.Read(DatabasePath);
        DeploymentCalibration calibration;
        string calibrationPath;
        if (settings.CalibrationPath is { } given)
        {
            calibration = DeploymentCalibration.Read(given);
            calibrationPath = Path.GetFullPath(given);
        }
        else
        {
            // The file carries the driver's cap, so `train --calibration` with it trains on the same arrivals.
            calibration = log.Calibrate();
            calibration = calibration with { Arrivals = calibration.Arrivals with { ClientMaxInFlight = settings.ClientMaxInFlight } };
            calibrationPath = Path.Combine(Path.GetFullPath(settings.OutputDirectory), "calibration.json");
            calibration.Write(calibrationPath);
        }

        var context = calibration.ToContext();
        var policyFile = settings.Demo.Policy == "learned" ? settings.Demo.PolicyFile ?? Node.Agent.AgentOptions.DefaultPolicyFile : null;
        using var model = policyFile is null ? null : new OnnxLogitsModel(policyFile);
        model?.ReadRowsOf(Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true)); // SimulatedRequests' layout; an older file reads its columns
        ISimPolicy policy = settings.Demo.Policy switch
        {
            "learned" => new LogitsPolicy("learned", model!, model!.Layout.MaxServers),
            "heuristic" => CorePolicyBaseline.Heuristic(),
            "local" => CorePolicyBaseline.AllLocal(),
            _ => CorePolicyBaseline.AllPeer(),
        };

        var probeJoules = ReadProbes(ProbesPath);
        var execProbeJoules = ReadProbes(ExecProbesPath);
        using var trace = settings.ObservationTracePath is { } tracePath ? new ObservationTrace(tracePath) : null;
        var probeModel = AgentProbes();
        var points = new List<LivePoint>();
        foreach (var preference in settings.Preferences)
        {
            var run = log.Requests.Where(r => Math.Abs(r.DelayWeight - preference) < 1e-6).ToArray();
            var rows = run.Where(r => r.Success).ToArray();
            var live = RequestTerms.Of(rows.Select(r => (r.Model, r.RanAt, r.DelaySeconds, r.QueueSeconds, r.TransferSeconds, r.ExecSeconds, r.EnergyJoules, r.ComputeJoules)).ToArray());
            var probed = probeJoules?.FirstOrDefault(p => Math.Abs(p.Key - preference) < 1e-6).Value;
            live = live.WithProbes(probed ?? 0);

            // What the agent's policy saw in this run: its estimates move between runs (refreshed by
            // use), and near a switch point the placement follows them.
            var perRun = settings.ObservedEstimates != EstimatesLog;
            (DeploymentCalibration Observed, RequestTerms Predicted) PredictWith(DeploymentCalibration timed, bool timesOfThisRun)
            {
                var observed = perRun ? CalibrationFitter.WithObservedEstimates(timed, run, log.Layout) : timed;
                var contexts = settings.ObservedEstimates != EstimatesRun ? (perRun || timesOfThisRun ? [observed.ToContext()] : [context])
                    : settings.SizeMix == SizesPerContext ? ObservedLevels.Select(l => CalibrationFitter.AtObservedLevel(observed, run, log.Layout, l.Size, l.Link, l.Record).ToContext()).ToArray()
                    : PerJobSizeContexts(observed, run, log.Layout);
                foreach (var c in contexts)
                {
                    // The demo driver holds an item back while its cap is in flight (WorkloadDriver).
                    c.MaxJobsInFlight = settings.ClientMaxInFlight;
                    c.DynamicExecEstimates = settings.EstimatorDynamics == DynamicsExec;
                    c.PeerReportIntervalSeconds = settings.PeerReports == ReportsLagged ? AgentReportIntervalSeconds() : 0;
                }

                // The prediction counts probes only when the live runs' probes are known (a log of an older edgeagent has none).
                var episodes = contexts.Length > 1 ? EpisodesPerLevel(settings.Episodes) : settings.Episodes;
                // Each context its own episodes' seeds (episode i of context k: seed + 4096 k + i + 1): with the
                // same streams in every context the mixture would average one small sample of arrivals and
                // execution jitter (2 episodes at sigma 0.75: the board's mean time 6 % off) 100 times.
                var traced = timesOfThisRun ? null : trace;
                var parts = contexts.Select((c, k) => SimulatedRequests.Predict(c, policy, preference, episodes, settings.Seed + (4096UL * (ulong)k), settings.StepsPerEpisode, probeJoules is null ? null : probeModel,
                    trace: traced is null ? null : d => traced.Write(preference, k, d))).ToArray();
                return (observed, RequestTerms.Mean(parts));
            }

            // Prospective: one calibrated speed per server for the whole sweep. Speed-conditioned: each
            // server's times at the speed it ran in this run (the machine drifts from run to run), the
            // agent's estimates then read as ratios to them; it uses the run it predicts, so it is a
            // diagnostic of the simulator's dynamics, not a prediction.
            var (observed, predicted) = PredictWith(calibration, false);
            var (atRunSpeeds, factors) = CalibrationFitter.WithRunExecutionTimes(calibration, run);
            var (_, conditioned) = PredictWith(atRunSpeeds, true);
            var execProbed = execProbeJoules?.FirstOrDefault(p => Math.Abs(p.Key - preference) < 1e-6).Value ?? 0;
            var point = new LivePoint(preference, live, predicted)
            {
                ExecProbeJoules = live.Requests > 0 ? execProbed / live.Requests : 0,
                ExecTimeFactors = factors,
                PredictedAtRunSpeeds = conditioned,
                PeerViews = PeerView.Of(run, log.Layout),
                ObservedExecRatios = observed.Models.Select(m => (m.Name, m.ObservedExecRatio))
                    .Concat(observed.Peers.Select(p => ("peer:" + p.Name, p.ObservedExecRatio)))
                    .Concat(observed.Peers.SelectMany(p => p.ObservedExecRatios.Select(r => ("peer:" + p.Name + "/" + r.Key, r.Value))))
                    .ToDictionary(x => x.Item1, x => x.Item2, StringComparer.Ordinal),
            };
            points.Add(point);
            progress(string.Create(CultureInfo.InvariantCulture,
                $"w_delay {preference:0.###}: live {live.DelaySeconds * 1000:0.#} ms {live.EnergyJoules:0.####} J ({live.Requests} requests, {live.OffloadedShare:P0} offloaded); sim {predicted.DelaySeconds * 1000:0.#} ms {predicted.EnergyJoules:0.####} J ({predicted.OffloadedShare:P0} offloaded); at the run's speeds {conditioned.DelaySeconds * 1000:0.#} ms {conditioned.EnergyJoules:0.####} J; agent's estimates / simulated times: {string.Join(", ", point.ObservedExecRatios.Select(r => $"{r.Key} {r.Value:0.###}"))}"));
        }

        var usable = points.Where(p => p.Live.Requests > 0).ToArray();
        var reference = usable.Length == 0 ? new ObjectivePoint(1, 1) : new ObjectivePoint(
            1.1 * usable.Max(p => Math.Max(p.Live.DelaySeconds, p.Predicted.DelaySeconds)),
            1.1 * usable.Max(p => Math.Max(p.Live.EnergyJoules, p.Predicted.EnergyJoules)));
        return new LiveEvaluationReport
        {
            Policy = settings.Demo.Policy,
            PolicyFile = policyFile,
            Context = string.Join("; ", settings.Demo.Peers.Select(p => p.Label))
                + (settings.Demo.RealLinks is null ? " (emulated links)" : " (each peer in a network namespace behind tbf: real bandwidth, emulated RTT)"),
            RunSeconds = settings.Demo.Duration.TotalSeconds,
            Rate = settings.Demo.Rate,
            Calibration = calibrationPath,
            Episodes = settings.Episodes,
            ObservedEstimates = settings.ObservedEstimates,
            SizeMix = settings.SizeMix,
            ClientMaxInFlight = settings.ClientMaxInFlight,
            Passes = settings.Passes,
            EstimatorDynamics = settings.EstimatorDynamics,
            PeerReports = settings.PeerReports,
            Backward = settings.Backward,
            Tolerance = settings.Tolerance,
            Points = points,
            Reference = reference,
            LiveHypervolume = Hypervolume.Compute(usable.Select(p => new ObjectivePoint(p.Live.DelaySeconds, p.Live.EnergyJoules)), reference),
            PredictedHypervolume = Hypervolume.Compute(usable.Select(p => new ObjectivePoint(p.Predicted.DelaySeconds, p.Predicted.EnergyJoules)), reference),
        };
    }

    // The live runs' (link or execution) probe joules per preference, or null when the file is missing (runs of an older edgeagent).
    private static Dictionary<double, double>? ReadProbes(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var read = JsonSerializer.Deserialize<Dictionary<string, double>>(File.ReadAllText(path)) ?? [];
            return read.ToDictionary(p => double.Parse(p.Key, CultureInfo.InvariantCulture), p => p.Value);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or IOException)
        {
            throw new CalibrationException($"{path}: cannot read the runs' probe energy ({ex.Message}); delete it to predict without probes.", ex);
        }
    }

    /// <summary>The table printed and put in the Markdown report.</summary>
    public static string Format(LiveEvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"policy {report.Policy}{(report.PolicyFile is null ? "" : " (" + report.PolicyFile + ")")}; demo context {report.Context}; {(report.Passes > 1 ? string.Create(inv, $"{report.Passes} passes ({(report.Backward ? "backward, forward" : "forward, backward")}, ...) of {report.RunSeconds:0} s") : string.Create(inv, $"{report.RunSeconds:0} s{(report.Backward ? ", preferences walked from w_delay 1 down" : "")}"))} at {report.Rate:0.##} items/s per preference; prediction: {(report.ObservedEstimates == EstimatesRun ? string.Create(inv, $"{EpisodesPerLevel(report.Episodes)} simulated episodes at each of {ObservedLevels.Count} contexts") : string.Create(inv, $"{report.Episodes} simulated episodes"))} per preference on {report.Calibration}, the agent's estimates in the observations from {report.ObservedEstimates switch
        {
            EstimatesRun when report.SizeMix == SizesPerContext => "each preference's own run (a mixture of 100 contexts: sizes x link estimates at the run's 5-95 % quantiles, the response-size record uncorrelated with both)",
            EstimatesRun => "each preference's own run (a mixture of 100 contexts: each peer's link estimates and the response-size record at levels of their own of the run's 5-95 % quantiles, each job's size drawn from the run's 5-95 % levels within every context)",
            EstimatesRunMedian => "each preference's own run (medians)",
            _ => "the calibration (every run alike)",
        }}{(report.ClientMaxInFlight > 0 ? string.Create(inv, $"; simulated client: at most {report.ClientMaxInFlight} items in flight, as the demo's driver") : "; simulated arrivals open (no client cap)")}{(report.EstimatorDynamics == DynamicsExec ? "; the agent's execution-time estimates move with the simulated runs (recency-weighted, as its executors' estimates)" : "")}{(report.PeerReports == ReportsLagged ? string.Create(inv, $"; each peer's queue as its last load report showed it (every {AgentReportIntervalSeconds() * 1000:0} ms, as the agent's)") : "")}; execution times the calibration's, one speed per server for the sweep (prospective; the speed-conditioned prediction below)");
        sb.AppendLine("per request means; gap = (sim - live) / live; term = the largest difference (sim - live) among queueing, transfer, execution, agent overhead (delay) and compute, radio/wait, link probes (energy); the live runs' idle-time execution probes (not simulated) are their own column below, not in the compared energy");
        sb.AppendLine();
        sb.AppendLine("| w_delay | live ms | sim ms | delay gap | live J | sim J | energy gap | offloaded live / sim | delay term (sim - live) | energy term (sim - live) |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var p in report.Points)
        {
            var (dt, ds) = p.DelayTerm;
            var (et, ej) = p.EnergyTerm;
            sb.AppendLine(inv, $"| {p.Preference:0.###} | {p.Live.DelaySeconds * 1000:0.0} | {p.Predicted.DelaySeconds * 1000:0.0} | {Percent(p.DelayGap, report.Tolerance)} | {p.Live.EnergyJoules:0.0000} | {p.Predicted.EnergyJoules:0.0000} | {Percent(p.EnergyGap, report.Tolerance)} | {p.Live.OffloadedShare:P0} / {p.Predicted.OffloadedShare:P0} | {dt} {ds * 1000:+0.0;-0.0} ms | {et} {ej:+0.0000;-0.0000} J |");
        }

        sb.AppendLine();
        sb.AppendLine(inv, $"within {report.Tolerance:P0} (delay and energy): {report.WithinTolerance} of {report.Points.Count} preferences");
        foreach (var p in report.Points)
        {
            if (Explain(p, report) is { } why)
            {
                sb.AppendLine(inv, $"- w_delay {p.Preference:0.###} beyond {report.Tolerance:P0}: {why}");
            }
        }

        if (report.Points.Any(p => p.PredictedAtRunSpeeds is not null))
        {
            sb.AppendLine(inv, $"speed-conditioned (each server's execution at the speed it ran in that run; uses the run it predicts, so not prospective): within {report.Tolerance:P0} {report.WithinToleranceAtRunSpeeds} of {report.Points.Count} preferences (prospective above: {report.WithinTolerance} of {report.Points.Count})");
            sb.AppendLine();
            sb.AppendLine("| w_delay | live ms | speed-conditioned sim ms | delay gap | live J | speed-conditioned sim J | energy gap | offloaded live / sim | run's speed per server (measured / the calibration's size lines; 1: too few requests there) |");
            sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
            foreach (var p in report.Points.Where(p => p.PredictedAtRunSpeeds is not null))
            {
                sb.AppendLine(inv, $"| {p.Preference:0.###} | {p.Live.DelaySeconds * 1000:0.0} | {p.PredictedAtRunSpeeds!.DelaySeconds * 1000:0.0} | {Percent(p.DelayGapAtRunSpeeds, report.Tolerance)} | {p.Live.EnergyJoules:0.0000} | {p.PredictedAtRunSpeeds.EnergyJoules:0.0000} | {Percent(p.EnergyGapAtRunSpeeds, report.Tolerance)} | {p.Live.OffloadedShare:P0} / {p.PredictedAtRunSpeeds.OffloadedShare:P0} | {string.Join(", ", p.ExecTimeFactors.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => string.Create(inv, $"{f.Key} {f.Value:0.000}")))} |");
            }

            sb.AppendLine();
        }

        sb.AppendLine(inv, $"hypervolume of the (mean delay s, mean energy J per request) fronts under ({report.Reference.Delay:0.####} s, {report.Reference.Energy:0.####} J): live {report.LiveHypervolume:0.######}, sim {report.PredictedHypervolume:0.######}");
        sb.AppendLine();
        sb.AppendLine("| w_delay | live queue / transfer / exec / overhead ms | sim queue / transfer / exec / overhead ms | live compute / radio / link probes J | sim compute / radio / link probes J | live execution probes J (not simulated) | offloaded per model live / sim |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var p in report.Points)
        {
            sb.AppendLine(inv, $"| {p.Preference:0.###} | {p.Live.QueueSeconds * 1000:0.0} / {p.Live.TransferSeconds * 1000:0.0} / {p.Live.ExecSeconds * 1000:0.0} / {p.Live.OverheadSeconds * 1000:0.0} | {p.Predicted.QueueSeconds * 1000:0.0} / {p.Predicted.TransferSeconds * 1000:0.0} / {p.Predicted.ExecSeconds * 1000:0.0} / {p.Predicted.OverheadSeconds * 1000:0.0} | {p.Live.ComputeJoules:0.0000} / {p.Live.RadioJoules:0.0000} / {p.Live.ProbeJoules:0.0000} | {p.Predicted.ComputeJoules:0.0000} / {p.Predicted.RadioJoules:0.0000} / {p.Predicted.ProbeJoules:0.0000} | {p.ExecProbeJoules:0.0000} | {string.Join(", ", p.Live.OffloadedByModel.Keys.Union(p.Predicted.OffloadedByModel.Keys, StringComparer.Ordinal).Select(m => string.Create(inv, $"{m} {(p.Live.OffloadedByModel.TryGetValue(m, out var l) ? l : 0):P0} / {(p.Predicted.OffloadedByModel.TryGetValue(m, out var q) ? q : 0):P0}")))} |");
        }

        var peers = report.Points.SelectMany(p => p.PeerViews.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (peers.Length > 0)
        {
            sb.AppendLine();
            sb.AppendLine("what the live agent saw of each peer (its decision log): share of the run's requests with the peer absent from the observation (circuit open or load stream down), requests the policy sent there / of them run on the device instead (fallbacks), and the agent's link estimate over the run (throughput p10-p50-p90 Mbit/s, median round trip ms)");
            sb.AppendLine();
            sb.AppendLine("| w_delay | " + string.Join(" | ", peers) + " |");
            sb.AppendLine("|---|" + string.Concat(peers.Select(_ => "---|")));
            foreach (var p in report.Points)
            {
                sb.Append(inv, $"| {p.Preference:0.###} |");
                foreach (var peer in peers)
                {
                    sb.Append(p.PeerViews.TryGetValue(peer, out var v)
                        ? string.Create(inv, $" absent {v.AbsentShare:P0}, sent {v.Decided} / fell back {v.Fallbacks}, {Mbit(v.UplinkMbitP10)}-{Mbit(v.UplinkMbitP50)}-{Mbit(v.UplinkMbitP90)} Mbit/s, {(double.IsNaN(v.RoundTripMsP50) ? "-" : v.RoundTripMsP50.ToString("0.0", inv))} ms |")
                        : " - |");
                }

                sb.AppendLine();
            }
        }

        return sb.ToString();
    }

    /// <summary>Writes report.json, report.md and fronts.png into <paramref name="directory"/>; returns the paths.</summary>
    public static IReadOnlyList<string> Write(LiveEvaluationReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var json = Path.Combine(directory, "report.json");
        var md = Path.Combine(directory, "report.md");
        var png = Path.Combine(directory, "fronts.png");
        File.WriteAllText(json, JsonSerializer.Serialize(report, Json));
        File.WriteAllText(md, "# Live front against the simulator's prediction\n\n" + Format(report));
        var plot = new ScottPlot.Plot();
        var points = report.Points.Where(p => p.Live.Requests > 0).ToArray();
        foreach (var p in points)
        {
            var line = plot.Add.Line(p.Live.DelaySeconds * 1000, p.Live.EnergyJoules, p.Predicted.DelaySeconds * 1000, p.Predicted.EnergyJoules);
            line.LineColor = ScottPlot.Colors.Gray.WithAlpha(0.5);
        }

        var live = plot.Add.ScatterPoints(points.Select(p => p.Live.DelaySeconds * 1000).ToArray(), points.Select(p => p.Live.EnergyJoules).ToArray());
        live.LegendText = "live (decision log)";
        live.MarkerSize = 8;
        var sim = plot.Add.ScatterPoints(points.Select(p => p.Predicted.DelaySeconds * 1000).ToArray(), points.Select(p => p.Predicted.EnergyJoules).ToArray());
        sim.LegendText = "simulator, calibrated";
        sim.MarkerSize = 8;
        sim.MarkerShape = ScottPlot.MarkerShape.OpenCircle;
        foreach (var p in points)
        {
            var label = plot.Add.Text(p.Preference.ToString("0.##", CultureInfo.InvariantCulture), p.Live.DelaySeconds * 1000, p.Live.EnergyJoules);
            label.LabelFontSize = 9;
        }

        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{report.Policy}: live vs simulated (per request), {report.Context}"));
        plot.XLabel("mean delay per request (ms)");
        plot.YLabel("mean device energy per request (J)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight); // a front's upper right is dominated, so empty; the lower right holds the energy end
        plot.SavePng(png, 1000, 640);
        return [json, md, png];
    }

    private static string Mbit(double value) => double.IsNaN(value) ? "-" : value.ToString("0", CultureInfo.InvariantCulture);

    private static string Percent(double gap, double tolerance) =>
        double.IsFinite(gap) ? gap.ToString("+0.0%;-0.0%", CultureInfo.InvariantCulture) + (Math.Abs(gap) <= tolerance ? "" : " *") : "-";
}

/// <summary>
/// Writes simulated decisions (<see cref="SimulatedDecision"/>) as CSV: w_delay, context, episode,
/// time, model, placement, candidate, then one column per feature by name, from the layout the
/// simulator wrote the observations in (the header comes with the first decision).
/// </summary>
internal sealed class ObservationTrace : IDisposable
{
    private readonly StreamWriter _writer;
    private Core.Observation.FeatureLayout? _layout;

    public ObservationTrace(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        _writer = new StreamWriter(path, append: false);
    }

    public void Write(double preference, int context, SimulatedDecision decision)
    {
        var layout = decision.Layout;
        if (_layout is null)
        {
            _layout = layout;
            _writer.WriteLine("w_delay,context,episode,time_s,model,placement,candidate," + string.Join(',', layout.Scalars.Select(s => s.Name).Concat(Enumerable.Range(0, layout.HistogramBins).Select(b => string.Create(CultureInfo.InvariantCulture, $"residual_hist_{b}")))));
        }
        else if (!layout.Equals(_layout))
        {
            throw new InvalidOperationException($"The trace's observations changed layout ({_layout.Describe()} to {layout.Describe()}).");
        }

        var f = layout.FeatureCount;
        var inv = CultureInfo.InvariantCulture;
        for (var r = 0; r < decision.Candidates.Count; r++)
        {
            _writer.Write(string.Create(inv, $"{preference:0.###},{context},{decision.Episode},{decision.Time:0.####},{decision.Model},{decision.Placement},{decision.Candidates[r]}"));
            for (var c = 0; c < f; c++)
            {
                _writer.Write(',');
                _writer.Write(decision.Features[(r * f) + c].ToString("G6", inv));
            }

            _writer.WriteLine();
        }
    }

    public void Dispose() => _writer.Dispose();
}
