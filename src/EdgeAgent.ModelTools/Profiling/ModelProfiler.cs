using System.Diagnostics;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.ModelTools.Profiling;

/// <summary>A power reading for energy per inference: cumulative joules when the source counts energy, else watts.</summary>
public interface IPowerProbe
{
    /// <summary>Source name ("rapl", "ina3221-hwmon", "model").</summary>
    string Name { get; }

    /// <summary>True when readings come from a sensor, false for a model's estimate.</summary>
    bool Measured { get; }

    string Description { get; }

    /// <summary>Reads power now; false when no reading is available.</summary>
    bool TryRead(out double watts, out double? cumulativeJoules);
}

/// <summary>Settings of `edgeagent models profile`.</summary>
public sealed record ProfileOptions
{
    public int IntraOpThreads { get; init; }

    public int InterOpThreads { get; init; } = 1;

    public bool AllowSpinning { get; init; }

    public int Runs { get; init; } = 20;

    public int Warmup { get; init; } = 3;

    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>Device name used for the profile file.</summary>
    public string Device { get; init; } = Environment.MachineName.ToLowerInvariant();
}

/// <summary>
/// Profiles every variant of a model version: latency p50/p95 with the given thread settings,
/// peak memory (growth of the process's resident set while the variant is loaded and run),
/// energy per inference from the power probe (or "not measurable"), and accuracy from a
/// caller-supplied evaluator.
/// </summary>
public static class ModelProfiler
{
    public static VariantProfile Profile(
        ModelVersionFiles version,
        ProfileOptions options,
        IPowerProbe? power,
        Func<string, string, AccuracyFigure?>? accuracy,
        TimeProvider time,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(version);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        string referenceFile = version.VariantFiles.GetValueOrDefault(ModelVariant.Fp32) ?? version.VariantFiles.Values.First();
        var model = OnnxModelFile.Load(referenceFile);
        var inputs = ModelPreparation.ResolveInputs(model, options.InputShapes);
        var sample = new SyntheticCalibrationDataset(1, seed: 99).Samples(inputs).First();
        var variants = new SortedDictionary<string, VariantCost>(StringComparer.Ordinal);
        foreach (var (variant, file) in version.VariantFiles)
        {
            cancellationToken.ThrowIfCancellationRequested();
            progress?.Report($"{version.Name}/{version.Version} {variant}: timing {options.Runs} runs");
            variants[variant] = Measure(file, sample, options, power, cancellationToken) with
            {
                Accuracy = accuracy?.Invoke(variant, file),
            };
        }

        return new VariantProfile
        {
            Model = version.Name,
            Version = version.Version,
            Device = options.Device,
            MeasuredAt = time.GetUtcNow(),
            Settings = new ProfileSettings(options.IntraOpThreads, options.InterOpThreads, options.AllowSpinning, "all", options.Runs, options.Warmup,
                inputs.ToDictionary(i => i.Name, i => i.Shape)),
            PowerSource = power is null
                ? new PowerSourceInfo("none", "none", "no power source on this machine")
                : new PowerSourceInfo(power.Name, power.Measured ? "measured" : "modelled", power.Description),
            Variants = variants,
        };
    }

    /// <summary>
    /// Resident-set growth of loading and running the variant. The arena is off and the C heap is
    /// trimmed first, so memory freed by the variant measured before goes back to the system instead
    /// of being reused unseen (without the trim, the second variant of a model measured 0-1 MB).
    /// </summary>
    private static double PeakMemoryMb(string file, IReadOnlyDictionary<string, InputTensor> sample, ProfileOptions options)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        NativeHeap.Trim();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        long baseline = process.WorkingSet64;
        long peak = baseline;
        using var sessionOptions = QuantizationSessions.Options(options.IntraOpThreads);
        sessionOptions.EnableCpuMemArena = false;
        using (var session = new InferenceSession(file, sessionOptions))
        {
            process.Refresh();
            peak = Math.Max(peak, process.WorkingSet64);
            for (int i = 0; i < 2; i++)
            {
                LatencyMeter.RunOnce(session, sample);
                process.Refresh();
                peak = Math.Max(peak, process.WorkingSet64);
            }
        }

        return Math.Max(0, peak - baseline) / (1024.0 * 1024.0);
    }

    private static VariantCost Measure(string file, IReadOnlyDictionary<string, InputTensor> sample, ProfileOptions options, IPowerProbe? power, CancellationToken cancellationToken)
    {
        using var sessionOptions = QuantizationSessions.Options(options.IntraOpThreads);
        sessionOptions.InterOpNumThreads = options.InterOpThreads;
        if (options.AllowSpinning)
        {
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "1");
        }

        var session = new InferenceSession(file, sessionOptions);
        for (int i = 0; i < options.Warmup; i++)
        {
            LatencyMeter.RunOnce(session, sample);
        }

        var latencies = new List<double>(options.Runs);
        var watts = new List<double>();
        double? joulesStart = null;
        double? joulesEnd = null;
        if (power is not null && power.TryRead(out double w0, out double? j0))
        {
            watts.Add(w0);
            joulesStart = j0;
        }

        var wall = Stopwatch.StartNew();
        for (int i = 0; i < options.Runs; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            latencies.Add(LatencyMeter.RunOnce(session, sample));
            if (power is not null && power.TryRead(out double w, out double? j))
            {
                watts.Add(w);
                joulesEnd = j;
            }
        }

        double seconds = wall.Elapsed.TotalSeconds;
        session.Dispose();
        double peakMb = PeakMemoryMb(file, sample, options);
        var stats = LatencyStats.From(latencies);
        double? energy = null;
        string energySource;
        if (power is null)
        {
            energySource = "not measurable: no power source found (no RAPL, hwmon, INA sensor or device model configured)";
        }
        else if (joulesStart is double a && joulesEnd is double b && b > a)
        {
            energy = (b - a) / options.Runs;
            energySource = $"{power.Name} ({(power.Measured ? "measured" : "modelled")}, cumulative counter over {options.Runs} runs)";
        }
        else if (watts.Count > 0)
        {
            energy = watts.Average() * seconds / options.Runs;
            energySource = $"{power.Name} ({(power.Measured ? "measured" : "modelled estimate")}, mean power x time per run)";
        }
        else
        {
            energySource = $"not measurable: {power.Name} gave no reading";
        }

        return new VariantCost
        {
            File = Path.GetFileName(file),
            LatencyP50Ms = stats.P50,
            LatencyP95Ms = stats.P95,
            LatencyMeanMs = stats.Mean,
            PeakMemoryMb = peakMb,
            MemorySource = "peak growth of the resident set while a fresh session (memory arena off) loads and runs twice, after ONNX Runtime's one-time start-up",
            EnergyJPerInference = energy,
            EnergySource = energySource,
        };
    }
}
