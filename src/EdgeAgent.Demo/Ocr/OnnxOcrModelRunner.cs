using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// Runs OCR models in process with ONNX Runtime, one session per model, created up front. Used by
/// the accuracy harnesses (for example to compare a quantized variant with the FP32 model) and
/// as the in-process baseline of the benchmarks.
/// </summary>
public sealed class OnnxOcrModelRunner : IOcrModelRunner, IDisposable
{
    private readonly Dictionary<string, InferenceSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Loads each model file of <paramref name="modelFiles"/> (model name to path).</summary>
    /// <param name="modelFiles">Model name to ONNX file.</param>
    /// <param name="intraOpThreads">Threads per session (0 lets ONNX Runtime choose).</param>
    /// <param name="allowSpinning">Whether intra-op threads spin while waiting (off by default: it slows shared machines).</param>
    public OnnxOcrModelRunner(IReadOnlyDictionary<string, string> modelFiles, int intraOpThreads = 0, bool allowSpinning = false)
    {
        ArgumentNullException.ThrowIfNull(modelFiles);
        try
        {
            foreach (var (name, path) in modelFiles)
            {
                if (!File.Exists(path))
                {
                    throw new FileNotFoundException($"The model file for '{name}' does not exist: {path}.", path);
                }

                using var options = new SessionOptions
                {
                    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
                    IntraOpNumThreads = intraOpThreads,
                    InterOpNumThreads = 1,
                };
                options.AddSessionConfigEntry("session.intra_op.allow_spinning", allowSpinning ? "1" : "0");
                _sessions[name] = new InferenceSession(path, options);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Run(model, input));
    }

    /// <summary>Runs synchronously.</summary>
    public OcrTensor Run(string model, OcrTensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!_sessions.TryGetValue(model, out var session))
        {
            throw new ArgumentException($"No session for model '{model}'; loaded: {string.Join(", ", _sessions.Keys)}.", nameof(model));
        }

        using var value = OrtValue.CreateTensorValueFromMemory(input.Data, input.LongShape);
        var inputName = session.InputNames[0];
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [inputName], [value], [session.OutputNames[0]]);
        var output = outputs[0];
        var shape = output.GetTensorTypeAndShape().Shape;
        var data = output.GetTensorDataAsSpan<float>().ToArray();
        return new OcrTensor(data, Array.ConvertAll(shape, d => checked((int)d)));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var session in _sessions.Values)
        {
            session.Dispose();
        }

        _sessions.Clear();
    }
}
