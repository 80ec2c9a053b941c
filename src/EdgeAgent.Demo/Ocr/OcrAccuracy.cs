using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Quantization;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Demo.Ocr;

/// <summary>The OCR task's accuracy of a model variant: box F1 against the FP32 detector, character accuracy against known text.</summary>
public static class OcrAccuracy
{
    /// <summary>The task-accuracy delegate for detection variants: box F1 of a candidate file against <paramref name="referencePath"/>.</summary>
    public static Func<string, AccuracyFigure> BoxF1Against(string referencePath, OcrPageDataset pages, int intraOpThreads, CancellationToken cancellationToken = default) =>
        candidate => DetectionBoxF1(referencePath, candidate, pages, intraOpThreads, cancellationToken);

    /// <summary>The task-accuracy delegate for recognition models: character accuracy of a model file on known lines.</summary>
    public static Func<string, AccuracyFigure> CharacterAccuracyOn(CharacterDictionary dictionary, OcrLineDataset lines, int intraOpThreads, CancellationToken cancellationToken = default) =>
        model => RecognitionCharacterAccuracy(model, dictionary, lines, intraOpThreads, cancellationToken);

    /// <summary>The recognition dictionary installed beside a model file (<see cref="PaddleOcrModels.KeysFileName"/>).</summary>
    public static string DictionaryBeside(string modelPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, PaddleOcrModels.KeysFileName);

    /// <summary>
    /// PP-OCR detection: box F1 (IoU 0.5, micro-averaged over pages) of the candidate's boxes
    /// against the reference model's boxes on rendered pages.
    /// </summary>
    public static AccuracyFigure DetectionBoxF1(string referencePath, string candidatePath, OcrPageDataset pages, int intraOpThreads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pages);
        using var options = QuantizationSessions.Options(intraOpThreads);
        using var reference = new InferenceSession(referencePath, options);
        using var candidate = new InferenceSession(candidatePath, options);
        string input = reference.InputNames[0];
        var total = new BoxMatch(0, 0, 0);
        int count = 0;
        foreach (var page in pages.Pages())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tensor = DetectionPreprocessor.Prepare(page.Image, Math.Max(page.Image.Width, page.Image.Height)).Tensor;
            var expected = Boxes(reference, input, tensor, page.Image);
            var actual = Boxes(candidate, input, tensor, page.Image);
            total += BoxF1.Match(actual, expected, 0.5);
            count++;
        }

        return new AccuracyFigure("box-f1", total.F1, pages.Name, count, "fp32");
    }

    /// <summary>PP-OCR recognition: character accuracy against the rendered lines' known text.</summary>
    public static AccuracyFigure RecognitionCharacterAccuracy(string modelPath, CharacterDictionary dictionary, OcrLineDataset lines, int intraOpThreads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dictionary);
        ArgumentNullException.ThrowIfNull(lines);
        using var options = QuantizationSessions.Options(intraOpThreads);
        using var session = new InferenceSession(modelPath, options);
        string input = session.InputNames[0];
        var accuracy = new CharacterAccuracy();
        foreach (var (image, text) in lines.Lines())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var tensor = RecognitionPreprocessor.Prepare(image);
            using var value = OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.LongShape);
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, [input], [value], session.OutputNames);
            var shape = results[0].GetTensorTypeAndShape().Shape;
            var probabilities = new OcrTensor(results[0].GetTensorDataAsSpan<float>().ToArray(), Array.ConvertAll(shape, d => (int)d));
            accuracy.Add(text, CtcDecoder.Decode(probabilities, dictionary).Text);
        }

        return new AccuracyFigure("char-accuracy", accuracy.Value, lines.Name, accuracy.Lines, "ground-truth");
    }

    private static IReadOnlyList<TextBox> Boxes(InferenceSession session, string input, OcrTensor tensor, OcrImage image)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.LongShape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [input], [value], [session.OutputNames[0]]);
        var shape = results[0].GetTensorTypeAndShape().Shape;
        var map = results[0].GetTensorDataAsSpan<float>();
        return DbPostprocessor.Boxes(map, (int)shape[^1], (int)shape[^2], image.Width, image.Height);
    }
}
