using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Tests.Ocr;

public sealed class TextRendererTests
{
    [RequiresFontFact]
    public void RenderLine_Text_HasDarkInkInsideTheMarginAndWhiteBorder()
    {
        using var renderer = new TextRenderer(OcrAssets.LatinFont!);

        var image = renderer.RenderLine("Hello 2026", fontSize: 32, padding: 8);

        Assert.InRange(image.Height, 40, 60);
        Assert.InRange(image.Width, 120, 260);
        Assert.Contains(image.Rgb, b => b < 64);
        for (var x = 0; x < image.Width; x++)
        {
            Assert.Equal(255, image.Rgb[x * 3]); // top row is background
        }
    }

    [RequiresFontFact]
    public void RenderPage_SeededLines_ReturnsOneInkBoxPerPlacedLineAndIsDeterministic()
    {
        using var renderer = new TextRenderer(OcrAssets.LatinFont!);
        var lines = OcrSamples.Lines(new Random(3), 5, SampleKind.Mixed);

        var first = renderer.RenderPage(lines, 640, 640, new Random(7));
        var second = renderer.RenderPage(lines, 640, 640, new Random(7));

        Assert.NotEmpty(first.Boxes);
        Assert.Equal(first.Lines.Count, first.Boxes.Count);
        Assert.Equal(first.Image.Rgb, second.Image.Rgb);
        foreach (var box in first.Boxes)
        {
            Assert.InRange(box.X, 0, 640);
            Assert.InRange(box.Y + box.Height, 0, 640);
            var dark = CountDark(first.Image, box);
            Assert.True(dark > 20, $"box {box} holds only {dark} dark pixels");
        }
    }

    [Fact]
    public void Samples_SameSeed_GiveSameLines()
    {
        Assert.Equal(OcrSamples.Lines(new Random(1), 10, SampleKind.Mixed), OcrSamples.Lines(new Random(1), 10, SampleKind.Mixed));
        Assert.All(OcrSamples.Lines(new Random(2), 20, SampleKind.Digits), l => Assert.Matches("^[0-9 .:%-]+$", l));
    }

    private static int CountDark(OcrImage image, TextBox box)
    {
        var count = 0;
        for (var y = (int)box.Y; y < (int)(box.Y + box.Height); y++)
        {
            for (var x = (int)box.X; x < (int)(box.X + box.Width); x++)
            {
                if (image.Rgb[((y * image.Width) + x) * 3] < 128)
                {
                    count++;
                }
            }
        }

        return count;
    }
}
