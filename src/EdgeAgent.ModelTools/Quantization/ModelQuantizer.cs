using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>What kind of model `edgeagent quantize` writes.</summary>
public enum QuantizationMode
{
    /// <summary>Static int8 QDQ with calibrated activations.</summary>
    Static,

    /// <summary>Int8 weights, activations quantized at run time (MatMulInteger, ConvInteger).</summary>
    Dynamic,

    /// <summary>Float16 weights and compute, float32 inputs and outputs kept through Cast.</summary>
    Fp16,

    /// <summary>4-bit block-wise weights for MatMul (com.microsoft MatMulNBits).</summary>
    Int4,
}

/// <summary>Everything <see cref="ModelQuantizer.Quantize(string, string, QuantizeOptions, IProgress{string}?, CancellationToken)"/> needs besides the files.</summary>
public sealed record QuantizeOptions
{
    public QuantizationMode Mode { get; init; } = QuantizationMode.Static;

    public QdqOptions Qdq { get; init; } = new();

    public CalibrationOptions Calibration { get; init; } = new();

    /// <summary>Calibration samples (static mode).</summary>
    public ICalibrationDataset? Dataset { get; init; }

    /// <summary>Shapes for dynamic input dims, by input name ("" for the only input).</summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>Run ONNX Runtime's basic optimisations first (folds BatchNormalization into Conv).</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>Fold Add/BatchNormalization into convolutions and Div-by-constant into Mul before quantizing.</summary>
    public bool Simplify { get; init; } = true;

    /// <summary>Int4 block size along K (power of two, at least 16).</summary>
    public int Int4BlockSize { get; init; } = 128;

    /// <summary>Int4 symmetric blocks (no zero points); asymmetric by default.</summary>
    public bool Int4Symmetric { get; init; }

    /// <summary>MatMulNBits accuracy_level (4: ORT may quantize A to int8).</summary>
    public int Int4AccuracyLevel { get; init; } = 4;

    /// <summary>Tensors bigger than this many bytes are saved as external data (null: never).</summary>
    public long? ExternalDataThreshold { get; init; }
}

/// <summary>What a quantization run did.</summary>
public sealed record QuantizationSummary(
    QuantizationMode Mode,
    string OutputPath,
    int QuantizedNodes,
    int CalibratedTensors,
    int CalibrationSamples,
    TimeSpan Elapsed,
    long InputBytes,
    long OutputBytes);

/// <summary>Loads a float model, quantizes it in the chosen mode and saves the result.</summary>
public static class ModelQuantizer
{
    /// <summary>Quantizes <paramref name="inputPath"/> into <paramref name="outputPath"/>.</summary>
    public static QuantizationSummary Quantize(
        string inputPath,
        string outputPath,
        QuantizeOptions options,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var watch = Stopwatch.StartNew();
        var model = OnnxModelFile.Load(inputPath);
        var (quantized, nodes, tensors, samples) = Quantize(model, options, progress, cancellationToken);
        quantized.SetMetadata("edgeagent.quantization", Describe(options));
        OnnxModelFile.Save(quantized, outputPath, new OnnxSaveOptions { ExternalDataThreshold = options.ExternalDataThreshold });
        return new QuantizationSummary(
            options.Mode, outputPath, nodes, tensors, samples, watch.Elapsed,
            new FileInfo(inputPath).Length, new FileInfo(outputPath).Length);
    }

    /// <summary>Quantizes a model in memory.</summary>
    public static (ModelProto Model, int QuantizedNodes, int CalibratedTensors, int Samples) Quantize(
        ModelProto model,
        QuantizeOptions options,
        IProgress<string>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        switch (options.Mode)
        {
            case QuantizationMode.Fp16:
                return (Fp16Converter.Convert(model), model.Graph.Node.Count, 0, 0);
            case QuantizationMode.Int4:
            {
                var result = MatMulNBitsQuantizer.Quantize(model, options.Int4BlockSize, options.Int4Symmetric, options.Int4AccuracyLevel);
                return (result.Model, result.Replaced, 0, 0);
            }

            case QuantizationMode.Dynamic:
            {
                var prepared = Prepare(model, options, progress);
                if (ModelPreparation.UnrankedAxisOpInputs(prepared).Count > 0)
                {
                    // The opset raise needs the rank of each Softmax input; one sample (the given
                    // data, else a synthetic one shaped like the inputs) shows them. Models without
                    // such inputs need no sample, so no --input-shape either.
                    var inputs = ModelPreparation.ResolveInputs(prepared, options.InputShapes);
                    var sample = (options.Dataset ?? new SyntheticCalibrationDataset(1)).Samples(inputs).First();
                    ModelPreparation.AnnotateAxisOpShapes(prepared, sample);
                }

                var result = DynamicQuantizer.Quantize(prepared, options.Qdq);
                return (result.Model, result.Replaced, 0, 0);
            }

            default:
            {
                var prepared = Prepare(model, options, progress);
                var dataset = options.Dataset ?? throw new ArgumentException("Static quantization needs calibration data (a folder, a dataset or --synthetic N).", nameof(options));
                var inputs = ModelPreparation.ResolveInputs(prepared, options.InputShapes);
                var tensors = QdqQuantizer.TensorsToCalibrate(prepared, options.Qdq);
                progress?.Report($"calibrating {tensors.Count} tensors with {dataset.Name} ({options.Calibration.Method})");
                int samples = 0;
                var ranges = Calibrator.Collect(prepared, tensors, dataset, inputs, options.Calibration, new ActionProgress<CalibrationProgress>(p =>
                {
                    samples = Math.Max(samples, p.Samples);
                    progress?.Report($"calibration pass {p.Pass}/{p.Passes}: {p.Samples} samples");
                }), cancellationToken);
                ModelPreparation.AnnotateAxisOpShapes(prepared, dataset.Samples(inputs).First());
                var quantized = QdqQuantizer.Quantize(prepared, ranges, options.Qdq);
                return (quantized, QdqQuantizer.QuantizableNodes(prepared, options.Qdq).Count, tensors.Count, samples);
            }
        }
    }

    /// <summary>The model as quantization sees it: optimised (optionally) and with Constant nodes as initializers.</summary>
    public static ModelProto Prepare(ModelProto model, QuantizeOptions options, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        var prepared = options.Optimize ? ModelPreparation.OptimizeBasic(model) : model.Clone();
        int constants = ModelPreparation.ConstantsToInitializers(prepared.Graph);
        int simplified = options.Simplify ? GraphSimplifier.Simplify(prepared) : 0;
        progress?.Report($"prepared: {prepared.Graph.Node.Count} nodes ({constants} Constant nodes became initializers, {simplified} rewrites for integer kernels)");
        return prepared;
    }

    /// <summary>
    /// Saves the float model as quantization sees it (<see cref="Prepare"/>: ORT's basic
    /// optimisations and the <see cref="GraphSimplifier"/> rewrites, nothing quantized), so the
    /// speed-up of a quantized variant can be split into graph rewrites and quantization.
    /// </summary>
    public static string SavePrepared(string inputPath, string outputPath, QuantizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var prepared = Prepare(OnnxModelFile.Load(inputPath), options);
        OnnxModelFile.Save(prepared, outputPath, new OnnxSaveOptions { ExternalDataThreshold = options.ExternalDataThreshold });
        return outputPath;
    }

    private static string Describe(QuantizeOptions o) => o.Mode switch
    {
        QuantizationMode.Static => string.Create(CultureInfo.InvariantCulture,
            $"static qdq; activations {o.Qdq.ActivationType} {(o.Qdq.IsActivationSymmetric ? "symmetric" : "asymmetric")}; weights {o.Qdq.WeightType} {(o.Qdq.PerChannel ? "per-channel" : "per-tensor")}; calibration {o.Calibration.Method} on {o.Dataset?.Name}"),
        QuantizationMode.Dynamic => "dynamic int8 (weights int8, activations uint8 at run time)",
        QuantizationMode.Fp16 => "fp16 (float32 inputs and outputs kept)",
        _ => string.Create(CultureInfo.InvariantCulture, $"int4 MatMulNBits block {o.Int4BlockSize} {(o.Int4Symmetric ? "symmetric" : "asymmetric")}"),
    };

    /// <summary>Reports synchronously on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class ActionProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
