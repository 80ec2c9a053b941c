using EdgeAgent.ModelTools.Quantization;

namespace EdgeAgent.ModelTools.Tests.Quantization;

public class QuantizationMathTests
{
    [Theory]
    [InlineData(QuantizedType.Int8, false, false, -128, 127)]
    [InlineData(QuantizedType.UInt8, false, false, 0, 255)]
    [InlineData(QuantizedType.Int8, true, false, -127, 127)]
    [InlineData(QuantizedType.UInt8, true, false, 0, 254)]
    [InlineData(QuantizedType.Int8, true, true, -64, 64)]
    [InlineData(QuantizedType.UInt8, true, true, 0, 127)]
    [InlineData(QuantizedType.Int8, false, true, -64, 64)]
    public void Range_TypeSymmetricReduce_MatchesReference(QuantizedType type, bool symmetric, bool reduce, int min, int max)
    {
        Assert.Equal(new QuantRange(min, max), QuantizationMath.Range(type, symmetric, reduce));
    }

    [Fact]
    public void Compute_AsymmetricUInt8_HandComputed()
    {
        // [-1, 2] over [0, 255]: scale 3/255, zero point round(0 + 1 / (3/255)) = 85.
        var p = QuantizationMath.Compute(-1, 2, QuantizedType.UInt8, symmetric: false);

        Assert.Equal((float)(3.0 / 255.0), p.Scale);
        Assert.Equal(85, p.ZeroPoint);
    }

    [Fact]
    public void Compute_SymmetricInt8_UsesLargerMagnitude()
    {
        // [-0.5, 2] -> [-2, 2] over [-127, 127]: scale 4/254, zero point 0.
        var p = QuantizationMath.Compute(-0.5, 2, QuantizedType.Int8, symmetric: true);

        Assert.Equal((float)(4.0 / 254.0), p.Scale);
        Assert.Equal(0, p.ZeroPoint);
    }

    [Fact]
    public void Compute_SymmetricUInt8_ZeroPointIs127()
    {
        var p = QuantizationMath.Compute(-3, 1, QuantizedType.UInt8, symmetric: true);

        Assert.Equal((float)(6.0 / 254.0), p.Scale);
        Assert.Equal(127, p.ZeroPoint);
    }

    [Fact]
    public void Compute_ReduceRangeSymmetricUInt8_ZeroPointRoundsHalfToEven()
    {
        // [0, 127]: (0 + 127) / 2 = 63.5 rounds to 64 (even).
        var p = QuantizationMath.Compute(-1, 1, QuantizedType.UInt8, symmetric: true, reduceRange: true);

        Assert.Equal(64, p.ZeroPoint);
        Assert.Equal((float)(2.0 / 127.0), p.Scale);
    }

    [Theory]
    [InlineData(-0.5, 254.5, 0)] // scale 1, zero point round(0.5) = 0
    [InlineData(-1.5, 253.5, 2)] // scale 1, zero point round(1.5) = 2
    [InlineData(-2.5, 252.5, 2)] // scale 1, zero point round(2.5) = 2
    public void Compute_AsymmetricZeroPoint_RoundsHalfToEven(double rmin, double rmax, int zeroPoint)
    {
        var p = QuantizationMath.Compute(rmin, rmax, QuantizedType.UInt8, symmetric: false);

        Assert.Equal(1f, p.Scale);
        Assert.Equal(zeroPoint, p.ZeroPoint);
    }

    [Fact]
    public void Compute_PositiveRange_IncludesZero()
    {
        var p = QuantizationMath.Compute(2, 4, QuantizedType.UInt8, symmetric: false);

        Assert.Equal((float)(4.0 / 255.0), p.Scale);
        Assert.Equal(0, p.ZeroPoint);
    }

    [Fact]
    public void Compute_EmptyRange_ScaleOneZeroPointZero()
    {
        Assert.Equal(new ScaleZeroPoint(1f, 0), QuantizationMath.Compute(0, 0, QuantizedType.Int8, symmetric: true));
        Assert.Equal(new ScaleZeroPoint(1f, 0), QuantizationMath.Compute(0, 1e-40, QuantizedType.UInt8, symmetric: false));
    }

    [Theory]
    [InlineData(2.5f, 2)]
    [InlineData(3.5f, 4)]
    [InlineData(-2.5f, -2)]
    [InlineData(0.5f, 0)]
    [InlineData(1000f, 127)]
    [InlineData(-1000f, -128)]
    public void Quantize_Int8ScaleOne_RoundsHalfToEvenAndClamps(float x, int expected)
    {
        Assert.Equal(expected, QuantizationMath.Quantize(x, new ScaleZeroPoint(1f, 0), QuantizedType.Int8));
    }

    [Fact]
    public void Quantize_UInt8WithZeroPoint_AddsZeroPointAndClamps()
    {
        var p = new ScaleZeroPoint(0.5f, 10);

        Assert.Equal(13, QuantizationMath.Quantize(1.5f, p, QuantizedType.UInt8));
        Assert.Equal(0, QuantizationMath.Quantize(-100f, p, QuantizedType.UInt8));
        Assert.Equal(1.5f, QuantizationMath.Dequantize(13, p));
    }

    [Theory]
    [InlineData(0.75f, 0.5f, 2)] // 1.5 -> 2
    [InlineData(1.25f, 0.5f, 2)] // 2.5 -> 2
    [InlineData(-1.25f, 0.5f, -2)]
    [InlineData(1e30f, 1e-10f, int.MaxValue)]
    public void QuantizeBias_HalfToEvenAndClipped(float bias, float scale, int expected)
    {
        Assert.Equal(expected, QuantizationMath.QuantizeBias(bias, scale));
    }

    [Fact]
    public void QuantizeDequantize_RandomRanges_ErrorWithinHalfScaleAndZeroExact()
    {
        var random = new Random(42);
        for (int trial = 0; trial < 500; trial++)
        {
            double a = (random.NextDouble() * 20) - 10;
            double b = (random.NextDouble() * 20) - 10;
            double rmin = Math.Min(a, b);
            double rmax = Math.Max(a, b);
            var type = trial % 2 == 0 ? QuantizedType.UInt8 : QuantizedType.Int8;
            bool symmetric = trial % 3 == 0;
            var p = QuantizationMath.Compute(rmin, rmax, type, symmetric);

            Assert.Equal(0f, QuantizationMath.Dequantize(QuantizationMath.Quantize(0f, p, type), p));
            for (int i = 0; i < 20; i++)
            {
                float x = (float)(rmin + (random.NextDouble() * (rmax - rmin)));
                float back = QuantizationMath.Dequantize(QuantizationMath.Quantize(x, p, type), p);
                Assert.True(Math.Abs(back - x) <= (p.Scale / 2) * 1.0001 + 1e-6, $"x {x} back {back} scale {p.Scale} range [{rmin}, {rmax}] {type} sym {symmetric}");
            }
        }
    }
}
