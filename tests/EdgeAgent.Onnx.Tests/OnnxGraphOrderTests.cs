using EdgeAgent.Onnx.Proto;

namespace EdgeAgent.Onnx.Tests;

public class OnnxGraphOrderTests
{
    private static NodeProto Node(string name, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { Name = name, OpType = "Op" };
        node.Input.Add(inputs);
        node.Output.Add(outputs);
        return node;
    }

    [Fact]
    public void Sort_ShuffledChain_ReturnsProducersFirst()
    {
        var graph = new GraphProto();
        graph.Node.Add(Node("c", ["b"], ["c"]));
        graph.Node.Add(Node("a", ["x"], ["a"]));
        graph.Node.Add(Node("d", ["a", "c"], ["d"]));
        graph.Node.Add(Node("b", ["a"], ["b"]));

        var order = OnnxGraphOrder.Sort(graph).Select(n => n.Name);

        Assert.Equal(["a", "b", "c", "d"], order);
    }

    [Fact]
    public void Sort_SortedGraph_KeepsOriginalOrderOfIndependentNodes()
    {
        var graph = new GraphProto();
        graph.Node.Add(Node("p", ["x"], ["p"]));
        graph.Node.Add(Node("q", ["x"], ["q"]));
        graph.Node.Add(Node("r", ["x"], ["r"]));

        Assert.Equal(["p", "q", "r"], OnnxGraphOrder.Sort(graph).Select(n => n.Name));
    }

    [Fact]
    public void Sort_Cycle_ThrowsNamingNodesOnIt()
    {
        var graph = new GraphProto();
        graph.Node.Add(Node("start", ["x"], ["s"]));
        graph.Node.Add(Node("loop1", ["s", "l2"], ["l1"]));
        graph.Node.Add(Node("loop2", ["l1"], ["l2"]));

        var e = Assert.Throws<OnnxFormatException>(() => OnnxGraphOrder.Sort(graph));

        Assert.Contains("loop1", e.Message, StringComparison.Ordinal);
        Assert.Contains("loop2", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("start", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sort_SelfLoop_Throws()
    {
        var graph = new GraphProto();
        graph.Node.Add(Node("self", ["y"], ["y"]));

        Assert.Throws<OnnxFormatException>(() => OnnxGraphOrder.Sort(graph));
    }

    [Fact]
    public void Sort_SubgraphReadingOuterValue_PlacesItAfterTheProducer()
    {
        var body = new GraphProto();
        body.Node.Add(Node("inner", ["outer"], ["o"]));
        var ifNode = Node("if", ["cond"], ["r"]);
        ifNode.Attribute.Add(OnnxValues.Graph("then_branch", body));
        var graph = new GraphProto();
        graph.Node.Add(ifNode);
        graph.Node.Add(Node("producer", ["x"], ["outer"]));

        Assert.Equal(["producer", "if"], OnnxGraphOrder.Sort(graph).Select(n => n.Name));
    }
}
