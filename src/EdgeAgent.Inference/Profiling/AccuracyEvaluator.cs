using EdgeAgent.Inference.Ocr;
using EdgeAgent.Inference.Quantization;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Profiling;

/// <summary>An accuracy figure and what it was measured on.</summary>
/// <param name="Metric">"box-f1", "char-accuracy", "cosine"...</param>
/// <param name="Value">The figure (1 is perfect for the metrics here).</param>
/// <param name="Dataset">The data it was measured on.</param>
/// <param name="Samples">Samples used.</param>
/// <param name="Reference">What the figure compares against ("fp32", "ground-truth").</param>
public sealed record AccuracyFigure(string Metric, double Value, string Dataset, int Samples, string Reference);

/// <summary>Accuracy of a model variant: against its FP32 original or against known answers.</summary>
public static class AccuracyEvaluator
{
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

    /// <summary>Any model: mean cosine similarity of the first output against the reference model's.</summary>
    public static AccuracyFigure OutputCosine(string referencePath, string candidatePath, ICalibrationDataset data, IReadOnlyList<ModelInput> inputs, int intraOpThreads, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var options = QuantizationSessions.Options(intraOpThreads);
        using var reference = new InferenceSession(referencePath, options);
        using var candidate = new InferenceSession(candidatePath, options);
        var agreement = new OutputAgreement();
        foreach (var sample in data.Samples(inputs))
        {
            cancellationToken.ThrowIfCancellationRequested();
            agreement.Add(FirstOutput(reference, sample), FirstOutput(candidate, sample));
        }

        return new AccuracyFigure("cosine", agreement.MeanCosine, data.Name, agreement.Samples, "fp32");
    }

    /// <summary>The first output of a run, as floats.</summary>
    public static float[] FirstOutput(InferenceSession session, IReadOnlyDictionary<string, InputTensor> sample)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(sample);
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, tensor) in sample)
            {
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.Shape));
            }

            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, names, values, [session.OutputNames[0]]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
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
