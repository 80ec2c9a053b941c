using System.Text;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Onnx;

/// <summary>Inspection and small edits of models, graphs, values and nodes.</summary>
public static class OnnxGraphExtensions
{
    // ---- model ----------------------------------------------------------------------------

    /// <summary>The imported version of a domain ("" or "ai.onnx" for the default), or null.</summary>
    public static long? OpsetVersion(this ModelProto model, string domain = "")
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wantDefault = OnnxVersions.IsDefaultDomain(domain);
        foreach (var o in model.OpsetImport)
        {
            if (wantDefault ? OnnxVersions.IsDefaultDomain(o.Domain) : string.Equals(o.Domain, domain, StringComparison.Ordinal))
            {
                return o.Version;
            }
        }

        return null;
    }

    /// <summary>Imports a domain at a version, raising an existing import if it is lower.</summary>
    public static void EnsureOpset(this ModelProto model, string domain, long version)
    {
        ArgumentNullException.ThrowIfNull(model);
        bool wantDefault = OnnxVersions.IsDefaultDomain(domain);
        foreach (var o in model.OpsetImport)
        {
            if (wantDefault ? OnnxVersions.IsDefaultDomain(o.Domain) : string.Equals(o.Domain, domain, StringComparison.Ordinal))
            {
                o.Version = Math.Max(o.Version, version);
                return;
            }
        }

        model.OpsetImport.Add(new OperatorSetIdProto { Domain = wantDefault ? "" : domain, Version = version });
    }

    /// <summary>The value of a metadata_props key, or null.</summary>
    public static string? GetMetadata(this ModelProto model, string key)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.MetadataProps.FirstOrDefault(p => p.Key == key)?.Value;
    }

    /// <summary>Sets (replacing) a metadata_props key.</summary>
    public static void SetMetadata(this ModelProto model, string key, string value)
    {
        ArgumentNullException.ThrowIfNull(model);
        var existing = model.MetadataProps.FirstOrDefault(p => p.Key == key);
        if (existing is null)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }
        else
        {
            existing.Value = value;
        }
    }

    /// <summary>A multi-line human summary: versions, opsets, inputs, outputs, node counts by op.</summary>
    public static string Describe(this ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var text = new StringBuilder();
        text.Append("ir_version ").Append(model.IrVersion).Append(", producer ").Append(model.ProducerName).Append(' ').AppendLine(model.ProducerVersion);
        text.Append("opsets: ").AppendLine(string.Join(", ", model.OpsetImport.Select(o => $"{(o.Domain.Length == 0 ? OnnxVersions.DefaultDomain : o.Domain)} {o.Version}")));
        foreach (var input in model.Graph.InputsExcludingInitializers())
        {
            text.Append("input  ").AppendLine(input.Format());
        }

        foreach (var output in model.Graph.Output)
        {
            text.Append("output ").AppendLine(output.Format());
        }

        text.Append("initializers: ").Append(model.Graph.Initializer.Count).Append(", nodes: ").AppendLine(model.Graph.Node.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var group in model.Graph.Node.GroupBy(n => n.OpType).OrderByDescending(g => g.Count()))
        {
            text.Append("  ").Append(group.Key).Append(": ").Append(group.Count()).AppendLine();
        }

        return text.ToString();
    }

    // ---- graph ----------------------------------------------------------------------------

    /// <summary>Graph inputs the caller must feed: inputs that are not also initializers.</summary>
    public static IEnumerable<ValueInfoProto> InputsExcludingInitializers(this GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var initializers = graph.Initializer.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return graph.Input.Where(i => !initializers.Contains(i.Name));
    }

    /// <summary>Initializers by name.</summary>
    public static Dictionary<string, TensorProto> InitializersByName(this GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var map = new Dictionary<string, TensorProto>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer)
        {
            map[t.Name] = t;
        }

        return map;
    }

    /// <summary>The initializer with this name, or null.</summary>
    public static TensorProto? FindInitializer(this GraphProto graph, string name)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Initializer.FirstOrDefault(t => t.Name == name);
    }

    /// <summary>Type information for a value from the graph's inputs, outputs or value_info, or null.</summary>
    public static ValueInfoProto? FindValueInfo(this GraphProto graph, string name)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Input.FirstOrDefault(v => v.Name == name)
            ?? graph.Output.FirstOrDefault(v => v.Name == name)
            ?? graph.ValueInfo.FirstOrDefault(v => v.Name == name);
    }

    /// <summary>The node producing each value name.</summary>
    public static Dictionary<string, NodeProto> ProducersByOutput(this GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var map = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var o in node.Output)
            {
                if (o.Length > 0)
                {
                    map[o] = node;
                }
            }
        }

        return map;
    }

    /// <summary>The nodes reading each value name (a node reading a value twice appears once).</summary>
    public static Dictionary<string, List<NodeProto>> ConsumersByInput(this GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var map = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var i in node.Input.Where(i => i.Length > 0).Distinct(StringComparer.Ordinal))
            {
                if (!map.TryGetValue(i, out var list))
                {
                    map[i] = list = [];
                }

                list.Add(node);
            }
        }

        return map;
    }

    /// <summary>Adds a graph output (for example to observe an intermediate value) unless already one.</summary>
    public static ValueInfoProto AddOutput(this GraphProto graph, string name, DataType elementType, IEnumerable<Dim>? dims = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var existing = graph.Output.FirstOrDefault(o => o.Name == name);
        if (existing is not null)
        {
            return existing;
        }

        var info = OnnxValues.Tensor(name, elementType, dims);
        graph.Output.Add(info);
        return info;
    }

    /// <summary>Renames every use of a value as a node input (and graph output when asked).</summary>
    public static int ReplaceInput(this GraphProto graph, string oldName, string newName, Func<NodeProto, bool>? where = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int count = 0;
        foreach (var node in graph.Node)
        {
            if (where is not null && !where(node))
            {
                continue;
            }

            for (int i = 0; i < node.Input.Count; i++)
            {
                if (node.Input[i] == oldName)
                {
                    node.Input[i] = newName;
                    count++;
                }
            }
        }

        return count;
    }

    /// <summary>Removes an initializer (and the graph input of the same name, in old-style models).</summary>
    public static bool RemoveInitializer(this GraphProto graph, string name)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var tensor = graph.FindInitializer(name);
        if (tensor is null)
        {
            return false;
        }

        graph.Initializer.Remove(tensor);
        var input = graph.Input.FirstOrDefault(i => i.Name == name);
        if (input is not null)
        {
            graph.Input.Remove(input);
        }

        return true;
    }

    /// <summary>Removes initializers that no node (in this graph or its subgraphs) and no output reads.</summary>
    public static int RemoveUnusedInitializers(this GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var g in OnnxWalk.GraphAndSubgraphs(graph))
        {
            foreach (var node in g.Node)
            {
                used.UnionWith(node.Input);
            }

            used.UnionWith(g.Output.Select(o => o.Name));
        }

        var unused = graph.Initializer.Where(t => !used.Contains(t.Name)).Select(t => t.Name).ToList();
        foreach (var name in unused)
        {
            graph.RemoveInitializer(name);
        }

        return unused.Count;
    }

    /// <summary>Every value name used in the graph (inputs, outputs, initializers, node inputs and outputs).</summary>
    public static HashSet<string> AllValueNames(this GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var names = new HashSet<string>(StringComparer.Ordinal);
        names.UnionWith(graph.Input.Select(v => v.Name));
        names.UnionWith(graph.Output.Select(v => v.Name));
        names.UnionWith(graph.ValueInfo.Select(v => v.Name));
        names.UnionWith(graph.Initializer.Select(t => t.Name));
        foreach (var node in graph.Node)
        {
            names.UnionWith(node.Input);
            names.UnionWith(node.Output);
            names.Add(node.Name);
        }

        return names;
    }

    // ---- values ---------------------------------------------------------------------------

    /// <summary>Element type of a tensor value.</summary>
    public static DataType ElementType(this ValueInfoProto value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Type?.TensorType is null)
        {
            throw new OnnxFormatException($"Value '{value.Name}' is not described as a tensor.");
        }

        return (DataType)value.Type.TensorType.ElemType;
    }

    /// <summary>Shape of a tensor value (null when the rank itself is unknown).</summary>
    public static IReadOnlyList<Dim>? Shape(this ValueInfoProto value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var shape = value.Type?.TensorType?.Shape;
        if (shape is null)
        {
            return null;
        }

        return shape.Dim.Select(d => d.ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => new Dim(d.DimValue),
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => new Dim(d.DimParam),
            _ => Dim.Unknown,
        }).ToArray();
    }

    /// <summary>"name: FLOAT[1, 3, batch]".</summary>
    public static string Format(this ValueInfoProto value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Type?.TensorType is null)
        {
            return $"{value.Name}: (non-tensor)";
        }

        var shape = value.Shape();
        return $"{value.Name}: {(DataType)value.Type.TensorType.ElemType}[{(shape is null ? "?" : string.Join(", ", shape))}]";
    }

    // ---- nodes ----------------------------------------------------------------------------

    /// <summary>The attribute with this name, or null.</summary>
    public static AttributeProto? FindAttribute(this NodeProto node, string name)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.Attribute.FirstOrDefault(a => a.Name == name);
    }

    public static long GetInt(this NodeProto node, string name, long fallback) => node.FindAttribute(name)?.I ?? fallback;

    public static float GetFloat(this NodeProto node, string name, float fallback) => node.FindAttribute(name)?.F ?? fallback;

    public static string GetString(this NodeProto node, string name, string fallback) =>
        node.FindAttribute(name) is { } a ? a.S.ToStringUtf8() : fallback;

    public static long[] GetInts(this NodeProto node, string name) => node.FindAttribute(name)?.Ints.ToArray() ?? [];

    public static float[] GetFloats(this NodeProto node, string name) => node.FindAttribute(name)?.Floats.ToArray() ?? [];

    /// <summary>Sets (replacing) an attribute on a node.</summary>
    public static void SetAttribute(this NodeProto node, AttributeProto attribute)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(attribute);
        var existing = node.FindAttribute(attribute.Name);
        if (existing is not null)
        {
            node.Attribute.Remove(existing);
        }

        node.Attribute.Add(attribute);
    }

    /// <summary>True when the node is in the default domain and has this op_type.</summary>
    public static bool Is(this NodeProto node, string opType)
    {
        ArgumentNullException.ThrowIfNull(node);
        return node.OpType == opType && OnnxVersions.IsDefaultDomain(node.Domain);
    }
}
