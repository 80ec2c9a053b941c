using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeAgent.Core.Pareto;
using EdgeAgent.Demo.Cluster;

namespace EdgeAgent.Demo.Live;

/// <summary>One `eval live` sweep as the comparison reads it: its live (mean delay s, mean energy J per request) point per preference.</summary>
/// <param name="Label">Where it came from (the report's directory).</param>
/// <param name="Policy">The policy and its file, as the report names them.</param>
/// <param name="Points">(w_delay, live point) of every preference with requests.</param>
/// <param name="Predicted">(w_delay, the simulator's predicted point) of the same preferences, where the report has one (empty when not).</param>
public sealed record LiveSweep(string Label, string Policy, IReadOnlyList<(double Preference, ObjectivePoint Point)> Points, IReadOnlyList<(double Preference, ObjectivePoint Point)>? Predicted = null)
{
    /// <summary>
    /// Reads <c>report.json</c> of an `eval live` report directory (or the file itself): the live
    /// mean delay and energy per request of each preference that had requests.
    /// </summary>
    /// <exception cref="ArgumentException">Missing or unreadable report (one line).</exception>
    public static LiveSweep Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var file = File.Exists(path) && !Directory.Exists(path) ? path : Path.Combine(path, "report.json");
        if (!File.Exists(file))
        {
            throw new ArgumentException($"{file} does not exist (give an `eval live --report` directory).");
        }

        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            var root = doc.RootElement;
            var policy = root.GetProperty("policy").GetString() ?? "";
            if (root.TryGetProperty("policy_file", out var pf) && pf.ValueKind == JsonValueKind.String)
            {
                policy += " (" + Path.GetFileName(pf.GetString()) + ")";
            }

            var points = new List<(double, ObjectivePoint)>();
            var predicted = new List<(double, ObjectivePoint)>();
            foreach (var p in root.GetProperty("points").EnumerateArray())
            {
                var live = p.GetProperty("live");
                if (live.GetProperty("requests").GetInt32() > 0)
                {
                    var w = p.GetProperty("preference").GetDouble();
                    points.Add((w, new ObjectivePoint(live.GetProperty("delay_seconds").GetDouble(), live.GetProperty("energy_joules").GetDouble())));
                    if (p.TryGetProperty("predicted", out var sim) && sim.ValueKind == JsonValueKind.Object
                        && sim.GetProperty("delay_seconds").GetDouble() is var d && sim.GetProperty("energy_joules").GetDouble() is var e && double.IsFinite(d) && double.IsFinite(e))
                    {
                        predicted.Add((w, new ObjectivePoint(d, e)));
                    }
                }
            }

            return new LiveSweep(Path.GetFileName(Path.GetDirectoryName(Path.GetFullPath(file))) ?? file, policy, points, predicted.Count == points.Count ? predicted : []);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"{file}: not an `eval live` report ({ex.Message}).", ex);
        }
    }
}

/// <summary>What <see cref="LiveComparison.Compare"/> found.</summary>
public sealed record LiveComparisonResult
{
    /// <summary>The one reference point of every sweep's hypervolume: 1.1 x the worst live mean delay and energy over all sweeps of both groups.</summary>
    public ObjectivePoint Reference { get; init; }

    /// <summary>Whether <see cref="Reference"/> was given (fixed before the sweeps) rather than taken from them.</summary>
    public bool ReferenceGiven { get; init; }

    /// <summary>Live points of all sweeps not strictly better than <see cref="Reference"/> (they add no hypervolume; 0 when it is taken from the sweeps).</summary>
    public int PointsBeyondReference { get; init; }

    /// <summary>Hypervolume of each baseline sweep's live points under <see cref="Reference"/>.</summary>
    public IReadOnlyList<double> Baseline { get; init; } = [];

    /// <summary>Hypervolume of each candidate sweep's live points under <see cref="Reference"/>.</summary>
    public IReadOnlyList<double> Candidate { get; init; } = [];

    /// <summary>Mean candidate hypervolume / mean baseline hypervolume.</summary>
    public double Ratio { get; init; }

    /// <summary>2.5 % quantile of the bootstrap's ratios (NaN with one sweep per group).</summary>
    public double Low { get; init; }

    /// <summary>97.5 % quantile of the bootstrap's ratios.</summary>
    public double High { get; init; }

    /// <summary>Share of resamples with the ratio above 1.</summary>
    public double ShareAboveOne { get; init; }

    /// <summary>True when the sweeps were resampled in pairs (the i-th baseline with the i-th candidate: equal counts, run interleaved).</summary>
    public bool Paired { get; init; }

    /// <summary>Bootstrap resamples drawn.</summary>
    public int Resamples { get; init; }

    /// <summary>"Beyond noise": the interval's lower end above 1.</summary>
    public bool CandidateBeyondNoise => Low > 1;

    /// <summary>
    /// What the simulator expected of the same comparison: the mean hypervolume of the candidate
    /// sweeps' predicted points over the baseline sweeps' (each report's own prediction, under
    /// <see cref="Reference"/> too); NaN when a sweep's report has no prediction.
    /// </summary>
    public double PredictedRatio { get; init; } = double.NaN;
}

/// <summary>
/// `edgeagent eval live-compare`: several `eval live` sweeps of two policies (a baseline, e.g. the
/// generic policy, and a candidate, e.g. one fine-tuned for the deployment), each sweep's live
/// hypervolume under one common reference point, and the ratio of the mean hypervolumes with a
/// bootstrap interval over the sweeps (whole sweeps resampled; in pairs when the counts are equal,
/// so drift of the machine between interleaved pairs falls on both policies alike).
/// </summary>
public static class LiveComparison
{
    /// <summary>
    /// Compares <paramref name="baseline"/>'s sweeps with <paramref name="candidate"/>'s under
    /// <paramref name="reference"/> when given (fixed before the sweeps, e.g. in a verdict rule), else
    /// under 1.1 x the worst live mean delay and energy of all sweeps.
    /// </summary>
    /// <exception cref="ArgumentException">A group is empty, a sweep has no live point, or the given reference is not positive.</exception>
    public static LiveComparisonResult Compare(IReadOnlyList<LiveSweep> baseline, IReadOnlyList<LiveSweep> candidate, int resamples = 10_000, int seed = 1, bool paired = true, ObjectivePoint? reference = null)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        if (baseline.Count == 0 || candidate.Count == 0)
        {
            throw new ArgumentException("give at least one sweep of each policy.");
        }

        if (baseline.Concat(candidate).FirstOrDefault(s => s.Points.Count == 0) is { } empty)
        {
            throw new ArgumentException($"sweep {empty.Label} has no preference with requests.");
        }

        var all = baseline.Concat(candidate).SelectMany(s => s.Points).Select(p => p.Point).ToArray();
        var given = reference is not null;
        var refPoint = reference ?? new ObjectivePoint(1.1 * all.Max(p => p.Delay), 1.1 * all.Max(p => p.Energy));
        if (!(refPoint.Delay > 0 && refPoint.Energy > 0 && double.IsFinite(refPoint.Delay) && double.IsFinite(refPoint.Energy)))
        {
            throw new ArgumentException($"the reference point must be positive and finite, got ({refPoint.Delay} s, {refPoint.Energy} J).");
        }

        var beyond = all.Count(p => !p.StrictlyBetterThan(refPoint));
        var b = baseline.Select(s => Hypervolume.Compute(s.Points.Select(p => p.Point), refPoint)).ToArray();
        var c = candidate.Select(s => Hypervolume.Compute(s.Points.Select(p => p.Point), refPoint)).ToArray();
        var pairs = paired && b.Length == c.Length;
        var ratios = new List<double>(resamples);
        if (b.Length + c.Length > 2)
        {
            var random = new Random(seed);
            for (var r = 0; r < resamples; r++)
            {
                double sb = 0, sc = 0;
                if (pairs)
                {
                    for (var i = 0; i < b.Length; i++)
                    {
                        var k = random.Next(b.Length);
                        sb += b[k];
                        sc += c[k];
                    }
                }
                else
                {
                    for (var i = 0; i < b.Length; i++)
                    {
                        sb += b[random.Next(b.Length)];
                    }

                    for (var i = 0; i < c.Length; i++)
                    {
                        sc += c[random.Next(c.Length)];
                    }
                }

                if (sb > 0)
                {
                    ratios.Add(sc / c.Length / (sb / b.Length));
                }
            }
        }

        var predictedRatio = double.NaN;
        if (baseline.Concat(candidate).All(s => s.Predicted is { Count: > 0 }))
        {
            var pb = baseline.Average(s => Hypervolume.Compute(s.Predicted!.Select(p => p.Point), refPoint));
            var pc = candidate.Average(s => Hypervolume.Compute(s.Predicted!.Select(p => p.Point), refPoint));
            predictedRatio = pb > 0 ? pc / pb : double.NaN;
        }

        return new LiveComparisonResult
        {
            PredictedRatio = predictedRatio,
            Reference = refPoint,
            ReferenceGiven = given,
            PointsBeyondReference = beyond,
            Baseline = b,
            Candidate = c,
            Ratio = b.Average() > 0 ? c.Average() / b.Average() : double.NaN,
            Low = ratios.Count > 0 ? Percentiles.Of(ratios, 2.5) : double.NaN,
            High = ratios.Count > 0 ? Percentiles.Of(ratios, 97.5) : double.NaN,
            ShareAboveOne = ratios.Count > 0 ? ratios.Count(x => x > 1) / (double)ratios.Count : double.NaN,
            Paired = pairs,
            Resamples = ratios.Count,
        };
    }

    /// <summary>Writes a PNG of every sweep's live points (baseline filled, candidate open; each sweep's points joined in preference order).</summary>
    public static void Plot(IReadOnlyList<LiveSweep> baseline, IReadOnlyList<LiveSweep> candidate, LiveComparisonResult result, string path)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(result);
        var plot = new ScottPlot.Plot();
        var groups = new[] { (Sweeps: baseline, Name: "baseline", Color: ScottPlot.Colors.OrangeRed, Open: false), (Sweeps: candidate, Name: "candidate", Color: ScottPlot.Colors.RoyalBlue, Open: true) };
        foreach (var (sweeps, name, color, open) in groups)
        {
            for (var i = 0; i < sweeps.Count; i++)
            {
                var points = sweeps[i].Points.OrderBy(p => p.Preference).ToArray();
                var scatter = plot.Add.Scatter(points.Select(p => p.Point.Delay * 1000).ToArray(), points.Select(p => p.Point.Energy).ToArray());
                scatter.Color = color.WithAlpha(0.8);
                scatter.LineWidth = 1;
                scatter.MarkerSize = 7;
                scatter.MarkerShape = open ? ScottPlot.MarkerShape.OpenCircle : ScottPlot.MarkerShape.FilledCircle;
                scatter.LegendText = i == 0 ? string.Create(CultureInfo.InvariantCulture, $"{name}: {sweeps[i].Policy}") : "";
            }
        }

        var interval = double.IsNaN(result.Low) ? "" : string.Create(CultureInfo.InvariantCulture, $" (95 % {result.Low:0.000}-{result.High:0.000})");
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"live fronts, {baseline.Count} + {candidate.Count} sweeps: candidate / baseline HV {result.Ratio:0.000}") + interval);
        plot.XLabel("mean delay per request (ms)");
        plot.YLabel("mean device energy per request (J)");
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        plot.SavePng(path, 1000, 640);
    }

    /// <summary>The table printed: each sweep's hypervolume and policy, then the ratio and its interval.</summary>
    public static string Format(IReadOnlyList<LiveSweep> baseline, IReadOnlyList<LiveSweep> candidate, LiveComparisonResult result)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(result);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"live hypervolume of each sweep's (mean delay s, mean energy J per request) points under one reference point ({result.Reference.Delay:0.####} s, {result.Reference.Energy:0.####} J: {(result.ReferenceGiven ? string.Create(inv, $"given; {result.PointsBeyondReference} point(s) of the sweeps not inside it add nothing") : "1.1 x the worst of all sweeps")})");
        sb.AppendLine();
        sb.AppendLine("| group | sweep | policy | preferences | HV |");
        sb.AppendLine("|---|---|---|---|---|");
        for (var i = 0; i < baseline.Count; i++)
        {
            sb.AppendLine(inv, $"| baseline | {baseline[i].Label} | {baseline[i].Policy} | {baseline[i].Points.Count} | {result.Baseline[i]:0.######} |");
        }

        for (var i = 0; i < candidate.Count; i++)
        {
            sb.AppendLine(inv, $"| candidate | {candidate[i].Label} | {candidate[i].Policy} | {candidate[i].Points.Count} | {result.Candidate[i]:0.######} |");
        }

        sb.AppendLine();
        sb.Append(inv, $"candidate / baseline (mean HV): {result.Ratio:0.0000}");
        if (double.IsNaN(result.Low))
        {
            sb.AppendLine(" (one sweep each: no interval)");
        }
        else
        {
            sb.AppendLine(inv, $"; bootstrap over the sweeps ({result.Resamples} resamples, {(result.Paired ? "in pairs: i-th baseline with i-th candidate" : "each group on its own")}, reference fixed): 95 % interval {result.Low:0.0000}-{result.High:0.0000}, ratio > 1 in {100 * result.ShareAboveOne:0.#} % of resamples");
            sb.AppendLine(result.CandidateBeyondNoise ? "candidate beyond noise (interval's lower end above 1)"
                : result.High < 1 ? "candidate worse beyond noise (interval's upper end below 1)"
                : "not decided: the interval holds 1");
        }

        if (double.IsFinite(result.PredictedRatio))
        {
            sb.AppendLine(inv, $"the simulator's prediction in each sweep's report, under the same reference point: candidate / baseline (mean HV) {result.PredictedRatio:0.0000}");
        }

        return sb.ToString();
    }
}
