using SkiaSharp;

namespace EdgeAgent.Demo.Ocr;

/// <summary>A rendered page: the image, and each line's text and tight box.</summary>
public sealed record RenderedPage(OcrImage Image, IReadOnlyList<string> Lines, IReadOnlyList<TextBox> Boxes);

/// <summary>
/// Renders text with SkiaSharp as dark text on a light background: single lines for
/// recognition and pages of several lines for detection. Characters the Latin font lacks are
/// drawn with the CJK font when one was given. Rendering is deterministic for a given font,
/// text and seed.
/// </summary>
public sealed class TextRenderer : IDisposable
{
    private readonly SKTypeface _latin;
    private readonly SKTypeface? _cjk;

    /// <summary>Loads the fonts at <paramref name="latinFontPath"/> and, optionally, <paramref name="cjkFontPath"/>.</summary>
    /// <exception cref="InvalidDataException">A font file cannot be loaded.</exception>
    public TextRenderer(string latinFontPath, string? cjkFontPath = null)
    {
        _latin = SKTypeface.FromFile(latinFontPath) ?? throw new InvalidDataException($"The font {latinFontPath} could not be loaded.");
        if (cjkFontPath is not null)
        {
            _cjk = SKTypeface.FromFile(cjkFontPath) ?? throw new InvalidDataException($"The font {cjkFontPath} could not be loaded.");
        }
    }

    /// <summary>True when a CJK font was loaded.</summary>
    public bool HasCjk => _cjk is not null;

    /// <summary>True when every character of <paramref name="text"/> has a glyph in the loaded fonts.</summary>
    public bool CanRender(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value != ' ' && !_latin.ContainsGlyph(rune.Value) && !(_cjk?.ContainsGlyph(rune.Value) ?? false))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Renders one line with <paramref name="padding"/> pixels of margin around the ink.</summary>
    public OcrImage RenderLine(string text, float fontSize = 32, int padding = 8)
    {
        ArgumentException.ThrowIfNullOrEmpty(text);
        var runs = Runs(text, fontSize);
        try
        {
            var width = runs.Sum(r => r.Width);
            var (ascent, descent) = Metrics(runs);
            var imageWidth = (int)Math.Ceiling(width) + (2 * padding);
            var imageHeight = (int)Math.Ceiling(descent - ascent) + (2 * padding);
            return Draw(imageWidth, imageHeight, canvas => DrawRuns(canvas, runs, padding, padding - ascent));
        }
        finally
        {
            foreach (var run in runs)
            {
                run.Font.Dispose();
            }
        }
    }

    /// <summary>
    /// Renders <paramref name="lines"/> on a white page of the given size, one under another at
    /// seeded random left offsets, gaps and font sizes (between <paramref name="minFontSize"/>
    /// and <paramref name="maxFontSize"/>). Lines that do not fit are left out of the page and of
    /// its ground truth.
    /// </summary>
    public RenderedPage RenderPage(IReadOnlyList<string> lines, int width, int height, Random random, float minFontSize = 20, float maxFontSize = 36)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(random);
        var placed = new List<(List<Run> Runs, float X, float Baseline, string Text, TextBox Box)>();
        var y = 12f + random.Next(0, 16);
        foreach (var line in lines)
        {
            var size = minFontSize + ((float)random.NextDouble() * (maxFontSize - minFontSize));
            var runs = Runs(line, size);
            var lineWidth = runs.Sum(r => r.Width);
            var (ascent, descent) = Metrics(runs);
            var lineHeight = descent - ascent;
            if (y + lineHeight > height - 8 || lineWidth > width - 16)
            {
                runs.ForEach(r => r.Font.Dispose());
                continue;
            }

            var x = 8f + (float)(random.NextDouble() * Math.Max(0, width - 16 - lineWidth));
            var baseline = y - ascent;
            var ink = InkBounds(runs, x, baseline);
            placed.Add((runs, x, baseline, line, ink));
            y += lineHeight + (size * (0.6f + (float)random.NextDouble()));
        }

        try
        {
            var image = Draw(width, height, canvas =>
            {
                foreach (var p in placed)
                {
                    DrawRuns(canvas, p.Runs, p.X, p.Baseline);
                }
            });
            return new RenderedPage(image, placed.Select(p => p.Text).ToArray(), placed.Select(p => p.Box).ToArray());
        }
        finally
        {
            foreach (var p in placed)
            {
                p.Runs.ForEach(r => r.Font.Dispose());
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _latin.Dispose();
        _cjk?.Dispose();
    }

    private sealed record Run(string Text, SKFont Font, float Width);

    private List<Run> Runs(string text, float fontSize)
    {
        var runs = new List<Run>();
        var current = new System.Text.StringBuilder();
        SKTypeface? currentFace = null;
        foreach (var rune in text.EnumerateRunes())
        {
            var face = rune.Value == ' ' || _latin.ContainsGlyph(rune.Value) || _cjk is null ? _latin : _cjk;
            if (currentFace is not null && face != currentFace && rune.Value != ' ')
            {
                runs.Add(MakeRun(current.ToString(), currentFace, fontSize));
                current.Clear();
            }

            if (currentFace is null || rune.Value != ' ')
            {
                currentFace = face;
            }

            current.Append(rune.ToString());
        }

        if (current.Length > 0)
        {
            runs.Add(MakeRun(current.ToString(), currentFace ?? _latin, fontSize));
        }

        return runs;
    }

    private static Run MakeRun(string text, SKTypeface face, float size)
    {
        var font = new SKFont(face, size) { Subpixel = true, Edging = SKFontEdging.Antialias };
        return new Run(text, font, font.MeasureText(text));
    }

    private static (float Ascent, float Descent) Metrics(List<Run> runs)
    {
        float ascent = 0, descent = 0;
        foreach (var run in runs)
        {
            var m = run.Font.Metrics;
            ascent = Math.Min(ascent, m.Ascent);
            descent = Math.Max(descent, m.Descent);
        }

        return (ascent, descent);
    }

    private static TextBox InkBounds(List<Run> runs, float x, float baseline)
    {
        float left = float.MaxValue, top = float.MaxValue, right = float.MinValue, bottom = float.MinValue;
        var cursor = x;
        foreach (var run in runs)
        {
            run.Font.MeasureText(run.Text, out var bounds);
            if (!bounds.IsEmpty)
            {
                left = Math.Min(left, cursor + bounds.Left);
                right = Math.Max(right, cursor + bounds.Right);
                top = Math.Min(top, baseline + bounds.Top);
                bottom = Math.Max(bottom, baseline + bounds.Bottom);
            }

            cursor += run.Width;
        }

        return new TextBox(left, top, right - left, bottom - top);
    }

    private static void DrawRuns(SKCanvas canvas, List<Run> runs, float x, float baseline)
    {
        using var paint = new SKPaint { Color = new SKColor(20, 20, 20), IsAntialias = true };
        foreach (var run in runs)
        {
            canvas.DrawText(run.Text, x, baseline, SKTextAlign.Left, run.Font, paint);
            x += run.Width;
        }
    }

    private static OcrImage Draw(int width, int height, Action<SKCanvas> draw)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var bitmap = new SKBitmap(info);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            draw(canvas);
        }

        var rgba = bitmap.GetPixelSpan();
        var rgb = new byte[width * height * 3];
        for (var i = 0; i < width * height; i++)
        {
            rgb[i * 3] = rgba[i * 4];
            rgb[(i * 3) + 1] = rgba[(i * 4) + 1];
            rgb[(i * 3) + 2] = rgba[(i * 4) + 2];
        }

        return new OcrImage(width, height, rgb);
    }
}
