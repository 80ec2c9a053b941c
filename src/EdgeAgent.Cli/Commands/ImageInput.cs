using EdgeAgent.Contracts.Inference;
using EdgeAgent.Node.Client;
using SkiaSharp;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// `edgeagent infer --image`: decodes an image with SkiaSharp (PNG, JPEG, WebP, BMP, GIF), resizes
/// it to the model input's fixed height and width (its own size where they are variable) and hands
/// the RGB pixels to <see cref="InferInputs.FromRgb"/>. No mean/std normalization.
/// </summary>
internal static class ImageInput
{
    public static IReadOnlyList<ClientTensor> Read(string path, ModelMetadataResponse metadata)
    {
        var layout = InferInputs.ImageLayoutOf(metadata);
        if (!File.Exists(path))
        {
            throw new InferInputException($"--image: '{path}' does not exist.");
        }

        using var decoded = SKBitmap.Decode(path)
            ?? throw new InferInputException($"--image: '{path}' is not an image SkiaSharp can decode (PNG, JPEG, WebP, BMP, GIF).");
        var height = layout.Height ?? decoded.Height;
        var width = layout.Width ?? decoded.Width;
        using var resized = decoded.Resize(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul), new SKSamplingOptions(SKFilterMode.Linear))
            ?? throw new InferInputException($"--image: '{path}' could not be resized to {width}x{height}.");
        var rgb = new byte[width * height * 3];
        var pixels = resized.Pixels;
        for (var i = 0; i < pixels.Length; i++)
        {
            rgb[i * 3] = pixels[i].Red;
            rgb[(i * 3) + 1] = pixels[i].Green;
            rgb[(i * 3) + 2] = pixels[i].Blue;
        }

        return [InferInputs.FromRgb(layout, width, height, rgb)];
    }
}
