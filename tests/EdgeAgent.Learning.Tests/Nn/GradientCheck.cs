namespace EdgeAgent.Learning.Tests.Nn;

/// <summary>Central finite differences in float against analytic gradients.</summary>
internal static class GradientCheck
{
    /// <summary>
    /// For up to <paramref name="samples"/> entries of <paramref name="values"/>, compares
    /// (loss(v + eps) - loss(v - eps)) / 2 eps with <paramref name="analytic"/>.
    /// </summary>
    public static void Check(string what, float[] values, float[] analytic, Func<double> loss, Random random, int samples = 40, float eps = 1e-2f, double tolerance = 2e-2)
    {
        var indices = values.Length <= samples
            ? Enumerable.Range(0, values.Length).ToArray()
            : Enumerable.Range(0, samples).Select(_ => random.Next(values.Length)).ToArray();
        foreach (var i in indices)
        {
            var original = values[i];
            values[i] = original + eps;
            var plus = loss();
            values[i] = original - eps;
            var minus = loss();
            values[i] = original;
            var numeric = (plus - minus) / (2.0 * eps);
            if (Math.Abs(numeric - analytic[i]) > tolerance * Math.Max(1.0, Math.Max(Math.Abs(numeric), Math.Abs(analytic[i]))))
            {
                // A kink (ReLU, max) inside [v - eps, v + eps] spoils one central difference:
                // retry with a step ten times smaller before calling it a mismatch.
                var small = eps / 10;
                values[i] = original + small;
                plus = loss();
                values[i] = original - small;
                minus = loss();
                values[i] = original;
                numeric = (plus - minus) / (2.0 * small);
            }

            var error = Math.Abs(numeric - analytic[i]);
            var scale = Math.Max(1.0, Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])));
            Assert.True(error <= tolerance * scale,
                $"{what}[{i}]: analytic {analytic[i]:G6}, finite difference {numeric:G6} (error {error:G3}).");
        }
    }

    public static float[] RandomArray(Random random, int length, double scale = 1.0)
    {
        var a = new float[length];
        for (var i = 0; i < length; i++)
        {
            a[i] = (float)(((random.NextDouble() * 2) - 1) * scale);
        }

        return a;
    }

    public static double Dot(float[] a, float[] b, int length)
    {
        double s = 0;
        for (var i = 0; i < length; i++)
        {
            s += (double)a[i] * b[i];
        }

        return s;
    }
}
