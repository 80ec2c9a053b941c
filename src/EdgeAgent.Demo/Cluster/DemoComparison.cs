using System.Globalization;
using System.Text;
using EdgeAgent.Core.Pareto;

namespace EdgeAgent.Demo.Cluster;

/// <summary>The figures of one demo run under one policy, preference and link/speed context.</summary>
/// <param name="Policy">learned, heuristic, local or peer.</param>
/// <param name="Preference">Delay weight of the run.</param>
/// <param name="Context">Index of the link/speed context in the comparison's list.</param>
/// <param name="Snapshot">The demo's figures (requests by placement, item latency, accuracy).</param>
/// <param name="DeviceEnergyJoules">This device's energy over the run's successful requests (the agent's decision log).</param>
/// <param name="LateArrivals">Arrivals the in-flight cap delayed (0: the schedule was identical).</param>
public sealed record DemoRunResult(string Policy, double Preference, int Context, DemoSnapshot Snapshot, double DeviceEnergyJoules, int LateArrivals)
{
    /// <summary>Which repeat of its (context, preference, policy) cell this run is (0 first).</summary>
    public int Repeat { get; init; }

    /// <summary>
    /// Device energy of the agent's link probes during the run, joules: part of
    /// <see cref="DeviceEnergyJoules"/> (probes move bytes over the radio like offloads do).
    /// </summary>
    public double ProbeJoules { get; init; }

    /// <summary>
    /// Device energy of the agent's idle-time execution probes during the run, joules (Node's
    /// ExecutionProber): part of <see cref="DeviceEnergyJoules"/>.
    /// </summary>
    public double ExecProbeJoules { get; init; }

    /// <summary>Each completed item's end-to-end time in seconds (empty when not recorded).</summary>
    public IReadOnlyList<double> ItemSeconds { get; init; } = [];

    /// <summary>Mean device energy per OCR item, joules (NaN without items).</summary>
    public double EnergyPerItemJoules => Snapshot.Items > 0 ? DeviceEnergyJoules / Snapshot.Items : double.NaN;

    /// <summary>The run as a point of the (delay, energy) plane: median item delay in seconds, energy per item in joules.</summary>
    public ObjectivePoint Point => new(Snapshot.ItemP50Ms / 1000.0, EnergyPerItemJoules);

    /// <summary>Requests that ran at <paramref name="placement"/> ("local", "peer:edge", ...).</summary>
    public int RequestsAt(string placement) => Snapshot.Rows.Where(r => r.Placement == placement).Sum(r => r.Requests);
}

/// <summary>
/// The demo run <see cref="Repeats"/> times per (context, preference, policy) with the identical
/// workload (same seed, so the same items; the same fixed arrival schedule), then compared: one
/// table side by side per context and preference, and per context each policy's measured (delay,
/// energy) front with its hypervolume under one common reference point, and with repeats a
/// bootstrap interval of the hypervolume ratio. Per context one cluster is started: the peers and
/// one agent per policy, each agent warmed up unmeasured, then moved from preference to preference
/// at run time (as an operator's `pref set` does), so no run pays a cold start.
/// </summary>
public sealed class DemoComparison
{
    /// <summary>Creates a comparison over <paramref name="contexts"/> (each a list of emulated peers), each cell run <paramref name="repeats"/> times.</summary>
    public DemoComparison(DemoSettings baseSettings, IReadOnlyList<string> policies, IReadOnlyList<double> preferences, IReadOnlyList<IReadOnlyList<DemoProfile>> contexts, int repeats = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        Repeats = repeats;
        ArgumentNullException.ThrowIfNull(baseSettings);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(preferences);
        ArgumentNullException.ThrowIfNull(contexts);
        if (policies.Count == 0 || preferences.Count == 0 || contexts.Count == 0)
        {
            throw new ArgumentException("A comparison needs at least one policy, one preference and one link profile.");
        }

        BaseSettings = baseSettings;
        Policies = policies;
        Preferences = preferences;
        Contexts = contexts;
    }

    /// <summary>Settings shared by every run (duration, rate, seed, pages, models).</summary>
    public DemoSettings BaseSettings { get; }

    /// <summary>Policies, in column order.</summary>
    public IReadOnlyList<string> Policies { get; }

    /// <summary>Delay weights run.</summary>
    public IReadOnlyList<double> Preferences { get; }

    /// <summary>Link/speed contexts run.</summary>
    public IReadOnlyList<IReadOnlyList<DemoProfile>> Contexts { get; }

    /// <summary>Runs per (context, preference, policy) cell.</summary>
    public int Repeats { get; }

    /// <summary>
    /// True: the first pass walks the preferences backward (w_delay 1 first), the second forward, and
    /// so on. eval live's `--order backward`: the greedy end (w_delay 0), which can overload the
    /// peers and leave the agent's link estimates of that burst behind, then comes last, so its
    /// aftermath falls on no other preference's run.
    /// </summary>
    public bool StartBackward { get; init; }

    /// <summary>Bootstrap resamples for the hypervolume ratio's interval (with <see cref="Repeats"/> of 2 or more).</summary>
    public int BootstrapResamples { get; init; } = 2000;

    /// <summary>Results so far, in run order.</summary>
    public List<DemoRunResult> Results { get; } = [];

    /// <summary>
    /// <paramref name="count"/> delay weights evenly spaced over [0, 1] (11 gives 0, 0.1, ..., 1);
    /// 1 gives <paramref name="single"/>.
    /// </summary>
    public static IReadOnlyList<double> EvenPreferences(int count, double single)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return count == 1 ? [single] : Enumerable.Range(0, count).Select(i => Math.Round((double)i / (count - 1), 6)).ToArray();
    }

    /// <summary>The settings of one run.</summary>
    public DemoSettings SettingsFor(string policy, double preference, int context) =>
        BaseSettings with { Policy = policy, Preference = preference, Peers = Contexts[context] };

    /// <summary>
    /// The order of the runs: per context, per repeat, per preference, every policy once, the
    /// policies rotated by one place at each successive preference and repeat (learned, heuristic;
    /// then heuristic, learned; ...), so no policy always runs first, and the preferences walked
    /// forward in even repeats and backward in odd ones (the other way round with <see cref="StartBackward"/>), so a drift of the machine's load over a
    /// context's runs falls on every cell alike.
    /// </summary>
    public IEnumerable<(int Context, double Preference, string Policy)> RunOrder() =>
        RunOrderWithRepeats().Select(r => (r.Context, r.Preference, r.Policy));

    /// <summary><see cref="RunOrder"/> with each run's repeat index.</summary>
    public IEnumerable<(int Context, int Repeat, double Preference, string Policy)> RunOrderWithRepeats()
    {
        for (var c = 0; c < Contexts.Count; c++)
        {
            for (var r = 0; r < Repeats; r++)
            {
                for (var i = 0; i < Preferences.Count; i++)
                {
                    var k = (r + (StartBackward ? 1 : 0)) % 2 == 0 ? i : Preferences.Count - 1 - i;
                    for (var j = 0; j < Policies.Count; j++)
                    {
                        yield return (c, r, Preferences[k], Policies[(j + k + r) % Policies.Count]);
                    }
                }
            }
        }
    }

    /// <summary>Fewest OCR items of the direct warm-ups (<see cref="WarmUpItems"/>).</summary>
    public const int MinWarmUpItems = 3;

    /// <summary>Most OCR items of the direct warm-ups (<see cref="WarmUpItems"/>).</summary>
    public const int MaxWarmUpItems = 20;

    /// <summary>
    /// OCR items sent straight to each peer, and run on each agent's own executor, before the agents'
    /// warm-up runs: the items of one measured run (rate x duration, the same seeded items), between
    /// <see cref="MinWarmUpItems"/> and <see cref="MaxWarmUpItems"/>. A placement's execution estimate
    /// is refreshed only when it is used, so an estimate a policy never uses again stays at what these
    /// items measured. Three items were too few: the seeded workload's first three hold its widest
    /// text lines (recognition inputs of 345-510 KB against 184-350 KB later, and recognition time
    /// grows with the width), so the board's recognition read 155 ms against 72-80 ms in all-local
    /// runs and the cloud's 42 ms against 22-23 ms, for a whole link profile (13:25 UTC, 4 December).
    /// </summary>
    public int WarmUpItems => Math.Clamp((int)Math.Ceiling(BaseSettings.Rate * BaseSettings.Duration.TotalSeconds), MinWarmUpItems, MaxWarmUpItems);

    /// <summary>Length of each agent's unmeasured warm-up runs (at most the runs' duration).</summary>
    public static TimeSpan WarmUpDuration { get; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// Delay weights of the warm-up runs: near the delay end (the board's sessions run) and near the
    /// energy end (the peers' sessions and the link estimates); off the 0.1 grid, so a decision log's
    /// warm-up rows do not mix with a measured preference's.
    /// </summary>
    public static IReadOnlyList<double> WarmUpPreferences { get; } = [0.999, 0.001];

    /// <summary>
    /// Per context: starts the cluster (peers and one agent per policy), warms every agent up
    /// unmeasured (<see cref="WarmUpPreferences"/>, <see cref="WarmUpDuration"/> each), then runs every
    /// (preference, policy, repeat) of <see cref="RunOrderWithRepeats"/> on it; <paramref name="progress"/> hears of each run.
    /// </summary>
    public async Task RunAsync(TimeProvider time, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(progress);
        var total = Contexts.Count * Repeats * Preferences.Count * Policies.Count;
        var done = 0;
        for (var c = 0; c < Contexts.Count; c++)
        {
            var settings = SettingsFor(Policies[0], Preferences[0], c);
            var run = new DemoRun(settings, Policies);
            await using var stop = run.ConfigureAwait(false);
            await run.StartAsync(progress, cancellationToken).ConfigureAwait(false);

            // Warm-up, not measured: a fresh agent's first requests pay the JIT, the first runs of each
            // ONNX Runtime session and link and load estimates still at their priors; a long-running
            // agent has none of these, and they would fall on whichever run came first. The peers are
            // warmed first, directly: their cold start would otherwise fall on the first agent's first
            // offloads (a transfer measured at a fraction of the link's rate, then kept, see WarmPeersAsync).
            progress(string.Create(CultureInfo.InvariantCulture, $"context {c + 1}/{Contexts.Count}: warm-up of the peers ({WarmUpItems} items straight to each, not measured) ..."));
            try
            {
                await run.WarmPeersAsync(WarmUpItems, cancellationToken).ConfigureAwait(false);
            }
            catch (Grpc.Core.RpcException ex)
            {
                progress("  a peer refused the warm-up items (" + ex.Status.Detail + "); the agents' warm-up follows");
            }

            progress(string.Create(CultureInfo.InvariantCulture, $"context {c + 1}/{Contexts.Count}: warm-up of each agent's board ({WarmUpItems} items on its executor, not measured) ..."));
            try
            {
                await run.WarmAgentExecutorsAsync(WarmUpItems, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is Inference.InferenceException or ArgumentException or InvalidOperationException)
            {
                progress("  an agent's executor refused the warm-up items (" + ex.Message + "); the agents' warm-up runs follow");
            }

            var warmUp = settings.Duration < WarmUpDuration ? settings.Duration : WarmUpDuration;
            foreach (var policy in Policies)
            {
                foreach (var w in WarmUpPreferences)
                {
                    progress(string.Create(CultureInfo.InvariantCulture, $"context {c + 1}/{Contexts.Count}: warm-up of {policy} at w_delay {w} ({warmUp.TotalSeconds:0} s, not measured) ..."));
                    await run.MeasureAsync(policy, w, c, -1, warmUp, time, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (var (context, repeat, preference, policy) in RunOrderWithRepeats().Where(r => r.Context == c))
            {
                cancellationToken.ThrowIfCancellationRequested();
                done++;
                progress(string.Create(CultureInfo.InvariantCulture,
                    $"[{done}/{total}] context {context + 1}/{Contexts.Count}, repeat {repeat + 1}/{Repeats}, w_delay {preference:0.###}, policy {policy}: {settings.Duration.TotalSeconds:0} s ..."));
                var result = await run.MeasureAsync(policy, preference, context, repeat, settings.Duration, time, cancellationToken).ConfigureAwait(false);
                Results.Add(result);
                progress(string.Create(CultureInfo.InvariantCulture,
                    $"  {result.Snapshot.Items} items, item p50 {result.Snapshot.ItemP50Ms:0} ms, {result.EnergyPerItemJoules:0.###} J/item (link probes {result.ProbeJoules:0.###} J, execution probes {result.ExecProbeJoules:0.###} J of the run), {result.Snapshot.LocalRequests} local / {result.Snapshot.OffloadedRequests} offloaded"));
            }
        }
    }

    /// <summary>The runs of one (context, policy, preference) cell.</summary>
    public IReadOnlyList<DemoRunResult> Cell(int context, string policy, double preference) =>
        Results.Where(r => r.Context == context && r.Policy == policy && r.Preference == preference && r.Snapshot.Items > 0).ToArray();

    /// <summary>
    /// The (delay, energy) point of several runs of one cell, pooled: the median of every item's
    /// delay over the runs (the mean of the runs' medians when item delays were not recorded), and
    /// their energy over their items. Null without items.
    /// </summary>
    public static ObjectivePoint? Pooled(IReadOnlyList<DemoRunResult> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var items = runs.Sum(r => r.Snapshot.Items);
        if (runs.Count == 0 || items == 0)
        {
            return null;
        }

        var delay = runs.All(r => r.ItemSeconds.Count > 0)
            ? Percentiles.Of(runs.SelectMany(r => r.ItemSeconds).ToArray(), 50)
            : runs.Average(r => r.Snapshot.ItemP50Ms) / 1000.0;
        return new ObjectivePoint(delay, runs.Sum(r => r.DeviceEnergyJoules) / items);
    }

    /// <summary>Each preference's pooled point of <paramref name="policy"/> in <paramref name="context"/>.</summary>
    public IReadOnlyList<(double Preference, ObjectivePoint Point)> Points(string policy, int context) =>
        Preferences.Select(w => (w, Pooled(Cell(context, policy, w)))).Where(p => p.Item2 is not null).Select(p => (p.w, p.Item2!.Value)).ToArray();

    /// <summary>
    /// The common reference point of one context: 1.1 times the worst pooled item delay and the
    /// worst pooled energy per item over every cell of that context (all policies, all preferences;
    /// with one repeat, every run). The bootstrap keeps it fixed.
    /// </summary>
    public ObjectivePoint ReferencePoint(int context)
    {
        var points = Policies.SelectMany(p => Points(p, context)).Select(p => p.Point).ToArray();
        return points.Length == 0 ? new ObjectivePoint(1, 1) : new ObjectivePoint(1.1 * points.Max(p => p.Delay), 1.1 * points.Max(p => p.Energy));
    }

    /// <summary>The hypervolume of <paramref name="policy"/>'s pooled points in <paramref name="context"/> under <see cref="ReferencePoint"/>.</summary>
    public double HypervolumeOf(string policy, int context) =>
        Hypervolume.Compute(Points(policy, context).Select(p => p.Point), ReferencePoint(context));

    /// <summary>
    /// The hypervolume ratio HV(<paramref name="subject"/>) / HV(<paramref name="baseline"/>) in
    /// <paramref name="context"/> with a bootstrap over the repeats: each resample draws, per cell,
    /// as many runs as it has with replacement and pools them (<see cref="Pooled"/>); the reference
    /// point stays <see cref="ReferencePoint"/>. Returns the ratio of the pooled points, the 2.5 % and
    /// 97.5 % quantiles of the resampled ratios and the share of resamples with the ratio at least 1
    /// (NaN for the last three when no cell has two runs).
    /// </summary>
    public (double Ratio, double Low, double High, double ShareAtLeastOne) HypervolumeRatio(string subject, string baseline, int context, int seed = 1)
    {
        var reference = ReferencePoint(context);
        var baselineHv = HypervolumeOf(baseline, context);
        var ratio = baselineHv > 0 ? HypervolumeOf(subject, context) / baselineHv : double.NaN;
        var cells = new[] { subject, baseline }.Select(p => Preferences.Select(w => Cell(context, p, w)).Where(c => c.Count > 0).ToArray()).ToArray();
        if (!cells.Any(policy => policy.Any(c => c.Count > 1)) || BootstrapResamples < 1)
        {
            return (ratio, double.NaN, double.NaN, double.NaN);
        }

        var random = new Random(seed);
        var ratios = new List<double>(BootstrapResamples);
        var drawn = new List<DemoRunResult>();
        var hv = new double[2];
        for (var b = 0; b < BootstrapResamples; b++)
        {
            for (var p = 0; p < 2; p++)
            {
                var points = new List<ObjectivePoint>(cells[p].Length);
                foreach (var cell in cells[p])
                {
                    drawn.Clear();
                    for (var i = 0; i < cell.Count; i++)
                    {
                        drawn.Add(cell[random.Next(cell.Count)]);
                    }

                    if (Pooled(drawn) is { } point)
                    {
                        points.Add(point);
                    }
                }

                hv[p] = Hypervolume.Compute(points, reference);
            }

            if (hv[1] > 0)
            {
                ratios.Add(hv[0] / hv[1]);
            }
        }

        if (ratios.Count == 0)
        {
            return (ratio, double.NaN, double.NaN, double.NaN);
        }

        var sorted = ratios.ToArray();
        return (ratio, Percentiles.Of(sorted, 2.5), Percentiles.Of(sorted, 97.5), ratios.Count(r => r >= 1.0) / (double)ratios.Count);
    }

    /// <summary>
    /// The side-by-side tables (one per context and preference; with repeats, each cell's runs
    /// pooled and their spread) and, with several preferences, the hypervolumes and, with several
    /// policies, the first policy's hypervolume ratio against each other one (with repeats, a
    /// bootstrap interval).
    /// </summary>
    public string Format()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        for (var context = 0; context < Contexts.Count; context++)
        {
            text.AppendLine(c, $"context {context + 1}: {string.Join("; ", Contexts[context].Select(p => p.Label))}");
            foreach (var preference in Preferences)
            {
                var cells = Policies.Select(p => Results.Where(r => r.Context == context && r.Preference == preference && r.Policy == p).ToArray()).ToArray();
                if (cells.All(r => r.Length == 0))
                {
                    continue;
                }

                text.Append(c, $"w_delay = {preference:0.###}");
                text.AppendLine(Repeats > 1 ? string.Create(c, $" (pooled over {Repeats} repeats: requests per run, item delays pooled, energy over all items)") : "");
                var placements = cells.SelectMany(r => r).SelectMany(r => r.Snapshot.Rows.Select(row => row.Placement)).Distinct()
                    .OrderBy(p => p.StartsWith("local", StringComparison.Ordinal) ? 0 : 1).ThenBy(p => p, StringComparer.Ordinal).ToArray();
                var rows = new List<(string Label, Func<DemoRunResult[], string> Value)>();
                foreach (var placement in placements)
                {
                    rows.Add(($"requests {placement}", r => Repeats > 1 ? Number(r.Average(x => x.RequestsAt(placement)), "0.0") : r.Sum(x => x.RequestsAt(placement)).ToString(c)));
                }

                rows.Add(("item delay p50 ms", r => Number(1000 * (Pooled(WithItems(r))?.Delay ?? double.NaN), "0")));
                rows.Add(("item delay p95 ms", r => Number(P95Ms(r), "0")));
                rows.Add(("device energy J/item", r => Number(Pooled(WithItems(r))?.Energy ?? double.NaN, "0.000")));
                if (Repeats > 1)
                {
                    rows.Add(("p50 ms, runs' range", r => Range(r.Where(x => x.Snapshot.Items > 0).Select(x => x.Snapshot.ItemP50Ms), "0")));
                    rows.Add(("J/item, runs' range", r => Range(r.Where(x => x.Snapshot.Items > 0).Select(x => x.EnergyPerItemJoules), "0.000")));
                }

                rows.Add(("character accuracy %", r => r.Sum(x => x.Snapshot.Items) == 0 ? "-" : Number(100 * r.Sum(x => x.Snapshot.CharacterAccuracy * x.Snapshot.Items) / r.Sum(x => x.Snapshot.Items), "0.00")));
                rows.Add(("items (failed)", r => $"{r.Sum(x => x.Snapshot.Items)} ({r.Sum(x => x.Snapshot.FailedItems)})"));
                rows.Add(("late arrivals", r => r.Sum(x => x.LateArrivals).ToString(c)));
                var width = Math.Max(22, rows.Max(r => r.Label.Length) + 2);
                text.Append("  ").Append("".PadRight(width));
                foreach (var policy in Policies)
                {
                    text.Append(policy.PadLeft(14));
                }

                text.AppendLine();
                foreach (var (label, value) in rows)
                {
                    text.Append("  ").Append(label.PadRight(width));
                    foreach (var cell in cells)
                    {
                        text.Append((cell.Length == 0 ? "-" : value(cell)).PadLeft(14));
                    }

                    text.AppendLine();
                }
            }

            if (Preferences.Count > 1)
            {
                var reference = ReferencePoint(context);
                text.AppendLine(c, $"hypervolume of the measured (item delay p50 s, device energy J/item) front, reference point ({reference.Delay:0.####} s, {reference.Energy:0.####} J) = 1.1 x the worst {(Repeats > 1 ? "pooled point" : "run")} in this context, every policy:");
                foreach (var policy in Policies)
                {
                    text.AppendLine(c, $"  {policy,-10} {HypervolumeOf(policy, context):0.######}");
                }

                foreach (var other in Policies.Skip(1))
                {
                    var (ratio, low, high, share) = HypervolumeRatio(Policies[0], other, context, BaseSettings.Seed);
                    text.Append(c, $"  {Policies[0]} / {other}: {ratio:0.000}");
                    text.AppendLine(double.IsNaN(low)
                        ? " (one run per cell: no interval; --repeats 2 or more gives one)"
                        : string.Create(c, $", bootstrap over the repeats ({BootstrapResamples} resamples, reference fixed): 95 % interval {low:0.000}-{high:0.000}, ratio >= 1 in {100 * share:0.#} % of resamples"));
                }
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes every run as one CSV row (context, repeat, w_delay, policy, items, failed, item p50 and
    /// p95 ms, device J, J/item, local and offloaded requests, late arrivals, link probe J, execution probe J, character
    /// accuracy, each item's delay in ms separated by ';', requests per placement).
    /// <see cref="LoadRunsCsv"/> reads it back, so runs of several invocations can be pooled.
    /// </summary>
    public void SaveRunsCsv(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var c = CultureInfo.InvariantCulture;
        var placements = Results.SelectMany(r => r.Snapshot.Rows.Select(row => row.Placement)).Distinct().Order(StringComparer.Ordinal).ToArray();
        var text = new StringBuilder();
        text.AppendLine("context,repeat,w_delay,policy,items,failed_items,item_p50_ms,item_p95_ms,device_joules,joules_per_item,local_requests,offloaded_requests,late_arrivals,probe_joules,exec_probe_joules,character_accuracy,item_ms" + string.Concat(placements.Select(p => ",requests_" + p.Replace(':', '_'))));
        foreach (var r in Results)
        {
            text.Append(c, $"{r.Context + 1},{r.Repeat + 1},{r.Preference:0.######},{r.Policy},{r.Snapshot.Items},{r.Snapshot.FailedItems},{r.Snapshot.ItemP50Ms:0.###},{r.Snapshot.ItemP95Ms:0.###},{r.DeviceEnergyJoules:0.######},{r.EnergyPerItemJoules:0.######},{r.Snapshot.LocalRequests},{r.Snapshot.OffloadedRequests},{r.LateArrivals},{r.ProbeJoules:0.######},{r.ExecProbeJoules:0.######},{r.Snapshot.CharacterAccuracy:0.######},");
            text.AppendJoin(';', r.ItemSeconds.Select(s => (s * 1000).ToString("0.###", c)));
            foreach (var placement in placements)
            {
                text.Append(c, $",{r.RequestsAt(placement)}");
            }

            text.AppendLine();
        }

        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text.ToString());
    }

    /// <summary>
    /// Reads the runs of a <see cref="SaveRunsCsv"/> file (columns found by name; a file without
    /// <c>item_ms</c> gives runs without item delays, pooled by their medians). Each run's repeat is
    /// its file repeat plus <paramref name="repeatOffset"/>, so the runs of several invocations of the
    /// same comparison pool as more repeats. The requests per placement come back; per-placement
    /// latencies and energies do not (they are not in the file).
    /// </summary>
    /// <exception cref="FormatException">The file lacks a needed column or a value does not parse; the message names the file, line and column.</exception>
    public static IReadOnlyList<DemoRunResult> LoadRunsCsv(string path, int repeatOffset = 0)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var c = CultureInfo.InvariantCulture;
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            throw new FormatException($"{path} is empty; expected the header of `demo --compare --runs-csv`.");
        }

        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new FormatException($"{path} has no column '{name}'; expected a file written by `demo --compare --runs-csv`.");
        var (context, repeat, weight, policy, items, failed, p50, p95, joules, late) = (Column("context"), Column("repeat"), Column("w_delay"), Column("policy"), Column("items"), Column("failed_items"), Column("item_p50_ms"), Column("item_p95_ms"), Column("device_joules"), Column("late_arrivals"));
        var probe = Array.IndexOf(header, "probe_joules");
        var execProbe = Array.IndexOf(header, "exec_probe_joules");
        var accuracy = Array.IndexOf(header, "character_accuracy");
        var itemMs = Array.IndexOf(header, "item_ms");
        var placements = header.Select((name, i) => (name, i)).Where(h => h.name.StartsWith("requests_", StringComparison.Ordinal))
            .Select(h => (Placement: PlacementOf(h.name["requests_".Length..]), Index: h.i)).ToArray();
        var runs = new List<DemoRunResult>(lines.Length - 1);
        for (var n = 1; n < lines.Length; n++)
        {
            if (lines[n].Length == 0)
            {
                continue;
            }

            var cells = lines[n].Split(',');
            if (cells.Length != header.Length)
            {
                throw new FormatException($"{path} line {n + 1} has {cells.Length} values for {header.Length} columns.");
            }

            double Number(int i) => double.TryParse(cells[i], NumberStyles.Float, c, out var v) ? v : throw new FormatException($"{path} line {n + 1}: column '{header[i]}' is '{cells[i]}', not a number.");
            int Count(int i) => int.TryParse(cells[i], NumberStyles.Integer, c, out var v) && v >= 0 ? v : throw new FormatException($"{path} line {n + 1}: column '{header[i]}' is '{cells[i]}', not a count.");
            var rows = placements.Select(p => new PlacementRow(p.Placement, Count(p.Index), double.NaN, double.NaN, double.NaN, 0)).Where(r => r.Requests > 0).ToArray();
            var itemCount = Count(items);
            var snapshot = new DemoSnapshot(rows, itemCount, Count(failed), accuracy >= 0 ? Number(accuracy) : double.NaN, 0, Number(p50), Number(p95), null);
            var seconds = itemMs >= 0 && cells[itemMs].Length > 0
                ? cells[itemMs].Split(';').Select(v => double.TryParse(v, NumberStyles.Float, c, out var ms) ? ms / 1000.0 : throw new FormatException($"{path} line {n + 1}: item delay '{v}' is not a number.")).ToArray()
                : [];
            if (seconds.Length != 0 && seconds.Length != itemCount)
            {
                throw new FormatException($"{path} line {n + 1}: {seconds.Length} item delays for {itemCount} items.");
            }

            runs.Add(new DemoRunResult(cells[policy], Number(weight), Count(context) - 1, snapshot, Number(joules), Count(late))
            {
                Repeat = Count(repeat) - 1 + repeatOffset,
                ProbeJoules = probe >= 0 ? Number(probe) : 0.0,
                ExecProbeJoules = execProbe >= 0 ? Number(execProbe) : 0.0,
                ItemSeconds = seconds,
            });
        }

        return runs;

        // The column name's '_' after "local"/"peer" was the placement's ':' (peer names may hold '_').
        static string PlacementOf(string column)
        {
            foreach (var prefix in new[] { "local_", "peer_" })
            {
                if (column.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return prefix[..^1] + ":" + column[prefix.Length..];
                }
            }

            return column;
        }
    }

    private static DemoRunResult[] WithItems(DemoRunResult[] runs) => runs.Where(r => r.Snapshot.Items > 0).ToArray();

    private static double P95Ms(DemoRunResult[] runs)
    {
        var withItems = WithItems(runs);
        if (withItems.Length == 0)
        {
            return double.NaN;
        }

        return withItems.All(r => r.ItemSeconds.Count > 0)
            ? 1000 * Percentiles.Of(withItems.SelectMany(r => r.ItemSeconds).ToArray(), 95)
            : withItems.Average(r => r.Snapshot.ItemP95Ms);
    }

    private static string Range(IEnumerable<double> values, string format)
    {
        var list = values.Where(v => !double.IsNaN(v)).ToArray();
        return list.Length == 0 ? "-" : Number(list.Min(), format) + "-" + Number(list.Max(), format);
    }

    /// <summary>
    /// Writes a PNG of every cell's pooled (item delay p50, energy per item) point, one colour per policy and
    /// the context's hypervolume reference point: <paramref name="path"/> for the first context,
    /// <c>name-2.png</c>, <c>name-3.png</c>... for the others. Returns the files written.
    /// </summary>
    public IReadOnlyList<string> SavePlots(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var written = new List<string>();
        for (var context = 0; context < Contexts.Count; context++)
        {
            var plot = new ScottPlot.Plot();
            foreach (var policy in Policies)
            {
                var points = Points(policy, context);
                if (points.Count == 0)
                {
                    continue;
                }

                var scatter = plot.Add.ScatterPoints(points.Select(r => r.Point.Delay * 1000).ToArray(), points.Select(r => r.Point.Energy).ToArray());
                scatter.LegendText = policy;
                scatter.MarkerSize = 8;
            }

            var reference = ReferencePoint(context);
            var marker = plot.Add.ScatterPoints(new[] { reference.Delay * 1000 }, new[] { reference.Energy });
            marker.LegendText = "HV reference";
            marker.MarkerShape = ScottPlot.MarkerShape.Cross;
            marker.MarkerSize = 10;
            plot.Title(string.Create(CultureInfo.InvariantCulture, $"context {context + 1}: {string.Join("; ", Contexts[context].Select(p => p.Label))}"));
            plot.XLabel("OCR item delay p50 (ms)");
            plot.YLabel("device energy per item (J)");
            plot.ShowLegend();
            var file = context == 0 ? full : Path.Combine(Path.GetDirectoryName(full)!, string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileNameWithoutExtension(full)}-{context + 1}{Path.GetExtension(full)}"));
            plot.SavePng(file, 1000, 640);
            written.Add(file);
        }

        return written;
    }

    private static string Number(double value, string format) =>
        double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);
}
