using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>Writes an <see cref="EvaluationReport"/> as JSON, Markdown and a PNG plot of the fronts.</summary>
public static class ReportWriter
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes report.json, report.md and fronts.png into <paramref name="directory"/> (created if missing); returns the paths.</summary>
    public static IReadOnlyList<string> Write(EvaluationReport report, string directory)
    {
        ArgumentNullException.ThrowIfNull(report);
        Directory.CreateDirectory(directory);
        var json = Path.Combine(directory, "report.json");
        var md = Path.Combine(directory, "report.md");
        var png = Path.Combine(directory, "fronts.png");
        File.WriteAllText(json, JsonSerializer.Serialize(report, Json));
        File.WriteAllText(md, Markdown(report));
        Plot(report, png);
        return [json, md, png];
    }

    /// <summary>The Markdown summary table and settings.</summary>
    public static string Markdown(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# Front evaluation");
        sb.AppendLine();
        sb.AppendLine(inv, $"- profile `{report.Profile}`, contexts {report.Contexts}, {report.Episodes} episodes per point, seed {report.Seed}");
        sb.AppendLine(inv, $"- preferences: {report.UniformPreferences} uniform + {report.BendPreferences} bend points (w_delay >= 0.9); common random numbers across methods and preferences");
        sb.AppendLine(report.Profile != Simulation.Agent.AgentVecEnv.ProfileName
            ? "- objectives: mean total episode delay (s) and energy (J), actual completion times (servers drained after the last decision)"
            : report.RewardUnits == "item"
                ? "- objectives: mean total episode delay and device energy in the rewards' item units: per task, delay / T and energy / (T p(m)) (T: the mix's mean fp32 device time per task, p(m): the device's fp32 power on the task's model, so seconds and joules of every model weigh alike), summed over the episode's decisions; exact completion times"
                : "- objectives: mean total episode delay and device energy in the rewards' units: per task, delay / t_ref and energy / e_ref of its model (t_ref, e_ref: expected time and energy on the idle device's fp32 variant, so local on an idle device costs 1 and 1), summed over the episode's decisions; exact completion times");
        var (ds, es) = report.Profile == Simulation.Agent.AgentVecEnv.ProfileName ? ("", "") : (" s", " J");
        sb.AppendLine(inv, $"- hypervolume reference point (componentwise worst over all compared methods): delay {report.ReferencePoint.Delay:0.###}{ds}, energy {report.ReferencePoint.Energy:0.#####}{es}; ideal point: delay {report.IdealPoint.Delay:0.###}{ds}, energy {report.IdealPoint.Energy:0.#####}{es}");
        sb.AppendLine(inv, $"- HV: uniform-grid points (plus preference-independent points); HV(all): also bend points; ratios vs `{report.RatioBase}`; normalised HV: objectives scaled to [0,1] between ideal and worst, reference (1.1, 1.1), max 1.21; EU: expected utility over the uniform grid (max 1)");
        if (report.RolloutGapClosed is { } closed)
        {
            sb.AppendLine(inv, $"- share of the greedy-to-rollout gap closed by `{report.RatioBase}` at the sparse preferences: {closed:P1}");
        }

        if (report.VersusUpperBound is { } vu)
        {
            var ratio = report.UpperBoundRatio is { } r ? r.ToString("0.0000", inv) : "n/a (the subject lacks some of its preferences)";
            sb.AppendLine(inv, $"- multi-policy upper bound ({vu.Preferences} fixed-preference policies, each at its own preference): HV of `{report.RatioBase}` at those preferences / HV of the upper bound = {ratio}; scalarised cost of `{report.RatioBase}` minus the upper bound's: mean {vu.MeanDifference:+0.00000;-0.00000} (worse at {vu.WorseBeyondNoise}, better at {vu.BetterBeyondNoise} beyond 2 SE)");
            if (report.UpperBoundUnionRatio is { } union)
            {
                sb.AppendLine(inv, $"- strengthened upper bound (the union of those policies' points and every other evaluated method's points at the same preferences, preference-independent points included): HV of `{report.RatioBase}` at those preferences / HV of the union = {union:0.0000}");
            }
        }

        sb.AppendLine();
        var heuristic = report.Summaries.Any(s => s.VersusHeuristic is not null);
        sb.AppendLine(heuristic
            ? "| method | points | HV | HV ratio | HV(all) | normalised HV | EU | vs greedy: mean diff (worse/better beyond 2 SE) | vs heuristic: mean diff (worse/better beyond 2 SE) | us/decision |"
            : "| method | points | HV | HV ratio | HV(all) | normalised HV | EU | vs greedy: mean diff (worse/better beyond 2 SE) | us/decision |");
        sb.AppendLine(heuristic ? "|---|---|---|---|---|---|---|---|---|---|" : "|---|---|---|---|---|---|---|---|---|");
        static string Versus(GreedyComparison? c) => c is { } v
            ? string.Create(CultureInfo.InvariantCulture, $"{v.MeanDifference:+0.00000;-0.00000;0} ({v.WorseBeyondNoise}/{v.BetterBeyondNoise} of {v.Preferences})")
            : "-";
        foreach (var s in report.Summaries)
        {
            var vs = Versus(s.VersusGreedy) + (heuristic ? " | " + Versus(s.VersusHeuristic) : "");
            sb.AppendLine(inv, $"| {s.Name} | {s.Points} | {s.Hypervolume:0.####} | {s.HypervolumeRatio:0.0000} | {s.HypervolumeAllPoints:0.####} | {s.NormalisedHypervolume:0.0000} | {s.ExpectedUtility:0.0000} | {vs} | {s.DecisionMicroseconds:0.##} |");
        }

        if (heuristic)
        {
            sb.AppendLine();
            sb.AppendLine("Against the heuristic in the rewards' own scalarisation (w alpha_T delay + (1 - w) alpha_E energy per episode, as a share of the heuristic's mean at that preference; the trade-off a preference means to the simulator's rewards and the trained policy, independent of which methods are compared):");
            sb.AppendLine();
            sb.AppendLine("| method | vs heuristic, rewards' units: mean relative diff (worse/better beyond 2 SE) | worse at w_delay |");
            sb.AppendLine("|---|---|---|");
            foreach (var s in report.Summaries.Where(s => s.VersusHeuristicRewardUnits is not null))
            {
                var v = s.VersusHeuristicRewardUnits!;
                var worseAt = string.Join(", ", v.PerPreference.Where(r => r[1] > 2 * r[2] && r[1] > 1e-12).Select(r => r[0].ToString("0.###", inv)));
                sb.AppendLine(inv, $"| {s.Name} | {v.MeanDifference:+0.00000;-0.00000;0} ({v.WorseBeyondNoise}/{v.BetterBeyondNoise} of {v.Preferences}) | {(worseAt.Length == 0 ? "-" : worseAt)} |");
            }

            sb.AppendLine();
            sb.AppendLine("Worse than the heuristic beyond 2 SE in the normalised scalarisation, at w_delay:");
            sb.AppendLine();
            foreach (var s in report.Summaries.Where(s => s.VersusHeuristic is not null))
            {
                var worseAt = string.Join(", ", s.VersusHeuristic!.PerPreference.Where(r => r[1] > 2 * r[2] && r[1] > 1e-12).Select(r => r[0].ToString("0.###", inv)));
                sb.AppendLine(inv, $"- {s.Name}: {(worseAt.Length == 0 ? "none" : worseAt)}");
            }
        }

        sb.AppendLine();
        sb.AppendLine("## Points (mean delay s, mean energy J)");
        foreach (var m in report.Methods)
        {
            sb.AppendLine();
            sb.AppendLine(inv, $"### {m.Name}");
            sb.AppendLine("| variant | w_delay | delay (s) | +- SE | energy (J) | +- SE |");
            sb.AppendLine("|---|---|---|---|---|---|");
            foreach (var p in m.Points)
            {
                var w = p.DelayWeight is { } x ? x.ToString("0.####", inv) : "-";
                sb.AppendLine(inv, $"| {p.Variant} | {w} | {p.MeanDelay:0.###} | {p.DelayStdError:0.###} | {p.MeanEnergy:0.#####} | {p.EnergyStdError:0.#####} |");
            }
        }

        return sb.ToString();
    }

    private static void Plot(EvaluationReport report, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (var m in report.Methods)
        {
            var xs = m.Points.Select(p => p.MeanDelay).ToArray();
            var ys = m.Points.Select(p => p.MeanEnergy).ToArray();
            var sp = plot.Add.ScatterPoints(xs, ys);
            sp.LegendText = m.Name;
            sp.MarkerSize = m.IsSubject ? 7 : 5;
        }

        var rp = plot.Add.ScatterPoints(new[] { report.ReferencePoint.Delay }, new[] { report.ReferencePoint.Energy });
        rp.LegendText = "HV reference";
        rp.MarkerShape = ScottPlot.MarkerShape.Cross;
        rp.MarkerSize = 10;
        var agent = report.Profile == Simulation.Agent.AgentVecEnv.ProfileName;
        var item = report.RewardUnits == "item";
        plot.XLabel(!agent ? "mean total episode delay (s)" : item ? "mean total episode delay cost (delay / T per task)" : "mean total episode delay cost (delay / t_ref per task)");
        plot.YLabel(!agent ? "mean total episode energy (J)" : item ? "mean total episode energy cost (energy / (T p) per task)" : "mean total episode energy cost (energy / e_ref per task)");
        plot.Title(string.Create(CultureInfo.InvariantCulture, $"{report.Profile}: {report.Contexts}, {report.Episodes} episodes/point"));
        plot.ShowLegend();
        plot.SavePng(path, 1100, 750);
    }
}
