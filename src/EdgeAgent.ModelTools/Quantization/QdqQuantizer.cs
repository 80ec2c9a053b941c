using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>Settings of static QDQ quantization.</summary>
public sealed record QdqOptions
{
    /// <summary>Activation type: UInt8 (asymmetric, the CPU default) or Int8 (symmetric).</summary>
    public QuantizedType ActivationType { get; init; } = QuantizedType.UInt8;

    /// <summary>Symmetric activations; by default symmetric exactly when the type is signed.</summary>
    public bool? ActivationSymmetric { get; init; }

    /// <summary>Weight type (Int8: symmetric).</summary>
    public QuantizedType WeightType { get; init; } = QuantizedType.Int8;

    /// <summary>One scale per output channel for Conv, ConvTranspose and Gemm weights.</summary>
    public bool PerChannel { get; init; }

    /// <summary>7-bit ranges (only useful on x86 without VNNI).</summary>
    public bool ReduceRange { get; init; }

    /// <summary>Node names left in float.</summary>
    public IReadOnlySet<string> NodesToExclude { get; init; } = new HashSet<string>();

    /// <summary>Op types left in float (for example Resize or ConvTranspose, which ORT's CPU provider runs in float anyway).</summary>
    public IReadOnlySet<string> OpTypesToExclude { get; init; } = new HashSet<string>();

    /// <summary>When set, only these node names are quantized.</summary>
    public IReadOnlySet<string>? NodesToQuantize { get; init; }

    internal bool IsActivationSymmetric => ActivationSymmetric ?? ActivationType == QuantizedType.Int8;
}

/// <summary>
/// Static post-training quantization in QDQ format, following ONNX Runtime's rules: weights
/// become int8 initializers behind DequantizeLinear (per-channel on request), biases int32
/// with scale input_scale * weight_scale, activations get QuantizeLinear/DequantizeLinear pairs
/// with calibrated parameters, Relu/Clip fold into the Q range when activations are asymmetric,
/// and shape/pooling/resize ops reuse their input's parameters.
/// </summary>
public static class QdqQuantizer
{
    private static readonly HashSet<string> WeightedOps = new(StringComparer.Ordinal) { "Conv", "ConvTranspose", "Gemm", "MatMul" };

    private static readonly HashSet<string> RemovableActivations = new(StringComparer.Ordinal) { "Relu", "Clip" };

    /// <summary>Ops whose output keeps the input's scale and zero point.</summary>
    private static readonly HashSet<string> SameScaleOps = new(StringComparer.Ordinal)
    {
        "Reshape", "Transpose", "Squeeze", "Unsqueeze", "AveragePool", "MaxPool", "Slice", "Resize", "Pad",
        "Split", "Gather", "GatherElements", "Flatten", "DepthToSpace", "SpaceToDepth", "TopK", "CumSum",
    };

    /// <summary>Ops with Q/DQ on all float inputs and outputs, each with its own parameters.</summary>
    private static readonly HashSet<string> InputOutputOps = new(StringComparer.Ordinal)
    {
        "Add", "Mul", "Concat", "Sigmoid", "Softmax", "LeakyRelu", "GlobalAveragePool", "Where",
        "InstanceNormalization", "LayerNormalization", "BatchNormalization", "ArgMax",
    };

    /// <summary>Every op type this quantizer handles.</summary>
    public static IReadOnlyCollection<string> SupportedOps { get; } =
        WeightedOps.Concat(RemovableActivations).Concat(SameScaleOps).Concat(InputOutputOps).ToHashSet(StringComparer.Ordinal);

    /// <summary>Nodes (by name) this quantizer would quantize, in graph order.</summary>
    public static IReadOnlyList<NodeProto> QuantizableNodes(ModelProto model, QdqOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= new QdqOptions();
        return model.Graph.Node.Where(n => Selected(n, options)).ToList();
    }

    /// <summary>The activation tensors calibration must measure for these options.</summary>
    public static IReadOnlyCollection<string> TensorsToCalibrate(ModelProto model, QdqOptions options)
    {
        var plan = Plan(model, options);
        var initializers = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        return plan.Activations.Where(a => !plan.SharedFrom.ContainsKey(a) && !initializers.Contains(a)).ToList();
    }

    /// <summary>Writes the QDQ model; the input model is not changed.</summary>
    public static ModelProto Quantize(ModelProto model, IReadOnlyDictionary<string, TensorRange> ranges, QdqOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(ranges);
        ArgumentNullException.ThrowIfNull(options);
        var result = model.Clone();
        var graph = result.Graph;
        var plan = Plan(result, options);
        string domain = ModelPreparation.QdqDomain(result, options.PerChannel && plan.Weights.Values.Any(a => a >= 0));

        // Fold removable activations into their producer: the producer now writes the activation's output.
        foreach (var (node, upstream) in plan.Removed)
        {
            var producer = graph.Node.First(n => n.Output.Contains(upstream));
            int k = producer.Output.IndexOf(upstream);
            producer.Output[k] = node.Output[0];
            graph.Node.Remove(node);
        }

        var initializers = graph.InitializersByName();
        var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var newInitializers = new List<TensorProto>();
        var newNodes = new List<NodeProto>();
        bool symmetric = options.IsActivationSymmetric;

        // Activation parameters: calibrated, or shared with the tensor they derive from. As in ONNX
        // Runtime, a Softmax output always spans [0, 1] whatever calibration saw: its QLinearSoftmax
        // kernel (what ORT fuses the Q/DQ group into) returned zeros for a calibrated [0, 0.56].
        var softmaxOutputs = graph.Node.Where(n => n.Is("Softmax")).Select(n => n.Output[0]).ToHashSet(StringComparer.Ordinal);
        var parameters = new Dictionary<string, ScaleZeroPoint>(StringComparer.Ordinal);
        foreach (var name in plan.Activations)
        {
            string root = name;
            while (plan.SharedFrom.TryGetValue(root, out var from))
            {
                root = from;
            }

            if (softmaxOutputs.Contains(root))
            {
                parameters[name] = QuantizationMath.Compute(0f, 1f, options.ActivationType, symmetric, options.ReduceRange);
            }
            else if (initializers.TryGetValue(root, out var constant))
            {
                var values = OnnxTensors.ToFloats(constant);
                float lo = values.Length == 0 ? 0 : values.Min();
                float hi = values.Length == 0 ? 0 : values.Max();
                parameters[name] = QuantizationMath.Compute(lo, hi, options.ActivationType, symmetric, options.ReduceRange);
            }
            else if (ranges.TryGetValue(root, out var range))
            {
                parameters[name] = QuantizationMath.Compute(range.Min, range.Max, options.ActivationType, symmetric, options.ReduceRange);
            }
        }

        // Biases each weight's scale must leave room for (bias values and the input scale).
        var biasesOfWeight = new Dictionary<string, List<(float[] Bias, float InputScale)>>(StringComparer.Ordinal);
        foreach (var (bias, input, weight) in plan.Biases)
        {
            if (parameters.TryGetValue(input, out var inputParameters) && initializers.TryGetValue(bias, out var biasTensor))
            {
                if (!biasesOfWeight.TryGetValue(weight, out var list))
                {
                    biasesOfWeight[weight] = list = [];
                }

                list.Add((OnnxTensors.ToFloats(biasTensor), inputParameters.Scale));
            }
        }

        // Weights: integer initializers behind DequantizeLinear that writes the original name.
        var weightScales = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var (name, axis) in plan.Weights)
        {
            var tensor = initializers[name];
            var values = OnnxTensors.ToFloats(tensor);
            var dims = tensor.Dims.ToArray();
            var (quantized, scales, zeroPoints) = QuantizeWeight(values, dims, axis, options.WeightType, options.ReduceRange);
            if (biasesOfWeight.TryGetValue(name, out var biases) && WidenScalesForInt32Bias(scales, biases))
            {
                quantized = RequantizeWeight(values, dims, axis, scales, zeroPoints, options.WeightType);
            }

            weightScales[name] = scales;
            string q = name + "_quantized";
            newInitializers.Add(options.WeightType == QuantizedType.Int8
                ? OnnxTensors.FromSBytes(q, Array.ConvertAll(quantized, v => (sbyte)v), dims)
                : OnnxTensors.FromBytes(q, Array.ConvertAll(quantized, v => (byte)v), dims));
            var (scaleName, zpName) = AddParameters(newInitializers, name, scales, zeroPoints, options.WeightType, axis >= 0);
            newNodes.Add(Dequantize(q, scaleName, zpName, name, axis >= 0 ? axis : null, domain));
            graph.RemoveInitializer(name);
        }

        // Biases: int32 with zero point 0 and scale input_scale * weight_scale.
        foreach (var (bias, input, weight) in plan.Biases)
        {
            if (!parameters.TryGetValue(input, out var inputParameters) || !weightScales.TryGetValue(weight, out var wScales) || !initializers.ContainsKey(bias))
            {
                continue;
            }

            var values = OnnxTensors.ToFloats(initializers[bias]);
            if (wScales.Length != 1 && wScales.Length != values.Length)
            {
                continue;
            }

            var biasScales = wScales.Select(s => inputParameters.Scale * s).ToArray();
            var quantized = new int[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                quantized[i] = QuantizationMath.QuantizeBias(values[i], biasScales[biasScales.Length == 1 ? 0 : i]);
            }

            string q = bias + "_quantized";
            var dims = initializers[bias].Dims.ToArray();
            newInitializers.Add(OnnxTensors.FromInts(q, quantized, dims));
            newInitializers.Add(biasScales.Length == 1
                ? OnnxTensors.FromFloats(bias + "_scale", biasScales)
                : OnnxTensors.FromFloats(bias + "_scale", biasScales, biasScales.Length));
            newInitializers.Add(biasScales.Length == 1
                ? OnnxTensors.FromInts(bias + "_zero_point", [0])
                : OnnxTensors.FromInts(bias + "_zero_point", new int[biasScales.Length], biasScales.Length));
            newNodes.Add(Dequantize(q, bias + "_scale", bias + "_zero_point", bias, biasScales.Length == 1 ? null : 0, domain));
            graph.RemoveInitializer(bias);
        }

        // Activations (and constant inputs of quantized ops): Q -> DQ pairs.
        foreach (var name in plan.Activations)
        {
            if (!parameters.TryGetValue(name, out var p))
            {
                continue;
            }

            AddParameters(newInitializers, name, [p.Scale], [p.ZeroPoint], options.ActivationType, perAxis: false);
            string scale = name + "_scale";
            string zeroPoint = name + "_zero_point";
            var producer = graph.Node.FirstOrDefault(n => n.Output.Contains(name));
            if (initializers.TryGetValue(name, out var constant) && producer is null)
            {
                // Constant input of a quantized op: stored quantized, read through DequantizeLinear.
                var values = OnnxTensors.ToFloats(constant);
                var q = Array.ConvertAll(values, v => QuantizationMath.Quantize(v, p, options.ActivationType));
                string qName = name + "_quantized";
                var dims = constant.Dims.ToArray();
                newInitializers.Add(options.ActivationType == QuantizedType.Int8
                    ? OnnxTensors.FromSBytes(qName, Array.ConvertAll(q, v => (sbyte)v), dims)
                    : OnnxTensors.FromBytes(qName, Array.ConvertAll(q, v => (byte)v), dims));
                string dq = name + "_DequantizeLinear_Output";
                graph.ReplaceInput(name, dq);
                newNodes.Add(Dequantize(qName, scale, zeroPoint, dq, null, domain));
            }
            else if (producer is null || inputs.Contains(name))
            {
                // Graph input or initializer: consumers switch to the dequantized copy.
                string dq = name + "_DequantizeLinear_Output";
                graph.ReplaceInput(name, dq);
                newNodes.Add(Quantize(name, scale, zeroPoint, name + "_QuantizeLinear_Output", domain));
                newNodes.Add(Dequantize(name + "_QuantizeLinear_Output", scale, zeroPoint, dq, null, domain));
            }
            else
            {
                // Produced value: the producer writes a new name; DequantizeLinear writes the original one.
                string raw = name + "_QuantizeLinear_Input";
                producer.Output[producer.Output.IndexOf(name)] = raw;
                newNodes.Add(Quantize(raw, scale, zeroPoint, name + "_QuantizeLinear_Output", domain));
                newNodes.Add(Dequantize(name + "_QuantizeLinear_Output", scale, zeroPoint, name, null, domain));
            }
        }

        graph.Initializer.Add(newInitializers);
        graph.Node.Add(newNodes);
        OnnxGraphOrder.SortInPlace(graph);
        graph.RemoveUnusedInitializers();
        return result;
    }

    private static bool Selected(NodeProto node, QdqOptions options) =>
        OnnxVersions.IsDefaultDomain(node.Domain)
        && SupportedOps.Contains(node.OpType)
        && !options.NodesToExclude.Contains(node.Name)
        && !options.OpTypesToExclude.Contains(node.OpType)
        && (options.NodesToQuantize is null || options.NodesToQuantize.Contains(node.Name));

    private sealed class QdqPlan
    {
        public List<string> Activations { get; } = [];

        public HashSet<string> ActivationSet { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string> SharedFrom { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> Weights { get; } = new(StringComparer.Ordinal);

        public List<(string Bias, string Input, string Weight)> Biases { get; } = [];

        public List<(NodeProto Node, string Upstream)> Removed { get; } = [];

        public void Activation(string name)
        {
            if (name.Length > 0 && ActivationSet.Add(name))
            {
                Activations.Add(name);
            }
        }
    }

    private static QdqPlan Plan(ModelProto model, QdqOptions options)
    {
        var graph = model.Graph;
        var types = ModelPreparation.ElementTypes(graph);
        var initializers = graph.InitializersByName();
        var consumers = graph.ConsumersByInput();
        var producers = graph.ProducersByOutput();
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var plan = new QdqPlan();
        bool IsFloat(string name) => name.Length > 0 && types.TryGetValue(name, out var t) && t == DataType.Float;
        bool IsFloatInitializer(string name) => initializers.TryGetValue(name, out var t) && t.DataType == (int)DataType.Float;

        void Activation(string name)
        {
            if (IsFloat(name))
            {
                plan.Activation(name);
            }
        }

        foreach (var node in OnnxGraphOrder.Sort(graph))
        {
            if (!Selected(node, options))
            {
                continue;
            }

            string op = node.OpType;
            if (WeightedOps.Contains(op))
            {
                if (!IsFloat(node.Input[0]) || node.Input.Count < 2)
                {
                    continue;
                }

                Activation(node.Input[0]);
                string weight = node.Input[1];
                if (IsFloatInitializer(weight) && !plan.Weights.ContainsKey(weight))
                {
                    int rank = initializers[weight].Dims.Count;
                    int axis = !options.PerChannel ? -1 : op switch
                    {
                        "Conv" => 0,
                        "ConvTranspose" => 1,
                        "Gemm" => node.GetInt("transB", 0) != 0 ? 0 : 1,
                        _ => -1,
                    };
                    if (axis >= rank)
                    {
                        axis = -1;
                    }

                    plan.Weights[weight] = axis;
                }
                else if (!IsFloatInitializer(weight))
                {
                    Activation(weight);
                }

                bool biasOk = op != "Gemm" || (node.GetFloat("alpha", 1f) == 1f && node.GetFloat("beta", 1f) == 1f);
                if (op != "MatMul" && node.Input.Count > 2 && node.Input[2].Length > 0)
                {
                    if (IsFloatInitializer(node.Input[2]) && biasOk && initializers[node.Input[2]].Dims.Count == 1 && IsFloatInitializer(weight))
                    {
                        plan.Biases.Add((node.Input[2], node.Input[0], weight));
                    }
                    else if (!IsFloatInitializer(node.Input[2]))
                    {
                        Activation(node.Input[2]);
                    }
                }

                Activation(node.Output[0]);
            }
            else if (RemovableActivations.Contains(op))
            {
                string upstream = node.Input[0];
                bool clipAllowsZero = op != "Clip" || ClipMinimum(node, initializers) <= 0;
                if (!options.IsActivationSymmetric
                    && clipAllowsZero
                    && producers.TryGetValue(upstream, out var producer)
                    && Selected(producer, options)
                    && (WeightedOps.Contains(producer.OpType) || InputOutputOps.Contains(producer.OpType))
                    && consumers.TryGetValue(upstream, out var readers) && readers.Count == 1
                    && !graphOutputs.Contains(upstream)
                    && !plan.Removed.Any(r => r.Upstream == upstream))
                {
                    plan.Removed.Add((node, upstream));

                    // The producer's output is now this node's output.
                    if (plan.ActivationSet.Remove(upstream))
                    {
                        plan.Activations.Remove(upstream);
                    }

                    Activation(node.Output[0]);
                }
                else
                {
                    Activation(upstream);
                    Activation(node.Output[0]);
                }
            }
            else if (SameScaleOps.Contains(op))
            {
                string input = node.Input[0];
                if (!IsFloat(input) || initializers.ContainsKey(input))
                {
                    continue;
                }

                Activation(input);
                foreach (var output in node.Output.Where(IsFloat))
                {
                    plan.SharedFrom[output] = input;
                    Activation(output);
                }
            }
            else
            {
                // Normalisations: only the data input; their parameters stay float.
                var quantizedInputs = op.EndsWith("Normalization", StringComparison.Ordinal) ? node.Input.Take(1) : node.Input;
                foreach (var input in quantizedInputs.Where(IsFloat))
                {
                    Activation(input);
                }

                foreach (var output in node.Output)
                {
                    Activation(output);
                }
            }
        }

        // A removed activation's input is no longer a value of the quantized graph.
        foreach (var (_, upstream) in plan.Removed)
        {
            plan.SharedFrom.Remove(upstream);
        }

        return plan;
    }

    private static float ClipMinimum(NodeProto node, Dictionary<string, TensorProto> initializers)
    {
        if (node.Input.Count > 1 && node.Input[1].Length > 0)
        {
            return initializers.TryGetValue(node.Input[1], out var t) ? OnnxTensors.ToFloats(t)[0] : float.PositiveInfinity;
        }

        return node.FindAttribute("min") is { } a ? a.F : float.NegativeInfinity;
    }

    /// <summary>Quantizes weights per tensor (axis -1) or per slice along an axis; symmetric for signed types.</summary>
    internal static (int[] Quantized, float[] Scales, int[] ZeroPoints) QuantizeWeight(
        float[] values, long[] dims, int axis, QuantizedType type, bool reduceRange)
    {
        bool symmetric = type == QuantizedType.Int8;
        int channels = axis < 0 ? 1 : (int)dims[axis];
        long inner = 1;
        for (int d = axis + 1; axis >= 0 && d < dims.Length; d++)
        {
            inner *= dims[d];
        }

        var min = Enumerable.Repeat(float.PositiveInfinity, channels).ToArray();
        var max = Enumerable.Repeat(float.NegativeInfinity, channels).ToArray();
        for (int i = 0; i < values.Length; i++)
        {
            int c = axis < 0 ? 0 : (int)((i / inner) % channels);
            min[c] = Math.Min(min[c], values[i]);
            max[c] = Math.Max(max[c], values[i]);
        }

        var parameters = new ScaleZeroPoint[channels];
        for (int c = 0; c < channels; c++)
        {
            parameters[c] = float.IsFinite(min[c])
                ? QuantizationMath.Compute(min[c], max[c], type, symmetric, reduceRange)
                : new ScaleZeroPoint(1f, 0);
        }

        var quantized = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            int c = axis < 0 ? 0 : (int)((i / inner) % channels);
            quantized[i] = QuantizationMath.Quantize(values[i], parameters[c], type);
        }

        return (quantized, parameters.Select(p => p.Scale).ToArray(), parameters.Select(p => p.ZeroPoint).ToArray());
    }

    /// <summary>
    /// ONNX Runtime's int32 bias rule: when input_scale * weight_scale is so small that a bias
    /// value would not fit in int32 (it would be clipped), the weight scale of that channel (or of
    /// the tensor) grows to the smallest valid bias scale, 1.0001 * 2|b| / (2^32 - 2). This hits
    /// channels whose weights are all near zero but whose bias is not, as folded normalisations
    /// and affine blocks leave them. Returns whether any scale changed.
    /// </summary>
    internal static bool WidenScalesForInt32Bias(float[] scales, IReadOnlyList<(float[] Bias, float InputScale)> biases)
    {
        const double Epsilon = 1.0001;
        double int32Range = (double)int.MaxValue - (int.MinValue + 1.0);
        bool changed = false;
        foreach (var (bias, inputScale) in biases)
        {
            if (scales.Length != 1 && scales.Length != bias.Length)
            {
                continue;
            }

            for (int c = 0; c < scales.Length; c++)
            {
                // Per tensor: the largest |bias| (with zero in the range); per channel: this channel's bias.
                double absMax = scales.Length == 1 ? bias.Select(b => Math.Abs((double)b)).DefaultIfEmpty(0).Max() : Math.Abs((double)bias[c]);
                double smallestValid = Epsilon * 2.0 * absMax / int32Range;
                double candidate = (double)inputScale * scales[c];
                if (candidate > 0 && candidate < smallestValid)
                {
                    scales[c] = (float)(scales[c] * (smallestValid / candidate));
                    changed = true;
                }
            }
        }

        return changed;
    }

    private static int[] RequantizeWeight(float[] values, long[] dims, int axis, float[] scales, int[] zeroPoints, QuantizedType type)
    {
        int channels = scales.Length;
        long inner = 1;
        for (int d = axis + 1; axis >= 0 && d < dims.Length; d++)
        {
            inner *= dims[d];
        }

        var quantized = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            int c = axis < 0 ? 0 : (int)((i / inner) % channels);
            quantized[i] = QuantizationMath.Quantize(values[i], new ScaleZeroPoint(scales[c], zeroPoints[c]), type);
        }

        return quantized;
    }

    private static (string Scale, string ZeroPoint) AddParameters(
        List<TensorProto> initializers, string name, float[] scales, int[] zeroPoints, QuantizedType type, bool perAxis)
    {
        string scale = name + "_scale";
        string zeroPoint = name + "_zero_point";
        long[] dims = perAxis ? [scales.Length] : [];
        initializers.Add(OnnxTensors.FromFloats(scale, scales, dims));
        initializers.Add(type == QuantizedType.Int8
            ? OnnxTensors.FromSBytes(zeroPoint, Array.ConvertAll(zeroPoints, z => (sbyte)z), dims)
            : OnnxTensors.FromBytes(zeroPoint, Array.ConvertAll(zeroPoints, z => (byte)z), dims));
        return (scale, zeroPoint);
    }

    private static NodeProto Quantize(string input, string scale, string zeroPoint, string output, string domain)
    {
        var node = new NodeProto { OpType = "QuantizeLinear", Name = output.Replace("_Output", "", StringComparison.Ordinal), Domain = domain };
        node.Input.Add([input, scale, zeroPoint]);
        node.Output.Add(output);
        return node;
    }

    private static NodeProto Dequantize(string input, string scale, string zeroPoint, string output, int? axis, string domain)
    {
        var node = new NodeProto { OpType = "DequantizeLinear", Name = output + "_DequantizeLinear", Domain = domain };
        node.Input.Add([input, scale, zeroPoint]);
        node.Output.Add(output);
        if (axis is int a)
        {
            node.Attribute.Add(OnnxValues.Int("axis", a));
        }

        return node;
    }
}
