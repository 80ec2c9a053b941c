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
    /// <summary>Mean device energy per OCR item, joules (NaN without items).</summary>
    public double EnergyPerItemJoules => Snapshot.Items > 0 ? DeviceEnergyJoules / Snapshot.Items : double.NaN;

    /// <summary>The run as a point of the (delay, energy) plane: median item delay in seconds, energy per item in joules.</summary>
    public ObjectivePoint Point => new(Snapshot.ItemP50Ms / 1000.0, EnergyPerItemJoules);

    /// <summary>Requests that ran at <paramref name="placement"/> ("local", "peer:edge", ...).</summary>
    public int RequestsAt(string placement) => Snapshot.Rows.Where(r => r.Placement == placement).Sum(r => r.Requests);
}

/// <summary>
/// The demo run once per (context, preference, policy) with the identical workload (same seed,
/// so the same items; the same fixed arrival schedule), then compared: one table side by side per
/// context and preference, and per context each policy's measured (delay, energy) front with its
/// hypervolume under one common reference point.
/// </summary>
public sealed class DemoComparison
{
    /// <summary>Creates a comparison over <paramref name="contexts"/> (each a list of emulated peers).</summary>
    public DemoComparison(DemoSettings baseSettings, IReadOnlyList<string> policies, IReadOnlyList<double> preferences, IReadOnlyList<IReadOnlyList<DemoProfile>> contexts)
    {
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
    /// The order of the runs: per context, per preference, every policy once, the policies rotated by
    /// one place at each successive preference (learned, heuristic; then heuristic, learned; ...), so
    /// no policy always runs first: the first run of a process pays the JIT warm-up, and a shared
    /// machine's load drifts between the runs of one pair.
    /// </summary>
    public IEnumerable<(int Context, double Preference, string Policy)> RunOrder()
    {
        for (var c = 0; c < Contexts.Count; c++)
        {
            for (var k = 0; k < Preferences.Count; k++)
            {
                for (var j = 0; j < Policies.Count; j++)
                {
                    yield return (c, Preferences[k], Policies[(j + k) % Policies.Count]);
                }
            }
        }
    }

    /// <summary>Length of the unmeasured warm-up run <see cref="RunAsync"/> starts with (at most the runs' duration).</summary>
    public static TimeSpan WarmUpDuration { get; } = TimeSpan.FromSeconds(4);

    /// <summary>Runs an unmeasured warm-up, then every (context, preference, policy) in <see cref="RunOrder"/>; <paramref name="progress"/> hears of each run.</summary>
    public async Task RunAsync(TimeProvider time, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(progress);

        // One short run first that is not measured: the process's first run pays the JIT and the
        // first model loads, which would otherwise fall on whichever policy runs first.
        var (firstContext, firstPreference, firstPolicy) = RunOrder().First();
        var warmUp = SettingsFor(firstPolicy, firstPreference, firstContext);
        warmUp = warmUp with { Duration = warmUp.Duration < WarmUpDuration ? warmUp.Duration : WarmUpDuration };
        progress(string.Create(CultureInfo.InvariantCulture, $"warm-up run ({warmUp.Duration.TotalSeconds:0} s, not measured) ..."));
        var warmUpRun = new DemoRun(warmUp);
        await using (warmUpRun.ConfigureAwait(false))
        {
            var run = warmUpRun;
            await run.StartAsync(progress, cancellationToken).ConfigureAwait(false);
            await run.RunAsync(time, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (c, preference, policy) in RunOrder())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var settings = SettingsFor(policy, preference, c);
            progress(string.Create(CultureInfo.InvariantCulture, $"context {c + 1}/{Contexts.Count}, w_delay {preference:0.###}, policy {policy}: {settings.Duration.TotalSeconds:0} s ..."));
            var run = new DemoRun(settings);
            await using var stop = run.ConfigureAwait(false);
            await run.StartAsync(progress, cancellationToken).ConfigureAwait(false);
            await run.RunAsync(time, cancellationToken).ConfigureAwait(false);
            var result = new DemoRunResult(policy, preference, c, run.Snapshot(), run.Cluster.DeviceEnergyJoules(), run.LateArrivals);
            Results.Add(result);
            progress(string.Create(CultureInfo.InvariantCulture,
                $"  {result.Snapshot.Items} items, item p50 {result.Snapshot.ItemP50Ms:0} ms, {result.EnergyPerItemJoules:0.###} J/item, {result.Snapshot.LocalRequests} local / {result.Snapshot.OffloadedRequests} offloaded"));
        }
    }

    /// <summary>
    /// The common reference point of one context: 1.1 times the worst median item delay and the
    /// worst energy per item over every run of that context (all policies, all preferences).
    /// </summary>
    public ObjectivePoint ReferencePoint(int context)
    {
        var points = Results.Where(r => r.Context == context && r.Snapshot.Items > 0).Select(r => r.Point).ToArray();
        return points.Length == 0 ? new ObjectivePoint(1, 1) : new ObjectivePoint(1.1 * points.Max(p => p.Delay), 1.1 * points.Max(p => p.Energy));
    }

    /// <summary>The hypervolume of <paramref name="policy"/>'s measured points in <paramref name="context"/> under <see cref="ReferencePoint"/>.</summary>
    public double HypervolumeOf(string policy, int context) =>
        Hypervolume.Compute(Results.Where(r => r.Context == context && r.Policy == policy && r.Snapshot.Items > 0).Select(r => r.Point), ReferencePoint(context));

    /// <summary>The side-by-side tables (one per context and preference) and, with several preferences, the hypervolumes.</summary>
    public string Format()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        for (var context = 0; context < Contexts.Count; context++)
        {
            text.AppendLine(c, $"context {context + 1}: {string.Join("; ", Contexts[context].Select(p => p.Label))}");
            foreach (var preference in Preferences)
            {
                var runs = Policies.Select(p => Results.FirstOrDefault(r => r.Context == context && r.Preference == preference && r.Policy == p)).ToArray();
                if (runs.All(r => r is null))
                {
                    continue;
                }

                text.AppendLine(c, $"w_delay = {preference:0.###}");
                var placements = runs.Where(r => r is not null).SelectMany(r => r!.Snapshot.Rows.Select(row => row.Placement)).Distinct()
                    .OrderBy(p => p.StartsWith("local", StringComparison.Ordinal) ? 0 : 1).ThenBy(p => p, StringComparer.Ordinal).ToArray();
                var rows = new List<(string Label, Func<DemoRunResult, string> Value)>();
                foreach (var placement in placements)
                {
                    rows.Add(($"requests {placement}", r => r.RequestsAt(placement).ToString(c)));
                }

                rows.Add(("item delay p50 ms", r => Number(r.Snapshot.ItemP50Ms, "0")));
                rows.Add(("item delay p95 ms", r => Number(r.Snapshot.ItemP95Ms, "0")));
                rows.Add(("device energy J/item", r => Number(r.EnergyPerItemJoules, "0.000")));
                rows.Add(("character accuracy %", r => r.Snapshot.Items == 0 ? "-" : Number(100 * r.Snapshot.CharacterAccuracy, "0.00")));
                rows.Add(("items (failed)", r => $"{r.Snapshot.Items} ({r.Snapshot.FailedItems})"));
                rows.Add(("late arrivals", r => r.LateArrivals.ToString(c)));
                var width = Math.Max(22, rows.Max(r => r.Label.Length) + 2);
                text.Append("  ").Append("".PadRight(width));
                foreach (var policy in Policies)
                {
                    text.Append(policy.PadLeft(12));
                }

                text.AppendLine();
                foreach (var (label, value) in rows)
                {
                    text.Append("  ").Append(label.PadRight(width));
                    foreach (var run in runs)
                    {
                        text.Append((run is null ? "-" : value(run)).PadLeft(12));
                    }

                    text.AppendLine();
                }
            }

            if (Preferences.Count > 1)
            {
                var reference = ReferencePoint(context);
                text.AppendLine(c, $"hypervolume of the measured (item delay p50 s, device energy J/item) front, reference point ({reference.Delay:0.####} s, {reference.Energy:0.####} J) = 1.1 x the worst of every run in this context:");
                foreach (var policy in Policies)
                {
                    text.AppendLine(c, $"  {policy,-10} {HypervolumeOf(policy, context):0.######}");
                }
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    /// <summary>
    /// Writes a PNG of every run's (item delay p50, energy per item) point, one colour per policy and
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
                var points = Results.Where(r => r.Context == context && r.Policy == policy && r.Snapshot.Items > 0).OrderBy(r => r.Preference).ToArray();
                if (points.Length == 0)
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
