using System.Globalization;
using System.Text;
using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;

namespace EdgeAgent.ModelTools.Profiling;

/// <summary>Latency of a variant against its reference measured in one run, and accuracy figures.</summary>
public sealed record VariantEvaluationResult(
    LatencyStats Reference,
    LatencyStats Variant,
    IReadOnlyList<AccuracyFigure> ReferenceAccuracy,
    IReadOnlyList<AccuracyFigure> VariantAccuracy,
    int IntraOpThreads,
    LatencyStats? SimplifiedReference = null)
{
    /// <summary>Reference p50 / variant p50.</summary>
    public double Speedup => Reference.P50 / Variant.P50;

    /// <summary>
    /// Simplified float p50 / variant p50: the part of the speed-up that quantization itself
    /// brings, the float graph rewrites made before quantizing set aside.
    /// </summary>
    public double? SpeedupOverSimplified => SimplifiedReference is { } s ? s.P50 / Variant.P50 : null;

    public string Format()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"latency ({Variant.Runs} runs each, round-robin, {(IntraOpThreads == 0 ? "ORT default" : IntraOpThreads.ToString(CultureInfo.InvariantCulture))} intra-op threads):");
        text.AppendLine(CultureInfo.InvariantCulture, $"  fp32    p50 {Reference.P50,9:F2} ms  p95 {Reference.P95,9:F2} ms");
        if (SimplifiedReference is { } simplified)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  fp32-simplified p50 {simplified.P50,9:F2} ms  p95 {simplified.P95,9:F2} ms  (the same float graph rewrites as the variant, not quantized)");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"  variant p50 {Variant.P50,9:F2} ms  p95 {Variant.P95,9:F2} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  speed-up (fp32 p50 / variant p50): {Speedup:F2}x");
        if (SpeedupOverSimplified is double overSimplified)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  speed-up over fp32-simplified (quantization alone): {overSimplified:F2}x");
        }

        foreach (var a in ReferenceAccuracy)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  fp32    {a.Metric} {a.Value:F4} vs {a.Reference} on {a.Dataset} ({a.Samples} samples)");
        }

        foreach (var a in VariantAccuracy)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  variant {a.Metric} {a.Value:F4} vs {a.Reference} on {a.Dataset} ({a.Samples} samples)");
        }

        return text.ToString().TrimEnd();
    }
}

/// <summary>
/// Compares a quantized variant with its FP32 model: round-robin latency and an accuracy figure:
/// the caller's task metric (<see cref="TaskAccuracy"/>, drawn on fresh data) when there is one,
/// else the output cosine against FP32 on the folder's data or on synthetic samples.
/// </summary>
public sealed record VariantEvaluation
{
    public required string ReferencePath { get; init; }

    public required string VariantPath { get; init; }

    /// <summary>Optional float model with the quantizer's graph rewrites, timed in the same round-robin.</summary>
    public string? SimplifiedReferencePath { get; init; }

    public ICalibrationDataset? Dataset { get; init; }

    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    public int Runs { get; init; } = 20;

    public int Warmup { get; init; } = 3;

    public int AccuracySamples { get; init; } = 32;

    public int IntraOpThreads { get; init; }

    /// <summary>
    /// The task metric of one model file (box F1 against FP32, character accuracy against known
    /// text...); null to measure the output cosine against FP32 instead.
    /// </summary>
    public Func<string, AccuracyFigure>? TaskAccuracy { get; init; }

    /// <summary>
    /// True when <see cref="TaskAccuracy"/> compares against known answers, so the FP32 model has
    /// a figure of its own; false when it compares against the FP32 model's outputs.
    /// </summary>
    public bool TaskAccuracyAgainstGroundTruth { get; init; }

    public VariantEvaluationResult Run(CancellationToken cancellationToken = default)
    {
        var model = OnnxModelFile.Load(ReferencePath);
        var inputs = ModelPreparation.ResolveInputs(model, InputShapes);
        var timingSample = (Dataset ?? new SyntheticCalibrationDataset(1)).Samples(inputs).First();

        LatencyStats reference;
        LatencyStats variant;
        LatencyStats? simplified = null;
        using (var meter = new LatencyMeter(IntraOpThreads))
        {
            meter.Add("fp32", ReferencePath);
            if (SimplifiedReferencePath is not null)
            {
                meter.Add("fp32-simplified", SimplifiedReferencePath);
            }

            meter.Add("variant", VariantPath);
            var stats = meter.Measure(timingSample, Warmup, Runs, cancellationToken);
            reference = stats["fp32"];
            variant = stats["variant"];
            simplified = stats.GetValueOrDefault("fp32-simplified");
        }

        var referenceAccuracy = new List<AccuracyFigure>();
        var variantAccuracy = new List<AccuracyFigure>();
        if (TaskAccuracy is { } task)
        {
            if (TaskAccuracyAgainstGroundTruth)
            {
                referenceAccuracy.Add(task(ReferencePath));
            }

            variantAccuracy.Add(task(VariantPath));
        }
        else
        {
            var data = Dataset is FolderCalibrationDataset ? Dataset : new SyntheticCalibrationDataset(AccuracySamples, seed: 4321);
            variantAccuracy.Add(AccuracyEvaluator.OutputCosine(ReferencePath, VariantPath, data, inputs, IntraOpThreads, cancellationToken));
        }

        return new VariantEvaluationResult(reference, variant, referenceAccuracy, variantAccuracy, IntraOpThreads, simplified);
    }
}
