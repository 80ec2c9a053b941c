using EdgeAgent.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAgent.Onnx.Tests;

/// <summary>Runs a model in ONNX Runtime's CPU provider with full graph optimisation.</summary>
internal static class OrtRunner
{
    public static float[] RunFloat(ModelProto model, string output, params (string Name, float[] Data, int[] Dims)[] inputs) =>
        RunFloat(OnnxModelFile.ToBytes(model), output, inputs);

    public static float[] RunFloat(byte[] modelBytes, string output, params (string Name, float[] Data, int[] Dims)[] inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(modelBytes, options);
        return Run(session, output, inputs);
    }

    public static float[] RunFloatFromFile(string path, string output, params (string Name, float[] Data, int[] Dims)[] inputs)
    {
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(path, options);
        return Run(session, output, inputs);
    }

    private static float[] Run(InferenceSession session, string output, (string Name, float[] Data, int[] Dims)[] inputs)
    {
        var feeds = inputs.Select(i => NamedOnnxValue.CreateFromTensor(i.Name, new DenseTensor<float>(i.Data, i.Dims))).ToList();
        using var results = session.Run(feeds, [output]);
        return results[0].AsEnumerable<float>().ToArray();
    }
}
