namespace EdgeAgent.Demo.Ocr;

/// <summary>A detection input and how it maps back to the source image.</summary>
/// <param name="Tensor">Input of the detector, [1, 3, H, W], H and W multiples of 32.</param>
/// <param name="SourceWidth">Width of the image the boxes refer to.</param>
/// <param name="SourceHeight">Height of the image the boxes refer to.</param>
public sealed record DetectionInput(OcrTensor Tensor, int SourceWidth, int SourceHeight);

/// <summary>
/// PaddleOCR's detection pre-processing (DetResizeForTest with limit type "max", then
/// NormalizeImage and ToCHWImage): the image is scaled so that its longer side is at most the
/// limit, each side rounded to a multiple of 32 (at least 32), and normalised with the ImageNet
/// mean and standard deviation in the channel order PaddleOCR feeds (BGR, as OpenCV reads images).
/// </summary>
public static class DetectionPreprocessor
{
    /// <summary>Mean per channel, in PaddleOCR's (BGR-fed) order.</summary>
    public static ReadOnlySpan<float> Mean => [0.485f, 0.456f, 0.406f];

    /// <summary>Standard deviation per channel, in PaddleOCR's order.</summary>
    public static ReadOnlySpan<float> Std => [0.229f, 0.224f, 0.225f];

    /// <summary>PaddleOCR's default limit of the longer side.</summary>
    public const int DefaultLimitSideLength = 960;

    /// <summary>The size the detector sees for a source of <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static (int Width, int Height) TargetSize(int width, int height, int limitSideLength = DefaultLimitSideLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limitSideLength, 32);
        var ratio = Math.Max(width, height) > limitSideLength ? (double)limitSideLength / Math.Max(width, height) : 1.0;
        var h = Math.Max((int)Math.Round(height * ratio / 32) * 32, 32);
        var w = Math.Max((int)Math.Round(width * ratio / 32) * 32, 32);
        return (w, h);
    }

    /// <summary>Builds the detector input for <paramref name="image"/>.</summary>
    public static DetectionInput Prepare(OcrImage image, int limitSideLength = DefaultLimitSideLength)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (w, h) = TargetSize(image.Width, image.Height, limitSideLength);
        var resized = image.Width == w && image.Height == h ? image : image.Resize(w, h);
        return new DetectionInput(new OcrTensor(Normalise(resized), [1, 3, h, w]), image.Width, image.Height);
    }

    /// <summary>CHW float planes (B, G, R) normalised with <see cref="Mean"/> and <see cref="Std"/>.</summary>
    public static float[] Normalise(OcrImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var plane = image.Width * image.Height;
        var data = new float[3 * plane];
        var rgb = image.Rgb;
        Span<float> scale = stackalloc float[3];
        Span<float> offset = stackalloc float[3];
        for (var c = 0; c < 3; c++)
        {
            scale[c] = 1f / (255f * Std[c]);
            offset[c] = Mean[c] / Std[c];
        }

        for (var i = 0; i < plane; i++)
        {
            // Plane 0 is blue: PaddleOCR normalises the BGR array OpenCV returns.
            data[i] = (rgb[(i * 3) + 2] * scale[0]) - offset[0];
            data[plane + i] = (rgb[(i * 3) + 1] * scale[1]) - offset[1];
            data[(2 * plane) + i] = (rgb[i * 3] * scale[2]) - offset[2];
        }

        return data;
    }
}
