namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// An 8-bit RGB image, row-major, 3 bytes per pixel. The OCR pipeline works on this type so that
/// its pre- and post-processing do not depend on any imaging library.
/// </summary>
public sealed class OcrImage
{
    /// <summary>Wraps <paramref name="rgb"/> (length must be width * height * 3).</summary>
    public OcrImage(int width, int height, byte[] rgb)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(rgb);
        if (rgb.Length != checked(width * height * 3))
        {
            throw new ArgumentException($"An RGB image of {width}x{height} needs {width * height * 3} bytes, got {rgb.Length}.", nameof(rgb));
        }

        Width = width;
        Height = height;
        Rgb = rgb;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Pixels, row-major, R G B per pixel.</summary>
    public byte[] Rgb { get; }

    /// <summary>A white image.</summary>
    public static OcrImage White(int width, int height)
    {
        var rgb = new byte[checked(width * height * 3)];
        Array.Fill(rgb, (byte)255);
        return new OcrImage(width, height, rgb);
    }

    /// <summary>Copies the rectangle [x, x+width) x [y, y+height), clipped to the image.</summary>
    /// <exception cref="ArgumentException">The clipped rectangle is empty.</exception>
    public OcrImage Crop(int x, int y, int width, int height)
    {
        var x0 = Math.Clamp(x, 0, Width);
        var y0 = Math.Clamp(y, 0, Height);
        var x1 = Math.Clamp(x + width, 0, Width);
        var y1 = Math.Clamp(y + height, 0, Height);
        if (x1 <= x0 || y1 <= y0)
        {
            throw new ArgumentException($"The crop ({x},{y},{width}x{height}) does not overlap the {Width}x{Height} image.");
        }

        var w = x1 - x0;
        var h = y1 - y0;
        var rgb = new byte[w * h * 3];
        for (var row = 0; row < h; row++)
        {
            Array.Copy(Rgb, (((y0 + row) * Width) + x0) * 3, rgb, row * w * 3, w * 3);
        }

        return new OcrImage(w, h, rgb);
    }

    /// <summary>The image turned upside down (what the direction classifier's "180" label asks for).</summary>
    public OcrImage Rotate180()
    {
        var rgb = new byte[Rgb.Length];
        var pixels = Width * Height;
        for (var i = 0; i < pixels; i++)
        {
            var j = pixels - 1 - i;
            rgb[j * 3] = Rgb[i * 3];
            rgb[(j * 3) + 1] = Rgb[(i * 3) + 1];
            rgb[(j * 3) + 2] = Rgb[(i * 3) + 2];
        }

        return new OcrImage(Width, Height, rgb);
    }

    /// <summary>Crops the pixels covered by <paramref name="box"/> (rounded outwards).</summary>
    public OcrImage Crop(TextBox box)
    {
        var x0 = (int)Math.Floor(box.X);
        var y0 = (int)Math.Floor(box.Y);
        var x1 = (int)Math.Ceiling(box.X + box.Width);
        var y1 = (int)Math.Ceiling(box.Y + box.Height);
        return Crop(x0, y0, x1 - x0, y1 - y0);
    }

    /// <summary>
    /// Bilinear resize with pixel centres aligned as OpenCV's INTER_LINEAR does, so the models
    /// see what PaddleOCR's own pre-processing would feed them.
    /// </summary>
    public OcrImage Resize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (width == Width && height == Height)
        {
            return new OcrImage(width, height, (byte[])Rgb.Clone());
        }

        var output = new byte[width * height * 3];
        var scaleX = (double)Width / width;
        var scaleY = (double)Height / height;
        var xs0 = new int[width];
        var xs1 = new int[width];
        var xw = new float[width];
        for (var x = 0; x < width; x++)
        {
            var sx = Math.Clamp(((x + 0.5) * scaleX) - 0.5, 0, Width - 1);
            xs0[x] = (int)sx;
            xs1[x] = Math.Min(xs0[x] + 1, Width - 1);
            xw[x] = (float)(sx - xs0[x]);
        }

        for (var y = 0; y < height; y++)
        {
            var sy = Math.Clamp(((y + 0.5) * scaleY) - 0.5, 0, Height - 1);
            var y0 = (int)sy;
            var y1 = Math.Min(y0 + 1, Height - 1);
            var wy = (float)(sy - y0);
            var row0 = y0 * Width * 3;
            var row1 = y1 * Width * 3;
            var outRow = y * width * 3;
            for (var x = 0; x < width; x++)
            {
                var a = row0 + (xs0[x] * 3);
                var b = row0 + (xs1[x] * 3);
                var c = row1 + (xs0[x] * 3);
                var d = row1 + (xs1[x] * 3);
                var wx = xw[x];
                for (var ch = 0; ch < 3; ch++)
                {
                    var top = Rgb[a + ch] + ((Rgb[b + ch] - Rgb[a + ch]) * wx);
                    var bottom = Rgb[c + ch] + ((Rgb[d + ch] - Rgb[c + ch]) * wx);
                    output[outRow + (x * 3) + ch] = (byte)Math.Clamp((int)MathF.Round(top + ((bottom - top) * wy)), 0, 255);
                }
            }
        }

        return new OcrImage(width, height, output);
    }
}
