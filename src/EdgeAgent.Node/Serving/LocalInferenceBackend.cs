using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// Runs validated requests on this node's <see cref="LocalExecutor"/>. The peer's backend; the
/// agent's dispatcher uses <see cref="RunAsync"/> for local placements.
/// </summary>
public sealed class LocalInferenceBackend(LocalExecutor executor) : IInferenceBackend
{
    /// <summary>The executor requests run on.</summary>
    public LocalExecutor Executor { get; } = executor;

    /// <inheritdoc />
    public async Task<InferenceOutcome> InferAsync(InferenceCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        // The peer's span of the run (the agent's local runs have their own in the Dispatcher).
        using var span = Telemetry.NodeTelemetry.StartSpan("edgeagent.local");
        Telemetry.NodeTelemetry.Recorded(span)?.SetTag("edgeagent.model", call.Model.Name);
        return await RunAsync(call, variant: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="call"/> on <paramref name="variant"/> (null = the model's default variant).</summary>
    /// <exception cref="InferenceException">InvalidArgument for an unknown variant or a typed value out of range;
    /// <see cref="ModelLoadException"/> (FailedPrecondition) naming the variant and its file when the variant's
    /// session cannot be created; <see cref="ExecutorQueueFullException"/> (ResourceExhausted) when the executor queue is full.</exception>
    public async Task<InferenceOutcome> RunAsync(InferenceCall call, string? variant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (!call.Model.HasVariant(variant))
        {
            throw InferRequestValidator.Invalid($"Model '{call.Model.Name}' has no variant '{variant}'; it serves {string.Join(", ", call.Model.Variants)}.");
        }

        // The request is fine if this throws: this node cannot run the variant it was asked to.
        var session = call.Model.GetSession(variant);

        using var tensors = RequestTensors.Create(call.Request, call.Validated);
        using var result = await Executor.RunSessionAsync(call.Model, session, tensors.Inputs, call.Validated.RequestedOutputs, cancellationToken).ConfigureAwait(false);
        var response = ResponseTensors.Build(call.Validated, result.Outputs);
        var placement = ModelVariant.IsDefault(variant)
            ? Placement.Local()
            : Placement.Local(session.Variant);
        return new InferenceOutcome(response, placement, result.QueueTime.TotalMilliseconds, result.ExecTime.TotalMilliseconds);
    }
}
