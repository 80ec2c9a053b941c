namespace EdgeAgent.Demo.Ocr;

/// <summary>Settings of <see cref="DbPostprocessor"/>; defaults are PaddleOCR's (det_db_*).</summary>
public sealed record DbPostprocessOptions
{
    /// <summary>Probability above which a pixel is text (det_db_thresh).</summary>
    public float Threshold { get; init; } = 0.3f;

    /// <summary>Minimum mean probability inside a box to keep it (det_db_box_thresh).</summary>
    public float BoxThreshold { get; init; } = 0.6f;

    /// <summary>How far a box grows: area * ratio / perimeter pixels on each side (det_db_unclip_ratio).</summary>
    public double UnclipRatio { get; init; } = 1.5;

    /// <summary>Boxes whose shorter side is below this (in map pixels) are dropped.</summary>
    public int MinSize { get; init; } = 3;

    /// <summary>At most this many components are considered.</summary>
    public int MaxCandidates { get; init; } = 1000;
}

/// <summary>
/// Differentiable Binarisation post-processing: threshold the probability map, find connected
/// text regions, score each by its mean probability, grow ("unclip") each by
/// area * ratio / perimeter as PaddleOCR's polygon offset does, and scale to source pixels.
/// Boxes are axis-aligned (minimum-area rectangles of horizontal text are axis-aligned).
/// </summary>
public static class DbPostprocessor
{
    /// <summary>Boxes from the detector's output [1, 1, H, W] in the coordinates of the source image.</summary>
    public static IReadOnlyList<TextBox> Boxes(OcrTensor probabilities, int sourceWidth, int sourceHeight, DbPostprocessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(probabilities);
        var shape = probabilities.Shape;
        if (shape.Length != 4 || shape[0] != 1 || shape[1] != 1)
        {
            throw new ArgumentException($"The detection output must have shape [1,1,H,W], got {probabilities}.", nameof(probabilities));
        }

        return Boxes(probabilities.Data, shape[3], shape[2], sourceWidth, sourceHeight, options);
    }

    /// <summary>Boxes from a probability map of <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static IReadOnlyList<TextBox> Boxes(ReadOnlySpan<float> map, int width, int height, int sourceWidth, int sourceHeight, DbPostprocessOptions? options = null)
    {
        options ??= new DbPostprocessOptions();
        if (map.Length != width * height)
        {
            throw new ArgumentException($"A {width}x{height} map needs {width * height} values, got {map.Length}.", nameof(map));
        }

        var labels = new int[map.Length];
        var stack = new Stack<int>();
        var boxes = new List<TextBox>();
        var components = 0;
        for (var start = 0; start < map.Length && components < options.MaxCandidates; start++)
        {
            if (labels[start] != 0 || !(map[start] > options.Threshold))
            {
                continue;
            }

            components++;
            int minX = int.MaxValue, minY = int.MaxValue, maxX = -1, maxY = -1;
            labels[start] = components;
            stack.Push(start);
            while (stack.Count > 0)
            {
                var p = stack.Pop();
                var px = p % width;
                var py = p / width;
                minX = Math.Min(minX, px);
                maxX = Math.Max(maxX, px);
                minY = Math.Min(minY, py);
                maxY = Math.Max(maxY, py);
                for (var dy = -1; dy <= 1; dy++)
                {
                    var ny = py + dy;
                    if ((uint)ny >= (uint)height)
                    {
                        continue;
                    }

                    for (var dx = -1; dx <= 1; dx++)
                    {
                        var nx = px + dx;
                        if ((uint)nx >= (uint)width)
                        {
                            continue;
                        }

                        var q = (ny * width) + nx;
                        if (labels[q] == 0 && map[q] > options.Threshold)
                        {
                            labels[q] = components;
                            stack.Push(q);
                        }
                    }
                }
            }

            var w = maxX - minX + 1;
            var h = maxY - minY + 1;
            if (Math.Min(w, h) < options.MinSize)
            {
                continue;
            }

            // PaddleOCR's box_score_fast: mean probability over the box.
            double sum = 0;
            for (var y = minY; y <= maxY; y++)
            {
                for (var x = minX; x <= maxX; x++)
                {
                    sum += map[(y * width) + x];
                }
            }

            var score = sum / (w * h);
            if (score < options.BoxThreshold)
            {
                continue;
            }

            var distance = w * h * options.UnclipRatio / (2.0 * (w + h));
            var ux0 = minX - distance;
            var uy0 = minY - distance;
            var uw = w + (2 * distance);
            var uh = h + (2 * distance);
            if (Math.Min(uw, uh) < options.MinSize + 2)
            {
                continue;
            }

            var sx = (double)sourceWidth / width;
            var sy = (double)sourceHeight / height;
            var x0 = Math.Clamp(Math.Round(ux0 * sx), 0, sourceWidth);
            var y0 = Math.Clamp(Math.Round(uy0 * sy), 0, sourceHeight);
            var x1 = Math.Clamp(Math.Round((ux0 + uw) * sx), 0, sourceWidth);
            var y1 = Math.Clamp(Math.Round((uy0 + uh) * sy), 0, sourceHeight);
            if (x1 - x0 < 1 || y1 - y0 < 1)
            {
                continue;
            }

            boxes.Add(new TextBox(x0, y0, x1 - x0, y1 - y0, score));
        }

        // Reading order as PaddleOCR's sorted_boxes: by top edge, then boxes on the same line
        // (tops within 10 pixels) left to right.
        boxes.Sort(static (a, b) => a.Y != b.Y ? a.Y.CompareTo(b.Y) : a.X.CompareTo(b.X));
        for (var i = 0; i < boxes.Count - 1; i++)
        {
            for (var j = i; j >= 0 && Math.Abs(boxes[j + 1].Y - boxes[j].Y) < 10 && boxes[j + 1].X < boxes[j].X; j--)
            {
                (boxes[j], boxes[j + 1]) = (boxes[j + 1], boxes[j]);
            }
        }

        return boxes;
    }
}
