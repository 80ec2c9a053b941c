using EdgeAgent.Onnx.Proto;

namespace EdgeAgent.Onnx;

/// <summary>Topological ordering of a graph's nodes.</summary>
public static class OnnxGraphOrder
{
    /// <summary>
    /// The nodes in an order where every node comes after the producers of its inputs,
    /// including values its subgraphs read from this graph. Among nodes that are ready at the
    /// same time the original order is kept, so an already sorted graph is returned unchanged.
    /// Values produced by no node (graph inputs, initializers, outer-scope values) are treated
    /// as available from the start.
    /// </summary>
    /// <exception cref="OnnxFormatException">The nodes form a cycle; the message names nodes on it.</exception>
    public static IReadOnlyList<NodeProto> Sort(GraphProto graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var nodes = graph.Node;
        int n = nodes.Count;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
        {
            foreach (var output in nodes[i].Output)
            {
                if (output.Length > 0 && !producer.TryAdd(output, i))
                {
                    throw new OnnxFormatException(
                        $"Value '{output}' is produced by two nodes ('{NodeLabel(nodes[producer[output]])}' and '{NodeLabel(nodes[i])}').");
                }
            }
        }

        var dependents = new List<int>[n];
        var pending = new int[n];
        for (int i = 0; i < n; i++)
        {
            dependents[i] = [];
        }

        for (int i = 0; i < n; i++)
        {
            var needs = new HashSet<int>();
            foreach (var name in ReadNames(nodes[i]))
            {
                if (producer.TryGetValue(name, out int p))
                {
                    if (p == i)
                    {
                        throw new OnnxFormatException($"Node '{NodeLabel(nodes[i])}' reads its own output '{name}' (a cycle).");
                    }

                    needs.Add(p);
                }
            }

            pending[i] = needs.Count;
            foreach (int p in needs)
            {
                dependents[p].Add(i);
            }
        }

        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < n; i++)
        {
            if (pending[i] == 0)
            {
                ready.Enqueue(i, i);
            }
        }

        var order = new List<NodeProto>(n);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(nodes[i]);
            foreach (int d in dependents[i])
            {
                if (--pending[d] == 0)
                {
                    ready.Enqueue(d, d);
                }
            }
        }

        if (order.Count != n)
        {
            var stuck = Enumerable.Range(0, n).Where(i => pending[i] > 0).Select(i => NodeLabel(nodes[i])).Take(8);
            throw new OnnxFormatException($"The graph has a cycle through nodes {string.Join(", ", stuck.Select(s => $"'{s}'"))}.");
        }

        return order;
    }

    /// <summary>Reorders graph.node topologically (see <see cref="Sort"/>).</summary>
    public static void SortInPlace(GraphProto graph)
    {
        var order = Sort(graph);
        graph.Node.Clear();
        graph.Node.Add(order);
    }

    /// <summary>Names a node reads: its inputs and the outer-scope values its subgraphs use.</summary>
    private static IEnumerable<string> ReadNames(NodeProto node)
    {
        foreach (var i in node.Input)
        {
            if (i.Length > 0)
            {
                yield return i;
            }
        }

        foreach (var sub in OnnxWalk.Subgraphs(node))
        {
            foreach (var name in OuterReads(sub))
            {
                yield return name;
            }
        }
    }

    private static HashSet<string> OuterReads(GraphProto graph)
    {
        var defined = new HashSet<string>(StringComparer.Ordinal);
        defined.UnionWith(graph.Input.Select(v => v.Name));
        defined.UnionWith(graph.Initializer.Select(t => t.Name));
        foreach (var node in graph.Node)
        {
            defined.UnionWith(node.Output);
        }

        var reads = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            foreach (var name in ReadNames(node))
            {
                if (!defined.Contains(name))
                {
                    reads.Add(name);
                }
            }
        }

        foreach (var output in graph.Output)
        {
            if (!defined.Contains(output.Name))
            {
                reads.Add(output.Name);
            }
        }

        return reads;
    }

    internal static string NodeLabel(NodeProto node) =>
        node.Name.Length > 0 ? node.Name : $"{node.OpType}->{string.Join(",", node.Output)}";
}
