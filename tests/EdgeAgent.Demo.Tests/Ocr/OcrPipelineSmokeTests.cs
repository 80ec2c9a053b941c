using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;
using Xunit.Abstractions;

namespace EdgeAgent.Demo.Tests.Ocr;

/// <summary>Runs the real PP-OCRv4 models through ONNX Runtime when they are in the cache.</summary>
public sealed class OcrPipelineSmokeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    [RequiresOcrModelsFact]
    public async Task Recognise_RenderedEnglishAndDigitLines_HighCharacterAccuracy()
    {
        using var runner = Runner();
        var pipeline = new OcrPipeline(runner, CharacterDictionary.Load(PaddleOcrModels.KeysPath(OcrAssets.Repository)));
        using var renderer = new TextRenderer(OcrAssets.LatinFont!);
        var random = new Random(11);
        var texts = OcrSamples.Lines(random, 6, SampleKind.English).Concat(OcrSamples.Lines(random, 6, SampleKind.Digits)).ToArray();

        var accuracy = await OcrHarness.RecognitionAccuracyAsync(pipeline, texts.Select(t => (renderer.RenderLine(t), t)), CancellationToken.None).WaitAsync(Timeout);

        output.WriteLine($"character accuracy {accuracy.Value:P2} over {accuracy.Lines} lines, {accuracy.ExactLines} exact");
        Assert.True(accuracy.Value >= 0.95, $"character accuracy {accuracy.Value:P2}");
    }

    [RequiresOcrModelsAndCjkFontFact]
    public async Task Recognise_RenderedChineseLines_HighCharacterAccuracy()
    {
        using var runner = Runner();
        var dictionary = CharacterDictionary.Load(PaddleOcrModels.KeysPath(OcrAssets.Repository));
        var pipeline = new OcrPipeline(runner, dictionary);
        using var renderer = new TextRenderer(OcrAssets.LatinFont!, OcrAssets.CjkFont);
        var texts = OcrSamples.Lines(new Random(5), 6, SampleKind.Chinese, dictionary);

        var accuracy = await OcrHarness.RecognitionAccuracyAsync(pipeline, texts.Select(t => (renderer.RenderLine(t), t)), CancellationToken.None).WaitAsync(Timeout);

        output.WriteLine($"character accuracy {accuracy.Value:P2} over {accuracy.Lines} lines");
        Assert.True(accuracy.Value >= 0.9, $"character accuracy {accuracy.Value:P2}");
    }

    [RequiresOcrModelsFact]
    public async Task Read_RenderedPage_FindsTheLinesAndReadsThem()
    {
        using var runner = Runner();
        var pipeline = new OcrPipeline(runner, CharacterDictionary.Load(PaddleOcrModels.KeysPath(OcrAssets.Repository))) { ClassificationModel = PaddleOcrModels.Classification };
        using var renderer = new TextRenderer(OcrAssets.LatinFont!);
        var page = renderer.RenderPage(OcrSamples.Lines(new Random(21), 4, SampleKind.Mixed), 640, 640, new Random(4));

        var lines = await pipeline.ReadAsync(page.Image, CancellationToken.None).AsTask().WaitAsync(Timeout);

        var match = BoxF1.Match(lines.Select(l => l.Box).ToArray(), page.Boxes);
        var accuracy = new CharacterAccuracy();
        accuracy.Add(string.Join(" ", page.Lines), string.Join(" ", lines.Select(l => l.Text.Text)));
        output.WriteLine($"box F1 {match.F1:F3} ({match.Matched}/{match.Reference}); character accuracy {accuracy.Value:P2}");
        foreach (var line in lines)
        {
            output.WriteLine($"{line.Box} -> {line.Text.Text}");
        }

        Assert.True(match.F1 >= 0.75, $"box F1 {match.F1:F3}");
        Assert.True(accuracy.Value >= 0.9, $"character accuracy {accuracy.Value:P2}");
    }

    [RequiresOcrModelsFact]
    public async Task IsUpsideDown_TurnedLine_IsDetectedAndUprightIsNot()
    {
        using var runner = Runner();
        var pipeline = new OcrPipeline(runner, CharacterDictionary.Load(PaddleOcrModels.KeysPath(OcrAssets.Repository))) { ClassificationModel = PaddleOcrModels.Classification };
        using var renderer = new TextRenderer(OcrAssets.LatinFont!);
        var line = renderer.RenderLine("Invoice total 1234.50");

        Assert.False(await pipeline.IsUpsideDownAsync(line, CancellationToken.None).AsTask().WaitAsync(Timeout));
        Assert.True(await pipeline.IsUpsideDownAsync(line.Rotate180(), CancellationToken.None).AsTask().WaitAsync(Timeout));
    }

    private static OnnxOcrModelRunner Runner() => new(new Dictionary<string, string>
    {
        [PaddleOcrModels.Detection] = PaddleOcrModels.DetectionModelPath(OcrAssets.Repository),
        [PaddleOcrModels.Recognition] = PaddleOcrModels.RecognitionModelPath(OcrAssets.Repository),
        [PaddleOcrModels.Classification] = PaddleOcrModels.ClassificationModelPath(OcrAssets.Repository),
    });
}
