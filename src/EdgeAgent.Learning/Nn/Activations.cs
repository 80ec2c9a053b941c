using System.Numerics;

namespace EdgeAgent.Learning.Nn;

/// <summary>
/// Elementwise activations. LeakyReLU with slope 0 is ReLU. The slope is positive or zero, so the
/// sign of the output equals the sign of the input and backward needs only the output.
/// </summary>
public static class Activations
{
    /// <summary>y = x for x &gt; 0, slope * x otherwise; in place allowed (x and y the same array).</summary>
    public static void LeakyRelu(ReadOnlySpan<float> x, Span<float> y, float slope)
    {
        if (y.Length < x.Length)
        {
            throw new ArgumentException("The output is shorter than the input.", nameof(y));
        }

        var i = 0;
        var vw = Vector<float>.Count;
        var s = new Vector<float>(slope);
        for (; i + vw <= x.Length; i += vw)
        {
            var v = new Vector<float>(x.Slice(i, vw));
            Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), v, v * s).CopyTo(y.Slice(i, vw));
        }

        for (; i < x.Length; i++)
        {
            y[i] = x[i] > 0f ? x[i] : x[i] * slope;
        }
    }

    /// <summary>dx = dy where the activation's output y &gt; 0, slope * dy elsewhere; in place allowed (dy and dx the same).</summary>
    public static void LeakyReluBackward(ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx, float slope)
    {
        if (dy.Length < y.Length || dx.Length < y.Length)
        {
            throw new ArgumentException("Gradient buffers are shorter than the activation.", nameof(dx));
        }

        var i = 0;
        var vw = Vector<float>.Count;
        var s = new Vector<float>(slope);
        for (; i + vw <= y.Length; i += vw)
        {
            var v = new Vector<float>(y.Slice(i, vw));
            var g = new Vector<float>(dy.Slice(i, vw));
            Vector.ConditionalSelect(Vector.GreaterThan(v, Vector<float>.Zero), g, g * s).CopyTo(dx.Slice(i, vw));
        }

        for (; i < y.Length; i++)
        {
            dx[i] = y[i] > 0f ? dy[i] : dy[i] * slope;
        }
    }
}
