using System.Numerics.Tensors;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>How activation ranges are chosen from calibration data.</summary>
public enum CalibrationMethod
{
    /// <summary>Minimum of the per-sample minima and maximum of the per-sample maxima.</summary>
    MinMax,

    /// <summary>The range holding the given percentile of |x| (histogram of 2048 bins).</summary>
    Percentile,

    /// <summary>The threshold minimising the KL divergence of the quantized distribution (TensorRT style).</summary>
    Entropy,
}

/// <summary>A calibrated real range of one tensor.</summary>
public readonly record struct TensorRange(float Min, float Max);

/// <summary>Progress of calibration: pass (1 min/max, 2 histograms) and samples done.</summary>
public readonly record struct CalibrationProgress(int Pass, int Passes, int Samples);

/// <summary>Calibration settings.</summary>
public sealed record CalibrationOptions
{
    public CalibrationMethod Method { get; init; } = CalibrationMethod.MinMax;

    /// <summary>Percentile of |x| kept by <see cref="CalibrationMethod.Percentile"/>.</summary>
    public double Percentile { get; init; } = 99.999;

    /// <summary>Histogram bins for percentile and entropy.</summary>
    public int HistogramBins { get; init; } = 2048;

    /// <summary>Quantized bins the entropy method compares against (128 for 8 bits, as TensorRT).</summary>
    public int EntropyQuantizedBins { get; init; } = 128;

    /// <summary>ONNX Runtime intra-op threads for calibration runs (0: ORT decides).</summary>
    public int IntraOpThreads { get; init; }
}

/// <summary>
/// Collects activation ranges: the tensors are added as extra model outputs, the dataset runs
/// through ONNX Runtime, and per-tensor statistics are gathered.
/// </summary>
public static class Calibrator
{
    public static Dictionary<string, TensorRange> Collect(
        ModelProto model,
        IReadOnlyCollection<string> tensors,
        ICalibrationDataset dataset,
        IReadOnlyList<ModelInput> inputs,
        CalibrationOptions options,
        IProgress<CalibrationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        var outputs = tensors.Distinct(StringComparer.Ordinal).ToList();
        if (outputs.Count == 0)
        {
            // Nothing to measure (every candidate node excluded): ORT refuses a run without outputs.
            return new Dictionary<string, TensorRange>(StringComparer.Ordinal);
        }

        var augmented = model.Clone();
        foreach (var name in outputs)
        {
            augmented.Graph.AddOutput(name, DataType.Float);
        }

        using var sessionOptions = QuantizationSessions.Options(options.IntraOpThreads, GraphOptimizationLevel.ORT_ENABLE_BASIC);
        using var session = new InferenceSession(OnnxModelFile.ToBytes(augmented), sessionOptions);
        int passes = options.Method == CalibrationMethod.MinMax ? 1 : 2;

        var min = outputs.ToDictionary(n => n, _ => float.PositiveInfinity, StringComparer.Ordinal);
        var max = outputs.ToDictionary(n => n, _ => float.NegativeInfinity, StringComparer.Ordinal);
        int samples = Run(session, dataset, inputs, outputs, (name, values) =>
        {
            if (values.IsEmpty)
            {
                return;
            }

            min[name] = Math.Min(min[name], TensorPrimitives.MinNumber(values));
            max[name] = Math.Max(max[name], TensorPrimitives.MaxNumber(values));
        }, 1, passes, progress, cancellationToken);
        if (samples == 0)
        {
            throw new InvalidOperationException($"Calibration dataset '{dataset.Name}' produced no samples.");
        }

        var ranges = new Dictionary<string, TensorRange>(StringComparer.Ordinal);
        if (options.Method == CalibrationMethod.MinMax)
        {
            foreach (var name in outputs)
            {
                ranges[name] = Finite(min[name], max[name]);
            }

            return ranges;
        }

        bool entropy = options.Method == CalibrationMethod.Entropy;
        int bins = options.HistogramBins;
        var histograms = outputs.ToDictionary(n => n, _ => new long[bins], StringComparer.Ordinal);
        var absMax = outputs.ToDictionary(n => n, n => Math.Max(Math.Abs(Finite(min[n], max[n]).Min), Math.Abs(Finite(min[n], max[n]).Max)), StringComparer.Ordinal);
        Run(session, dataset, inputs, outputs, (name, values) =>
        {
            float a = absMax[name];
            if (a <= 0)
            {
                return;
            }

            var h = histograms[name];
            if (entropy)
            {
                // [-a, a] into bins.
                float k = bins / (2 * a);
                foreach (float v in values)
                {
                    int i = (int)((v + a) * k);
                    h[Math.Clamp(i, 0, bins - 1)]++;
                }
            }
            else
            {
                float k = bins / a;
                foreach (float v in values)
                {
                    int i = (int)(Math.Abs(v) * k);
                    h[Math.Clamp(i, 0, bins - 1)]++;
                }
            }
        }, 2, passes, progress, cancellationToken);

        foreach (var name in outputs)
        {
            var r = Finite(min[name], max[name]);
            float a = absMax[name];
            if (a <= 0)
            {
                ranges[name] = r;
                continue;
            }

            (float lo, float hi) = entropy
                ? HistogramThresholds.Entropy(histograms[name], a, options.EntropyQuantizedBins)
                : HistogramThresholds.Percentile(histograms[name], a, options.Percentile);
            ranges[name] = new TensorRange(Math.Max(lo, r.Min), Math.Min(hi, r.Max));
        }

        return ranges;
    }

    private static TensorRange Finite(float min, float max) =>
        float.IsFinite(min) && float.IsFinite(max) ? new TensorRange(min, max) : new TensorRange(0, 0);

    private static int Run(
        InferenceSession session,
        ICalibrationDataset dataset,
        IReadOnlyList<ModelInput> inputs,
        List<string> outputs,
        Action<string, ReadOnlySpan<float>> observe,
        int pass,
        int passes,
        IProgress<CalibrationProgress>? progress,
        CancellationToken cancellationToken)
    {
        int count = 0;
        using var runOptions = new RunOptions();
        foreach (var sample in dataset.Samples(inputs))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var names = new List<string>();
            var values = new List<OrtValue>();
            try
            {
                foreach (var input in inputs)
                {
                    if (!sample.TryGetValue(input.Name, out var tensor))
                    {
                        throw new InvalidDataException($"Calibration sample {count} from '{dataset.Name}' has no value for input '{input.Name}'.");
                    }

                    names.Add(input.Name);
                    values.Add(OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.Shape));
                }

                using var results = session.Run(runOptions, names, values, outputs);
                for (int i = 0; i < outputs.Count; i++)
                {
                    observe(outputs[i], results[i].GetTensorDataAsSpan<float>());
                }
            }
            finally
            {
                foreach (var v in values)
                {
                    v.Dispose();
                }
            }

            count++;
            progress?.Report(new CalibrationProgress(pass, passes, count));
        }

        return count;
    }
}

/// <summary>Range thresholds from histograms (percentile and KL-divergence entropy).</summary>
public static class HistogramThresholds
{
    /// <summary>
    /// Symmetric percentile: the histogram is of |x| over [0, absMax]; the threshold is the
    /// left edge of the bin where the cumulative share first reaches the percentile.
    /// </summary>
    public static (float Min, float Max) Percentile(long[] absHistogram, float absMax, double percentile)
    {
        ArgumentNullException.ThrowIfNull(absHistogram);
        double total = absHistogram.Sum();
        if (total == 0)
        {
            return (0, 0);
        }

        double target = percentile / 100.0;
        double cumulative = 0;
        int index = absHistogram.Length - 1;
        for (int i = 0; i < absHistogram.Length; i++)
        {
            cumulative += absHistogram[i];
            if (cumulative / total >= target)
            {
                index = i;
                break;
            }
        }

        float edge = absMax * index / absHistogram.Length;
        if (edge <= 0)
        {
            edge = absMax / absHistogram.Length;
        }

        return (-edge, edge);
    }

    /// <summary>
    /// TensorRT-style entropy calibration over a histogram of [-absMax, absMax]: for widening
    /// symmetric windows around zero, fold the outliers into the edge bins, quantize the window
    /// to <paramref name="quantizedBins"/> bins and keep the window with the smallest KL divergence.
    /// </summary>
    public static (float Min, float Max) Entropy(long[] histogram, float absMax, int quantizedBins)
    {
        ArgumentNullException.ThrowIfNull(histogram);
        int bins = histogram.Length;
        int zero = bins / 2;
        int half = quantizedBins / 2;
        double bestDivergence = double.PositiveInfinity;
        int bestI = zero;
        var p = new double[bins];
        var q = new double[bins];
        for (int i = half; i <= zero; i++)
        {
            int start = zero - i;
            int end = Math.Min(zero + i, bins);
            int length = end - start;
            long left = 0;
            for (int k = 0; k < start; k++)
            {
                left += histogram[k];
            }

            long right = 0;
            for (int k = end; k < bins; k++)
            {
                right += histogram[k];
            }

            for (int k = 0; k < length; k++)
            {
                p[k] = histogram[start + k];
            }

            p[0] += left;
            p[length - 1] += right;

            // Quantize the window into quantizedBins chunks, spreading each chunk's mass over
            // its non-empty source bins.
            Array.Clear(q, 0, length);
            double merged = (double)length / quantizedBins;
            for (int c = 0; c < quantizedBins; c++)
            {
                int from = (int)(c * merged);
                int to = c == quantizedBins - 1 ? length : (int)((c + 1) * merged);
                double sum = 0;
                int nonZero = 0;
                for (int k = from; k < to; k++)
                {
                    sum += histogram[start + k];
                    if (histogram[start + k] != 0)
                    {
                        nonZero++;
                    }
                }

                if (nonZero == 0)
                {
                    continue;
                }

                double share = sum / nonZero;
                for (int k = from; k < to; k++)
                {
                    if (histogram[start + k] != 0)
                    {
                        q[k] = share;
                    }
                }
            }

            double divergence = KullbackLeibler(p.AsSpan(0, length), q.AsSpan(0, length));
            if (divergence < bestDivergence)
            {
                bestDivergence = divergence;
                bestI = i;
            }
        }

        float width = 2 * absMax / bins;
        float lo = -absMax + ((zero - bestI) * width);
        float hi = -absMax + (Math.Min(zero + bestI, bins) * width);
        return (lo, hi);
    }

    private static double KullbackLeibler(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double sp = 0;
        double sq = 0;
        for (int i = 0; i < p.Length; i++)
        {
            sp += p[i];
            sq += q[i];
        }

        if (sp == 0)
        {
            return double.PositiveInfinity;
        }

        // q is zero where p has only folded outliers: smooth with a tiny mass so the divergence stays finite.
        const double Epsilon = 1e-12;
        double d = 0;
        for (int i = 0; i < p.Length; i++)
        {
            if (p[i] == 0)
            {
                continue;
            }

            double pi = p[i] / sp;
            double qi = sq > 0 ? Math.Max(q[i] / sq, Epsilon) : Epsilon;
            d += pi * Math.Log(pi / qi);
        }

        return d;
    }
}

/// <summary>ONNX Runtime session settings shared by calibration, search and profiling.</summary>
public static class QuantizationSessions
{
    public static SessionOptions Options(int intraOpThreads, GraphOptimizationLevel level = GraphOptimizationLevel.ORT_ENABLE_ALL)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = level,
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        return options;
    }
}
