using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>
/// Raises a model's default-domain opset to 13 (what per-channel QDQ needs) by rewriting the
/// operators whose form changed on the way: Clip min/max attributes (opset 11) and Slice
/// starts/ends/axes attributes (opset 10) become constant inputs, Squeeze/Unsqueeze/Split/ReduceSum
/// attributes become inputs (opset 13), and Softmax/LogSoftmax/Hardmax are accepted when they act
/// on the last axis (where the opset 13 meaning is the same). Anything else that changed is refused.
/// </summary>
public static class OpsetUpgrader
{
    /// <summary>Ops whose meaning or form changed between opsets 7 and 13 that this upgrader cannot rewrite.</summary>
    private static readonly HashSet<string> Refused = new(StringComparer.Ordinal)
    {
        // Pooling, Gemm and Flatten only gained attributes whose defaults keep the old meaning.
        "Upsample", "Pad", "Resize", "Dropout", "Scan", "Loop", "If", "TopK",
    };

    /// <summary>Upgrades in place; returns null on success, or why the model cannot be upgraded.</summary>
    public static string? TryUpgradeTo13(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        long opset = model.OpsetVersion() ?? 0;
        if (opset >= 13)
        {
            return null;
        }

        if (opset < 7)
        {
            return $"opset {opset} is older than 7";
        }

        var graph = model.Graph;
        var ranks = graph.Input.Concat(graph.ValueInfo).Concat(graph.Output)
            .Where(v => v.Type?.TensorType?.Shape is not null)
            .ToDictionary(v => v.Name, v => v.Type.TensorType.Shape.Dim.Count, StringComparer.Ordinal);
        foreach (var node in graph.Node.Where(n => OnnxVersions.IsDefaultDomain(n.Domain)))
        {
            if (Refused.Contains(node.OpType) && opset < 11)
            {
                return $"node '{node.Name}' ({node.OpType}) changed between opset {opset} and 13 and is not rewritten";
            }

            if (node.OpType is "Softmax" or "LogSoftmax" or "Hardmax")
            {
                long axis = node.GetInt("axis", 1);
                if (axis != -1 && !(ranks.TryGetValue(node.Input[0], out int rank) && axis == rank - 1))
                {
                    return $"node '{node.Name}' ({node.OpType}) uses axis {axis}, whose meaning changes in opset 13 unless it is the last axis (rank unknown or different)";
                }
            }

            if (node.GraphAttributes().Any())
            {
                return $"node '{node.Name}' ({node.OpType}) has subgraphs";
            }
        }

        int counter = 0;
        string Constant(long[] values)
        {
            string name = $"opset13_constant_{counter++}";
            graph.Initializer.Add(OnnxTensors.FromLongs(name, values, values.Length));
            return name;
        }

        foreach (var node in graph.Node.Where(n => OnnxVersions.IsDefaultDomain(n.Domain)))
        {
            switch (node.OpType)
            {
                case "Clip" when opset < 11:
                {
                    float min = node.GetFloat("min", float.MinValue);
                    float max = node.GetFloat("max", float.MaxValue);
                    RemoveAttributes(node, "min", "max");
                    string minName = $"opset13_clip_min_{counter}";
                    string maxName = $"opset13_clip_max_{counter++}";
                    graph.Initializer.Add(OnnxTensors.Scalar(minName, min));
                    graph.Initializer.Add(OnnxTensors.Scalar(maxName, max));
                    node.Input.Add([minName, maxName]);
                    break;
                }

                case "Slice" when opset < 10:
                {
                    var starts = node.GetInts("starts");
                    var ends = node.GetInts("ends");
                    var axes = node.GetInts("axes");
                    RemoveAttributes(node, "starts", "ends", "axes");
                    node.Input.Add([Constant(starts), Constant(ends)]);
                    if (axes.Length > 0)
                    {
                        node.Input.Add(Constant(axes));
                    }

                    break;
                }

                case "Squeeze" or "Unsqueeze" or "ReduceSum" when node.FindAttribute("axes") is not null:
                {
                    var axes = node.GetInts("axes");
                    RemoveAttributes(node, "axes");
                    node.Input.Add(Constant(axes));
                    break;
                }

                case "Split" when node.FindAttribute("split") is not null:
                {
                    var split = node.GetInts("split");
                    RemoveAttributes(node, "split");
                    node.Input.Add(Constant(split));
                    break;
                }
            }
        }

        model.EnsureOpset("", 13);
        model.IrVersion = Math.Max(model.IrVersion, OnnxVersions.IrVersionForOpset(13));
        return null;
    }

    private static void RemoveAttributes(NodeProto node, params string[] names)
    {
        foreach (var a in node.Attribute.Where(a => names.Contains(a.Name)).ToList())
        {
            node.Attribute.Remove(a);
        }
    }

    private static IEnumerable<GraphProto> GraphAttributes(this NodeProto node) =>
        node.Attribute.Where(a => a.G is not null).Select(a => a.G).Concat(node.Attribute.SelectMany(a => a.Graphs));
}
