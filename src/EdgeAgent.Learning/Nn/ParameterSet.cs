using System.Numerics.Tensors;

namespace EdgeAgent.Learning.Nn;

/// <summary>Operations over every parameter of a model: clearing, clipping, copying, soft updates.</summary>
public static class ParameterSet
{
    /// <summary>Total number of scalars.</summary>
    public static int Count(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var total = 0;
        foreach (var p in parameters)
        {
            total += p.Length;
        }

        return total;
    }

    /// <summary>Sets every gradient to zero.</summary>
    public static void ZeroGradients(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
        {
            p.ZeroGradient();
        }
    }

    /// <summary>The L2 norm of all gradients taken together.</summary>
    public static double GradientNorm(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        double sum = 0;
        foreach (var p in parameters)
        {
            sum += TensorPrimitives.SumOfSquares<float>(p.Gradient);
        }

        return Math.Sqrt(sum);
    }

    /// <summary>
    /// Global-norm clipping: when the joint L2 norm of all gradients exceeds
    /// <paramref name="maxNorm"/>, scales every gradient by maxNorm / norm. Returns the norm before clipping.
    /// </summary>
    public static double ClipGradientNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNorm);
        var norm = GradientNorm(parameters);
        if (norm > maxNorm)
        {
            var scale = (float)(maxNorm / norm);
            foreach (var p in parameters)
            {
                TensorPrimitives.Multiply(p.Gradient, scale, p.Gradient);
            }
        }

        return norm;
    }

    /// <summary>Copies values from <paramref name="source"/> to <paramref name="target"/> (same architecture).</summary>
    public static void CopyValues(IReadOnlyList<Parameter> source, IReadOnlyList<Parameter> target) =>
        SoftUpdate(source, target, 1.0f);

    /// <summary>Polyak averaging: target = tau * source + (1 - tau) * target.</summary>
    public static void SoftUpdate(IReadOnlyList<Parameter> source, IReadOnlyList<Parameter> target, float tau)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (source.Count != target.Count)
        {
            throw new ArgumentException($"Parameter sets differ: {source.Count} against {target.Count} tensors.", nameof(target));
        }

        for (var i = 0; i < source.Count; i++)
        {
            var s = source[i].Value;
            var t = target[i].Value;
            if (s.Length != t.Length)
            {
                throw new ArgumentException($"Parameter {source[i]} does not match {target[i]}.", nameof(target));
            }

            if (tau >= 1.0f)
            {
                s.CopyTo(t, 0);
            }
            else
            {
                // t = t + tau * (s - t)
                for (var k = 0; k < t.Length; k++)
                {
                    t[k] += tau * (s[k] - t[k]);
                }
            }
        }
    }
}
