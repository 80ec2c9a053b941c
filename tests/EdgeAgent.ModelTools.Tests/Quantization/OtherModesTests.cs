using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Tests.Quantization;

public class OtherModesTests
{
    private static ModelProto MatMulAddRelu(Random r, int k = 32, int n = 16) => new GraphBuilder("mlp")
        .Opset(17)
        .Input("x", DataType.Float, "batch", k)
        .Initializer("w", QuantTestModels.Random(r, k * n), k, n)
        .Initializer("b", QuantTestModels.Random(r, n))
        .Node("MatMul", ["x", "w"], ["h"])
        .Node("Add", ["h", "b"], ["z"])
        .Node("Relu", ["z"], ["y"])
        .Output("y", DataType.Float, "batch", n)
        .Build();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Dynamic_MatMul_UsesMatMulIntegerAndStaysClose(bool perChannel)
    {
        var r = new Random(1);
        var model = MatMulAddRelu(r);
        var (quantized, replaced) = DynamicQuantizer.Quantize(model, new QdqOptions { PerChannel = perChannel });
        var x = QuantTestModels.Random(r, 3 * 32);

        var expected = QuantTestModels.Run(model, "y", ("x", x, [3, 32]));
        var actual = QuantTestModels.Run(quantized, "y", ("x", x, [3, 32]));

        Assert.Equal(1, replaced);
        Assert.Equal(1, QuantTestModels.Count(quantized, "MatMulInteger"));
        Assert.Equal(1, QuantTestModels.Count(quantized, "DynamicQuantizeLinear"));
        Assert.Equal((int)DataType.Int8, quantized.Graph.FindInitializer("w_quantized")!.DataType);
        float range = expected.Max(Math.Abs);
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 0.03f * range);
    }

    [Fact]
    public void Dynamic_ConvWithBias_UsesConvIntegerAndStaysClose()
    {
        var r = new Random(2);
        var model = new GraphBuilder("conv")
            .Opset(13)
            .Input("x", DataType.Float, 1, 3, 6, 6)
            .Initializer("w", QuantTestModels.Random(r, 4 * 3 * 9), 4, 3, 3, 3)
            .Initializer("b", QuantTestModels.Random(r, 4))
            .Node("Conv", ["x", "w", "b"], ["y"], a => a.Ints("pads", 1, 1, 1, 1))
            .Output("y", DataType.Float, 1, 4, 6, 6)
            .Build();
        var x = QuantTestModels.Random(r, 3 * 36);

        var (quantized, replaced) = DynamicQuantizer.Quantize(model, new QdqOptions());
        var expected = QuantTestModels.Run(model, "y", ("x", x, [1, 3, 6, 6]));
        var actual = QuantTestModels.Run(quantized, "y", ("x", x, [1, 3, 6, 6]));

        Assert.Equal(1, replaced);
        Assert.Equal(1, QuantTestModels.Count(quantized, "ConvInteger"));
        float range = expected.Max(Math.Abs);
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 0.03f * range);
    }

    [Fact]
    public void Dynamic_Opset9_RaisesTo13AndStaysClose()
    {
        var r = new Random(1);
        var model = MatMulAddRelu(r);
        model.OpsetImport[0].Version = 9;
        model.IrVersion = 4;
        var x = QuantTestModels.Random(r, 2 * 32);

        var (quantized, replaced) = DynamicQuantizer.Quantize(model, new QdqOptions());
        var expected = QuantTestModels.Run(model, "y", ("x", x, [2, 32]));
        var actual = QuantTestModels.Run(quantized, "y", ("x", x, [2, 32]));

        Assert.Equal(1, replaced);
        Assert.Equal(13, quantized.OpsetVersion());
        Assert.Equal(9, model.OpsetVersion());
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 0.03f * expected.Max(Math.Abs));
    }

    [Fact]
    public void Dynamic_Opset9WithAnOpTheUpgradeRefuses_RefusesNamingOpsetAndReason()
    {
        var model = new GraphBuilder("upsample")
            .Opset(9)
            .Input("x", DataType.Float, 1, 1, 2, 2)
            .Initializer("scales", [1f, 1f, 2f, 2f])
            .Node("Upsample", ["x", "scales"], ["y"])
            .Output("y", DataType.Float, 1, 1, 4, 4)
            .Build();

        var e = Assert.Throws<NotSupportedException>(() => DynamicQuantizer.Quantize(model, new QdqOptions()));

        Assert.Contains("opset 9", e.Message, StringComparison.Ordinal);
        Assert.Contains("Upsample", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fp16_KeepsFloat32InputsAndOutputs_WeightsBecomeHalf_OutputsClose()
    {
        var r = new Random(3);
        var model = MatMulAddRelu(r);
        var x = QuantTestModels.Random(r, 2 * 32);

        var half = Fp16Converter.Convert(model);
        var expected = QuantTestModels.Run(model, "y", ("x", x, [2, 32]));
        var actual = QuantTestModels.Run(half, "y", ("x", x, [2, 32]));

        Assert.Equal(DataType.Float, half.Graph.Input[0].ElementType());
        Assert.Equal(DataType.Float, half.Graph.Output[0].ElementType());
        Assert.Equal((int)DataType.Float16, half.Graph.FindInitializer("w")!.DataType);
        Assert.Equal(2, QuantTestModels.Count(half, "Cast"));
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 0.01f * expected.Max(Math.Abs) + 1e-3f);
    }

    [Fact]
    public void Fp16_ResizeScales_StayFloat32()
    {
        var model = new GraphBuilder("resize")
            .Opset(13)
            .Input("x", DataType.Float, 1, 1, 2, 2)
            .Initializer("scales", [1f, 1f, 2f, 2f])
            .Node("Resize", ["x", "", "scales"], ["y"])
            .Output("y", DataType.Float, 1, 1, 4, 4)
            .Build();

        var half = Fp16Converter.Convert(model);
        var y = QuantTestModels.Run(half, "y", ("x", [1f, 2f, 3f, 4f], [1, 1, 2, 2]));

        Assert.Equal((int)DataType.Float, half.Graph.FindInitializer("scales")!.DataType);
        Assert.Equal(16, y.Length);
        Assert.Equal(1f, y[0]);
        Assert.Equal(4f, y[15]);
    }

    [Theory]
    [InlineData(64, 8, 16, false)]
    [InlineData(40, 5, 16, false)] // K not a multiple of the block: padded
    [InlineData(64, 8, 32, true)]
    public void Int4_Packing_MatchesOnnxRuntimeDequantisation(int k, int n, int block, bool symmetric)
    {
        var r = new Random(k + n);
        var weights = QuantTestModels.Random(r, k * n, 2f);
        var packed = MatMulNBitsQuantizer.Pack(weights, k, n, block, symmetric);

        // MatMulNBits with A = identity returns the dequantized B exactly as ORT computes it.
        var builder = new GraphBuilder("nbits")
            .Opset(17)
            .Opset(OnnxVersions.MicrosoftDomain, 1)
            .Input("a", DataType.Float, k, k)
            .Initializer(OnnxTensors.FromBytes("b", packed.Packed, n, packed.Blocks, block / 2))
            .Initializer(OnnxTensors.FromFloats("scales", packed.Scales, packed.Scales.Length))
            .Output("y", DataType.Float, k, n);
        string[] inputs = ["a", "b", "scales"];
        if (packed.ZeroPoints is not null)
        {
            builder.Initializer(OnnxTensors.FromBytes("zp", packed.ZeroPoints, packed.ZeroPoints.Length));
            inputs = [.. inputs, "zp"];
        }

        var model = builder
            .Node("MatMulNBits", inputs, ["y"], a => a.Int("K", k).Int("N", n).Int("bits", 4).Int("block_size", block).Int("accuracy_level", 0), domain: OnnxVersions.MicrosoftDomain)
            .Build();
        var identity = new float[k * k];
        for (int i = 0; i < k; i++)
        {
            identity[(i * k) + i] = 1f;
        }

        var y = QuantTestModels.Run(model, "y", ("a", identity, [k, k]));

        for (int row = 0; row < k; row++)
        {
            for (int col = 0; col < n; col++)
            {
                float ours = packed.Dequantize(row, col);
                Assert.Equal(ours, y[(row * n) + col], 1e-5f);
                float scale = Math.Abs(packed.Scales[(col * packed.Blocks) + (row / block)]);
                // Symmetric blocks map the extreme to -8, so the opposite extreme may clip by one step at +7.
                float bound = symmetric ? scale : scale / 2;
                Assert.True(Math.Abs(ours - weights[(row * n) + col]) <= bound + 1e-5f, $"B[{row},{col}]");
            }
        }
    }

    [Fact]
    public void Int4_Quantize_ReplacesMatMulAndStaysClose()
    {
        var r = new Random(4);
        var model = MatMulAddRelu(r, k: 64, n: 16);
        var x = QuantTestModels.Random(r, 2 * 64);

        var (quantized, replaced) = MatMulNBitsQuantizer.Quantize(model, blockSize: 32);
        var expected = QuantTestModels.Run(model, "y", ("x", x, [2, 64]));
        var actual = QuantTestModels.Run(quantized, "y", ("x", x, [2, 64]));

        Assert.Equal(1, replaced);
        Assert.Equal(1, QuantTestModels.Count(quantized, "MatMulNBits"));
        Assert.Equal(1, quantized.OpsetVersion(OnnxVersions.MicrosoftDomain));
        Assert.True(expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max() <= 0.1f * expected.Max(Math.Abs));
    }

    [Fact]
    public void Int4_BadBlockSize_Throws()
    {
        Assert.Throws<ArgumentException>(() => MatMulNBitsQuantizer.Pack(new float[64], 16, 4, 24, false));
        Assert.Throws<ArgumentException>(() => MatMulNBitsQuantizer.Pack(new float[64], 16, 4, 8, false));
    }
}
