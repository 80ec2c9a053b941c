using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>
/// Float16 conversion with float32 inputs and outputs kept: float initializers and constants
/// become float16, Cast nodes at the graph inputs and outputs convert between the two, and
/// Cast-to-float nodes inside the graph cast to float16 instead. Inputs that operators require
/// in float32 (Resize roi/scales, Upsample scales) stay float32. ONNX Runtime's CPU provider runs
/// operators without float16 kernels through its own inserted casts; GPUs run them natively.
/// </summary>
public static class Fp16Converter
{
    /// <summary>Inputs (op type, index) that must remain float32.</summary>
    private static readonly HashSet<(string Op, int Index)> Float32Inputs =
    [
        ("Resize", 1), ("Resize", 2), ("Upsample", 1),
    ];

    public static ModelProto Convert(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var result = model.Clone();
        ModelPreparation.ConstantsToInitializers(result.Graph);
        var graph = result.Graph;

        var keepFloat = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Input.Count; i++)
            {
                if (Float32Inputs.Contains((node.OpType, i)))
                {
                    keepFloat.Add(node.Input[i]);
                }
            }
        }

        for (int i = 0; i < graph.Initializer.Count; i++)
        {
            var t = graph.Initializer[i];
            if (t.DataType == (int)DataType.Float && !keepFloat.Contains(t.Name))
            {
                graph.Initializer[i] = ToHalf(t);
            }
        }

        foreach (var node in graph.Node)
        {
            if (node.Is("Cast") && node.GetInt("to", 0) == (long)DataType.Float)
            {
                node.SetAttribute(OnnxValues.Int("to", (long)DataType.Float16));
            }

            foreach (var attribute in node.Attribute)
            {
                if (attribute.T is { DataType: (int)DataType.Float } t && node.OpType is "ConstantOfShape")
                {
                    attribute.T = ToHalf(t);
                }
            }
        }

        var newNodes = new List<NodeProto>();
        foreach (var input in graph.InputsExcludingInitializers().ToList())
        {
            if (input.ElementType() != DataType.Float)
            {
                continue;
            }

            string half = input.Name + "_fp16";
            graph.ReplaceInput(input.Name, half);
            newNodes.Add(Cast(input.Name, half, DataType.Float16));
        }

        foreach (var output in graph.Output)
        {
            if (output.Type?.TensorType?.ElemType != (int)DataType.Float)
            {
                continue;
            }

            string half = output.Name + "_fp16";
            foreach (var node in graph.Node)
            {
                for (int i = 0; i < node.Output.Count; i++)
                {
                    if (node.Output[i] == output.Name)
                    {
                        node.Output[i] = half;
                    }
                }
            }

            graph.ReplaceInput(output.Name, half);
            newNodes.Add(Cast(half, output.Name, DataType.Float));
        }

        // Intermediate type annotations would contradict the new types; ONNX Runtime infers them again.
        graph.ValueInfo.Clear();
        foreach (var name in keepFloat)
        {
            // A float32-only input fed by a computed value gets a Cast back to float32.
            if (graph.FindInitializer(name) is null && graph.Node.Any(n => n.Output.Contains(name)))
            {
                string f32 = name + "_fp32";
                foreach (var node in graph.Node)
                {
                    for (int i = 0; i < node.Input.Count; i++)
                    {
                        if (node.Input[i] == name && Float32Inputs.Contains((node.OpType, i)))
                        {
                            node.Input[i] = f32;
                        }
                    }
                }

                newNodes.Add(Cast(name, f32, DataType.Float));
            }
        }

        graph.Node.Add(newNodes);
        OnnxGraphOrder.SortInPlace(graph);
        return result;
    }

    private static TensorProto ToHalf(TensorProto tensor)
    {
        var values = OnnxTensors.ToFloats(tensor);
        var halves = new Half[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            // Clamp to float16's finite range rather than overflow to infinity.
            halves[i] = (Half)Math.Clamp(values[i], -65504f, 65504f);
        }

        var converted = OnnxTensors.FromHalves(tensor.Name, halves, tensor.Dims.ToArray());
        converted.DocString = tensor.DocString;
        return converted;
    }

    private static NodeProto Cast(string input, string output, DataType to)
    {
        var node = new NodeProto { OpType = "Cast", Name = output + "_Cast" };
        node.Input.Add(input);
        node.Output.Add(output);
        node.Attribute.Add(OnnxValues.Int("to", (long)to));
        return node;
    }
}
