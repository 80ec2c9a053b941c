namespace EdgeAgent.ModelTools.Quantization;

/// <summary>The mixed-precision search's accuracy-latency plot (quantize-search.png), drawn with ScottPlot.</summary>
public static class SearchPlot
{
    /// <summary>Output cosine against p50 latency for every model, the front as a line, saved as a 900x600 PNG.</summary>
    public static void SavePng(IReadOnlyList<SearchPoint> points, string path)
    {
        ArgumentNullException.ThrowIfNull(points);
        var plot = new ScottPlot.Plot();
        var front = points.Where(p => p.OnFront).OrderBy(p => p.Latency.P50).ToList();
        if (front.Count > 1)
        {
            var line = plot.Add.ScatterLine(front.Select(p => p.Latency.P50).ToArray(), front.Select(p => p.OutputCosine).ToArray());
            line.LegendText = "front";
        }

        var all = plot.Add.ScatterPoints(points.Select(p => p.Latency.P50).ToArray(), points.Select(p => p.OutputCosine).ToArray());
        all.LegendText = "variants";
        all.MarkerSize = 9;
        foreach (var p in points)
        {
            var label = plot.Add.Text(p.Variant, p.Latency.P50, p.OutputCosine);
            label.LabelFontSize = 11;
        }

        plot.Title("Accuracy against latency");
        plot.XLabel("latency p50 (ms)");
        plot.YLabel("output cosine vs fp32");
        plot.ShowLegend();
        plot.SavePng(path, 900, 600);
    }
}
