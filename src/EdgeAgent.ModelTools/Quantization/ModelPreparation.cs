using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>
/// Steps before quantization: ONNX Runtime's basic graph optimisation (constant folding,
/// Conv+BatchNormalization fusion, as the Python tool's pre-processing does), Constant nodes
/// turned into initializers, element types of every value, and the inputs' concrete shapes.
/// </summary>
public static class ModelPreparation
{
    /// <summary>Ops whose meaning changes between opsets 11 and 13; their presence blocks an opset bump.</summary>
    private static readonly HashSet<string> ChangedBefore13 = new(StringComparer.Ordinal)
    {
        "Squeeze", "Unsqueeze", "Split", "ReduceSum", "Softmax", "LogSoftmax", "Hardmax",
    };

    /// <summary>Runs ONNX Runtime's basic (platform-independent) optimisations and returns the result.</summary>
    public static ModelProto OptimizeBasic(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string folder = Path.Combine(Path.GetTempPath(), "edgeagent-quant-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string output = Path.Combine(folder, "optimized.onnx");
            using (var options = QuantizationSessions.Options(1, GraphOptimizationLevel.ORT_ENABLE_BASIC))
            {
                options.OptimizedModelFilePath = output;
                using var session = new InferenceSession(OnnxModelFile.ToBytes(model), options);
            }

            var optimized = OnnxModelFile.Load(output);
            optimized.MetadataProps.Clear();
            optimized.MetadataProps.Add(model.MetadataProps.Select(p => p.Clone()));
            return optimized;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Replaces Constant nodes holding a tensor by initializers of the same name.</summary>
    public static int ConstantsToInitializers(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var constants = graph.Node.Where(n => n.Is("Constant") && n.FindAttribute("value")?.T is not null).ToList();
        foreach (var node in constants)
        {
            var tensor = node.FindAttribute("value")!.T.Clone();
            tensor.Name = node.Output[0];
            graph.Initializer.Add(tensor);
            graph.Node.Remove(node);
        }

        return constants.Count;
    }

    /// <summary>
    /// Makes the default-domain opset able to carry the Q/DQ nodes needed: 13 for per-channel
    /// (axis attribute), 10 otherwise. Raises it in place when no operator in the graph changes
    /// meaning across the raise; otherwise returns "com.microsoft", whose contrib
    /// QuantizeLinear/DequantizeLinear do the same at any opset.
    /// </summary>
    public static string QdqDomain(ModelProto model, bool perChannel)
    {
        ArgumentNullException.ThrowIfNull(model);
        long opset = model.OpsetVersion() ?? 0;
        long needed = perChannel ? 13 : 10;
        if (opset >= needed)
        {
            return "";
        }

        bool safe = opset >= 11 && !model.Graph.Node.Any(n => OnnxVersions.IsDefaultDomain(n.Domain) && ChangedBefore13.Contains(n.OpType));
        if (safe)
        {
            model.EnsureOpset("", 13);
            model.IrVersion = Math.Max(model.IrVersion, OnnxVersions.IrVersionForOpset(13));
            return "";
        }

        // Rewrite the operators whose form changed; the upgrade is checked on a copy first.
        var copy = model.Clone();
        string? refusal = OpsetUpgrader.TryUpgradeTo13(copy);
        if (refusal is null)
        {
            OpsetUpgrader.TryUpgradeTo13(model);
            return "";
        }

        if (opset < 10)
        {
            // ONNX Runtime fuses Q/DQ into QLinear ops that need opset 10, so contrib Q/DQ cannot help here.
            throw new NotSupportedException($"The model imports opset {opset}; QDQ needs opset 10 (13 for per-channel) and the upgrade was refused: {refusal}.");
        }

        model.EnsureOpset(OnnxVersions.MicrosoftDomain, 1);
        return OnnxVersions.MicrosoftDomain;
    }

    /// <summary>Element type of every value in the graph, from declarations and simple per-op rules.</summary>
    public static Dictionary<string, DataType> ElementTypes(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var types = new Dictionary<string, DataType>(StringComparer.Ordinal);
        foreach (var v in graph.Input.Concat(graph.ValueInfo).Concat(graph.Output))
        {
            if (v.Type?.TensorType is { } t && t.ElemType != 0)
            {
                types[v.Name] = (DataType)t.ElemType;
            }
        }

        foreach (var t in graph.Initializer)
        {
            types[t.Name] = (DataType)t.DataType;
        }

        foreach (var node in OnnxGraphOrder.Sort(graph))
        {
            DataType? first = node.Input.Where(i => i.Length > 0 && types.ContainsKey(i)).Select(i => (DataType?)types[i]).FirstOrDefault();
            for (int k = 0; k < node.Output.Count; k++)
            {
                string o = node.Output[k];
                if (o.Length == 0 || types.ContainsKey(o))
                {
                    continue;
                }

                DataType? inferred = node.OpType switch
                {
                    "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin" => DataType.Int64,
                    "TopK" when k == 1 => DataType.Int64,
                    "Cast" => (DataType)node.GetInt("to", (long)DataType.Float),
                    "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "Not" or "And" or "Or" or "Xor" or "IsNaN" or "IsInf" => DataType.Bool,
                    "ConstantOfShape" => node.FindAttribute("value")?.T is { } t ? (DataType)t.DataType : DataType.Float,
                    "Constant" => node.FindAttribute("value")?.T is { } t ? (DataType)t.DataType : null,
                    "QuantizeLinear" or "DynamicQuantizeLinear" when k == 0 => node.Input.Count > 2 && types.TryGetValue(node.Input[2], out var z) ? z : DataType.Uint8,
                    "DequantizeLinear" => DataType.Float,
                    "Where" => node.Input.Count > 1 && types.TryGetValue(node.Input[1], out var w) ? w : null,
                    _ => first,
                };
                if (inferred is DataType d)
                {
                    types[o] = d;
                }
            }
        }

        return types;
    }

    /// <summary>
    /// The model's inputs with concrete shapes: fixed dims as declared, dynamic dims from
    /// <paramref name="shapes"/> (by input name, or "" for the only input), else batch (dim 0) = 1.
    /// </summary>
    public static IReadOnlyList<ModelInput> ResolveInputs(ModelProto model, IReadOnlyDictionary<string, long[]>? shapes = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var inputs = model.Graph.InputsExcludingInitializers().ToList();
        var result = new List<ModelInput>();
        foreach (var input in inputs)
        {
            if (input.ElementType() != DataType.Float)
            {
                throw new NotSupportedException($"Input '{input.Name}' is {input.ElementType()}; calibration feeds float inputs only.");
            }

            long[]? given = null;
            if (shapes is not null && (shapes.TryGetValue(input.Name, out given) || (inputs.Count == 1 && shapes.TryGetValue("", out given))))
            {
                var declared = input.Shape();
                if (declared is not null && declared.Count != given.Length)
                {
                    throw new ArgumentException($"Input shape for '{input.Name}' has rank {given.Length}; the model declares rank {declared.Count}.");
                }

                for (int i = 0; declared is not null && i < declared.Count; i++)
                {
                    if (declared[i].Value is long v && v != given[i])
                    {
                        throw new ArgumentException($"Input shape for '{input.Name}' sets dim {i} to {given[i]}; the model fixes it at {v}.");
                    }
                }

                result.Add(new ModelInput(input.Name, given));
                continue;
            }

            var shape = input.Shape() ?? throw new ArgumentException($"Input '{input.Name}' has no declared shape; pass --input-shape.");
            var dims = new long[shape.Count];
            for (int i = 0; i < shape.Count; i++)
            {
                dims[i] = shape[i].Value ?? (i == 0 ? 1 : throw new ArgumentException(
                    $"Input '{input.Name}' has dynamic dimension {i} ('{shape[i]}'); pass --input-shape {input.Name}=<d0>x<d1>x...") );
            }

            result.Add(new ModelInput(input.Name, dims));
        }

        return result;
    }

    /// <summary>
    /// Inputs of axis-sensitive ops (Softmax, LogSoftmax, Hardmax) whose rank the graph does not
    /// declare, in a model older than opset 13: what <see cref="AnnotateAxisOpShapes"/> would probe.
    /// </summary>
    public static IReadOnlyList<string> UnrankedAxisOpInputs(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if ((model.OpsetVersion() ?? 0) >= 13)
        {
            return [];
        }

        return model.Graph.Node
            .Where(n => n.OpType is "Softmax" or "LogSoftmax" or "Hardmax" && OnnxVersions.IsDefaultDomain(n.Domain))
            .Select(n => n.Input[0])
            .Where(n => model.Graph.FindValueInfo(n)?.Shape() is null)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Records the observed ranks of the inputs of axis-sensitive ops (Softmax, LogSoftmax,
    /// Hardmax) as value_info with unknown sizes, by running one sample through ONNX Runtime, so an
    /// opset upgrade can tell whether their axis is the last one. Does nothing for opset 13 and later.
    /// </summary>
    public static void AnnotateAxisOpShapes(ModelProto model, IReadOnlyDictionary<string, InputTensor> sample)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sample);
        var names = UnrankedAxisOpInputs(model);
        if (names.Count == 0)
        {
            return;
        }

        var probe = model.Clone();
        foreach (var name in names)
        {
            probe.Graph.AddOutput(name, DataType.Float);
        }

        using var options = QuantizationSessions.Options(1, GraphOptimizationLevel.ORT_ENABLE_BASIC);
        using var session = new InferenceSession(OnnxModelFile.ToBytes(probe), options);
        var inputNames = sample.Keys.ToList();
        var values = sample.Values.Select(t => OrtValue.CreateTensorValueFromMemory(t.Data, t.Shape)).ToList();
        try
        {
            using var runOptions = new RunOptions();
            using var results = session.Run(runOptions, inputNames, values, names);
            for (int i = 0; i < names.Count; i++)
            {
                var shape = results[i].GetTensorTypeAndShape().Shape;
                // Only the rank: sizes seen on one sample would be wrong for other inputs, and ONNX
                // Runtime checks outputs against declared sizes (it logged a warning per request).
                model.Graph.ValueInfo.Add(OnnxValues.Tensor(names[i], DataType.Float, shape.Select(_ => Dim.Unknown)));
            }
        }
        finally
        {
            values.ForEach(v => v.Dispose());
        }
    }
}
