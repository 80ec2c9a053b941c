using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Onnx;

/// <summary>
/// Builds a model in code:
/// <code>
/// var model = new GraphBuilder("affine")
///     .Opset(17)
///     .Input("x", DataType.Float, "batch", 4)
///     .Initializer("w", weights, 4, 2)
///     .Node("MatMul", ["x", "w"], ["y"])
///     .Output("y", DataType.Float, "batch", 2)
///     .Build();
/// </code>
/// <see cref="Build"/> checks that every value read is defined and returns the nodes in
/// topological order.
/// </summary>
public sealed class GraphBuilder
{
    /// <summary>Default-domain opset used when none is given.</summary>
    public const long DefaultOpset = 17;

    private readonly GraphProto _graph;
    private readonly List<OperatorSetIdProto> _opsets = [];
    private readonly List<StringStringEntryProto> _metadata = [];
    private long? _irVersion;
    private string _producerName = "EdgeAgent";
    private string _producerVersion = "1";
    private string _docString = "";

    public GraphBuilder(string graphName = "graph")
    {
        ArgumentException.ThrowIfNullOrEmpty(graphName);
        _graph = new GraphProto { Name = graphName };
    }

    /// <summary>Imports the default domain at this version.</summary>
    public GraphBuilder Opset(long version) => Opset("", version);

    /// <summary>Imports a domain ("" for the default, "com.microsoft" for ORT contrib ops) at a version.</summary>
    public GraphBuilder Opset(string domain, long version)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        string key = OnnxVersions.IsDefaultDomain(domain) ? "" : domain;
        _opsets.RemoveAll(o => o.Domain == key);
        _opsets.Add(new OperatorSetIdProto { Domain = key, Version = version });
        return this;
    }

    /// <summary>Overrides the IR version (default: the one released with the default opset).</summary>
    public GraphBuilder IrVersion(long version)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, OnnxVersions.MinIrVersion);
        _irVersion = version;
        return this;
    }

    public GraphBuilder Producer(string name, string version)
    {
        _producerName = name;
        _producerVersion = version;
        return this;
    }

    public GraphBuilder DocString(string text)
    {
        _docString = text;
        return this;
    }

    /// <summary>A graph input; no dims means a scalar.</summary>
    public GraphBuilder Input(string name, DataType elementType, params Dim[] dims)
    {
        _graph.Input.Add(OnnxValues.Tensor(name, elementType, dims));
        return this;
    }

    /// <summary>A graph output; no dims means a scalar.</summary>
    public GraphBuilder Output(string name, DataType elementType, params Dim[] dims)
    {
        _graph.Output.Add(OnnxValues.Tensor(name, elementType, dims));
        return this;
    }

    /// <summary>A graph output whose rank is not known.</summary>
    public GraphBuilder OutputOfUnknownShape(string name, DataType elementType)
    {
        _graph.Output.Add(OnnxValues.Tensor(name, elementType, null));
        return this;
    }

    /// <summary>Type information for an intermediate value.</summary>
    public GraphBuilder ValueInfo(string name, DataType elementType, params Dim[] dims)
    {
        _graph.ValueInfo.Add(OnnxValues.Tensor(name, elementType, dims));
        return this;
    }

    /// <summary>A float initializer; without dims it is one-dimensional.</summary>
    public GraphBuilder Initializer(string name, float[] values, params long[] dims) =>
        Initializer(OnnxTensors.FromFloats(name, values, DimsOrVector(values, dims)));

    /// <summary>An int64 initializer; without dims it is one-dimensional.</summary>
    public GraphBuilder Initializer(string name, long[] values, params long[] dims) =>
        Initializer(OnnxTensors.FromLongs(name, values, DimsOrVector(values, dims)));

    /// <summary>An int32 initializer; without dims it is one-dimensional.</summary>
    public GraphBuilder Initializer(string name, int[] values, params long[] dims) =>
        Initializer(OnnxTensors.FromInts(name, values, DimsOrVector(values, dims)));

    /// <summary>Any tensor as an initializer (its name is the value name).</summary>
    public GraphBuilder Initializer(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentException.ThrowIfNullOrEmpty(tensor.Name, nameof(tensor));
        _graph.Initializer.Add(tensor);
        return this;
    }

    /// <summary>Adds a node; empty strings in inputs mark omitted optional inputs.</summary>
    public GraphBuilder Node(
        string opType,
        string[] inputs,
        string[] outputs,
        Action<NodeAttributes>? attributes = null,
        string? name = null,
        string domain = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        var node = new NodeProto
        {
            OpType = opType,
            Name = name ?? $"{opType}_{_graph.Node.Count}",
            Domain = OnnxVersions.IsDefaultDomain(domain) ? "" : domain,
        };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        if (attributes is not null)
        {
            var set = new NodeAttributes(node);
            attributes(set);
        }

        _graph.Node.Add(node);
        return this;
    }

    /// <summary>A metadata_props entry of the model.</summary>
    public GraphBuilder Metadata(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        _metadata.RemoveAll(p => p.Key == key);
        _metadata.Add(new StringStringEntryProto { Key = key, Value = value });
        return this;
    }

    /// <summary>Checks the graph and returns a new model; the builder can keep building afterwards.</summary>
    /// <exception cref="OnnxFormatException">A value is read but never defined, defined twice, or the nodes form a cycle.</exception>
    public ModelProto Build()
    {
        var graph = _graph.Clone();
        Validate(graph);
        OnnxGraphOrder.SortInPlace(graph);

        var model = new ModelProto
        {
            ProducerName = _producerName,
            ProducerVersion = _producerVersion,
            DocString = _docString,
            Graph = graph,
        };
        model.OpsetImport.Add(_opsets.Select(o => o.Clone()));
        if (!model.OpsetImport.Any(o => o.Domain.Length == 0))
        {
            model.OpsetImport.Insert(0, new OperatorSetIdProto { Domain = "", Version = DefaultOpset });
        }

        model.IrVersion = _irVersion ?? OnnxVersions.IrVersionForOpset(model.OpsetVersion("")!.Value);
        model.MetadataProps.Add(_metadata.Select(p => p.Clone()));
        return model;
    }

    private static void Validate(GraphProto graph)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        foreach (var name in graph.Input.Select(i => i.Name).Concat(graph.Initializer.Select(t => t.Name)))
        {
            if (!defined.Add(name) && graph.Input.All(i => i.Name != name || graph.Initializer.All(t => t.Name != name)))
            {
                throw new OnnxFormatException($"GraphBuilder: '{name}' is defined twice as an input or initializer.");
            }
        }

        foreach (var node in graph.Node)
        {
            foreach (var output in node.Output.Where(o => o.Length > 0))
            {
                if (!defined.Add(output))
                {
                    throw new OnnxFormatException($"GraphBuilder: node '{node.Name}' ({node.OpType}) writes '{output}', which is already defined.");
                }
            }
        }

        foreach (var node in graph.Node)
        {
            foreach (var input in node.Input.Where(i => i.Length > 0))
            {
                if (!defined.Contains(input))
                {
                    throw new OnnxFormatException(
                        $"GraphBuilder: node '{node.Name}' ({node.OpType}) reads '{input}', which no input, initializer or node defines.");
                }
            }
        }

        foreach (var output in graph.Output)
        {
            if (!defined.Contains(output.Name))
            {
                throw new OnnxFormatException($"GraphBuilder: graph output '{output.Name}' is not produced by any node, input or initializer.");
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (!names.Add(node.Name))
            {
                throw new OnnxFormatException($"GraphBuilder: two nodes are named '{node.Name}'.");
            }
        }
    }

    private static long[] DimsOrVector<T>(T[] values, long[] dims)
    {
        ArgumentNullException.ThrowIfNull(values);
        return dims is { Length: > 0 } ? dims : [values.Length];
    }
}

/// <summary>Sets attributes on a node being added by <see cref="GraphBuilder.Node"/>.</summary>
public sealed class NodeAttributes
{
    private readonly NodeProto _node;

    internal NodeAttributes(NodeProto node) => _node = node;

    public NodeAttributes Int(string name, long value) => Set(OnnxValues.Int(name, value));

    public NodeAttributes Float(string name, float value) => Set(OnnxValues.Float(name, value));

    public NodeAttributes String(string name, string value) => Set(OnnxValues.String(name, value));

    public NodeAttributes Ints(string name, params long[] values) => Set(OnnxValues.Ints(name, values));

    public NodeAttributes Floats(string name, params float[] values) => Set(OnnxValues.Floats(name, values));

    public NodeAttributes Strings(string name, params string[] values) => Set(OnnxValues.Strings(name, values));

    public NodeAttributes Tensor(string name, TensorProto value) => Set(OnnxValues.Tensor(name, value));

    public NodeAttributes Graph(string name, GraphProto value) => Set(OnnxValues.Graph(name, value));

    private NodeAttributes Set(AttributeProto attribute)
    {
        _node.SetAttribute(attribute);
        return this;
    }
}
