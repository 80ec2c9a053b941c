namespace EdgeAgent.Inference.Execution;

/// <summary>
/// A model's execution time as a line in its input size: <c>ms = InterceptMs + MsPerByte x bytes</c>,
/// with the size clamped to the measured range [<see cref="MinBytes"/>, <see cref="MaxBytes"/>]
/// (no extrapolation). <see cref="None"/> (slope 0) when too few runs of different sizes were
/// measured, or the time does not grow with the size; then the mean is the estimate.
/// </summary>
/// <param name="InterceptMs">Milliseconds at 0 bytes.</param>
/// <param name="MsPerByte">Milliseconds per input byte (above 0 for a usable line).</param>
/// <param name="MinBytes">Smallest measured input, bytes.</param>
/// <param name="MaxBytes">Largest measured input, bytes.</param>
public readonly record struct ExecTimeLine(double InterceptMs, double MsPerByte, long MinBytes, long MaxBytes)
{
    /// <summary>No usable line.</summary>
    public static ExecTimeLine None => default;

    /// <summary>True when the line can give an estimate.</summary>
    public bool IsUsable => MsPerByte > 0 && MaxBytes > MinBytes && double.IsFinite(InterceptMs) && double.IsFinite(MsPerByte);

    /// <summary>The expected milliseconds of an input of <paramref name="bytes"/>; null when the line is not usable.</summary>
    public double? At(long bytes) => IsUsable ? InterceptMs + (MsPerByte * Math.Clamp(bytes, MinBytes, MaxBytes)) : null;
}

/// <summary>
/// The execution-time estimate of one model variant on one executor, from its recent runs: a
/// robust, recency-weighted mean (<see cref="MeanMs"/>) and a robust, recency-weighted line in the
/// input size (<see cref="Line"/>). The last <see cref="Capacity"/> runs are kept; a run's weight
/// halves every ~4 newer runs (<see cref="Decay"/>), so the estimates follow a lasting change within
/// a few runs, and a run far from the others (a burst of other work on the machine) is down-weighted
/// (Huber weights on the residuals, scale from the recency-weighted median absolute residual, at
/// least 5 % of the estimate) or, beyond 6 scales, left out, so one slow run moves them little.
/// The mean starts from the recency-weighted median and the line from a Theil-Sen line (weighted
/// median of the pairwise slopes), so neither starts from a point one outlier has moved. The session's first run pays one-time costs (arena growth, first page faults: 4-7x a
/// later run of the OCR models) and is dropped when the second is measured. Not thread-safe (the
/// executor records under its lock); <see cref="Record"/> allocates nothing.
/// </summary>
public sealed class ExecTimeEstimate
{
    /// <summary>Runs kept.</summary>
    public const int Capacity = 32;

    /// <summary>Weight of a run relative to the next newer one.</summary>
    public const double Decay = 0.85;

    /// <summary>Runs needed before a line in the size is fitted.</summary>
    public const int MinLineRuns = 6;

    /// <summary>Spread of the sizes, (max - min) / mean, needed before a line is fitted.</summary>
    public const double MinRelativeSpread = 0.1;

    // Huber's tuning constant (in robust standard deviations) and the floor of the scale as a
    // fraction of the estimate, so runs within a few percent of each other all count in full.
    private const double HuberK = 2.0;
    private const double RejectK = 6.0;
    private const double ScaleFloor = 0.05;
    private const int Passes = 3;

    private readonly long[] _bytes = new long[Capacity];
    private readonly double[] _ms = new double[Capacity];
    private int _next;
    private int _count;

    /// <summary>Runs recorded since creation.</summary>
    public long Runs { get; private set; }

    /// <summary>The robust recency-weighted mean execution time, ms; 0 before the first run.</summary>
    public double MeanMs { get; private set; }

    /// <summary>The line in the input size (<see cref="ExecTimeLine.None"/> until enough runs of different sizes).</summary>
    public ExecTimeLine Line { get; private set; }

    /// <summary>The expected milliseconds of a run on <paramref name="bytes"/> of input: the line's value, else the mean (0 before the first run).</summary>
    public double ExpectedMs(long bytes) => Line.At(bytes) is { } ms ? Math.Max(ms, 0.1 * MeanMs) : MeanMs;

    /// <summary>Makes this estimate a copy of <paramref name="other"/> (its runs and fit); allocates nothing.</summary>
    public void CopyFrom(ExecTimeEstimate other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Array.Copy(other._bytes, _bytes, Capacity);
        Array.Copy(other._ms, _ms, Capacity);
        _next = other._next;
        _count = other._count;
        Runs = other.Runs;
        MeanMs = other.MeanMs;
        Line = other.Line;
    }

    /// <summary>Forgets every run (as a new estimate); allocates nothing.</summary>
    public void Clear()
    {
        _next = 0;
        _count = 0;
        Runs = 0;
        MeanMs = 0;
        Line = ExecTimeLine.None;
    }

    /// <summary>Adds one run of <paramref name="bytes"/> input that took <paramref name="ms"/> and refits.</summary>
    public void Record(long bytes, double ms)
    {
        if (!double.IsFinite(ms) || ms < 0)
        {
            return;
        }

        Runs++;
        if (Runs == 2)
        {
            // The session's first run (one-time costs) is the estimate only until a second is measured.
            _count = 0;
            _next = 0;
        }

        _bytes[_next] = Math.Max(0, bytes);
        _ms[_next] = ms;
        _next = (_next + 1) % Capacity;
        _count = Math.Min(_count + 1, Capacity);
        Refit();
    }

    private void Refit()
    {
        Span<double> x = stackalloc double[Capacity];
        Span<double> y = stackalloc double[Capacity];
        Span<double> w = stackalloc double[Capacity];
        Span<double> h = stackalloc double[Capacity];
        Span<double> r = stackalloc double[Capacity];
        Span<double> scratch = stackalloc double[Capacity];
        var n = _count;
        var weight = 1.0;
        for (var age = 0; age < n; age++)
        {
            // Newest first.
            var i = ((_next - 1 - age) % Capacity + Capacity) % Capacity;
            x[age] = _bytes[i];
            y[age] = _ms[i];
            w[age] = weight;
            weight *= Decay;
        }

        x = x[..n];
        y = y[..n];
        w = w[..n];
        h = h[..n];
        r = r[..n];
        scratch = scratch[..n];

        // Location: start at the weighted median (one outlier cannot move it; the newest runs take
        // it over once they hold half the weight), fix the scale from the weighted median absolute
        // residual there, then Huber passes.
        var mean = WeightedMedian(y, w, scratch);
        var scale = Scale(y, mean, 0.0, x, w, r, scratch);
        for (var pass = 0; pass < Passes; pass++)
        {
            HuberWeights(y, mean, 0.0, x, w, h, scale);
            double sw = 0, swy = 0;
            for (var k = 0; k < n; k++)
            {
                sw += h[k];
                swy += h[k] * y[k];
            }

            mean = sw > 0 ? swy / sw : mean;
        }

        MeanMs = mean;
        Line = FitLine(x, y, w, h, r, scratch);
    }

    private static ExecTimeLine FitLine(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> w, Span<double> h, Span<double> r, Span<double> scratch)
    {
        var n = x.Length;
        if (n < MinLineRuns)
        {
            return ExecTimeLine.None;
        }

        double min = double.MaxValue, max = 0, sumX = 0;
        for (var k = 0; k < n; k++)
        {
            min = Math.Min(min, x[k]);
            max = Math.Max(max, x[k]);
            sumX += x[k];
        }

        if (max <= 0 || (max - min) / (sumX / n) < MinRelativeSpread)
        {
            return ExecTimeLine.None;
        }

        // Start from a robust line (Theil-Sen: the recency-weighted median of the pairwise slopes,
        // then the weighted median intercept), fix the scale from its residuals, then weighted
        // least-squares passes with recency x Huber weights.
        Span<double> slopes = stackalloc double[Capacity * (Capacity - 1) / 2];
        Span<double> pairWeights = stackalloc double[Capacity * (Capacity - 1) / 2];
        var pairs = 0;
        for (var a = 0; a < n; a++)
        {
            for (var b = a + 1; b < n; b++)
            {
                if (x[a] != x[b])
                {
                    slopes[pairs] = (y[a] - y[b]) / (x[a] - x[b]);
                    pairWeights[pairs] = w[a] * w[b];
                    pairs++;
                }
            }
        }

        if (pairs == 0)
        {
            return ExecTimeLine.None;
        }

        var slope = WeightedMedian(slopes[..pairs], pairWeights[..pairs]);
        for (var k = 0; k < n; k++)
        {
            r[k] = y[k] - (slope * x[k]);
        }

        var intercept = WeightedMedian(r, w, scratch);
        var scale = Scale(y, intercept, slope, x, w, r, scratch);
        for (var pass = 0; pass < Passes; pass++)
        {
            HuberWeights(y, intercept, slope, x, w, h, scale);
            if (!WeightedLine(x, y, h, out intercept, out slope))
            {
                return ExecTimeLine.None;
            }
        }

        return slope > 0 ? new ExecTimeLine(intercept, slope, (long)min, (long)max) : ExecTimeLine.None;
    }

    private static bool WeightedLine(ReadOnlySpan<double> x, ReadOnlySpan<double> y, ReadOnlySpan<double> h, out double intercept, out double slope)
    {
        intercept = 0;
        slope = 0;
        double sw = 0, sx = 0, sy = 0;
        for (var k = 0; k < x.Length; k++)
        {
            sw += h[k];
            sx += h[k] * x[k];
            sy += h[k] * y[k];
        }

        if (sw <= 0)
        {
            return false;
        }

        var mx = sx / sw;
        var my = sy / sw;
        double sxx = 0, sxy = 0;
        for (var k = 0; k < x.Length; k++)
        {
            sxx += h[k] * (x[k] - mx) * (x[k] - mx);
            sxy += h[k] * (x[k] - mx) * (y[k] - my);
        }

        if (sxx <= 0)
        {
            return false;
        }

        slope = sxy / sxx;
        intercept = my - (slope * mx);
        return true;
    }

    // A robust scale of the residuals from the line (intercept + slope x): 1.4826 x their
    // recency-weighted median absolute value, at least ScaleFloor of the line's level.
    private static double Scale(ReadOnlySpan<double> y, double intercept, double slope, ReadOnlySpan<double> x, ReadOnlySpan<double> w, Span<double> r, Span<double> scratch)
    {
        double level = 0, sw = 0;
        for (var k = 0; k < y.Length; k++)
        {
            var fitted = intercept + (slope * x[k]);
            r[k] = Math.Abs(y[k] - fitted);
            level += w[k] * Math.Abs(fitted);
            sw += w[k];
        }

        return Math.Max(1.4826 * WeightedMedian(r, w, scratch), ScaleFloor * (sw > 0 ? level / sw : 0));
    }

    // h = recency weight x robust weight of the residual from the line (intercept + slope x): 1 up
    // to HuberK scales, Huber's HuberK x scale / residual up to RejectK scales, 0 beyond (a run at
    // 10x its model's time has leverage enough to tilt a line even at Huber's small weight).
    private static void HuberWeights(ReadOnlySpan<double> y, double intercept, double slope, ReadOnlySpan<double> x, ReadOnlySpan<double> w, Span<double> h, double scale)
    {
        for (var k = 0; k < y.Length; k++)
        {
            var residual = Math.Abs(y[k] - (intercept + (slope * x[k])));
            h[k] = w[k] * (scale <= 0 || residual <= HuberK * scale ? 1.0 : residual <= RejectK * scale ? HuberK * scale / residual : 0.0);
        }
    }

    // The weighted median of values (weights w), using scratch for a copy.
    private static double WeightedMedian(ReadOnlySpan<double> values, ReadOnlySpan<double> w, Span<double> scratch)
    {
        Span<double> weights = stackalloc double[Capacity];
        values.CopyTo(scratch);
        w.CopyTo(weights);
        return WeightedMedian(scratch[..values.Length], weights[..values.Length]);
    }

    // The weighted median; sorts values (and their weights with them) in place.
    private static double WeightedMedian(Span<double> values, Span<double> weights)
    {
        if (values.Length == 0)
        {
            return 0;
        }

        values.Sort(weights);
        double total = 0;
        foreach (var weight in weights)
        {
            total += weight;
        }

        double below = 0;
        for (var k = 0; k < values.Length; k++)
        {
            below += weights[k];
            if (below >= 0.5 * total)
            {
                return values[k];
            }
        }

        return values[^1];
    }
}
