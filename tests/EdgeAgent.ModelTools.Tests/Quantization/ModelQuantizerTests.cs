using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Tests.Quantization;

public class ModelQuantizerTests
{
    private static ModelProto ConvBnDiv(Random r) => new GraphBuilder("convbn")
        .Opset(13)
        .Input("x", DataType.Float, 1, 2, 5, 5)
        .Initializer("w", QuantTestModels.Random(r, 3 * 2 * 9), 3, 2, 3, 3)
        .Initializer("gamma", [1.5f, 0.5f, -1f])
        .Initializer("beta", [0.1f, 0.2f, 0.3f])
        .Initializer("mean", [0.05f, -0.1f, 0f])
        .Initializer("var", [0.9f, 1.2f, 0.4f])
        .Initializer(OnnxTensors.Scalar("six", 6f))
        .Initializer(OnnxTensors.Scalar("half", 0.5f))
        .Node("Conv", ["x", "w"], ["c"], a => a.Ints("pads", 1, 1, 1, 1))
        .Node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["bn"])
        .Node("Div", ["bn", "six"], ["d"])
        .Node("Mul", ["d", "half"], ["y"])
        .Output("y", DataType.Float, 1, 3, 5, 5)
        .Build();

    [Fact]
    public void Simplify_ConvBatchNormDivMul_FoldsAndKeepsOutputs()
    {
        var r = new Random(1);
        var model = ConvBnDiv(r);
        var simplified = model.Clone();
        var x = QuantTestModels.Random(r, 50);

        int rewrites = GraphSimplifier.Simplify(simplified);
        var expected = QuantTestModels.Run(model, "y", ("x", x, [1, 2, 5, 5]));
        var actual = QuantTestModels.Run(simplified, "y", ("x", x, [1, 2, 5, 5]));

        Assert.True(rewrites >= 3);
        // BatchNormalization folds, Div becomes Mul, the two scalar Muls merge and then fold into the Conv too.
        Assert.Equal(["Conv"], simplified.Graph.Node.Select(n => n.OpType));
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 1e-5f);
        }
    }

    [Fact]
    public void Quantize_DynamicOnOpset9WithSoftmaxOfUnknownRank_ProbesTheRankAndRaisesTo13()
    {
        // Opset 9 Softmax flattens from its axis; raising the opset is only safe when the axis is the
        // last one, which the graph does not say here (no value_info for the MatMul output).
        var r = new Random(4);
        var model = new GraphBuilder("attention")
            .Opset(9)
            .Input("x", DataType.Float, 2, 3, 8)
            .Initializer("w", QuantTestModels.Random(r, 8 * 5), 8, 5)
            .Node("MatMul", ["x", "w"], ["h"])
            .Node("Softmax", ["h"], ["y"], a => a.Int("axis", 2))
            .Output("y", DataType.Float, 2, 3, 5)
            .Build();
        model.IrVersion = 4;
        var x = QuantTestModels.Random(r, 48);

        var (quantized, replaced, _, _) = ModelQuantizer.Quantize(model, new QuantizeOptions { Mode = QuantizationMode.Dynamic });
        var expected = QuantTestModels.Run(model, "y", ("x", x, [2, 3, 8]));
        var actual = QuantTestModels.Run(quantized, "y", ("x", x, [2, 3, 8]));

        Assert.Equal(1, replaced);
        Assert.Equal(13, quantized.OpsetVersion());
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 0.02f);
        // The probe records the rank only: sizes from one sample must not be declared for other inputs.
        var probed = quantized.Graph.FindValueInfo("h")!.Shape()!;
        Assert.Equal(3, probed.Count);
        Assert.All(probed, d => Assert.Null(d.Value));
    }

    [Fact]
    public void Quantize_DynamicOnOpset9WithoutSoftmax_NeedsNoInputShapeForADynamicDimension()
    {
        var r = new Random(5);
        var model = new GraphBuilder("conv")
            .Opset(9)
            .Input("x", DataType.Float, 1, 2, "height", "width")
            .Initializer("w", QuantTestModels.Random(r, 3 * 2 * 9), 3, 2, 3, 3)
            .Node("Conv", ["x", "w"], ["y"], a => a.Ints("pads", 1, 1, 1, 1))
            .Output("y", DataType.Float, 1, 3, "height", "width")
            .Build();
        model.IrVersion = 4;

        var (quantized, replaced, _, _) = ModelQuantizer.Quantize(model, new QuantizeOptions { Mode = QuantizationMode.Dynamic });

        Assert.Equal(1, replaced);
        Assert.Equal(13, quantized.OpsetVersion());
    }

    [Fact]
    public void Quantize_FileRoundTrip_WritesModelOnnxRuntimeLoadsWithMetadata()
    {
        string folder = Path.Combine(Path.GetTempPath(), "edgeagent-q-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var r = new Random(2);
            OnnxModelFile.Save(ConvBnDiv(r), Path.Combine(folder, "model.onnx"));
            var options = new QuantizeOptions { Dataset = new SyntheticCalibrationDataset(4), Qdq = new QdqOptions { PerChannel = true } };

            var summary = ModelQuantizer.Quantize(Path.Combine(folder, "model.onnx"), Path.Combine(folder, "model.int8.onnx"), options);

            Assert.Equal(4, summary.CalibrationSamples);
            var written = OnnxModelFile.Load(Path.Combine(folder, "model.int8.onnx"));
            Assert.Contains("static qdq", written.GetMetadata("edgeagent.quantization"), StringComparison.Ordinal);
            var y = QuantTestModels.Run(written, "y", ("x", QuantTestModels.Random(r, 50), [1, 2, 5, 5]));
            Assert.Equal(75, y.Length);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Quantize_TruncatedModel_ThrowsNamingFile()
    {
        string folder = Path.Combine(Path.GetTempPath(), "edgeagent-q-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var bytes = OnnxModelFile.ToBytes(ConvBnDiv(new Random(1)));
            string path = Path.Combine(folder, "broken.onnx");
            File.WriteAllBytes(path, bytes[..(bytes.Length / 3)]);

            var e = Assert.Throws<OnnxFormatException>(() =>
                ModelQuantizer.Quantize(path, Path.Combine(folder, "out.onnx"), new QuantizeOptions { Dataset = new SyntheticCalibrationDataset(1) }));

            Assert.Contains("broken.onnx", e.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(folder, "out.onnx")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Quantize_StaticWithoutData_ThrowsNamingTheOptions()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelQuantizer.Quantize(ConvBnDiv(new Random(1)), new QuantizeOptions()));

        Assert.Contains("--synthetic", e.Message, StringComparison.Ordinal);
    }
}
