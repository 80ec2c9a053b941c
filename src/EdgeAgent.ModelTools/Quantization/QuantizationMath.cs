namespace EdgeAgent.ModelTools.Quantization;

/// <summary>Integer element types of quantized tensors.</summary>
public enum QuantizedType
{
    /// <summary>Signed 8-bit, [-128, 127].</summary>
    Int8,

    /// <summary>Unsigned 8-bit, [0, 255].</summary>
    UInt8,
}

/// <summary>An inclusive integer range a quantized value may take.</summary>
public readonly record struct QuantRange(int Min, int Max);

/// <summary>Scale and zero point of one tensor or one channel: x = scale * (q - zeroPoint).</summary>
public readonly record struct ScaleZeroPoint(float Scale, int ZeroPoint);

/// <summary>
/// Scale, zero point and rounding exactly as ONNX Runtime's quantization tool defines them
/// (see docs: ranges, double-precision scale, half-to-even rounding).
/// </summary>
public static class QuantizationMath
{
    /// <summary>The smallest normal float; scales below it are replaced by 1.</summary>
    public const double SmallestNormalFloat = 1.1754943508222875e-38;

    /// <summary>The full range of a type.</summary>
    public static QuantRange TypeRange(QuantizedType type) => type == QuantizedType.Int8 ? new(-128, 127) : new(0, 255);

    /// <summary>
    /// The range used to compute parameters: reduce_range (7 bits) wins over symmetric, which
    /// drops one value so zero sits in the middle.
    /// </summary>
    public static QuantRange Range(QuantizedType type, bool symmetric, bool reduceRange) => (type, symmetric, reduceRange) switch
    {
        (QuantizedType.Int8, _, true) => new(-64, 64),
        (QuantizedType.UInt8, _, true) => new(0, 127),
        (QuantizedType.Int8, true, false) => new(-127, 127),
        (QuantizedType.UInt8, true, false) => new(0, 254),
        (QuantizedType.Int8, false, false) => new(-128, 127),
        _ => new(0, 255),
    };

    /// <summary>Scale and zero point for values in [rmin, rmax].</summary>
    public static ScaleZeroPoint Compute(double rmin, double rmax, QuantizedType type, bool symmetric, bool reduceRange = false)
    {
        if (double.IsNaN(rmin) || double.IsNaN(rmax) || rmin > rmax)
        {
            throw new ArgumentException($"Invalid real range [{rmin}, {rmax}].", nameof(rmin));
        }

        var range = Range(type, symmetric, reduceRange);
        return Compute(rmin, rmax, range.Min, range.Max, symmetric);
    }

    /// <summary>Scale and zero point for [rmin, rmax] mapped onto [qmin, qmax].</summary>
    public static ScaleZeroPoint Compute(double rmin, double rmax, int qmin, int qmax, bool symmetric)
    {
        rmin = Math.Min(rmin, 0);
        rmax = Math.Max(rmax, 0);
        if (symmetric)
        {
            double absMax = Math.Max(Math.Abs(rmin), Math.Abs(rmax));
            rmin = -absMax;
            rmax = absMax;
        }

        double scale = (rmax - rmin) / (qmax - qmin);
        if (scale < SmallestNormalFloat)
        {
            return new ScaleZeroPoint(1f, 0);
        }

        double zeroPoint = symmetric
            ? Math.Round((qmin + qmax) / 2.0, MidpointRounding.ToEven)
            : Math.Round(qmin - (rmin / scale), MidpointRounding.ToEven);
        return new ScaleZeroPoint((float)scale, (int)zeroPoint);
    }

    /// <summary>q = clamp(round(x / scale) + zeroPoint) over the type's full range, rounding half to even.</summary>
    public static int Quantize(float x, ScaleZeroPoint p, QuantizedType type)
    {
        var range = TypeRange(type);
        float q = MathF.Round(x / p.Scale, MidpointRounding.ToEven) + p.ZeroPoint;
        return (int)Math.Clamp(q, range.Min, range.Max);
    }

    /// <summary>x = scale * (q - zeroPoint).</summary>
    public static float Dequantize(int q, ScaleZeroPoint p) => p.Scale * (q - p.ZeroPoint);

    /// <summary>
    /// Quantizes a bias to int32 with zero point 0 and scale inputScale * weightScale.
    /// </summary>
    public static int QuantizeBias(float bias, float biasScale)
    {
        // Float division as the Python tool does (float32 arrays), then half-to-even and clip.
        double q = MathF.Round(bias / biasScale, MidpointRounding.ToEven);
        return (int)Math.Clamp(q, int.MinValue, int.MaxValue);
    }
}
