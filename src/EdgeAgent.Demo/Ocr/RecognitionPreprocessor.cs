namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// PP-OCRv4 recognition pre-processing (PaddleOCR's resize_norm_img with rec_image_shape
/// 3,48,320): the crop is scaled to height 48 keeping its aspect ratio, normalised to
/// (x / 255 - 0.5) / 0.5 in BGR plane order, and padded with zeros on the right to a width of
/// 48 * max(320 / 48, width / height).
/// </summary>
public static class RecognitionPreprocessor
{
    /// <summary>Input height of the recogniser.</summary>
    public const int Height = 48;

    /// <summary>Nominal input width; wider crops get a wider tensor.</summary>
    public const int NominalWidth = 320;

    /// <summary>Input width of the direction classifier (PaddleOCR's cls_image_shape 3,48,192).</summary>
    public const int ClassifierWidth = 192;

    /// <summary>Builds the recogniser's input [1, 3, 48, W] for one crop.</summary>
    public static OcrTensor Prepare(OcrImage crop, int maxWidth = 3200)
    {
        ArgumentNullException.ThrowIfNull(crop);
        var ratio = (double)crop.Width / crop.Height;
        return Normalise(crop, Math.Min((int)(Height * Math.Max((double)NominalWidth / Height, ratio)), maxWidth));
    }

    /// <summary>
    /// Builds the direction classifier's input [1, 3, 48, 192]: the same scaling and
    /// normalisation, with the width fixed at 192 (longer crops are squeezed, as PaddleOCR does).
    /// </summary>
    public static OcrTensor PrepareForClassifier(OcrImage crop)
    {
        ArgumentNullException.ThrowIfNull(crop);
        return Normalise(crop, ClassifierWidth);
    }

    private static OcrTensor Normalise(OcrImage crop, int tensorWidth)
    {
        var ratio = (double)crop.Width / crop.Height;
        var resizedWidth = (int)Math.Ceiling(Height * ratio);
        resizedWidth = Math.Clamp(resizedWidth, 1, tensorWidth);
        var resized = crop.Resize(resizedWidth, Height);
        var plane = Height * tensorWidth;
        var data = new float[3 * plane];
        var rgb = resized.Rgb;
        const float scale = 2f / 255f;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < resizedWidth; x++)
            {
                var source = ((y * resizedWidth) + x) * 3;
                var target = (y * tensorWidth) + x;
                data[target] = (rgb[source + 2] * scale) - 1f;
                data[plane + target] = (rgb[source + 1] * scale) - 1f;
                data[(2 * plane) + target] = (rgb[source] * scale) - 1f;
            }
        }

        return new OcrTensor(data, [1, 3, Height, tensorWidth]);
    }
}
