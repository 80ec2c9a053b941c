using System.Runtime.InteropServices;
using EdgeAgent.Demo.Ocr;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Tensors;

namespace EdgeAgent.Demo.Cluster;

/// <summary>
/// Runs the OCR models on a node's own <see cref="LocalExecutor"/> in process (its slots, queue,
/// emulated speed and measured statistics), not through the agent's dispatcher: the demo's
/// comparison warms each agent's board executor with it.
/// </summary>
public sealed class ExecutorOcrModelRunner(LocalExecutor executor) : IOcrModelRunner
{
    /// <inheritdoc />
    public async ValueTask<OcrTensor> RunAsync(string model, OcrTensor input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        var served = executor.Catalog.Find(model) ?? throw new ArgumentException($"The executor serves no model '{model}'.", nameof(model));
        var bytes = MemoryMarshal.AsBytes(input.Data.AsSpan()).ToArray();
        using var result = await executor.RunAsync(served, null, [new InferenceInput(served.Inputs[0].Name, TensorDataType.Fp32, input.LongShape, bytes)], null, cancellationToken).ConfigureAwait(false);
        var output = result.Outputs[0];
        return new OcrTensor(MemoryMarshal.Cast<byte, float>(output.Data).ToArray(), Array.ConvertAll(output.Shape, d => checked((int)d)));
    }
}
