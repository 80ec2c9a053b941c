using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Tests.Ocr;

public sealed class CtcDecoderTests
{
    // Classes: 0 blank, 1 "a", 2 "b", 3 "c", 4 " ".
    private static readonly CharacterDictionary Dictionary = new(["a", "b", "c"]);

    [Fact]
    public void Decode_RepeatsAndBlanks_CollapsesRepeatsAndDropsBlanks()
    {
        var output = Steps(1, 1, 0, 1, 2, 2, 0, 0, 3);

        var text = CtcDecoder.Decode(output, Dictionary);

        Assert.Equal("aabc", text.Text);
    }

    [Fact]
    public void Decode_SpaceClass_IsTheLastIndex()
    {
        var output = Steps(1, 4, 4, 2);

        Assert.Equal("a b", CtcDecoder.Decode(output, Dictionary).Text);
        Assert.Equal(5, Dictionary.ClassCount);
        Assert.Equal(" ", Dictionary[4]);
    }

    [Fact]
    public void Decode_AllBlank_IsEmptyWithZeroConfidence()
    {
        var text = CtcDecoder.Decode(Steps(0, 0, 0), Dictionary);

        Assert.Equal(string.Empty, text.Text);
        Assert.Equal(0, text.Confidence);
    }

    [Fact]
    public void Decode_Confidence_IsMeanOfKeptSteps()
    {
        var data = new float[2 * 5];
        data[1] = 0.9f;
        data[5 + 2] = 0.7f;

        var text = CtcDecoder.Decode(new OcrTensor(data, [1, 2, 5]), Dictionary);

        Assert.Equal("ab", text.Text);
        Assert.Equal(0.8, text.Confidence, 5);
    }

    [Fact]
    public void Decode_ClassCountDiffersFromDictionary_ThrowsNamingBoth()
    {
        var error = Assert.Throws<ArgumentException>(() => CtcDecoder.Decode(new OcrTensor(new float[6], [1, 1, 6]), Dictionary));

        Assert.Contains("6 classes", error.Message, StringComparison.Ordinal);
        Assert.Contains("5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_KeysFile_AddsBlankFirstAndSpaceLast()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "x\ny\n中\n");

            var dictionary = CharacterDictionary.Load(path);

            Assert.Equal(5, dictionary.ClassCount);
            Assert.Equal("x", dictionary[1]);
            Assert.Equal("中", dictionary[3]);
            Assert.Equal(" ", dictionary[4]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static OcrTensor Steps(params int[] best)
    {
        var data = new float[best.Length * 5];
        for (var t = 0; t < best.Length; t++)
        {
            data[(t * 5) + best[t]] = 1;
        }

        return new OcrTensor(data, [1, best.Length, 5]);
    }
}
