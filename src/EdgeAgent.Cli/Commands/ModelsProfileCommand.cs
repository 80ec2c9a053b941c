using System.CommandLine;
using System.Globalization;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;
using EdgeAgent.Hardware.Power;
using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Profiling;
using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent models profile DIR`: measured cost of every variant, per model version, on this device.</summary>
internal static class ModelsProfileCommand
{
    public static Command Create()
    {
        var repo = new Argument<string>("dir") { Description = "Model repository (<repo>/<model>/<version>/model*.onnx)." };
        var models = new Option<string[]>("--model") { Description = "Only these models (default: all).", AllowMultipleArgumentsPerToken = true };
        var allVersions = new Option<bool>("--all-versions") { Description = "Profile every version, not only the latest." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (the agent's Execution:IntraOpThreads; 0: ORT decides).", DefaultValueFactory = _ => 0 };
        var spinning = new Option<bool>("--allow-spinning") { Description = "session.intra_op.allow_spinning (the agent's Execution:AllowSpinning)." };
        var runs = new Option<int>("--runs") { Description = "Timed runs per variant.", DefaultValueFactory = _ => 20 };
        var device = new Option<string>("--device") { Description = "Device name for profiles/<device>.json.", DefaultValueFactory = _ => Environment.MachineName.ToLowerInvariant() };
        var inputShape = new Option<string[]>("--input-shape") { Description = "Shapes for dynamic input dims: 1x3x640x640 or name=1x3x640x640 (ocr-det defaults to 1x3x640x640, ocr-rec to 1x3x48x320, ocr-cls to 1x3x48x192).", AllowMultipleArgumentsPerToken = true };
        var accuracySamples = new Option<int>("--accuracy-samples") { Description = "Samples for the accuracy figure (0 skips it).", DefaultValueFactory = _ => 16 };
        var powerSource = new Option<string>("--power-source") { Description = "Power source: auto (best available) or one of the names `edgeagent hw` lists.", DefaultValueFactory = _ => "auto" };

        var command = new Command("profile", "Measure every variant of each model version on this device (latency p50/p95 at the given threads, peak memory, energy per inference, accuracy) and write <version>/profiles/<device>.json.");
        command.Arguments.Add(repo);
        foreach (var o in new Option[] { models, allVersions, threads, spinning, runs, device, inputShape, accuracySamples, powerSource })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            try
            {
                var repository = ModelRepository.Open(parseResult.GetValue(repo)!);
                var only = (parseResult.GetValue(models) ?? []).ToHashSet(StringComparer.Ordinal);
                var versions = parseResult.GetValue(allVersions)
                    ? repository.Latest.SelectMany(m => repository.Versions(m.Name)).ToList()
                    : repository.Latest.ToList();
                versions = versions.Where(v => only.Count == 0 || only.Contains(v.Name)).ToList();
                if (versions.Count == 0)
                {
                    throw new ArgumentException($"No model versions to profile in '{repository.Root}'.");
                }

                var shapes = QuantizeCommand.ParseShapes(parseResult.GetValue(inputShape) ?? []);
                using var probe = OpenPower(parseResult.GetValue(powerSource)!, stderr);
                int samples = parseResult.GetValue(accuracySamples);
                foreach (var version in versions)
                {
                    var versionShapes = shapes.Count > 0 ? shapes : DefaultShapes(version.Name);
                    var options = new ProfileOptions
                    {
                        IntraOpThreads = parseResult.GetValue(threads),
                        AllowSpinning = parseResult.GetValue(spinning),
                        Runs = parseResult.GetValue(runs),
                        Device = parseResult.GetValue(device)!,
                        InputShapes = versionShapes,
                    };
                    VariantProfile profile;
                    try
                    {
                        profile = await Task.Run(
                            () => ModelProfiler.Profile(version, options, probe, samples > 0 ? Accuracy(version, versionShapes, samples, options.IntraOpThreads, cancellationToken) : null, TimeProvider.System, new Progress(stderr), cancellationToken),
                            cancellationToken);
                    }
                    catch (ArgumentException ex)
                    {
                        // Name the model: a repository holds several, and shapes differ per model.
                        throw new ArgumentException($"{version.Name}/{version.Version}: {ex.Message}", ex);
                    }

                    string path = VariantProfile.PathFor(version.Directory, options.Device);
                    profile.Write(path);
                    await stdout.WriteLineAsync($"{version.Name}/{version.Version} -> {path}");
                    foreach (var (variant, cost) in profile.Variants)
                    {
                        string accuracy = cost.Accuracy is { } a ? string.Create(CultureInfo.InvariantCulture, $"{a.Metric} {a.Value:F4} on {a.Dataset}") : "accuracy not measured";
                        string energy = cost.EnergyJPerInference is double j ? string.Create(CultureInfo.InvariantCulture, $"{j:F3} J") : "energy n/a";
                        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                            $"  {variant,-10} p50 {cost.LatencyP50Ms,8:F2} ms  p95 {cost.LatencyP95Ms,8:F2} ms  mem {cost.PeakMemoryMb,7:F1} MB  {energy} [{cost.EnergySource}]  {accuracy}"));
                    }
                }

                return 0;
            }
            catch (Exception ex) when (ex is ModelRepositoryException or OnnxFormatException or ArgumentException or InvalidDataException or IOException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                await stderr.WriteLineAsync("edgeagent models profile: " + ex.Message);
                return 1;
            }
        });
        return command;
    }

    private static Dictionary<string, long[]> DefaultShapes(string model) => model switch
    {
        "ocr-det" => new() { [""] = [1, 3, 640, 640] },
        "ocr-rec" => new() { [""] = [1, 3, 48, 320] },
        "ocr-cls" => new() { [""] = [1, 3, 48, RecognitionPreprocessor.ClassifierWidth] },
        _ => [],
    };

    /// <summary>Accuracy per variant: box F1 (ocr-det), character accuracy (ocr-rec), else output cosine against fp32.</summary>
    private static Func<string, string, AccuracyFigure?> Accuracy(ModelVersionFiles version, Dictionary<string, long[]> shapes, int samples, int threads, CancellationToken ct)
    {
        string? reference = version.VariantFiles.GetValueOrDefault(ModelVariant.Fp32);
        string? font = OcrFonts.FindLatin();
        string dictionary = Path.Combine(version.Directory, PaddleOcrModels.KeysFileName);
        return (variant, file) =>
        {
            if (version.Name == "ocr-rec" && font is not null && File.Exists(dictionary))
            {
                return OcrAccuracy.RecognitionCharacterAccuracy(file, CharacterDictionary.Load(dictionary), new OcrLineDataset(font, OcrFonts.FindCjk(), samples, seed: 2024), threads, ct);
            }

            if (reference is null)
            {
                return null;
            }

            if (version.Name == "ocr-det" && font is not null)
            {
                int size = (int)(shapes.Values.FirstOrDefault()?[^1] ?? 640);
                return OcrAccuracy.DetectionBoxF1(reference, file, new OcrPageDataset(font, OcrFonts.FindCjk(), samples, size, seed: 2024), threads, ct);
            }

            var inputs = ModelPreparation.ResolveInputs(OnnxModelFile.Load(reference), shapes);
            return AccuracyEvaluator.OutputCosine(reference, file, new SyntheticCalibrationDataset(samples, seed: 2024), inputs, threads, ct);
        };
    }

    private static PowerProbe? OpenPower(string source, TextWriter stderr)
    {
        try
        {
            var report = PowerSourceProbe.Probe(new PowerOptions { Source = source }, TimeProvider.System);
            return new PowerProbe(report.Selected);
        }
        catch (InvalidOperationException ex)
        {
            stderr.WriteLine($"power source: {ex.Message}; energy will be reported as not measurable.");
            return null;
        }
    }

    /// <summary>Adapts the hardware power source to the profiler's probe.</summary>
    private sealed class PowerProbe(IPowerSource source) : IPowerProbe, IDisposable
    {
        public string Name => source.Name;

        public bool Measured => source.Kind == PowerSourceKind.Measured;

        public string Description => source.Description;

        public bool TryRead(out double watts, out double? cumulativeJoules)
        {
            if (source.TryRead(out var sample))
            {
                watts = sample.TotalWatts;
                cumulativeJoules = sample.CumulativeJoules;
                return true;
            }

            watts = 0;
            cumulativeJoules = null;
            return false;
        }

        public void Dispose() => source.Dispose();
    }

    private sealed class Progress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine(value);
    }
}
