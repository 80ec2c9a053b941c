using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.ModelTools.Tests.Quantization;

/// <summary>Random weights and an ONNX Runtime runner for quantization tests.</summary>
internal static class QuantTestModels
{
    public static float[] Random(Random random, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * scale;
        }

        return values;
    }

    /// <summary>Runs the model in ORT (CPU, full optimisation) and returns the named output.</summary>
    public static float[] Run(ModelProto model, string output, params (string Name, float[] Data, long[] Shape)[] inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(OnnxModelFile.ToBytes(model), options);
        var values = inputs.Select(i => OrtValue.CreateTensorValueFromMemory(i.Data, i.Shape)).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputs.Select(i => i.Name).ToList(), values, [output]);
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }

    public static int Count(ModelProto model, string opType) => model.Graph.Node.Count(n => n.OpType == opType);
}
