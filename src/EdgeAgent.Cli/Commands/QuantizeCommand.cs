using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Ocr;
using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Profiling;
using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent quantize MODEL --out OUT ...`: post-training quantization without Python.</summary>
internal static class QuantizeCommand
{
    public static Command Create()
    {
        var model = new Argument<string>("model") { Description = "Float32 ONNX model to quantize." };
        var output = new Option<string>("--out")
        {
            Description = "Output model path (for a repository variant: <version folder>/model.<variant>.onnx); with --search, the folder for variants and the report.",
            Required = true,
        };
        output.MustNotBeEmpty();
        var mode = new Option<string>("--mode") { Description = "static (int8 QDQ, calibrated), dynamic (int8 weights, run-time activations), fp16, int4 (MatMulNBits).", DefaultValueFactory = _ => "static" };
        mode.AcceptOnlyFromAmong("static", "dynamic", "fp16", "int4");
        var calibration = new Option<string?>("--calibration") { Description = "Folder of calibration inputs (.npy float32 or raw float32 files; one sub-folder per sample for several inputs)." };
        var synthetic = new Option<int?>("--synthetic") { Description = "Use N synthetic samples (standard normal) shaped like the model input." };
        var ocrPages = new Option<int?>("--ocr-pages") { Description = "Use N rendered OCR pages (PP-OCR detection input) as calibration data." };
        var ocrLines = new Option<int?>("--ocr-lines") { Description = "Use N rendered OCR text lines (PP-OCR recognition input) as calibration data." };
        var pageSize = new Option<int>("--page-size") { Description = "Side of rendered OCR pages in pixels.", DefaultValueFactory = _ => 640 };
        var method = new Option<string>("--method") { Description = "Calibration method: minmax, percentile, entropy.", DefaultValueFactory = _ => "minmax" };
        method.AcceptOnlyFromAmong("minmax", "percentile", "entropy");
        var percentile = new Option<double>("--percentile") { Description = "Percentile kept by --method percentile.", DefaultValueFactory = _ => 99.999 };
        var perChannel = new Option<bool>("--per-channel") { Description = "One weight scale per output channel (Conv, ConvTranspose, Gemm)." };
        var activation = new Option<string>("--activation") { Description = "Activation type: uint8 (asymmetric) or int8 (symmetric).", DefaultValueFactory = _ => "uint8" };
        activation.AcceptOnlyFromAmong("uint8", "int8");
        var weight = new Option<string>("--weight") { Description = "Weight type (int8, symmetric).", DefaultValueFactory = _ => "int8" };
        weight.AcceptOnlyFromAmong("int8");
        var reduceRange = new Option<bool>("--reduce-range") { Description = "7-bit ranges (x86 CPUs without VNNI)." };
        var inputShape = new Option<string[]>("--input-shape") { Description = "Shape for dynamic input dims: 1x3x640x640 (single input) or name=1x3x640x640.", AllowMultipleArgumentsPerToken = true };
        var exclude = new Option<string[]>("--exclude") { Description = "Node names to keep in float.", AllowMultipleArgumentsPerToken = true };
        var excludeOps = new Option<string[]>("--exclude-ops") { Description = "Op types to keep in float (for example Resize ConvTranspose).", AllowMultipleArgumentsPerToken = true };
        var blockSize = new Option<int>("--block-size") { Description = "int4: block size along K (power of two >= 16).", DefaultValueFactory = _ => 128 };
        var symmetric = new Option<bool>("--symmetric") { Description = "int4: symmetric blocks (no zero points)." };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads for calibration and timing (0: ORT decides).", DefaultValueFactory = _ => 0 };
        var noOptimize = new Option<bool>("--no-optimize") { Description = "Skip ONNX Runtime's basic graph optimisation before quantizing." };
        var noSimplify = new Option<bool>("--no-simplify") { Description = "Skip the float graph rewrites made before quantizing (constant Mul/Add/BatchNormalization folded into convolutions, Div by a constant as Mul)." };
        var external = new Option<long?>("--external-data") { Description = "Save tensors of at least this many bytes to <out>.data." };
        var evaluate = new Option<int>("--evaluate") { Description = "After writing, time the FP32 and quantized models round-robin for N runs each and measure accuracy on fresh data (box F1 for --ocr-pages, character accuracy for --ocr-lines, output cosine otherwise).", DefaultValueFactory = _ => 0 };
        var evaluateSamples = new Option<int>("--evaluate-samples") { Description = "Samples for the accuracy part of --evaluate.", DefaultValueFactory = _ => 32 };
        var search = new Option<bool>("--search") { Description = "Measure each block's sensitivity, walk the mixed-precision front with measured latency, write the variants within --max-drop plus quantize-search.md and quantize-search.png into the --out folder." };
        var maxDrop = new Option<double>("--max-drop") { Description = "Largest accuracy drop of a written variant (box F1 for --ocr-pages, else 1 - output cosine).", DefaultValueFactory = _ => 0.01 };
        var candidates = new Option<int>("--candidates") { Description = "Mixed candidates in the search (k most sensitive blocks in float, k = 1, 2, 4, ...).", DefaultValueFactory = _ => 6 };
        var dictionary = new Option<string?>("--dictionary") { Description = "Recognition character dictionary (ppocr_keys_v1.txt) for --ocr-lines accuracy; default: beside the model." };

        var command = new Command("quantize", "Quantize an ONNX model (static int8 QDQ, dynamic int8, fp16, int4) with ONNX Runtime's rules, without Python.");
        command.Arguments.Add(model);
        foreach (var o in new Option[] { output, mode, calibration, synthetic, ocrPages, ocrLines, pageSize, method, percentile, perChannel, activation, weight, reduceRange, inputShape, exclude, excludeOps, blockSize, symmetric, threads, noOptimize, noSimplify, external, evaluate, evaluateSamples, dictionary, search, maxDrop, candidates })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            try
            {
                var modeValue = Enum.Parse<QuantizationMode>(parseResult.GetValue(mode)!, ignoreCase: true);
                ICalibrationDataset? dataset = null;
                OcrPageDataset? pageData = null;
                OcrLineDataset? lineData = null;
                int sources = new object?[] { parseResult.GetValue(calibration), parseResult.GetValue(synthetic), parseResult.GetValue(ocrPages), parseResult.GetValue(ocrLines) }.Count(v => v is not null);
                if (sources > 1)
                {
                    throw new ArgumentException("Give one calibration source: --calibration DIR, --synthetic N, --ocr-pages N or --ocr-lines N.");
                }

                if (parseResult.GetValue(calibration) is { } folder)
                {
                    dataset = new FolderCalibrationDataset(folder);
                }
                else if (parseResult.GetValue(synthetic) is int n)
                {
                    dataset = new SyntheticCalibrationDataset(n);
                }
                else if (parseResult.GetValue(ocrPages) is int pages)
                {
                    dataset = pageData = new OcrPageDataset(RequireFont(), OcrFonts.FindCjk(), pages, parseResult.GetValue(pageSize));
                }
                else if (parseResult.GetValue(ocrLines) is int lines)
                {
                    dataset = lineData = new OcrLineDataset(RequireFont(), OcrFonts.FindCjk(), lines);
                }

                if (modeValue == QuantizationMode.Static && dataset is null)
                {
                    throw new ArgumentException("Static quantization needs calibration data: --calibration DIR, --synthetic N, --ocr-pages N or --ocr-lines N.");
                }

                var activationType = parseResult.GetValue(activation) == "int8" ? QuantizedType.Int8 : QuantizedType.UInt8;
                var options = new QuantizeOptions
                {
                    Mode = modeValue,
                    Dataset = dataset,
                    InputShapes = ParseShapes(parseResult.GetValue(inputShape) ?? []),
                    Optimize = !parseResult.GetValue(noOptimize),
                    Simplify = !parseResult.GetValue(noSimplify),
                    Int4BlockSize = parseResult.GetValue(blockSize),
                    Int4Symmetric = parseResult.GetValue(symmetric),
                    ExternalDataThreshold = parseResult.GetValue(external),
                    Calibration = new CalibrationOptions
                    {
                        Method = parseResult.GetValue(method) switch { "percentile" => CalibrationMethod.Percentile, "entropy" => CalibrationMethod.Entropy, _ => CalibrationMethod.MinMax },
                        Percentile = parseResult.GetValue(percentile),
                        IntraOpThreads = parseResult.GetValue(threads),
                    },
                    Qdq = new QdqOptions
                    {
                        ActivationType = activationType,
                        PerChannel = parseResult.GetValue(perChannel),
                        ReduceRange = parseResult.GetValue(reduceRange),
                        NodesToExclude = (parseResult.GetValue(exclude) ?? []).ToHashSet(StringComparer.Ordinal),
                        OpTypesToExclude = (parseResult.GetValue(excludeOps) ?? []).ToHashSet(StringComparer.Ordinal),
                    },
                };

                var progress = new Progress(stderr);
                if (parseResult.GetValue(search))
                {
                    if (modeValue != QuantizationMode.Static)
                    {
                        throw new ArgumentException("--search works on static quantization.");
                    }

                    string modelPath = parseResult.GetValue(model)!;
                    var searchOptions = new SearchOptions
                    {
                        MaxDrop = parseResult.GetValue(maxDrop),
                        MaxCandidates = parseResult.GetValue(candidates),
                        TimingRuns = Math.Max(3, parseResult.GetValue(evaluate) is int r and > 0 ? r : 10),
                        EvaluationSamples = Math.Max(1, Math.Min(parseResult.GetValue(evaluateSamples), 16)),
                        IntraOpThreads = parseResult.GetValue(threads),
                    };
                    var task = pageData is null ? null : OcrAccuracy.BoxF1Against(modelPath, pageData.Fresh(parseResult.GetValue(evaluateSamples)), searchOptions.IntraOpThreads, cancellationToken);

                    var result = await Task.Run(
                        () => MixedPrecisionSearch.Run(modelPath, parseResult.GetValue(output)!, options, searchOptions, task, progress, cancellationToken),
                        cancellationToken);
                    await stdout.WriteLineAsync(await File.ReadAllTextAsync(result.ReportPath, cancellationToken));
                    await stdout.WriteLineAsync($"report: {result.ReportPath}\nplot: {result.PlotPath}");
                    return 0;
                }

                var summary = await Task.Run(
                    () => ModelQuantizer.Quantize(parseResult.GetValue(model)!, parseResult.GetValue(output)!, options, progress, cancellationToken),
                    cancellationToken);
                await stdout.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"wrote {summary.OutputPath}: mode {summary.Mode}, {summary.QuantizedNodes} nodes quantized, {summary.CalibratedTensors} tensors calibrated on {summary.CalibrationSamples} samples, {summary.InputBytes / 1024.0 / 1024:F2} MB -> {summary.OutputBytes / 1024.0 / 1024:F2} MB in {summary.Elapsed.TotalSeconds:F1} s"));
                if (parseResult.GetValue(evaluate) is int runs and > 0)
                {
                    // Static and dynamic modes rewrite the float graph before quantizing: time that float graph too.
                    string? simplifiedPath = modeValue is QuantizationMode.Static or QuantizationMode.Dynamic
                        ? ModelQuantizer.SavePrepared(parseResult.GetValue(model)!, Path.Combine(Path.GetTempPath(), $"edgeagent-fp32-simplified-{Guid.NewGuid():N}.onnx"), options)
                        : null;
                    int accuracySamples = parseResult.GetValue(evaluateSamples);
                    var evaluation = new VariantEvaluation
                    {
                        ReferencePath = parseResult.GetValue(model)!,
                        SimplifiedReferencePath = simplifiedPath,
                        VariantPath = summary.OutputPath,
                        Dataset = dataset,
                        InputShapes = options.InputShapes,
                        Runs = runs,
                        AccuracySamples = accuracySamples,
                        IntraOpThreads = parseResult.GetValue(threads),
                        TaskAccuracy = OcrTaskAccuracy(parseResult.GetValue(model)!, pageData, lineData, parseResult.GetValue(dictionary), accuracySamples, parseResult.GetValue(threads), cancellationToken),
                        TaskAccuracyAgainstGroundTruth = lineData is not null,
                    };
                    try
                    {
                        var result = await Task.Run(() => evaluation.Run(cancellationToken), cancellationToken);
                        await stdout.WriteLineAsync(result.Format());
                    }
                    finally
                    {
                        if (simplifiedPath is not null)
                        {
                            File.Delete(simplifiedPath);
                        }
                    }
                }

                return 0;
            }
            catch (Exception ex) when (ex is OnnxFormatException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException or InvalidDataException or IOException or NotSupportedException or InvalidOperationException)
            {
                await stderr.WriteLineAsync("edgeagent quantize: " + ex.Message);
                return 1;
            }
        });
        return command;
    }

    /// <summary>The OCR task metric for --evaluate: box F1 against FP32 for pages, character accuracy for lines, none otherwise.</summary>
    private static Func<string, AccuracyFigure>? OcrTaskAccuracy(string modelPath, OcrPageDataset? pages, OcrLineDataset? lines, string? dictionaryPath, int samples, int threads, CancellationToken cancellationToken)
    {
        if (pages is not null)
        {
            return OcrAccuracy.BoxF1Against(modelPath, pages.Fresh(samples), threads, cancellationToken);
        }

        if (lines is not null)
        {
            var dictionary = CharacterDictionary.Load(dictionaryPath ?? OcrAccuracy.DictionaryBeside(modelPath));
            return OcrAccuracy.CharacterAccuracyOn(dictionary, lines.Fresh(samples), threads, cancellationToken);
        }

        return null;
    }

    internal static string RequireFont() =>
        OcrFonts.FindLatin() ?? throw new InvalidOperationException("No Latin font for rendering OCR inputs; run `edgeagent models fetch fonts`.");

    /// <summary>Parses "1x3x640x640" or "name=1x3x640x640" entries.</summary>
    internal static Dictionary<string, long[]> ParseShapes(IEnumerable<string> values)
    {
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            int eq = value.LastIndexOf('=');
            string name = eq < 0 ? "" : value[..eq];
            string dims = eq < 0 ? value : value[(eq + 1)..];
            try
            {
                shapes[name] = dims.Split('x', ',').Select(d => long.Parse(d, NumberStyles.None, CultureInfo.InvariantCulture)).ToArray();
            }
            catch (FormatException)
            {
                throw new ArgumentException($"--input-shape '{value}' is not of the form 1x3x640x640 or name=1x3x640x640.");
            }
        }

        return shapes;
    }

    private sealed class Progress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine(value);
    }
}
