namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// Runs one of the OCR models on one input. Implementations: <see cref="OnnxOcrModelRunner"/>
/// (ONNX Runtime in process) and the demo's gRPC client (through the agent).
/// </summary>
public interface IOcrModelRunner
{
    /// <summary>Runs <paramref name="model"/> (for example "ocr-det") on <paramref name="input"/> and returns its first output.</summary>
    ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, CancellationToken cancellationToken);
}
