using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Onnx.Tests;

public class GraphBuilderTests
{
    private static readonly float[] Weights = [1f, 2f, -1f, 0.5f, 0f, 3f]; // [3, 2]
    private static readonly float[] Bias = [0.25f, -1f];

    private static ModelProto AffineRelu() => new GraphBuilder("affine")
        .Opset(17)
        .Input("x", DataType.Float, "batch", 3)
        .Initializer("w", Weights, 3, 2)
        .Initializer("b", Bias)
        .Node("MatMul", ["x", "w"], ["xw"])
        .Node("Add", ["xw", "b"], ["z"])
        .Node("Relu", ["z"], ["y"])
        .Output("y", DataType.Float, "batch", 2)
        .Metadata("purpose", "test")
        .Build();

    [Fact]
    public void Build_AffineRelu_RunsInOnnxRuntimeWithExpectedOutputs()
    {
        var model = AffineRelu();
        float[] x = [3f, 1f, 0f, -1f, 0f, 0f];

        var y = OrtRunner.RunFloat(model, "y", ("x", x, [2, 3]));

        // W rows [1, 2], [-1, 0.5], [0, 3]. Row 0: [3 - 1, 6 + 0.5] + b = [2.25, 5.5];
        // row 1: [-1, -2] + b = [-0.75, -3], clipped to 0 by Relu.
        Assert.Equal([2.25f, 5.5f, 0f, 0f], y);
    }

    [Fact]
    public void Build_Model_HasOpsetIrVersionAndMetadata()
    {
        var model = AffineRelu();

        Assert.Equal(17, model.OpsetVersion());
        Assert.Equal(OnnxVersions.IrVersionForOpset(17), model.IrVersion);
        Assert.Equal("test", model.GetMetadata("purpose"));
        Assert.Equal(["x"], model.Graph.InputsExcludingInitializers().Select(i => i.Name));
        Assert.Equal("x: Float[batch, 3]", model.Graph.Input[0].Format());
    }

    [Fact]
    public void Build_ConvWithAttributes_RunsInOnnxRuntime()
    {
        // 1x1x3x3 input, 2x2 kernel of ones, stride 1, pads 0: each output sums a 2x2 window.
        var model = new GraphBuilder("conv")
            .Opset(13)
            .Input("x", DataType.Float, 1, 1, 3, 3)
            .Initializer("k", [1f, 1f, 1f, 1f], 1, 1, 2, 2)
            .Node("Conv", ["x", "k"], ["y"], a => a.Ints("kernel_shape", 2, 2).Ints("strides", 1, 1).Ints("pads", 0, 0, 0, 0).Int("group", 1))
            .Output("y", DataType.Float, 1, 1, 2, 2)
            .Build();

        var y = OrtRunner.RunFloat(model, "y", ("x", [1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]));

        Assert.Equal([12f, 16f, 24f, 28f], y);
    }

    [Fact]
    public void Build_NodesAddedOutOfOrder_AreSortedTopologically()
    {
        var model = new GraphBuilder()
            .Input("x", DataType.Float, 2)
            .Node("Relu", ["h"], ["y"], name: "second")
            .Node("Neg", ["x"], ["h"], name: "first")
            .Output("y", DataType.Float, 2)
            .Build();

        Assert.Equal(["first", "second"], model.Graph.Node.Select(n => n.Name));
        Assert.Equal([0f, 3f], OrtRunner.RunFloat(model, "y", ("x", [1f, -3f], [2])));
    }

    [Fact]
    public void Build_AttributesOfEveryKind_AreStoredWithTheirTypes()
    {
        var model = new GraphBuilder()
            .Input("x", DataType.Float, 2)
            .Node("Custom", ["x"], ["y"], a => a
                .Int("i", 3).Float("f", 0.5f).String("s", "text").Ints("is", 1, 2).Floats("fs", 1.5f)
                .Tensor("t", OnnxTensors.FromLongs("t", [4, 5], 2)), domain: "test.domain")
            .Opset("test.domain", 1)
            .Output("y", DataType.Float, 2)
            .Build();

        var node = model.Graph.Node[0];
        Assert.Equal(3, node.GetInt("i", 0));
        Assert.Equal(0.5f, node.GetFloat("f", 0));
        Assert.Equal("text", node.GetString("s", ""));
        Assert.Equal([1L, 2L], node.GetInts("is"));
        Assert.Equal([1.5f], node.GetFloats("fs"));
        Assert.Equal([4L, 5L], OnnxTensors.ToLongs(node.FindAttribute("t")!.T));
        Assert.Equal(AttributeProto.Types.AttributeType.Ints, node.FindAttribute("is")!.Type);
        Assert.Equal(1, model.OpsetVersion("test.domain"));
    }

    [Fact]
    public void Build_UndefinedInput_ThrowsNamingNodeAndValue()
    {
        var builder = new GraphBuilder()
            .Input("x", DataType.Float, 2)
            .Node("Add", ["x", "missing"], ["y"], name: "adder")
            .Output("y", DataType.Float, 2);

        var e = Assert.Throws<OnnxFormatException>(builder.Build);

        Assert.Contains("adder", e.Message, StringComparison.Ordinal);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_OutputNeverProduced_Throws()
    {
        var builder = new GraphBuilder().Input("x", DataType.Float, 2).Output("nowhere", DataType.Float, 2);

        var e = Assert.Throws<OnnxFormatException>(builder.Build);

        Assert.Contains("nowhere", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_ValueWrittenTwice_Throws()
    {
        var builder = new GraphBuilder()
            .Input("x", DataType.Float, 2)
            .Node("Relu", ["x"], ["y"])
            .Node("Neg", ["x"], ["y"])
            .Output("y", DataType.Float, 2);

        Assert.Throws<OnnxFormatException>(builder.Build);
    }
}
