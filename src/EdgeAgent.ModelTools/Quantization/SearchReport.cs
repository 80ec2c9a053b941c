using System.Globalization;
using System.Text;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>The mixed-precision search's report (quantize-search.md).</summary>
public static class SearchReport
{
    /// <summary>The table of every model (fastest first) and the most sensitive blocks, as Markdown.</summary>
    public static string Markdown(SearchMeasurement measured)
    {
        ArgumentNullException.ThrowIfNull(measured);
        var (modelPath, dataset, search, points, ordered) = (measured.ModelPath, measured.Dataset, measured.Options, measured.Points, measured.Sensitivities);
        var text = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        text.AppendLine(inv, $"# Mixed-precision search: {Path.GetFileName(modelPath)}");
        text.AppendLine();
        text.AppendLine(inv, $"Calibration and evaluation data: {dataset}. Latency: {search.TimingRuns} runs per model, round-robin, intra-op threads {(search.IntraOpThreads == 0 ? "ORT default" : search.IntraOpThreads.ToString(inv))}. Max drop: {search.MaxDrop}.");
        text.AppendLine();
        text.AppendLine("| variant | float blocks | p50 ms | p95 ms | speed-up vs fp32 | output cosine | task metric | on front | written |");
        text.AppendLine("|---|---|---|---|---|---|---|---|---|");
        double fp32 = points.First(p => p.Variant == "fp32").Latency.P50;
        foreach (var p in points.OrderBy(p => p.Latency.P50))
        {
            string task = p.Task is { } t ? string.Create(inv, $"{t.Metric} {t.Value:F4} ({t.Dataset})") : (p.Variant == "fp32" ? "reference" : "-");
            text.AppendLine(inv, $"| {p.Variant} | {(p.Variant == "fp32" ? "all" : p.FloatBlocks.ToString(inv))} | {p.Latency.P50:F2} | {p.Latency.P95:F2} | {fp32 / p.Latency.P50:F2}x | {p.OutputCosine:F6} | {task} | {(p.OnFront ? "yes" : "no")} | {(p.Written ? Path.GetFileName(p.Path) : "no (drop too large)")} |");
        }

        text.AppendLine();
        text.AppendLine("Most sensitive blocks (quantized alone; error = 1 - cosine of the model output against float):");
        text.AppendLine();
        text.AppendLine("| rank | block | nodes | error |");
        text.AppendLine("|---|---|---|---|");
        for (int i = 0; i < Math.Min(15, ordered.Count); i++)
        {
            text.AppendLine(inv, $"| {i + 1} | {ordered[i].Block} | {ordered[i].Nodes.Count} | {ordered[i].Error:E3} |");
        }

        return text.ToString();
    }
}
