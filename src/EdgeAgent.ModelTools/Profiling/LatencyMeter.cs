using System.Diagnostics;
using EdgeAgent.ModelTools.Quantization;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.ModelTools.Profiling;

/// <summary>Latency statistics of one model, in milliseconds.</summary>
public sealed record LatencyStats(double P50, double P95, double Mean, int Runs)
{
    public static LatencyStats From(IReadOnlyList<double> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count == 0)
        {
            throw new ArgumentException("No latency samples.", nameof(samples));
        }

        var sorted = samples.Order().ToArray();
        return new LatencyStats(Percentile(sorted, 0.50), Percentile(sorted, 0.95), sorted.Average(), sorted.Length);
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        int rank = (int)Math.Ceiling(p * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// Times ONNX Runtime sessions (CPU, full optimisation, spinning off) on fixed inputs. Several
/// models are timed round-robin, one run each in turn, so load on a shared machine affects
/// all of them alike and their ratio is measured in one run.
/// </summary>
public sealed class LatencyMeter : IDisposable
{
    private readonly List<(string Name, InferenceSession Session)> _sessions = [];
    private readonly int _threads;

    public LatencyMeter(int intraOpThreads) => _threads = intraOpThreads;

    /// <summary>Adds a model to time.</summary>
    public void Add(string name, string modelPath)
    {
        using var options = QuantizationSessions.Options(_threads);
        _sessions.Add((name, new InferenceSession(modelPath, options)));
    }

    /// <summary>Runs each model <paramref name="warmup"/> times, then <paramref name="runs"/> timed runs round-robin.</summary>
    public IReadOnlyDictionary<string, LatencyStats> Measure(IReadOnlyDictionary<string, InputTensor> inputs, int warmup, int runs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var samples = _sessions.ToDictionary(s => s.Name, _ => new List<double>(), StringComparer.Ordinal);
        for (int r = 0; r < warmup + runs; r++)
        {
            foreach (var (name, session) in _sessions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double ms = RunOnce(session, inputs);
                if (r >= warmup)
                {
                    samples[name].Add(ms);
                }
            }
        }

        return samples.ToDictionary(s => s.Key, s => LatencyStats.From(s.Value), StringComparer.Ordinal);
    }

    /// <summary>One timed run, in milliseconds.</summary>
    public static double RunOnce(InferenceSession session, IReadOnlyDictionary<string, InputTensor> inputs)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(inputs);
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            foreach (var (name, tensor) in inputs)
            {
                names.Add(name);
                values.Add(OrtValue.CreateTensorValueFromMemory(tensor.Data, tensor.Shape));
            }

            using var runOptions = new RunOptions();
            var watch = Stopwatch.StartNew();
            using var results = session.Run(runOptions, names, values, session.OutputNames);
            return watch.Elapsed.TotalMilliseconds;
        }
        finally
        {
            foreach (var v in values)
            {
                v.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var (_, session) in _sessions)
        {
            session.Dispose();
        }

        _sessions.Clear();
    }
}
