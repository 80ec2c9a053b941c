using EdgeAgent.Onnx.Proto;

namespace EdgeAgent.Onnx;

/// <summary>Visits every graph and tensor a model holds, subgraphs and functions included.</summary>
internal static class OnnxWalk
{
    public static IEnumerable<GraphProto> Graphs(ModelProto model)
    {
        var roots = new List<GraphProto>();
        if (model.Graph is not null)
        {
            roots.Add(model.Graph);
        }

        foreach (var info in model.TrainingInfo)
        {
            if (info.Initialization is not null)
            {
                roots.Add(info.Initialization);
            }

            if (info.Algorithm is not null)
            {
                roots.Add(info.Algorithm);
            }
        }

        foreach (var root in roots)
        {
            foreach (var g in GraphAndSubgraphs(root))
            {
                yield return g;
            }
        }
    }

    public static IEnumerable<GraphProto> GraphAndSubgraphs(GraphProto graph)
    {
        yield return graph;
        foreach (var node in graph.Node)
        {
            foreach (var sub in Subgraphs(node))
            {
                foreach (var g in GraphAndSubgraphs(sub))
                {
                    yield return g;
                }
            }
        }
    }

    public static IEnumerable<GraphProto> Subgraphs(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is not null)
            {
                yield return attribute.G;
            }

            foreach (var g in attribute.Graphs)
            {
                yield return g;
            }
        }
    }

    public static IEnumerable<TensorProto> Tensors(ModelProto model)
    {
        foreach (var graph in Graphs(model))
        {
            foreach (var t in graph.Initializer)
            {
                yield return t;
            }

            foreach (var s in graph.SparseInitializer)
            {
                if (s.Values is not null)
                {
                    yield return s.Values;
                }

                if (s.Indices is not null)
                {
                    yield return s.Indices;
                }
            }

            foreach (var node in graph.Node)
            {
                foreach (var t in AttributeTensors(node))
                {
                    yield return t;
                }
            }
        }

        foreach (var function in model.Functions)
        {
            foreach (var node in function.Node)
            {
                foreach (var t in AttributeTensors(node))
                {
                    yield return t;
                }
            }
        }
    }

    private static IEnumerable<TensorProto> AttributeTensors(NodeProto node)
    {
        foreach (var attribute in node.Attribute)
        {
            if (attribute.T is not null)
            {
                yield return attribute.T;
            }

            foreach (var t in attribute.Tensors)
            {
                yield return t;
            }
        }
    }
}
