using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Tests.Quantization;

public class GraphSimplifierTests
{
    private static (ModelProto Simplified, int Rewrites) SimplifyAndCompare(ModelProto model, long[] inputShape, float tolerance = 1e-4f)
    {
        var simplified = model.Clone();
        int rewrites = GraphSimplifier.Simplify(simplified);
        var x = QuantTestModels.Random(new Random(11), (int)inputShape.Aggregate(1L, (a, b) => a * b), 2f);
        string output = model.Graph.Output[0].Name;
        var expected = QuantTestModels.Run(model, output, ("x", x, inputShape));
        var actual = QuantTestModels.Run(simplified, output, ("x", x, inputShape));
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1f, Math.Abs(expected[i])), $"output {i}: {actual[i]} differs from {expected[i]}");
        }

        return (simplified, rewrites);
    }

    [Fact]
    public void Simplify_ScalarMulAsFirstOperandThenAddAfterConv_FoldsIntoConv()
    {
        // The learnable affine block as paddle2onnx writes it: Mul(scale, conv) then Add(_, bias), both of shape [1].
        var r = new Random(1);
        var model = new GraphBuilder("conv-affine")
            .Opset(13)
            .Input("x", DataType.Float, 1, 3, 6, 6)
            .Initializer("w", QuantTestModels.Random(r, 4 * 3 * 9), 4, 3, 3, 3)
            .Initializer("b", QuantTestModels.Random(r, 4))
            .Initializer("scale", [0.75f], 1)
            .Initializer("offset", [-0.25f], 1)
            .Node("Conv", ["x", "w", "b"], ["c"], a => a.Ints("pads", 1, 1, 1, 1))
            .Node("Mul", ["scale", "c"], ["m"])
            .Node("Add", ["m", "offset"], ["y"])
            .Output("y", DataType.Float, 1, 4, 6, 6)
            .Build();

        var (simplified, rewrites) = SimplifyAndCompare(model, [1, 3, 6, 6]);

        Assert.Equal(2, rewrites);
        Assert.Equal(["Conv"], simplified.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void Simplify_PerChannelAffineBeforeUnpaddedConvs_FoldsIntoEachConv()
    {
        var r = new Random(2);
        var model = new GraphBuilder("affine-pointwise")
            .Opset(13)
            .Input("x", DataType.Float, 1, 4, 5, 5)
            .Initializer("scale", [0.5f, -1.5f, 2f, 0.25f], 1, 4, 1, 1)
            .Initializer("offset", [0.1f], 1)
            .Initializer("w1", QuantTestModels.Random(r, 6 * 4), 6, 4, 1, 1)
            .Initializer("w2", QuantTestModels.Random(r, 4 * 2 * 2 * 2), 4, 2, 2, 2)
            .Node("Relu", ["x"], ["h"])
            .Node("Mul", ["h", "scale"], ["m"])
            .Node("Add", ["m", "offset"], ["a"])
            .Node("Conv", ["a", "w1"], ["p"])
            .Node("Conv", ["a", "w2"], ["g"], n => n.Int("group", 2).Ints("strides", 2, 2))
            .Node("Concat", ["p", "p"], ["y"], n => n.Int("axis", 1))
            .Node("Concat", ["g", "g"], ["y2"], n => n.Int("axis", 1))
            .Output("y", DataType.Float, 1, 12, 5, 5)
            .Output("y2", DataType.Float, 1, 8, 2, 2)
            .Build();

        var (simplified, _) = SimplifyAndCompare(model, [1, 4, 5, 5]);
        var x = QuantTestModels.Random(new Random(11), 100, 2f);
        var expected = QuantTestModels.Run(model, "y2", ("x", x, [1, 4, 5, 5]));
        var actual = QuantTestModels.Run(simplified, "y2", ("x", x, [1, 4, 5, 5]));

        Assert.Equal(["Relu", "Conv", "Conv", "Concat", "Concat"], simplified.Graph.Node.Select(n => n.OpType));
        Assert.All(simplified.Graph.Node.Where(n => n.OpType == "Conv"), c => Assert.Equal("h", c.Input[0]));
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 1e-4f));
    }

    [Fact]
    public void Simplify_ScaleThenOffsetBeforePaddedConv_KeepsOffsetAndFoldsScale()
    {
        // Zero padding would see an offset folded into the bias, so the Add stays; Mul(c) then Add(b) becomes Add(b / c) and the Mul folds.
        var r = new Random(3);
        var model = new GraphBuilder("affine-depthwise")
            .Opset(13)
            .Input("x", DataType.Float, 1, 3, 6, 6)
            .Initializer("scale", [0.4f], 1)
            .Initializer("offset", [-0.8f], 1)
            .Initializer("w", QuantTestModels.Random(r, 3 * 9), 3, 1, 3, 3)
            .Node("Relu", ["x"], ["h"])
            .Node("Mul", ["h", "scale"], ["m"])
            .Node("Add", ["m", "offset"], ["a"])
            .Node("Conv", ["a", "w"], ["y"], n => n.Int("group", 3).Ints("pads", 1, 1, 1, 1))
            .Output("y", DataType.Float, 1, 3, 6, 6)
            .Build();

        var (simplified, _) = SimplifyAndCompare(model, [1, 3, 6, 6]);

        Assert.Equal(["Relu", "Add", "Conv"], simplified.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void Simplify_MulReadByConvAndAnotherNode_StaysInPlace()
    {
        var r = new Random(4);
        var model = new GraphBuilder("shared")
            .Opset(13)
            .Input("x", DataType.Float, 1, 2, 4, 4)
            .Initializer("scale", [3f], 1)
            .Initializer("w", QuantTestModels.Random(r, 2 * 2), 2, 2, 1, 1)
            .Node("Relu", ["x"], ["h"])
            .Node("Mul", ["h", "scale"], ["m"])
            .Node("Conv", ["m", "w"], ["c"])
            .Node("Add", ["c", "m"], ["y"])
            .Output("y", DataType.Float, 1, 2, 4, 4)
            .Build();

        var (simplified, rewrites) = SimplifyAndCompare(model, [1, 2, 4, 4]);

        Assert.Equal(0, rewrites);
        Assert.Equal(["Relu", "Mul", "Conv", "Add"], simplified.Graph.Node.Select(n => n.OpType));
    }
}
