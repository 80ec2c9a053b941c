using System.Globalization;
using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Profiling;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>Settings of the sensitivity and mixed-precision search.</summary>
public sealed record SearchOptions
{
    /// <summary>Largest accuracy drop (task metric, or 1 − cosine) a written variant may have.</summary>
    public double MaxDrop { get; init; } = 0.01;

    /// <summary>Samples used to measure each block's sensitivity.</summary>
    public int SensitivitySamples { get; init; } = 4;

    /// <summary>Samples used to measure each candidate's output error.</summary>
    public int EvaluationSamples { get; init; } = 8;

    /// <summary>Timed runs per candidate (round-robin with FP32 and full int8).</summary>
    public int TimingRuns { get; init; } = 10;

    public int Warmup { get; init; } = 2;

    /// <summary>Mixed candidates: the k most sensitive blocks kept in float for k = 1, 2, 4, ...</summary>
    public int MaxCandidates { get; init; } = 6;

    public int IntraOpThreads { get; init; }
}

/// <summary>A block of nodes quantized together (a weighted node and the ops that follow it) and its measured sensitivity.</summary>
public sealed record BlockSensitivity(string Block, IReadOnlyList<string> Nodes, double Error);

/// <summary>One model on the accuracy-latency plane.</summary>
public sealed record SearchPoint(
    string Variant,
    int FloatBlocks,
    LatencyStats Latency,
    double OutputCosine,
    AccuracyFigure? Task,
    bool OnFront,
    bool Written,
    string? Path);

/// <summary>What the search measured: every model on the accuracy-latency plane and the blocks by sensitivity (most sensitive first).</summary>
public sealed record SearchMeasurement(string ModelPath, string Dataset, SearchOptions Options, IReadOnlyList<SearchPoint> Points, IReadOnlyList<BlockSensitivity> Sensitivities);

/// <summary>The search's outcome and where its report (<see cref="SearchReport"/>) and plot (<see cref="SearchPlot"/>) were written.</summary>
public sealed record SearchResult(IReadOnlyList<SearchPoint> Points, IReadOnlyList<BlockSensitivity> Sensitivities, string ReportPath, string PlotPath);

/// <summary>
/// Measured sensitivity and mixed precision: each block is quantized alone and its output error
/// against the float model is measured on calibration data; then the k most sensitive blocks
/// stay in float for growing k, every candidate is timed on this machine next to FP32 and full
/// int8, and the accuracy-latency front is reported (<see cref="SearchReport"/>, <see cref="SearchPlot"/>).
/// Candidates within the allowed accuracy drop are written as <c>model.int8.onnx</c> and
/// <c>model.mixed-&lt;k&gt;.onnx</c>.
/// </summary>
public static class MixedPrecisionSearch
{
    private static readonly HashSet<string> WeightedOps = new(StringComparer.Ordinal) { "Conv", "ConvTranspose", "Gemm", "MatMul" };

    /// <summary>Searches (<see cref="Measure"/>), then writes quantize-search.md and quantize-search.png into <paramref name="outputFolder"/>.</summary>
    /// <param name="modelPath">The FP32 model.</param>
    /// <param name="outputFolder">Where the candidate files (and the report) go.</param>
    /// <param name="options">Quantization settings and calibration data.</param>
    /// <param name="search">Search bounds (largest accuracy drop, candidates).</param>
    /// <param name="taskAccuracy">Task metric of a variant file against FP32 (box F1...), or null for cosine only.</param>
    /// <param name="progress">Progress lines.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    public static SearchResult Run(
        string modelPath,
        string outputFolder,
        QuantizeOptions options,
        SearchOptions search,
        Func<string, AccuracyFigure>? taskAccuracy,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var measured = Measure(modelPath, outputFolder, options, search, taskAccuracy, progress, cancellationToken);
        string report = Path.Combine(outputFolder, "quantize-search.md");
        string plot = Path.Combine(outputFolder, "quantize-search.png");
        File.WriteAllText(report, SearchReport.Markdown(measured));
        SearchPlot.SavePng(measured.Points, plot);
        return new SearchResult(measured.Points, measured.Sensitivities, report, plot);
    }

    /// <summary>
    /// Measures block sensitivities, writes the candidates into <paramref name="outputFolder"/>, times them
    /// next to FP32, and keeps the files within <see cref="SearchOptions.MaxDrop"/>.
    /// </summary>
    /// <param name="modelPath">The FP32 model.</param>
    /// <param name="outputFolder">Where the candidate files (and the report) go.</param>
    /// <param name="options">Quantization settings and calibration data.</param>
    /// <param name="search">Search bounds (largest accuracy drop, candidates).</param>
    /// <param name="taskAccuracy">Task metric of a variant file against FP32 (box F1...), or null for cosine only.</param>
    /// <param name="progress">Progress lines.</param>
    /// <param name="cancellationToken">Stops the search.</param>
    public static SearchMeasurement Measure(
        string modelPath,
        string outputFolder,
        QuantizeOptions options,
        SearchOptions search,
        Func<string, AccuracyFigure>? taskAccuracy,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(search);
        var dataset = options.Dataset ?? throw new ArgumentException("The search needs calibration data.", nameof(options));
        Directory.CreateDirectory(outputFolder);

        var prepared = ModelQuantizer.Prepare(OnnxModelFile.Load(modelPath), options, progress);
        var inputs = ModelPreparation.ResolveInputs(prepared, options.InputShapes);
        var tensors = QdqQuantizer.TensorsToCalibrate(prepared, options.Qdq);
        progress?.Report($"calibrating {tensors.Count} tensors with {dataset.Name}");
        var ranges = Calibrator.Collect(prepared, tensors, dataset, inputs, options.Calibration, null, cancellationToken);
        int sampleCount = Math.Max(search.SensitivitySamples, search.EvaluationSamples);
        var samples = dataset.Samples(inputs).Take(sampleCount).ToList();
        ModelPreparation.AnnotateAxisOpShapes(prepared, samples[0]);
        var reference = Outputs(prepared, samples, search.IntraOpThreads);

        // Blocks and their sensitivity.
        var blocks = Blocks(prepared, options.Qdq);
        var sensitivities = new List<BlockSensitivity>();
        var sensitivitySamples = samples.Take(search.SensitivitySamples).ToList();
        foreach (var (block, nodes) in blocks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var alone = QdqQuantizer.Quantize(prepared, ranges, options.Qdq with { NodesToQuantize = nodes.ToHashSet(StringComparer.Ordinal) });
            double cosine = MeanCosine(reference, Outputs(alone, sensitivitySamples, search.IntraOpThreads));
            sensitivities.Add(new BlockSensitivity(block, nodes, 1 - cosine));
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"sensitivity {sensitivities.Count}/{blocks.Count}: {block} ({nodes.Count} nodes) error {1 - cosine:E3}"));
        }

        var ordered = sensitivities.OrderByDescending(s => s.Error).ToList();

        // Candidates: full int8, then the k most sensitive blocks in float.
        var candidates = new List<(string Variant, int K, ModelProto Model)>
        {
            ("int8", 0, QdqQuantizer.Quantize(prepared, ranges, options.Qdq)),
        };
        for (int k = 1; k < ordered.Count && candidates.Count <= search.MaxCandidates; k *= 2)
        {
            var excluded = ordered.Take(k).SelectMany(b => b.Nodes).Concat(options.Qdq.NodesToExclude).ToHashSet(StringComparer.Ordinal);
            candidates.Add(($"mixed-{k}", k, QdqQuantizer.Quantize(prepared, ranges, options.Qdq with { NodesToExclude = excluded })));
        }

        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (variant, _, model) in candidates)
        {
            model.SetMetadata("edgeagent.quantization", $"{variant}: search over {blocks.Count} blocks on {dataset.Name}");
            string path = Path.Combine(outputFolder, $"model.{variant}.onnx");
            OnnxModelFile.Save(model, path);
            files[variant] = path;
        }

        progress?.Report($"timing fp32 and {candidates.Count} candidates ({search.TimingRuns} runs each, round-robin)");
        var latency = Time(modelPath, files, samples[0], search, cancellationToken);

        var evaluation = samples.Take(search.EvaluationSamples).ToList();
        var referenceEvaluation = reference.Take(evaluation.Count).ToList();
        var raw = new List<SearchPoint> { new("fp32", blocks.Count, latency["fp32"], 1.0, null, false, true, modelPath) };
        foreach (var (variant, k, model) in candidates)
        {
            double cosine = MeanCosine(referenceEvaluation, Outputs(model, evaluation, search.IntraOpThreads));
            var task = taskAccuracy?.Invoke(files[variant]);
            raw.Add(new SearchPoint(variant, k, latency[variant], cosine, task, false, true, files[variant]));
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{variant}: p50 {latency[variant].P50:F2} ms, cosine {cosine:F6}{(task is null ? "" : $", {task.Metric} {task.Value:F4}")}"));
        }

        // Front over (latency, output error); the drop bound decides which files stay.
        var points = new List<SearchPoint>();
        foreach (var p in raw)
        {
            bool dominated = raw.Any(q => q != p && q.Latency.P50 <= p.Latency.P50 && q.OutputCosine >= p.OutputCosine
                && (q.Latency.P50 < p.Latency.P50 || q.OutputCosine > p.OutputCosine));
            double drop = p.Task is { } t ? 1 - t.Value : 1 - p.OutputCosine;
            bool keep = p.Variant == "fp32" || drop <= search.MaxDrop;
            if (!keep && p.Path is not null && p.Variant != "fp32")
            {
                File.Delete(p.Path);
            }

            points.Add(p with { OnFront = !dominated, Written = keep, Path = keep ? p.Path : null });
        }

        return new SearchMeasurement(modelPath, dataset.Name, search, points, ordered);
    }

    /// <summary>Groups quantizable nodes: each weighted op starts a block; other ops join their first input's block.</summary>
    public static IReadOnlyList<(string Block, IReadOnlyList<string> Nodes)> Blocks(ModelProto model, QdqOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        var quantizable = QdqQuantizer.QuantizableNodes(model, options).Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        var blockOfValue = new Dictionary<string, string>(StringComparer.Ordinal);
        var blocks = new List<(string Block, List<string> Nodes)>();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in OnnxGraphOrder.Sort(model.Graph))
        {
            if (!quantizable.Contains(node.Name))
            {
                continue;
            }

            string? block = null;
            if (!WeightedOps.Contains(node.OpType))
            {
                block = node.Input.Where(i => i.Length > 0).Select(i => blockOfValue.GetValueOrDefault(i)).FirstOrDefault(b => b is not null);
            }

            block ??= node.Name;
            if (!index.TryGetValue(block, out int i2))
            {
                index[block] = i2 = blocks.Count;
                blocks.Add((block, []));
            }

            blocks[i2].Nodes.Add(node.Name);
            foreach (var output in node.Output)
            {
                blockOfValue[output] = block;
            }
        }

        return blocks.Select(b => (b.Block, (IReadOnlyList<string>)b.Nodes)).ToList();
    }

    /// <summary>FP32 and every candidate file timed round-robin in one meter, so their ratios come from one run.</summary>
    private static IReadOnlyDictionary<string, LatencyStats> Time(string modelPath, IReadOnlyDictionary<string, string> files, IReadOnlyDictionary<string, InputTensor> sample, SearchOptions search, CancellationToken cancellationToken)
    {
        using var meter = new LatencyMeter(search.IntraOpThreads);
        meter.Add("fp32", modelPath);
        foreach (var (variant, path) in files)
        {
            meter.Add(variant, path);
        }

        return meter.Measure(sample, search.Warmup, search.TimingRuns, cancellationToken);
    }

    private static List<float[]> Outputs(ModelProto model, IReadOnlyList<IReadOnlyDictionary<string, InputTensor>> samples, int threads)
    {
        using var options = QuantizationSessions.Options(threads);
        using var session = new InferenceSession(OnnxModelFile.ToBytes(model), options);
        return samples.Select(s => AccuracyEvaluator.FirstOutput(session, s)).ToList();
    }

    private static double MeanCosine(IReadOnlyList<float[]> reference, IReadOnlyList<float[]> candidate) =>
        reference.Zip(candidate, (r, c) => OutputAgreement.Cosine(r, c)).Average();
}
