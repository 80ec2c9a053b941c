using System.Diagnostics;
using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Cluster;

/// <summary>One unit of demo work: a rendered image and the text drawn on it.</summary>
/// <param name="Image">The rendered image (one or more lines).</param>
/// <param name="Text">The lines' text joined with spaces, in reading order.</param>
public sealed record OcrItem(OcrImage Image, string Text);

/// <summary>
/// The demo's workload: small pages of one to three rendered lines (known strings), read with
/// the full pipeline (detection, crop, recognition, CTC) through whatever runner is given.
/// </summary>
public sealed class OcrWorkload
{
    private readonly TextRenderer _renderer;
    private readonly Random _random;
    private readonly object _gate = new();

    /// <summary>Creates the workload; the same seed gives the same items.</summary>
    public OcrWorkload(TextRenderer renderer, Random random, int pageWidth = 480, int pageHeight = 160, int maxLines = 2)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        ArgumentNullException.ThrowIfNull(random);
        _renderer = renderer;
        _random = random;
        PageWidth = pageWidth;
        PageHeight = pageHeight;
        MaxLines = Math.Max(1, maxLines);
    }

    /// <summary>Page width in pixels (a multiple of 32 keeps the detector input unscaled).</summary>
    public int PageWidth { get; }

    /// <summary>Page height in pixels.</summary>
    public int PageHeight { get; }

    /// <summary>Most lines drawn on one page (at least one).</summary>
    public int MaxLines { get; }

    /// <summary>Draws the next item.</summary>
    public OcrItem Next()
    {
        lock (_gate)
        {
            var kind = (SampleKind)_random.Next(3);
            var lines = OcrSamples.Lines(_random, _random.Next(1, MaxLines + 1), kind);
            var page = _renderer.RenderPage(lines, PageWidth, PageHeight, _random, minFontSize: 26, maxFontSize: 34);
            if (page.Lines.Count == 0)
            {
                var line = lines[0];
                return new OcrItem(_renderer.RenderLine(line), line);
            }

            return new OcrItem(page.Image, string.Join(" ", page.Lines));
        }
    }

    /// <summary>Reads <paramref name="item"/> with <paramref name="pipeline"/> and records the result in <paramref name="statistics"/>.</summary>
    public static async Task ReadAsync(OcrPipeline pipeline, OcrItem item, DemoStatistics statistics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(statistics);
        var started = Stopwatch.GetTimestamp();
        var lines = await pipeline.ReadAsync(item.Image, cancellationToken).ConfigureAwait(false);
        var text = string.Join(" ", lines.Select(l => l.Text.Text));
        statistics.AddItem(item.Text, text, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
