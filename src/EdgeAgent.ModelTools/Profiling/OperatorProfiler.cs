using System.Globalization;
using System.Text;
using System.Text.Json;
using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.ModelTools.Profiling;

/// <summary>Settings of <see cref="OperatorProfiler"/>.</summary>
public sealed record OperatorProfileOptions
{
    /// <summary>ONNX Runtime intra-op threads (0: ORT decides).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Untimed runs before the profiled ones (their kernel events are dropped).</summary>
    public int Warmup { get; init; } = 3;

    /// <summary>Profiled runs; kernel times are averaged over them.</summary>
    public int Runs { get; init; } = 10;

    /// <summary>Shapes for dynamic input dims, by input name ("" for the only input).</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>Folder for the profile JSON and the optimised graph (default: the temp folder).</summary>
    public string? OutputDirectory { get; init; }
}

/// <summary>Kernel time of one op type (as ORT runs it, after its graph fusions), per run.</summary>
public sealed record OperatorTiming(string OpType, int Nodes, double MsPerRun, double Share);

/// <summary>Kernel time of one node of the optimised graph, per run.</summary>
public sealed record NodeTiming(string Node, string OpType, double MsPerRun);

/// <summary>
/// Where a model's time goes in ONNX Runtime: kernel time per op type and per node from ORT's
/// own profiler, and the op types of the graph ORT actually executes after full optimisation
/// (which QDQ groups became QLinearConv and friends, which stayed DequantizeLinear -> float op ->
/// QuantizeLinear).
/// </summary>
public sealed record OperatorProfile(
    string ModelPath,
    int Runs,
    double RunMs,
    double KernelMs,
    IReadOnlyList<OperatorTiming> OpTypes,
    IReadOnlyList<NodeTiming> Nodes,
    IReadOnlyDictionary<string, int> OptimizedGraphOps,
    string ProfileFile,
    string OptimizedModelFile)
{
    /// <summary>A readable report: op types by time, the optimised graph's op counts, the slowest nodes.</summary>
    public string Format(int topNodes = 15)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"{ModelPath}: {RunMs:F2} ms per run (session), {KernelMs:F2} ms in kernels, mean of {Runs} runs");
        text.AppendLine("  op type (executed)          nodes   ms/run   share");
        foreach (var op in OpTypes)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"  {op.OpType,-28} {op.Nodes,5} {op.MsPerRun,8:F3} {op.Share,6:P1}");
        }

        text.AppendLine("  optimised graph: " + string.Join(", ", OptimizedGraphOps.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}")));
        text.AppendLine(CultureInfo.InvariantCulture, $"  slowest {Math.Min(topNodes, Nodes.Count)} nodes:");
        foreach (var node in Nodes.Take(topNodes))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    {node.MsPerRun,8:F3} ms  {node.OpType,-20} {node.Node}");
        }

        text.AppendLine("  profile: " + ProfileFile);
        text.Append("  optimised graph: " + OptimizedModelFile);
        return text.ToString();
    }

    /// <summary>Op types of several profiles side by side (ms per run), slowest first.</summary>
    public static string Compare(IReadOnlyList<(string Name, OperatorProfile Profile)> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        var opTypes = profiles
            .SelectMany(p => p.Profile.OpTypes)
            .GroupBy(o => o.OpType, StringComparer.Ordinal)
            .OrderByDescending(g => g.Max(o => o.MsPerRun))
            .Select(g => g.Key)
            .ToList();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{"op type (executed)",-28}");
        foreach (var (name, _) in profiles)
        {
            text.Append(CultureInfo.InvariantCulture, $" {Truncate(name, 18),18}");
        }

        text.AppendLine();
        foreach (var opType in opTypes)
        {
            text.Append(CultureInfo.InvariantCulture, $"{opType,-28}");
            foreach (var (_, profile) in profiles)
            {
                var op = profile.OpTypes.FirstOrDefault(o => o.OpType == opType);
                text.Append(op is null ? $" {"-",18}" : string.Create(CultureInfo.InvariantCulture, $" {op.MsPerRun,9:F3} ({op.Nodes,3}) "));
            }

            text.AppendLine();
        }

        text.Append(CultureInfo.InvariantCulture, $"{"kernels total",-28}");
        foreach (var (_, profile) in profiles)
        {
            text.Append(CultureInfo.InvariantCulture, $" {profile.KernelMs,9:F3}       ");
        }

        text.AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"{"session run",-28}");
        foreach (var (_, profile) in profiles)
        {
            text.Append(CultureInfo.InvariantCulture, $" {profile.RunMs,9:F3}       ");
        }

        return text.ToString();
    }

    private static string Truncate(string s, int n) => s.Length <= n ? s : "…" + s[^(n - 1)..];
}

/// <summary>
/// Runs a model under ONNX Runtime's profiler (CPU, full optimisation, the same session
/// settings as <see cref="LatencyMeter"/>) and saves the optimised graph beside the profile.
/// </summary>
public static class OperatorProfiler
{
    /// <summary>Profiles <paramref name="modelPath"/> on <paramref name="inputs"/>, or on a synthetic sample shaped like its inputs.</summary>
    public static OperatorProfile Profile(
        string modelPath,
        OperatorProfileOptions options,
        IReadOnlyDictionary<string, InputTensor>? inputs = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Runs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Warmup);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"Model '{modelPath}' does not exist.", modelPath);
        }

        string directory = options.OutputDirectory ?? Path.GetTempPath();
        Directory.CreateDirectory(directory);
        string stem = Path.GetFileNameWithoutExtension(modelPath);
        string optimized = Path.Combine(directory, stem + ".ort-optimized.onnx");
        if (inputs is null)
        {
            var resolved = ModelPreparation.ResolveInputs(OnnxModelFile.Load(modelPath), options.InputShapes);
            inputs = new SyntheticCalibrationDataset(1).Samples(resolved).First();
        }

        string profileFile;
        using (var sessionOptions = QuantizationSessions.Options(options.IntraOpThreads))
        {
            // The prefix first: enabling profiling hands ORT the prefix set at that moment.
            sessionOptions.ProfileOutputPathPrefix = Path.Combine(directory, stem + ".ort-profile");
            sessionOptions.EnableProfiling = true;
            sessionOptions.OptimizedModelFilePath = optimized;
            using var session = new InferenceSession(modelPath, sessionOptions);
            for (int r = 0; r < options.Warmup + options.Runs; r++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                LatencyMeter.RunOnce(session, inputs);
            }

            profileFile = session.EndProfiling();
        }

        using var stream = File.OpenRead(profileFile);
        var (runMs, kernelMs, opTypes, nodes) = Summarise(stream, options.Runs);
        var graphOps = OnnxModelFile.Load(optimized).Graph.Node
            .GroupBy(n => OnnxVersions.IsDefaultDomain(n.Domain) ? n.OpType : n.Domain + "." + n.OpType, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new OperatorProfile(Path.GetFullPath(modelPath), options.Runs, runMs, kernelMs, opTypes, nodes, graphOps, Path.GetFullPath(profileFile), optimized);
    }

    /// <summary>
    /// Kernel times of the last <paramref name="runs"/> model runs of an ORT profile (a JSON
    /// array of trace events: "Session" events name each model_run, "Node" events named
    /// "&lt;node&gt;_kernel_time" carry the op type in args.op_name and the duration in microseconds).
    /// </summary>
    internal static (double RunMs, double KernelMs, IReadOnlyList<OperatorTiming> OpTypes, IReadOnlyList<NodeTiming> Nodes) Summarise(Stream profileJson, int runs)
    {
        using var document = JsonDocument.Parse(profileJson);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("An ONNX Runtime profile is a JSON array of trace events.");
        }

        var modelRuns = new List<(long Start, long End)>();
        var kernels = new List<(long Ts, long Dur, string Node, string Op)>();
        foreach (var e in document.RootElement.EnumerateArray())
        {
            string cat = e.TryGetProperty("cat", out var c) ? c.GetString() ?? "" : "";
            string name = e.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
            long ts = e.TryGetProperty("ts", out var t) ? t.GetInt64() : 0;
            long dur = e.TryGetProperty("dur", out var d) ? d.GetInt64() : 0;
            if (cat == "Session" && name == "model_run")
            {
                modelRuns.Add((ts, ts + dur));
            }
            else if (cat == "Node" && name.EndsWith("_kernel_time", StringComparison.Ordinal))
            {
                string op = e.TryGetProperty("args", out var a) && a.TryGetProperty("op_name", out var o) ? o.GetString() ?? "?" : "?";
                kernels.Add((ts, dur, name[..^"_kernel_time".Length], op));
            }
        }

        if (modelRuns.Count == 0)
        {
            throw new InvalidDataException("The ONNX Runtime profile has no model_run events.");
        }

        var kept = modelRuns.OrderBy(r => r.Start).TakeLast(Math.Min(runs, modelRuns.Count)).ToList();
        int count = kept.Count;
        long from = kept[0].Start;
        var inWindow = kernels.Where(k => k.Ts >= from && kept.Any(r => k.Ts >= r.Start && k.Ts <= r.End)).ToList();
        double kernelMs = inWindow.Sum(k => k.Dur) / 1000.0 / count;
        double runMs = kept.Sum(r => r.End - r.Start) / 1000.0 / count;
        var opTypes = inWindow
            .GroupBy(k => k.Op, StringComparer.Ordinal)
            .Select(g => new OperatorTiming(
                g.Key,
                g.Select(k => k.Node).Distinct(StringComparer.Ordinal).Count(),
                g.Sum(k => k.Dur) / 1000.0 / count,
                kernelMs > 0 ? g.Sum(k => k.Dur) / 1000.0 / count / kernelMs : 0))
            .OrderByDescending(o => o.MsPerRun)
            .ToList();
        var nodes = inWindow
            .GroupBy(k => (k.Node, k.Op))
            .Select(g => new NodeTiming(g.Key.Node, g.Key.Op, g.Sum(k => k.Dur) / 1000.0 / count))
            .OrderByDescending(n => n.MsPerRun)
            .ToList();
        return (runMs, kernelMs, opTypes, nodes);
    }
}
