using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Tests.Quantization;

public class QdqQuantizerTests
{
    /// <summary>Fixed samples from a seeded uniform distribution.</summary>
    private sealed class UniformDataset(int count, int seed, params (string Name, long[] Shape)[] inputs) : ICalibrationDataset
    {
        public string Name => "uniform";

        public IEnumerable<IReadOnlyDictionary<string, InputTensor>> Samples(IReadOnlyList<ModelInput> modelInputs)
        {
            var random = new Random(seed);
            for (int s = 0; s < count; s++)
            {
                yield return inputs.ToDictionary(
                    i => i.Name,
                    i => new InputTensor(QuantTestModels.Random(random, (int)i.Shape.Aggregate(1L, (a, b) => a * b)), i.Shape));
            }
        }
    }

    private static void AssertQuantizedCloseToFloat(ModelProto model, QdqOptions options, params (string Name, long[] Shape)[] inputs)
    {
        var calibration = new UniformDataset(16, 1, inputs);
        var prepared = model.Clone();
        var tensors = QdqQuantizer.TensorsToCalibrate(prepared, options);
        var ranges = Calibrator.Collect(prepared, tensors, calibration, inputs.Select(i => new ModelInput(i.Name, i.Shape)).ToList(), new CalibrationOptions());
        var quantized = QdqQuantizer.Quantize(prepared, ranges, options);

        Assert.True(QuantTestModels.Count(quantized, "QuantizeLinear") > 0);
        Assert.True(QuantTestModels.Count(quantized, "DequantizeLinear") > 0);
        // Samples the calibration saw: the error measured is rounding, not clipping of unseen extremes.
        var test = calibration.Samples([]).Take(4).ToList();
        string output = model.Graph.Output[0].Name;
        foreach (var sample in test)
        {
            var feeds = sample.Select(kv => (kv.Key, kv.Value.Data, kv.Value.Shape)).ToArray();
            var expected = QuantTestModels.Run(model, output, feeds);
            var actual = QuantTestModels.Run(quantized, output, feeds);
            float range = expected.Max(Math.Abs);
            float worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            // 8-bit activations and weights: a few output quantization steps of error at most.
            Assert.True(worst <= 0.03f * range, $"max error {worst} exceeds 3% of output magnitude {range}");
            Assert.True(expected.Zip(actual).Any(p => p.First != p.Second) || worst == 0);
        }
    }

    private static ModelProto ConvModel(Random r) => new GraphBuilder("conv")
        .Opset(13)
        .Input("x", DataType.Float, 1, 3, 8, 8)
        .Initializer("w", QuantTestModels.Random(r, 4 * 3 * 3 * 3), 4, 3, 3, 3)
        .Initializer("b", QuantTestModels.Random(r, 4))
        .Node("Conv", ["x", "w", "b"], ["c"], a => a.Ints("pads", 1, 1, 1, 1).Ints("kernel_shape", 3, 3))
        .Node("Relu", ["c"], ["y"])
        .Output("y", DataType.Float, 1, 4, 8, 8)
        .Build();

    [Theory]
    [InlineData(false, QuantizedType.UInt8)]
    [InlineData(true, QuantizedType.UInt8)]
    [InlineData(true, QuantizedType.Int8)]
    public void Quantize_Conv_OutputsWithinQuantizationError(bool perChannel, QuantizedType activation)
    {
        AssertQuantizedCloseToFloat(ConvModel(new Random(3)), new QdqOptions { PerChannel = perChannel, ActivationType = activation }, ("x", [1, 3, 8, 8]));
    }

    [Fact]
    public void Quantize_ConvPerChannel_StoresInt8WeightsPerChannelAndInt32Bias()
    {
        var model = ConvModel(new Random(3));
        var options = new QdqOptions { PerChannel = true };
        var ranges = Calibrator.Collect(model, QdqQuantizer.TensorsToCalibrate(model, options), new UniformDataset(4, 1, ("x", [1, 3, 8, 8])), [new ModelInput("x", [1, 3, 8, 8])], new CalibrationOptions());

        var quantized = QdqQuantizer.Quantize(model, ranges, options);

        var weight = quantized.Graph.FindInitializer("w_quantized")!;
        Assert.Equal((int)DataType.Int8, weight.DataType);
        Assert.Equal([4L], quantized.Graph.FindInitializer("w_scale")!.Dims);
        Assert.Equal((int)DataType.Int32, quantized.Graph.FindInitializer("b_quantized")!.DataType);
        var weightDq = quantized.Graph.Node.Single(n => n.OpType == "DequantizeLinear" && n.Output[0] == "w");
        Assert.Equal(0, weightDq.GetInt("axis", -1));
        Assert.Null(quantized.Graph.FindInitializer("w"));
        // Asymmetric uint8 activations: the Relu folds into the Q range.
        Assert.Equal(0, QuantTestModels.Count(quantized, "Relu"));

        // Bias scale is input scale times each channel's weight scale; zero point 0.
        var xScale = OnnxTensors.ToFloats(quantized.Graph.FindInitializer("x_scale")!)[0];
        var wScales = OnnxTensors.ToFloats(quantized.Graph.FindInitializer("w_scale")!);
        Assert.Equal(wScales.Select(s => xScale * s), OnnxTensors.ToFloats(quantized.Graph.FindInitializer("b_scale")!));
    }

    [Fact]
    public void Quantize_SymmetricActivations_KeepRelu()
    {
        var model = ConvModel(new Random(3));
        var options = new QdqOptions { ActivationType = QuantizedType.Int8 };
        var ranges = Calibrator.Collect(model, QdqQuantizer.TensorsToCalibrate(model, options), new UniformDataset(4, 1, ("x", [1, 3, 8, 8])), [new ModelInput("x", [1, 3, 8, 8])], new CalibrationOptions());

        var quantized = QdqQuantizer.Quantize(model, ranges, options);

        Assert.Equal(1, QuantTestModels.Count(quantized, "Relu"));
        Assert.Equal((int)DataType.Int8, quantized.Graph.FindInitializer("x_zero_point")!.DataType);
    }

    [Fact]
    public void Quantize_MatMul_OutputsWithinQuantizationError()
    {
        var r = new Random(5);
        var model = new GraphBuilder("matmul")
            .Opset(13)
            .Input("x", DataType.Float, 2, 16)
            .Initializer("w", QuantTestModels.Random(r, 16 * 8), 16, 8)
            .Node("MatMul", ["x", "w"], ["y"])
            .Output("y", DataType.Float, 2, 8)
            .Build();

        AssertQuantizedCloseToFloat(model, new QdqOptions { PerChannel = true }, ("x", [2, 16]));
    }

    [Theory]
    [InlineData(QuantizedType.UInt8)]
    [InlineData(QuantizedType.Int8)]
    public void Quantize_SoftmaxOfNearlyEqualLogits_OutputSpansZeroToOneAndStaysClose(QuantizedType activation)
    {
        // A two-class head whose probabilities stay near 0.5 (calibrated range about [0.45, 0.55]).
        // ONNX Runtime fuses the group into QLinearSoftmax, which returned zeros for such a range.
        var r = new Random(8);
        var model = new GraphBuilder("head")
            .Opset(13)
            .Input("x", DataType.Float, 1, 16)
            .Initializer("w", [.. QuantTestModels.Random(r, 16 * 2).Select(v => v * 0.02f)], 16, 2)
            .Node("MatMul", ["x", "w"], ["logits"])
            .Node("Softmax", ["logits"], ["y"], a => a.Int("axis", 1))
            .Output("y", DataType.Float, 1, 2)
            .Build();
        var options = new QdqOptions { ActivationType = activation };

        AssertQuantizedCloseToFloat(model, options, ("x", [1, 16]));

        var ranges = Calibrator.Collect(model, QdqQuantizer.TensorsToCalibrate(model, options), new UniformDataset(4, 1, ("x", [1, 16])), [new ModelInput("x", [1, 16])], new CalibrationOptions());
        var quantized = QdqQuantizer.Quantize(model.Clone(), ranges, options);
        var quantize = quantized.Graph.Node.Single(n => n.OpType == "QuantizeLinear" && n.Input[0].StartsWith('y'));
        var expected = QuantizationMath.Compute(0f, 1f, activation, activation == QuantizedType.Int8, reduceRange: false);
        Assert.Equal(expected.Scale, OnnxTensors.ToFloats(quantized.Graph.FindInitializer(quantize.Input[1])!)[0]);
    }

    [Fact]
    public void Quantize_GemmTransB_OutputsWithinQuantizationError()
    {
        var r = new Random(6);
        var model = new GraphBuilder("gemm")
            .Opset(13)
            .Input("x", DataType.Float, 2, 16)
            .Initializer("w", QuantTestModels.Random(r, 8 * 16), 8, 16)
            .Initializer("c", QuantTestModels.Random(r, 8))
            .Node("Gemm", ["x", "w", "c"], ["y"], a => a.Int("transB", 1))
            .Output("y", DataType.Float, 2, 8)
            .Build();

        AssertQuantizedCloseToFloat(model, new QdqOptions { PerChannel = true }, ("x", [2, 16]));
    }

    [Fact]
    public void Quantize_Add_OutputsWithinQuantizationError()
    {
        var model = new GraphBuilder("add")
            .Opset(13)
            .Input("a", DataType.Float, 1, 4, 4, 4)
            .Input("b", DataType.Float, 1, 4, 4, 4)
            .Node("Add", ["a", "b"], ["y"])
            .Output("y", DataType.Float, 1, 4, 4, 4)
            .Build();

        AssertQuantizedCloseToFloat(model, new QdqOptions(), ("a", [1, 4, 4, 4]), ("b", [1, 4, 4, 4]));
    }

    [Fact]
    public void Quantize_ConcatOfConvAndInput_OutputsWithinQuantizationError()
    {
        var r = new Random(7);
        var model = new GraphBuilder("concat")
            .Opset(13)
            .Input("x", DataType.Float, 1, 2, 6, 6)
            .Initializer("w", QuantTestModels.Random(r, 3 * 2), 3, 2, 1, 1)
            .Node("Conv", ["x", "w"], ["c"])
            .Node("Concat", ["c", "x"], ["y"], a => a.Int("axis", 1))
            .Output("y", DataType.Float, 1, 5, 6, 6)
            .Build();

        AssertQuantizedCloseToFloat(model, new QdqOptions { PerChannel = true }, ("x", [1, 2, 6, 6]));
    }

    [Fact]
    public void Quantize_ResizeThenConv_OutputsWithinQuantizationErrorAndResizeSharesParameters()
    {
        var r = new Random(8);
        var model = new GraphBuilder("resize")
            .Opset(13)
            .Input("x", DataType.Float, 1, 2, 4, 4)
            .Initializer("scales", [1f, 1f, 2f, 2f])
            .Initializer("w", QuantTestModels.Random(r, 2 * 2), 2, 2, 1, 1)
            .Node("Resize", ["x", "", "scales"], ["up"], a => a.String("mode", "nearest"))
            .Node("Conv", ["up", "w"], ["y"])
            .Output("y", DataType.Float, 1, 2, 8, 8)
            .Build();
        var options = new QdqOptions();

        Assert.DoesNotContain("up", QdqQuantizer.TensorsToCalibrate(model, options));
        AssertQuantizedCloseToFloat(model, options, ("x", [1, 2, 4, 4]));
    }

    [Fact]
    public void Quantize_ExcludedOpType_StaysFloatAndOutputsWithinQuantizationError()
    {
        var r = new Random(12);
        var model = new GraphBuilder("conv-sigmoid")
            .Opset(13)
            .Input("x", DataType.Float, 1, 3, 8, 8)
            .Initializer("w", QuantTestModels.Random(r, 4 * 3 * 9), 4, 3, 3, 3)
            .Node("Conv", ["x", "w"], ["c"], a => a.Ints("pads", 1, 1, 1, 1), name: "conv")
            .Node("Sigmoid", ["c"], ["y"], name: "sigmoid")
            .Output("y", DataType.Float, 1, 4, 8, 8)
            .Build();
        var included = new QdqOptions();
        var excluded = new QdqOptions { OpTypesToExclude = new HashSet<string> { "Sigmoid" } };

        Assert.Contains("y", QdqQuantizer.TensorsToCalibrate(model, included));
        Assert.DoesNotContain("y", QdqQuantizer.TensorsToCalibrate(model, excluded));
        Assert.Equal(["conv"], QdqQuantizer.QuantizableNodes(model, excluded).Select(n => n.Name));
        AssertQuantizedCloseToFloat(model, excluded, ("x", [1, 3, 8, 8]));

        var ranges = Calibrator.Collect(model, QdqQuantizer.TensorsToCalibrate(model, excluded), new UniformDataset(4, 1, ("x", [1, 3, 8, 8])), [new ModelInput("x", [1, 3, 8, 8])], new CalibrationOptions());
        var quantized = QdqQuantizer.Quantize(model, ranges, excluded);
        var sigmoid = quantized.Graph.Node.Single(n => n.OpType == "Sigmoid");
        Assert.Equal("y", sigmoid.Output[0]);
        Assert.DoesNotContain(quantized.Graph.Node, n => n.OpType == "QuantizeLinear" && n.Input[0] == "y");
    }

    [Fact]
    public void WidenScalesForInt32Bias_TinyWeightScale_GrowsToSmallestValidBiasScale()
    {
        float[] scales = [1e-12f, 0.01f];

        bool changed = QdqQuantizer.WidenScalesForInt32Bias(scales, [([5f, 5f], 0.01f)]);

        double smallestValid = 1.0001 * 2 * 5 / (((double)int.MaxValue) - (int.MinValue + 1.0));
        Assert.True(changed);
        Assert.Equal(smallestValid / 0.01, scales[0], smallestValid / 0.01 * 1e-6);
        Assert.Equal(0.01f, scales[1]);
        Assert.False(QdqQuantizer.WidenScalesForInt32Bias(scales, [([5f, 5f], 0.01f)]));
    }

    [Fact]
    public void Quantize_ChannelWithNearZeroWeightsAndBias_BiasNotClippedAndOutputsWithinError()
    {
        // A dead channel (weights ~1e-9) with a bias of 2, as a folded normalisation leaves it: the
        // bias scale input_scale * weight_scale would clip the int32 bias to a value near zero.
        var r = new Random(13);
        var w = QuantTestModels.Random(r, 2 * 3 * 9);
        for (int i = 27; i < 54; i++)
        {
            w[i] *= 1e-9f;
        }

        var model = new GraphBuilder("dead-channel")
            .Opset(13)
            .Input("x", DataType.Float, 1, 3, 6, 6)
            .Initializer("w", w, 2, 3, 3, 3)
            .Initializer("b", [0.5f, 2f])
            .Node("Conv", ["x", "w", "b"], ["y"], a => a.Ints("pads", 1, 1, 1, 1))
            .Output("y", DataType.Float, 1, 2, 6, 6)
            .Build();
        var options = new QdqOptions { PerChannel = true };

        AssertQuantizedCloseToFloat(model, options, ("x", [1, 3, 6, 6]));
        var ranges = Calibrator.Collect(model, QdqQuantizer.TensorsToCalibrate(model, options), new UniformDataset(4, 1, ("x", [1, 3, 6, 6])), [new ModelInput("x", [1, 3, 6, 6])], new CalibrationOptions());
        var bias = OnnxTensors.ToInts(QdqQuantizer.Quantize(model, ranges, options).Graph.FindInitializer("b_quantized")!);
        Assert.DoesNotContain(int.MaxValue, bias);
    }

    [Fact]
    public void Quantize_ExcludedNode_StaysFloat()
    {
        var model = ConvModel(new Random(3));
        var options = new QdqOptions { NodesToExclude = new HashSet<string> { "Conv_0", "Relu_1" } };

        Assert.Empty(QdqQuantizer.TensorsToCalibrate(model, options));
        var quantized = QdqQuantizer.Quantize(model, new Dictionary<string, TensorRange>(), options);
        Assert.Equal(0, QuantTestModels.Count(quantized, "QuantizeLinear"));
        Assert.NotNull(quantized.Graph.FindInitializer("w"));
    }

    [Fact]
    public void Quantize_Opset11PerChannel_RaisesOpsetTo13()
    {
        var model = ConvModel(new Random(3));
        model.OpsetImport[0].Version = 11;
        var options = new QdqOptions { PerChannel = true };
        var ranges = Calibrator.Collect(model, QdqQuantizer.TensorsToCalibrate(model, options), new UniformDataset(2, 1, ("x", [1, 3, 8, 8])), [new ModelInput("x", [1, 3, 8, 8])], new CalibrationOptions());

        var quantized = QdqQuantizer.Quantize(model, ranges, options);

        Assert.Equal(13, quantized.OpsetVersion());
        Assert.Equal(11, model.OpsetVersion());
    }
}
