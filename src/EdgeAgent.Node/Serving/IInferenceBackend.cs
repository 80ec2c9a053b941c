using EdgeAgent.Contracts.Inference;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference;
using EdgeAgent.Inference.Execution;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// Where a validated ModelInfer goes. The peer registers <see cref="LocalInferenceBackend"/>;
/// the agent registers its dispatcher, which decides per request and may forward the original
/// request to a peer or call <see cref="LocalInferenceBackend.RunAsync"/> with a variant.
/// Exactly one implementation is registered in DI (the last registration wins).
/// </summary>
public interface IInferenceBackend
{
    /// <summary>
    /// Runs <paramref name="call"/> and returns the response with where it ran and its timings.
    /// The service then stamps model name/version/id and the <c>edgeagent.*</c> parameters.
    /// Throw <see cref="EdgeAgent.Inference.InferenceException"/> to fail the request with a specific
    /// <see cref="EdgeAgent.Inference.InferenceError"/> (<see cref="InferenceStatus"/> maps it to the status).
    /// </summary>
    /// <param name="call">The validated request.</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away or its deadline passes.</param>
    Task<InferenceOutcome> InferAsync(InferenceCall call, CancellationToken cancellationToken);
}

/// <summary>One validated ModelInfer, as handed to an <see cref="IInferenceBackend"/>.</summary>
public sealed class InferenceCall
{
    /// <summary>The request exactly as received (forward it unchanged to a peer).</summary>
    public required ModelInferRequest Request { get; init; }

    /// <summary>The served model the request was validated against (metadata, variants, sessions).</summary>
    public required ServedModel Model { get; init; }

    /// <summary>The checked tensors: names, datatypes, concrete shapes, byte counts.</summary>
    public required ValidatedRequest Validated { get; init; }

    /// <summary>The caller's deadline in UTC, or null when it set none.</summary>
    public DateTime? Deadline { get; init; }

    /// <summary>Time left until <see cref="Deadline"/> at <paramref name="now"/> (null when no deadline).</summary>
    public TimeSpan? Remaining(DateTimeOffset now) => Deadline is { } deadline ? deadline - now.UtcDateTime : null;

    /// <summary>
    /// Why the call ended when its caller's token fired at <paramref name="now"/>: DeadlineExceeded
    /// when its deadline has passed, Cancelled otherwise (the caller left). The service throws it;
    /// the agent's dispatcher records its status.
    /// </summary>
    public InferenceException Cancellation(DateTimeOffset now) =>
        Remaining(now) is { } left && left <= TimeSpan.Zero
            ? new InferenceException(InferenceError.DeadlineExceeded, $"The deadline passed before model '{Model.Name}' finished.")
            : new InferenceException(InferenceError.Cancelled, "The caller cancelled the request.");
}

/// <summary>What a backend returns: the response and where and how long it ran.</summary>
/// <param name="Response">Outputs (the service sets model name, version, id and the edgeagent.* parameters).</param>
/// <param name="Placement">Where it ran: "local", "local:int8", "peer:cloud" when rendered.</param>
/// <param name="QueueMs">Milliseconds spent queued where it ran.</param>
/// <param name="ExecMs">Milliseconds of execution where it ran.</param>
public sealed record InferenceOutcome(ModelInferResponse Response, Placement Placement, double QueueMs, double ExecMs);
