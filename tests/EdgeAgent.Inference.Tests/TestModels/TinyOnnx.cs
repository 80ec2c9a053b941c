using Google.Protobuf;

namespace EdgeAgent.TestModels;

/// <summary>
/// Writes tiny ONNX models for tests directly in the ONNX protobuf wire format (field numbers of
/// onnx.proto), so tests need no model files and no other project's builder.
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

    /// <summary>Serialises a model with opset 13.</summary>
    public static byte[] Model(IEnumerable<Value> inputs, IEnumerable<Value> outputs, IEnumerable<Node> nodes, IEnumerable<Initializer>? initializers = null)
    {
        var graph = Message(w =>
        {
            var i = 0;
            foreach (var node in nodes)
            {
                w.Bytes(1, Message(n =>
                {
                    foreach (var input in node.Inputs) n.String(1, input);
                    foreach (var output in node.Outputs) n.String(2, output);
                    n.String(3, $"node{i++}");
                    n.String(4, node.OpType);
                }));
            }

            w.String(2, "tiny");
            foreach (var init in initializers ?? [])
            {
                w.Bytes(5, Message(t =>
                {
                    foreach (var d in init.Dims) t.Int64(1, d);
                    t.Int64(2, (long)ElemType.Float);
                    t.String(8, init.Name);
                    var raw = new byte[init.Data.Length * 4];
                    Buffer.BlockCopy(init.Data, 0, raw, 0, raw.Length);
                    t.Bytes(9, raw);
                }));
            }

            foreach (var input in inputs) w.Bytes(11, ValueInfo(input));
            foreach (var output in outputs) w.Bytes(12, ValueInfo(output));
        });

        return Message(m =>
        {
            m.Int64(1, 8);
            m.String(2, "edgeagent-tests");
            m.Bytes(7, graph);
            m.Bytes(8, Message(o =>
            {
                o.String(1, "");
                o.Int64(2, 13);
            }));
        });
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

    private static byte[] ValueInfo(Value value) => Message(v =>
    {
        v.String(1, value.Name);
        v.Bytes(2, Message(t => t.Bytes(1, Message(tt =>
        {
            tt.Int64(1, (long)value.Type);
            tt.Bytes(2, Message(s =>
            {
                foreach (var d in value.Dims)
                {
                    s.Bytes(1, Message(dim =>
                    {
                        if (d < 0) dim.String(2, "N");
                        else dim.Int64(1, d);
                    }));
                }
            }));
        }))));
    });

    private static byte[] Message(Action<Writer> build)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        build(new Writer(output));
        output.Flush();
        return stream.ToArray();
    }

    private sealed class Writer(CodedOutputStream output)
    {
        public void Int64(int field, long value)
        {
            output.WriteTag(field, WireFormat.WireType.Varint);
            output.WriteInt64(value);
        }

        public void String(int field, string value)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteString(value);
        }

        public void Bytes(int field, byte[] value)
        {
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(value));
        }
    }
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
