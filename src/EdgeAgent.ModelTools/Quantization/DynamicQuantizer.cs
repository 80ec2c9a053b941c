using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>
/// Dynamic quantization: weights stored as integers, activations quantized at run time by
/// DynamicQuantizeLinear (uint8, asymmetric). MatMul becomes MatMulInteger (int8 weights,
/// per-column with per-channel), Conv becomes ConvInteger (uint8 weights: ONNX Runtime's CPU
/// ConvInteger takes uint8 only); each result is cast to float and scaled by
/// activation_scale * weight_scale, plus the bias for Conv.
/// </summary>
public static class DynamicQuantizer
{
    public static (ModelProto Model, int Replaced) Quantize(ModelProto model, QdqOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var result = model.Clone();
        if ((model.OpsetVersion() ?? 0) < 11 && OpsetUpgrader.TryUpgradeTo13(result) is { } refusal)
        {
            // Older models are raised to opset 13 the way static mode raises them (ONNX Runtime's
            // Python quantizer only relabels the opset, which silently changes e.g. Clip and Slice).
            throw new NotSupportedException(
                $"Dynamic quantization needs default-domain opset 11 or later (DynamicQuantizeLinear); the model imports opset {model.OpsetVersion()} and cannot be raised to 13: {refusal}.");
        }

        ModelPreparation.ConstantsToInitializers(result.Graph);
        var graph = result.Graph;
        var initializers = graph.InitializersByName();
        var dynamicInputs = new Dictionary<string, (string Q, string Scale, string ZeroPoint)>(StringComparer.Ordinal);
        var output = new List<NodeProto>();
        int replaced = 0;
        foreach (var node in graph.Node)
        {
            bool selected = !options.NodesToExclude.Contains(node.Name) && (options.NodesToQuantize is null || options.NodesToQuantize.Contains(node.Name));
            bool matmul = node.Is("MatMul") && node.Input.Count == 2;
            bool conv = node.Is("Conv");
            if (!selected || !(matmul || conv) || !initializers.TryGetValue(node.Input[1], out var weight) || weight.DataType != (int)DataType.Float
                || (matmul && weight.Dims.Count != 2))
            {
                output.Add(node);
                continue;
            }

            string a = node.Input[0];
            if (!dynamicInputs.TryGetValue(a, out var aq))
            {
                aq = (a + "_quantized", a + "_scale", a + "_zero_point");
                var dq = new NodeProto { OpType = "DynamicQuantizeLinear", Name = a + "_DynamicQuantizeLinear" };
                dq.Input.Add(a);
                dq.Output.Add([aq.Q, aq.Scale, aq.ZeroPoint]);
                output.Add(dq);
                dynamicInputs[a] = aq;
            }

            var dims = weight.Dims.ToArray();
            var wType = conv ? QuantizedType.UInt8 : QuantizedType.Int8;
            int axis = options.PerChannel ? (conv ? 0 : 1) : -1;
            if (conv && axis >= 0)
            {
                // ConvInteger takes a per-output-channel zero point; keep it simple and exact: per tensor.
                axis = -1;
            }

            var (q, scales, zeroPoints) = QdqQuantizer.QuantizeWeight(OnnxTensors.ToFloats(weight), dims, axis, wType, options.ReduceRange);
            string w = node.Input[1];
            long[] paramDims = axis >= 0 ? [scales.Length] : [];
            graph.Initializer.Add(wType == QuantizedType.Int8
                ? OnnxTensors.FromSBytes(w + "_quantized", Array.ConvertAll(q, v => (sbyte)v), dims)
                : OnnxTensors.FromBytes(w + "_quantized", Array.ConvertAll(q, v => (byte)v), dims));
            graph.Initializer.Add(OnnxTensors.FromFloats(w + "_scale", scales, paramDims));
            graph.Initializer.Add(wType == QuantizedType.Int8
                ? OnnxTensors.FromSBytes(w + "_zero_point", Array.ConvertAll(zeroPoints, v => (sbyte)v), paramDims)
                : OnnxTensors.FromBytes(w + "_zero_point", Array.ConvertAll(zeroPoints, v => (byte)v), paramDims));

            string name = node.Name.Length > 0 ? node.Name : node.Output[0];
            var integer = new NodeProto { OpType = matmul ? "MatMulInteger" : "ConvInteger", Name = name + "_quant" };
            integer.Input.Add([aq.Q, w + "_quantized", aq.ZeroPoint, w + "_zero_point"]);
            integer.Output.Add(name + "_int32");
            if (conv)
            {
                integer.Attribute.Add(node.Attribute.Select(x => x.Clone()));
            }

            var cast = new NodeProto { OpType = "Cast", Name = name + "_cast" };
            cast.Input.Add(name + "_int32");
            cast.Output.Add(name + "_float");
            cast.Attribute.Add(OnnxValues.Int("to", (long)DataType.Float));

            var scaleProduct = new NodeProto { OpType = "Mul", Name = name + "_scales_mul" };
            scaleProduct.Input.Add([aq.Scale, w + "_scale"]);
            scaleProduct.Output.Add(name + "_scale_product");

            string scaledOut = conv && node.Input.Count > 2 && node.Input[2].Length > 0 ? name + "_scaled" : node.Output[0];
            var scaled = new NodeProto { OpType = "Mul", Name = name + "_output_scale_mul" };
            scaled.Input.Add([name + "_float", name + "_scale_product"]);

            scaled.Output.Add(scaledOut);
            output.Add(integer);
            output.Add(cast);
            output.Add(scaleProduct);
            output.Add(scaled);
            if (scaledOut != node.Output[0])
            {
                // Conv bias [C] added per channel: reshape to [C, 1, 1...] for broadcasting.
                var bias = initializers[node.Input[2]];
                int spatial = (int)dims.Length - 2;
                var shape = new long[spatial + 1];
                shape[0] = bias.Dims[0];
                Array.Fill(shape, 1, 1, spatial);
                var reshaped = OnnxTensors.FromFloats(node.Input[2] + "_broadcast", OnnxTensors.ToFloats(bias), shape);
                graph.Initializer.Add(reshaped);
                var add = new NodeProto { OpType = "Add", Name = name + "_bias_add" };
                add.Input.Add([scaledOut, reshaped.Name]);
                add.Output.Add(node.Output[0]);
                output.Add(add);
            }

            replaced++;
        }

        graph.Node.Clear();
        graph.Node.Add(output);
        if (replaced > 0)
        {
            OnnxGraphOrder.SortInPlace(graph);
            graph.RemoveUnusedInitializers();
        }

        return (result, replaced);
    }
}
