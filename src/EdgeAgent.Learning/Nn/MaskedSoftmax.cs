namespace EdgeAgent.Learning.Nn;

/// <summary>
/// Softmax and log-softmax over the present entries of each row ([batch, n] logits with a
/// [batch, n] mask of 1 for present, 0 for absent). Absent entries get probability 0 and
/// log-probability 0 (not -infinity), so sums of p * log p stay finite.
/// </summary>
public static class MaskedSoftmax
{
    /// <summary>Writes probabilities and log-probabilities; a row with no present entry gets all zeros.</summary>
    public static void Forward(ReadOnlySpan<float> logits, ReadOnlySpan<float> mask, int batch, int n, Span<float> probabilities, Span<float> logProbabilities)
    {
        for (var b = 0; b < batch; b++)
        {
            var z = logits.Slice(b * n, n);
            var m = mask.Slice(b * n, n);
            var p = probabilities.Slice(b * n, n);
            var lp = logProbabilities.Slice(b * n, n);
            var max = float.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                if (m[i] > 0.5f && z[i] > max)
                {
                    max = z[i];
                }
            }

            if (float.IsNegativeInfinity(max))
            {
                p.Clear();
                lp.Clear();
                continue;
            }

            double sum = 0;
            for (var i = 0; i < n; i++)
            {
                if (m[i] > 0.5f)
                {
                    sum += Math.Exp(z[i] - max);
                }
            }

            var logSum = (float)Math.Log(sum) + max;
            for (var i = 0; i < n; i++)
            {
                if (m[i] > 0.5f)
                {
                    lp[i] = z[i] - logSum;
                    p[i] = MathF.Exp(lp[i]);
                }
                else
                {
                    lp[i] = 0f;
                    p[i] = 0f;
                }
            }
        }
    }

    /// <summary>
    /// Gradient with respect to the logits, given the forward probabilities and the upstream
    /// gradients with respect to the probabilities and to the log-probabilities (either may be empty).
    /// Absent entries receive zero.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> mask, ReadOnlySpan<float> dProbabilities, ReadOnlySpan<float> dLogProbabilities, int batch, int n, Span<float> dLogits)
    {
        for (var b = 0; b < batch; b++)
        {
            var p = probabilities.Slice(b * n, n);
            var m = mask.Slice(b * n, n);
            var dz = dLogits.Slice(b * n, n);
            double pdp = 0, sdl = 0;
            for (var i = 0; i < n; i++)
            {
                if (m[i] > 0.5f)
                {
                    if (!dProbabilities.IsEmpty)
                    {
                        pdp += p[i] * dProbabilities[(b * n) + i];
                    }

                    if (!dLogProbabilities.IsEmpty)
                    {
                        sdl += dLogProbabilities[(b * n) + i];
                    }
                }
            }

            for (var i = 0; i < n; i++)
            {
                if (!(m[i] > 0.5f))
                {
                    dz[i] = 0f;
                    continue;
                }

                double g = 0;
                if (!dProbabilities.IsEmpty)
                {
                    g += p[i] * (dProbabilities[(b * n) + i] - pdp);
                }

                if (!dLogProbabilities.IsEmpty)
                {
                    g += dLogProbabilities[(b * n) + i] - (p[i] * sdl);
                }

                dz[i] = (float)g;
            }
        }
    }
}
