using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Tests.Quantization;

public class OpsetUpgraderTests
{
    private static ModelProto Opset9() => new GraphBuilder("old")
        .Opset(9)
        .Input("x", DataType.Float, 1, 4, 3)
        .Node("Clip", ["x"], ["c"], a => a.Float("min", 0f).Float("max", 6f))
        .Node("Slice", ["c"], ["s"], a => a.Ints("starts", 0).Ints("ends", 1).Ints("axes", 0))
        .Node("Squeeze", ["s"], ["q"], a => a.Ints("axes", 0))
        .Node("Softmax", ["q"], ["y"], a => a.Int("axis", 1))
        .Output("y", DataType.Float, 4, 3)
        .Build();

    [Fact]
    public void TryUpgradeTo13_Opset9ClipSliceSqueezeSoftmaxLastAxis_SameOutputs()
    {
        var model = Opset9();
        var upgraded = model.Clone();
        upgraded.Graph.ValueInfo.Add(OnnxValues.Tensor("q", DataType.Float, [4, 3]));
        var x = Enumerable.Range(0, 12).Select(i => (i * 0.9f) - 3f).ToArray();

        Assert.Null(OpsetUpgrader.TryUpgradeTo13(upgraded));

        Assert.Equal(13, upgraded.OpsetVersion());
        Assert.Equal(3, upgraded.Graph.Node.Single(n => n.OpType == "Clip").Input.Count);
        Assert.Equal(QuantTestModels.Run(model, "y", ("x", x, [1, 4, 3])), QuantTestModels.Run(upgraded, "y", ("x", x, [1, 4, 3])));
    }

    [Fact]
    public void TryUpgradeTo13_SoftmaxOnUnknownRank_Refuses()
    {
        var model = Opset9();

        string? reason = OpsetUpgrader.TryUpgradeTo13(model);

        Assert.NotNull(reason);
        Assert.Contains("Softmax", reason, StringComparison.Ordinal);
        Assert.Equal(9, model.OpsetVersion());
    }

    [Fact]
    public void AnnotateAxisOpShapes_RecordsObservedRank()
    {
        var model = Opset9();

        ModelPreparation.AnnotateAxisOpShapes(model, new Dictionary<string, InputTensor> { ["x"] = new(new float[12], [1, 4, 3]) });

        Assert.Equal(2, model.Graph.FindValueInfo("q")!.Shape()!.Count);
        Assert.Null(OpsetUpgrader.TryUpgradeTo13(model));
    }
}
