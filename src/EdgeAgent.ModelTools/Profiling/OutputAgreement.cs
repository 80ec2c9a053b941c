namespace EdgeAgent.ModelTools.Profiling;

/// <summary>
/// Agreement of a candidate model's outputs with a reference model's outputs on the same inputs,
/// for any model: cosine similarity of each output (mean and minimum over samples) and, for
/// classifier-like outputs, top-1 agreement of the argmax over the last axis.
/// </summary>
public sealed class OutputAgreement
{
    private double _cosineSum;
    private long _top1Rows;
    private long _top1Agree;

    /// <summary>Samples added.</summary>
    public int Samples { get; private set; }

    /// <summary>Mean cosine similarity over samples (1 when nothing was added).</summary>
    public double MeanCosine => Samples == 0 ? 1 : _cosineSum / Samples;

    /// <summary>Smallest cosine similarity seen (1 when nothing was added).</summary>
    public double MinCosine { get; private set; } = 1;

    /// <summary>Fraction of rows whose argmax agrees (null when no class count was given).</summary>
    public double? Top1Agreement => _top1Rows == 0 ? null : (double)_top1Agree / _top1Rows;

    /// <summary>
    /// Adds one sample. With <paramref name="classCount"/>, the outputs are read as rows of that
    /// many scores and the argmax of each row is compared.
    /// </summary>
    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate, int? classCount = null)
    {
        if (reference.Length != candidate.Length)
        {
            throw new ArgumentException($"The outputs differ in length: reference {reference.Length}, candidate {candidate.Length}.", nameof(candidate));
        }

        var cosine = Cosine(reference, candidate);
        _cosineSum += cosine;
        MinCosine = Math.Min(MinCosine, cosine);
        Samples++;
        if (classCount is { } classes)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(classes, 1, nameof(classCount));
            if (reference.Length % classes != 0)
            {
                throw new ArgumentException($"An output of {reference.Length} values is not a whole number of rows of {classes} classes.", nameof(classCount));
            }

            for (var row = 0; row < reference.Length / classes; row++)
            {
                _top1Rows++;
                if (ArgMax(reference.Slice(row * classes, classes)) == ArgMax(candidate.Slice(row * classes, classes)))
                {
                    _top1Agree++;
                }
            }
        }
    }

    /// <summary>Cosine similarity; 1 when both are all zeros, 0 when only one is.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException("The vectors differ in length.", nameof(b));
        }

        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }

        if (na == 0 && nb == 0)
        {
            return 1;
        }

        return na == 0 || nb == 0 ? 0 : dot / Math.Sqrt(na * nb);
    }

    /// <summary>Index of the largest value (first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
