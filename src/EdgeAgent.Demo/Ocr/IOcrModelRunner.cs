namespace EdgeAgent.Demo.Ocr;

/// <summary>
/// Runs one of the OCR models on one input. Implementations: <see cref="OnnxOcrModelRunner"/>
/// (ONNX Runtime in process) and the demo's gRPC client (through the agent).
/// </summary>
public interface IOcrModelRunner
{
    /// <summary>Runs <paramref name="model"/> (for example "ocr-det") on <paramref name="input"/> and returns its first output.</summary>
    ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, CancellationToken cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(string, OcrTensor, CancellationToken)"/>; <paramref name="followed"/> says the
    /// pipeline's next request for the same page waits for this answer (a runner through the agent tells
    /// it so: the agent's own_followed_in_flight column). Runners in process ignore it.
    /// </summary>
    ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, bool followed, CancellationToken cancellationToken) => RunAsync(model, input, cancellationToken);

    /// <summary>
    /// As <see cref="RunAsync(string, OcrTensor, bool, CancellationToken)"/>; <paramref name="batchAfter"/> says how
    /// many more requests the pipeline sends at once right after this one (a page's other lines when they go
    /// out together: the agent's own_batch_after column). Runners in process ignore it.
    /// </summary>
    ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, bool followed, int batchAfter, CancellationToken cancellationToken) => RunAsync(model, input, followed, cancellationToken);
}
