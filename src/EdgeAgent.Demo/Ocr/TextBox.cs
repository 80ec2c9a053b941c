namespace EdgeAgent.Demo.Ocr;

/// <summary>An axis-aligned text box in image pixels, with the detector's confidence.</summary>
/// <param name="X">Left edge.</param>
/// <param name="Y">Top edge.</param>
/// <param name="Width">Width (positive).</param>
/// <param name="Height">Height (positive).</param>
/// <param name="Score">Mean text probability inside the box (1 for ground truth).</param>
public readonly record struct TextBox(double X, double Y, double Width, double Height, double Score = 1.0)
{
    /// <summary>Area in square pixels.</summary>
    public double Area => Width * Height;

    /// <summary>Intersection over union with <paramref name="other"/>, in [0, 1].</summary>
    public double IntersectionOverUnion(TextBox other)
    {
        var ix = Math.Max(0, Math.Min(X + Width, other.X + other.Width) - Math.Max(X, other.X));
        var iy = Math.Max(0, Math.Min(Y + Height, other.Y + other.Height) - Math.Max(Y, other.Y));
        var intersection = ix * iy;
        var union = Area + other.Area - intersection;
        return union <= 0 ? 0 : intersection / union;
    }
}
