using EdgeAgent.Onnx;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>A tiny model (y = x + 1 on float[1, 16]) for measuring per-request overhead.</summary>
public static class TinyModel
{
    /// <summary>Model name in the repository.</summary>
    public const string Name = "tiny";

    /// <summary>Elements of the input.</summary>
    public const int Elements = 16;

    /// <summary>Writes <c>&lt;repository&gt;/tiny/1/model.onnx</c> and returns the repository.</summary>
    public static string WriteRepository(string repository)
    {
        var folder = Path.Combine(repository, Name, "1");
        Directory.CreateDirectory(folder);
        var model = new GraphBuilder("tiny")
            .Opset(17)
            .Input("x", DataType.Float, 1, Elements)
            .Initializer("one", [1f], 1)
            .Node("Add", ["x", "one"], ["y"])
            .Output("y", DataType.Float, 1, Elements)
            .Build();
        OnnxModelFile.Save(model, Path.Combine(folder, "model.onnx"));
        return repository;
    }
}
