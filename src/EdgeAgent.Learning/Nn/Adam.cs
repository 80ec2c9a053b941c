namespace EdgeAgent.Learning.Nn;

/// <summary>Adam (Kingma and Ba) over a fixed set of parameters, with bias correction.</summary>
public sealed class Adam
{
    private readonly Parameter[] _parameters;
    private readonly float[][] _m;
    private readonly float[][] _v;

    /// <summary>Creates the optimiser with zero moments.</summary>
    public Adam(IEnumerable<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(learningRate);
        if (!(beta1 is >= 0 and < 1) || !(beta2 is >= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), "Adam's betas must be in [0, 1).");
        }

        _parameters = [.. parameters];
        _m = [.. _parameters.Select(p => new float[p.Length])];
        _v = [.. _parameters.Select(p => new float[p.Length])];
        LearningRate = learningRate;
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
    }

    /// <summary>Step size; may change between steps (schedules).</summary>
    public double LearningRate { get; set; }

    /// <summary>Decay of the first moment.</summary>
    public double Beta1 { get; }

    /// <summary>Decay of the second moment.</summary>
    public double Beta2 { get; }

    /// <summary>Added to the root of the second moment.</summary>
    public double Epsilon { get; }

    /// <summary>Steps taken so far.</summary>
    public long StepCount { get; set; }

    /// <summary>The optimised parameters, in order.</summary>
    public IReadOnlyList<Parameter> Parameters => _parameters;

    /// <summary>First moments, parallel to <see cref="Parameters"/> (for checkpoints).</summary>
    public IReadOnlyList<float[]> FirstMoments => _m;

    /// <summary>Second moments, parallel to <see cref="Parameters"/> (for checkpoints).</summary>
    public IReadOnlyList<float[]> SecondMoments => _v;

    /// <summary>Applies one update from the accumulated gradients (which it leaves in place).</summary>
    public void Step()
    {
        StepCount++;
        var b1 = (float)Beta1;
        var b2 = (float)Beta2;
        var correction1 = 1.0 - Math.Pow(Beta1, StepCount);
        var correction2 = 1.0 - Math.Pow(Beta2, StepCount);
        var stepSize = (float)(LearningRate * Math.Sqrt(correction2) / correction1);
        var eps = (float)(Epsilon * Math.Sqrt(correction2));
        for (var i = 0; i < _parameters.Length; i++)
        {
            var w = _parameters[i].Value;
            var g = _parameters[i].Gradient;
            var m = _m[i];
            var v = _v[i];
            for (var k = 0; k < w.Length; k++)
            {
                var gk = g[k];
                m[k] = (b1 * m[k]) + ((1f - b1) * gk);
                v[k] = (b2 * v[k]) + ((1f - b2) * gk * gk);
                w[k] -= stepSize * m[k] / (MathF.Sqrt(v[k]) + eps);
            }
        }
    }
}
