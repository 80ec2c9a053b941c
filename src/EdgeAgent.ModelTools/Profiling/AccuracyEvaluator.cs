using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Quantization;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.ModelTools.Profiling;

/// <summary>Accuracy of a model variant against its FP32 original, for any model.</summary>
public static class AccuracyEvaluator
{
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
}
