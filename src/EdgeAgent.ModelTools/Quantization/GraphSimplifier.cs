using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>
/// Float-exact (up to rounding) rewrites that let more of a graph run in integer kernels once
/// quantized, and leave fewer elementwise ops each needing its own requantization:
/// <list type="bullet">
/// <item>a per-channel (or scalar) constant Mul or Add, or a BatchNormalization, after
/// Conv/ConvTranspose folds into the convolution's weights and bias (ONNX Runtime's own
/// ConvMulFusion/ConvAddFusion/ConvBNFusion, which miss a constant that is the Mul's first
/// operand, as exporters such as paddle2onnx write it);</item>
/// <item>a constant Mul before convolutions folds into their weights (zero padding stays zero),
/// a constant Add only into convolutions without padding (the padding would see the offset);
/// Mul(c) then Add(b) before padded convolutions becomes Add(b / c) then Mul(c) so the Mul folds;</item>
/// <item>division by a constant becomes multiplication by its reciprocal (Div has no quantized
/// kernel; Mul does), and two scalar Muls in a row become one.</item>
/// </list>
/// </summary>
public static class GraphSimplifier
{
    /// <summary>Applies the rewrites until none applies; returns how many were made.</summary>
    public static int Simplify(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        int total = 0;
        while (true)
        {
            int made = DivideToMultiply(graph) + MergeScalarMultiplies(graph) + FoldIntoConvolutions(graph)
                + FoldIntoFollowingConvolutions(graph) + SwapScaleAndOffset(graph);
            if (made == 0)
            {
                break;
            }

            total += made;
        }

        if (total > 0)
        {
            graph.RemoveUnusedInitializers();
            OnnxGraphOrder.SortInPlace(graph);
        }

        return total;
    }

    private static int DivideToMultiply(GraphProto graph)
    {
        var initializers = graph.InitializersByName();
        int made = 0;
        foreach (var node in graph.Node)
        {
            if (!node.Is("Div") || node.Input.Count != 2 || !initializers.TryGetValue(node.Input[1], out var divisor)
                || divisor.DataType != (int)DataType.Float)
            {
                continue;
            }

            var values = OnnxTensors.ToFloats(divisor);
            if (values.Any(v => v == 0 || !float.IsFinite(v)))
            {
                continue;
            }

            string name = node.Input[1] + "_reciprocal";
            if (!initializers.ContainsKey(name))
            {
                var reciprocal = OnnxTensors.FromFloats(name, Array.ConvertAll(values, v => 1f / v), divisor.Dims.ToArray());
                graph.Initializer.Add(reciprocal);
                initializers[name] = reciprocal;
            }

            node.OpType = "Mul";
            node.Input[1] = name;
            made++;
        }

        return made;
    }

    /// <summary>Mul(Mul(x, a), b) with scalar constants a and b becomes Mul(x, a * b).</summary>
    private static int MergeScalarMultiplies(GraphProto graph)
    {
        var initializers = graph.InitializersByName();
        var readers = graph.ConsumersByInput();
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var first in graph.Node)
        {
            if (ScalarOperand(first, initializers) is not (int firstConstant, float a))
            {
                continue;
            }

            string middle = first.Output[0];
            if (outputs.Contains(middle) || !readers.TryGetValue(middle, out var next) || next.Count != 1
                || ScalarOperand(next[0], initializers) is not (int secondConstant, float b) || next[0].Input[1 - secondConstant] != middle)
            {
                continue;
            }

            var second = next[0];
            string name = first.Input[firstConstant] + "_times_" + second.Input[secondConstant];
            if (!initializers.ContainsKey(name))
            {
                // Rank of the product: the larger of the two (0 or 1); neither changes the data's rank.
                long[] dims = initializers[first.Input[firstConstant]].Dims.Count + initializers[second.Input[secondConstant]].Dims.Count > 0 ? [1] : [];
                graph.Initializer.Add(OnnxTensors.FromFloats(name, [a * b], dims));
            }

            first.Input[firstConstant] = name;
            first.Output[0] = second.Output[0];
            graph.Node.Remove(second);
            return 1;
        }

        return 0;
    }

    /// <summary>For Mul with one scalar float constant operand: its index and value.</summary>
    private static (int Index, float Value)? ScalarOperand(NodeProto node, Dictionary<string, TensorProto> initializers)
    {
        if (!node.Is("Mul") || node.Input.Count != 2)
        {
            return null;
        }

        for (int i = 0; i < 2; i++)
        {
            if (initializers.TryGetValue(node.Input[i], out var t) && t.DataType == (int)DataType.Float && OnnxTensors.ElementCount(t) == 1
                && t.Dims.Count <= 1 && !initializers.ContainsKey(node.Input[1 - i]))
            {
                return (i, OnnxTensors.ToFloats(t)[0]);
            }
        }

        return null;
    }

    private static int FoldIntoConvolutions(GraphProto graph)
    {
        var initializers = graph.InitializersByName();
        var readers = graph.ConsumersByInput();
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var conv in graph.Node.ToList())
        {
            bool transpose = conv.Is("ConvTranspose");
            if (!(conv.Is("Conv") || transpose) || conv.Input.Count < 2 || !initializers.TryGetValue(conv.Input[1], out var weight)
                || weight.DataType != (int)DataType.Float || (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !initializers.ContainsKey(conv.Input[2])))
            {
                continue;
            }

            string y = conv.Output[0];
            if (outputs.Contains(y) || !readers.TryGetValue(y, out var next) || next.Count != 1)
            {
                continue;
            }

            var follower = next[0];
            int channels = OutputChannels(weight, transpose, (int)conv.GetInt("group", 1));
            float[]? multiplier = null;
            float[]? offset = null;
            if ((follower.Is("Add") || follower.Is("Mul")) && follower.Input.Count == 2 && follower.Input[0] != follower.Input[1])
            {
                string other = follower.Input[0] == y ? follower.Input[1] : follower.Input[0];
                if (initializers.TryGetValue(other, out var constant) && constant.DataType == (int)DataType.Float && IsPerChannel(constant, channels, weight.Dims.Count))
                {
                    var v = OnnxTensors.ToFloats(constant);
                    var perChannel = v.Length == 1 ? Enumerable.Repeat(v[0], channels).ToArray() : v;
                    if (follower.Is("Add"))
                    {
                        offset = perChannel;
                    }
                    else
                    {
                        multiplier = perChannel;
                        offset = new float[channels];
                    }
                }
            }
            else if (follower.Is("BatchNormalization") && follower.Input[0] == y && follower.Output.Count == 1
                && follower.Input.Skip(1).All(i => initializers.TryGetValue(i, out var t) && t.DataType == (int)DataType.Float))
            {
                var gamma = OnnxTensors.ToFloats(initializers[follower.Input[1]]);
                var beta = OnnxTensors.ToFloats(initializers[follower.Input[2]]);
                var mean = OnnxTensors.ToFloats(initializers[follower.Input[3]]);
                var variance = OnnxTensors.ToFloats(initializers[follower.Input[4]]);
                float epsilon = follower.GetFloat("epsilon", 1e-5f);
                if (gamma.Length == channels)
                {
                    multiplier = new float[channels];
                    offset = new float[channels];
                    for (int c = 0; c < channels; c++)
                    {
                        multiplier[c] = (float)(gamma[c] / Math.Sqrt(variance[c] + (double)epsilon));
                        offset[c] = beta[c] - (mean[c] * multiplier[c]);
                    }
                }
            }

            if (offset is null)
            {
                continue;
            }

            // New weight and bias (fresh names: the old ones may be shared).
            var w = OnnxTensors.ToFloats(weight);
            var dims = weight.Dims.ToArray();
            if (multiplier is not null)
            {
                ScaleOutputChannels(w, dims, transpose, (int)conv.GetInt("group", 1), multiplier);
            }

            var bias = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? OnnxTensors.ToFloats(initializers[conv.Input[2]]) : new float[channels];
            for (int c = 0; c < channels; c++)
            {
                bias[c] = (bias[c] * (multiplier?[c] ?? 1f)) + offset[c];
            }

            string baseName = (conv.Name.Length > 0 ? conv.Name : y) + "_folded";
            string prefix = baseName;
            for (int n = 2; initializers.ContainsKey(prefix + "_W") || initializers.ContainsKey(prefix + "_B"); n++)
            {
                prefix = baseName + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            graph.Initializer.Add(OnnxTensors.FromFloats(prefix + "_W", w, dims));
            graph.Initializer.Add(OnnxTensors.FromFloats(prefix + "_B", bias, channels));
            conv.Input[1] = prefix + "_W";
            if (conv.Input.Count > 2)
            {
                conv.Input[2] = prefix + "_B";
            }
            else
            {
                conv.Input.Add(prefix + "_B");
            }

            conv.Output[0] = follower.Output[0];
            graph.Node.Remove(follower);
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// Mul or Add with a scalar or per-channel constant whose every reader is a Conv taking it as
    /// data input: the constant folds into each Conv's weights (Mul) or bias (Add, only without
    /// padding), and the node goes.
    /// </summary>
    private static int FoldIntoFollowingConvolutions(GraphProto graph)
    {
        var initializers = graph.InitializersByName();
        var readers = graph.ConsumersByInput();
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            bool add = node.Is("Add");
            if (!(add || node.Is("Mul")) || node.Input.Count != 2 || ConstantOperand(node, initializers) is not (int k, TensorProto constant))
            {
                continue;
            }

            string x = node.Input[1 - k];
            string y = node.Output[0];
            if (outputs.Contains(y) || !readers.TryGetValue(y, out var convs) || convs.Count == 0
                || !convs.All(c => CanAbsorbInput(c, y, constant, add, initializers)))
            {
                continue;
            }

            var values = OnnxTensors.ToFloats(constant);
            foreach (var conv in convs.Distinct())
            {
                var weight = initializers[conv.Input[1]];
                var w = OnnxTensors.ToFloats(weight);
                var dims = weight.Dims.ToArray();
                long outChannels = dims[0];
                long inPerGroup = dims[1];
                long group = conv.GetInt("group", 1);
                long inner = 1;
                for (int d = 2; d < dims.Length; d++)
                {
                    inner *= dims[d];
                }

                var bias = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? OnnxTensors.ToFloats(initializers[conv.Input[2]]) : new float[outChannels];
                for (long o = 0; o < outChannels; o++)
                {
                    long firstInput = o / (outChannels / group) * inPerGroup;
                    double sum = 0;
                    for (long i = 0; i < inPerGroup; i++)
                    {
                        float v = values.Length == 1 ? values[0] : values[firstInput + i];
                        long start = ((o * inPerGroup) + i) * inner;
                        for (long e = 0; e < inner; e++)
                        {
                            if (add)
                            {
                                sum += (double)w[start + e] * v;
                            }
                            else
                            {
                                w[start + e] *= v;
                            }
                        }
                    }

                    bias[o] += (float)sum;
                }

                string prefix = FreshPrefix(initializers, (conv.Name.Length > 0 ? conv.Name : conv.Output[0]) + "_input_folded");
                var newWeight = OnnxTensors.FromFloats(prefix + "_W", w, dims);
                var newBias = OnnxTensors.FromFloats(prefix + "_B", bias, outChannels);
                graph.Initializer.Add(newWeight);
                graph.Initializer.Add(newBias);
                initializers[newWeight.Name] = newWeight;
                initializers[newBias.Name] = newBias;
                conv.Input[0] = x;
                conv.Input[1] = newWeight.Name;
                if (conv.Input.Count > 2)
                {
                    conv.Input[2] = newBias.Name;
                }
                else
                {
                    conv.Input.Add(newBias.Name);
                }
            }

            graph.Node.Remove(node);
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// Mul(x, c) then Add(_, b) with scalar constants, where the Add feeds only Convs that cannot
    /// take an offset (padding), becomes Add(x, b / c) then Mul(_, c): the Mul then folds into them.
    /// </summary>
    private static int SwapScaleAndOffset(GraphProto graph)
    {
        var initializers = graph.InitializersByName();
        var readers = graph.ConsumersByInput();
        var outputs = graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var mul in graph.Node)
        {
            if (!mul.Is("Mul") || mul.Input.Count != 2 || ConstantOperand(mul, initializers) is not (int mk, TensorProto scale)
                || OnnxTensors.ElementCount(scale) != 1 || scale.Dims.Count > 1)
            {
                continue;
            }

            float c = OnnxTensors.ToFloats(scale)[0];
            string middle = mul.Output[0];
            if (c == 0 || !float.IsFinite(c) || outputs.Contains(middle) || !readers.TryGetValue(middle, out var next) || next.Count != 1)
            {
                continue;
            }

            var add = next[0];
            if (!add.Is("Add") || add.Input.Count != 2 || ConstantOperand(add, initializers) is not (int ak, TensorProto offset)
                || add.Input[1 - ak] != middle || OnnxTensors.ElementCount(offset) != 1 || offset.Dims.Count > 1)
            {
                continue;
            }

            string y = add.Output[0];
            if (outputs.Contains(y) || !readers.TryGetValue(y, out var convs) || convs.Count == 0
                || !convs.All(conv => CanAbsorbInput(conv, y, scale, add: false, initializers))
                || convs.All(conv => CanAbsorbInput(conv, y, offset, add: true, initializers)))
            {
                continue;
            }

            float b = OnnxTensors.ToFloats(offset)[0];
            string shifted = FreshPrefix(initializers, add.Input[ak] + "_over_scale");
            graph.Initializer.Add(OnnxTensors.FromFloats(shifted, [b / c], offset.Dims.ToArray()));

            // x -> Add(x, b / c) -> Mul(_, c) -> y: the nodes keep their names and swap places.
            string x = mul.Input[1 - mk];
            add.Input[1 - ak] = x;
            add.Input[ak] = shifted;
            add.Output[0] = middle;
            mul.Input[1 - mk] = middle;
            mul.Output[0] = y;
            int mulIndex = graph.Node.IndexOf(mul);
            int addIndex = graph.Node.IndexOf(add);
            graph.Node[mulIndex] = add;
            graph.Node[addIndex] = mul;
            return 1;
        }

        return 0;
    }

    /// <summary>A Conv reading <paramref name="input"/> as data can take a Mul (any padding) or an Add (no padding) by this constant.</summary>
    private static bool CanAbsorbInput(NodeProto conv, string input, TensorProto constant, bool add, Dictionary<string, TensorProto> initializers)
    {
        if (!conv.Is("Conv") || conv.Input.Count < 2 || conv.Input[0] != input || conv.Input.Skip(1).Contains(input)
            || !initializers.TryGetValue(conv.Input[1], out var weight) || weight.DataType != (int)DataType.Float || weight.Dims.Count < 3
            || (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !initializers.ContainsKey(conv.Input[2])))
        {
            return false;
        }

        long group = conv.GetInt("group", 1);
        int inputChannels = (int)(weight.Dims[1] * group);
        if (!IsPerChannel(constant, inputChannels, weight.Dims.Count))
        {
            return false;
        }

        if (!add)
        {
            return true;
        }

        string autoPad = conv.GetString("auto_pad", "NOTSET");
        return (autoPad is "NOTSET" or "VALID") && conv.GetInts("pads").All(p => p == 0);
    }

    /// <summary>For Mul/Add with exactly one float constant operand (the other a computed value): its index and tensor.</summary>
    private static (int Index, TensorProto Constant)? ConstantOperand(NodeProto node, Dictionary<string, TensorProto> initializers)
    {
        for (int i = 0; i < 2; i++)
        {
            if (initializers.TryGetValue(node.Input[i], out var t) && t.DataType == (int)DataType.Float && !initializers.ContainsKey(node.Input[1 - i]))
            {
                return (i, t);
            }
        }

        return null;
    }

    private static string FreshPrefix(Dictionary<string, TensorProto> initializers, string baseName)
    {
        string prefix = baseName;
        for (int n = 2; initializers.ContainsKey(prefix) || initializers.ContainsKey(prefix + "_W") || initializers.ContainsKey(prefix + "_B"); n++)
        {
            prefix = baseName + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return prefix;
    }

    private static int OutputChannels(TensorProto weight, bool transpose, int group) =>
        transpose ? (int)weight.Dims[1] * group : (int)weight.Dims[0];

    /// <summary>A constant broadcasting one value per output channel over [N, C, spatial...].</summary>
    private static bool IsPerChannel(TensorProto t, int channels, int rank)
    {
        var dims = t.Dims.ToArray();
        long count = OnnxTensors.ElementCount(t);
        if (count == 1)
        {
            return dims.Length <= rank;
        }

        if (count != channels)
        {
            return false;
        }

        // [C, 1, 1...] (rank - 1 dims) or [1, C, 1, 1...] (rank dims).
        int spatial = rank - 2;
        if (dims.Length == spatial + 1)
        {
            return dims[0] == channels && dims.Skip(1).All(d => d == 1);
        }

        return dims.Length == rank && dims[0] == 1 && dims[1] == channels && dims.Skip(2).All(d => d == 1);
    }

    private static void ScaleOutputChannels(float[] w, long[] dims, bool transpose, int group, float[] multiplier)
    {
        long inner = 1;
        for (int d = 2; d < dims.Length; d++)
        {
            inner *= dims[d];
        }

        long d0 = dims[0];
        long d1 = dims[1];
        for (long i = 0; i < d0; i++)
        {
            for (long j = 0; j < d1; j++)
            {
                long channel = transpose ? ((i / (d0 / group)) * d1) + j : i;
                float m = multiplier[channel];
                long start = ((i * d1) + j) * inner;
                for (long k = 0; k < inner; k++)
                {
                    w[start + k] *= m;
                }
            }
        }
    }
}
