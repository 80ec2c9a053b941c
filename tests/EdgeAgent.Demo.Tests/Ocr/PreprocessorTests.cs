using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Tests.Ocr;

public sealed class PreprocessorTests
{
    [Theory]
    [InlineData(640, 640, 640, 640)]
    [InlineData(100, 50, 96, 64)]
    [InlineData(10, 10, 32, 32)]
    [InlineData(1920, 960, 960, 480)]
    public void TargetSize_RoundsToMultiplesOf32WithinTheLimit(int w, int h, int tw, int th)
    {
        Assert.Equal((tw, th), DetectionPreprocessor.TargetSize(w, h));
    }

    [Fact]
    public void Prepare_WhitePixel_IsNormalisedPerChannelInBgrOrder()
    {
        var image = new OcrImage(32, 32, new byte[32 * 32 * 3]);
        image.Rgb[0] = 255; // red of pixel 0

        var input = DetectionPreprocessor.Prepare(image);

        Assert.Equal([1, 3, 32, 32], input.Tensor.Shape);
        var plane = 32 * 32;
        Assert.Equal(-0.485f / 0.229f, input.Tensor.Data[0], 4); // blue plane, value 0
        Assert.Equal((1f - 0.406f) / 0.225f, input.Tensor.Data[2 * plane], 4); // red plane, value 255
    }

    [Fact]
    public void RecognitionPrepare_ShortLine_IsHeight48PaddedTo320WithZeros()
    {
        var line = OcrImage.White(100, 24);

        var tensor = RecognitionPreprocessor.Prepare(line);

        Assert.Equal([1, 3, 48, 320], tensor.Shape);
        Assert.Equal(1f, tensor.Data[0], 5); // white maps to +1
        Assert.Equal(1f, tensor.Data[199], 5); // resized width is ceil(48 * 100 / 24) = 200
        Assert.Equal(0f, tensor.Data[200]); // padding
    }

    [Fact]
    public void RecognitionPrepare_LongLine_WidensTheTensor()
    {
        var tensor = RecognitionPreprocessor.Prepare(OcrImage.White(480, 24));

        Assert.Equal([1, 3, 48, 960], tensor.Shape);
    }

    [Fact]
    public void PrepareForClassifier_AnyLine_IsFixedAt48By192()
    {
        Assert.Equal([1, 3, 48, 192], RecognitionPreprocessor.PrepareForClassifier(OcrImage.White(900, 30)).Shape);
        Assert.Equal([1, 3, 48, 192], RecognitionPreprocessor.PrepareForClassifier(OcrImage.White(20, 30)).Shape);
    }

    [Fact]
    public void Rotate180_TwoPixels_SwapsThemAndTwiceIsIdentity()
    {
        var image = new OcrImage(2, 1, [1, 2, 3, 4, 5, 6]);

        var turned = image.Rotate180();

        Assert.Equal([4, 5, 6, 1, 2, 3], turned.Rgb);
        Assert.Equal(image.Rgb, turned.Rotate180().Rgb);
    }

    [Fact]
    public void Resize_UniformImage_StaysUniform()
    {
        var image = new OcrImage(7, 5, Enumerable.Repeat((byte)77, 7 * 5 * 3).ToArray());

        var resized = image.Resize(13, 3);

        Assert.All(resized.Rgb, b => Assert.Equal(77, b));
    }

    [Fact]
    public void Crop_OutsideTheImage_ThrowsNamingTheRectangle()
    {
        var error = Assert.Throws<ArgumentException>(() => OcrImage.White(10, 10).Crop(20, 20, 5, 5));

        Assert.Contains("(20,20,5x5)", error.Message, StringComparison.Ordinal);
    }
}
