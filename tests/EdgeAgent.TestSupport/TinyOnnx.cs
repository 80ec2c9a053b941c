using EdgeAgent.Onnx;
using Google.Protobuf;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.TestModels;

/// <summary>
/// Tiny ONNX models for tests, built in memory with EdgeAgent.Onnx, so tests need no model files.
/// </summary>
public static class TinyOnnx
{
    /// <summary>ONNX TensorProto.DataType values.</summary>
    public enum ElemType
    {
        Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13,
    }

    /// <summary>A graph input or output: name, element type, dims (-1 = symbolic "N").</summary>
    public sealed record Value(string Name, ElemType Type, params long[] Dims);

    /// <summary>A node: op type, inputs, outputs.</summary>
    public sealed record Node(string OpType, string[] Inputs, string[] Outputs);

    /// <summary>An FP32 initializer.</summary>
    public sealed record Initializer(string Name, long[] Dims, float[] Data);

    /// <summary>Serialises a model with opset 13, built with EdgeAgent.Onnx's <see cref="GraphBuilder"/>.</summary>
    public static byte[] Model(IEnumerable<Value> inputs, IEnumerable<Value> outputs, IEnumerable<Node> nodes, IEnumerable<Initializer>? initializers = null)
    {
        var builder = new GraphBuilder("tiny").Opset(13).IrVersion(8).Producer("edgeagent-tests", "");
        foreach (var input in inputs) builder.Input(input.Name, (DataType)input.Type, Dims(input));
        foreach (var output in outputs) builder.Output(output.Name, (DataType)output.Type, Dims(output));
        foreach (var init in initializers ?? []) builder.Initializer(init.Name, init.Data, init.Dims);
        var i = 0;
        foreach (var node in nodes) builder.Node(node.OpType, node.Inputs, node.Outputs, name: $"node{i++}");
        return builder.Build().ToByteArray();
    }

    /// <summary>y = Identity(x) for one element type, shape [N, 3].</summary>
    public static byte[] Identity(ElemType type) =>
        Model([new Value("x", type, -1, 3)], [new Value("y", type, -1, 3)], [new Node("Identity", ["x"], ["y"])]);

    /// <summary>sum = a + b and neg = -a, FP32 [N, 4].</summary>
    public static byte[] AddNeg() =>
        Model(
            [new Value("a", ElemType.Float, -1, 4), new Value("b", ElemType.Float, -1, 4)],
            [new Value("sum", ElemType.Float, -1, 4), new Value("neg", ElemType.Float, -1, 4)],
            [new Node("Add", ["a", "b"], ["sum"]), new Node("Neg", ["a"], ["neg"])]);

    /// <summary>y = tanh(x W) repeated <paramref name="layers"/> times, FP32 [N, 64]; slow enough to queue behind.</summary>
    public static byte[] MatMulChain(int layers, int width = 64)
    {
        var random = new Random(7);
        var weights = new float[width * width];
        for (var i = 0; i < weights.Length; i++) weights[i] = (float)((random.NextDouble() - 0.5) * 0.2);
        var nodes = new List<Node>();
        var current = "x";
        for (var l = 0; l < layers; l++)
        {
            var mm = $"mm{l}";
            var next = l == layers - 1 ? "y" : $"h{l}";
            nodes.Add(new Node("MatMul", [current, "w"], [mm]));
            nodes.Add(new Node("Tanh", [mm], [next]));
            current = next;
        }

        return Model([new Value("x", ElemType.Float, -1, width)], [new Value("y", ElemType.Float, -1, width)], nodes,
            [new Initializer("w", [width, width], weights)]);
    }

    // -1 marks the symbolic batch dimension "N".
    private static Dim[] Dims(Value value) => [.. value.Dims.Select(d => d < 0 ? new Dim("N") : new Dim(d))];
}

/// <summary>A model repository in a temporary folder, deleted on dispose.</summary>
public sealed class TempRepository : IDisposable
{
    public TempRepository()
    {
        Root = Path.Combine(Path.GetTempPath(), "edgeagent-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>Writes <c>Root/model/version/model[.variant].onnx</c>.</summary>
    public TempRepository Add(string model, int version, byte[] bytes, string? variant = null)
    {
        var dir = Path.Combine(Root, model, version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        File.WriteAllBytes(Path.Combine(dir, variant is null ? "model.onnx" : $"model.{variant}.onnx"), bytes);
        return this;
    }

    /// <summary>The standard test repository: add_neg, an identity model per datatype, and a slow chain.</summary>
    public static TempRepository Standard()
    {
        var repo = new TempRepository();
        repo.Add("add_neg", 1, TinyOnnx.AddNeg());
        foreach (var type in Enum.GetValues<TinyOnnx.ElemType>())
        {
            repo.Add("id_" + type.ToString().ToLowerInvariant(), 1, TinyOnnx.Identity(type));
        }

        repo.Add("chain", 1, TinyOnnx.MatMulChain(8));
        return repo;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
