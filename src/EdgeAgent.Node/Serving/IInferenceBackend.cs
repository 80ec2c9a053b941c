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

    /// <summary>
    /// Set for a call whose raw input tensors are still arriving (<see cref="IArrivingRequestBackend"/>):
    /// <see cref="Request"/> and <see cref="Validated"/> are then its head only (no raw tensors), and
    /// <see cref="ArrivingCall.CompleteAsync"/> gives the whole call.
    /// </summary>
    public ArrivingCall? Arriving { get; init; }

    /// <summary>Time left until <see cref="Deadline"/> at <paramref name="now"/> (null when no deadline).</summary>
    public TimeSpan? Remaining(DateTimeOffset now) => Deadline is { } deadline ? deadline - now.UtcDateTime : null;

    /// <summary>
    /// Why the call ended when its caller's token fired at <paramref name="now"/>: DeadlineExceeded
    /// when its deadline has passed, Cancelled otherwise (the caller left). The service throws it;
    /// the agent's dispatcher records its status.
    /// </summary>
    public InferenceException Cancellation(DateTimeOffset now) => Cancellation(Model, Deadline, now);

    /// <summary>As <see cref="Cancellation(DateTimeOffset)"/>, for a call on <paramref name="model"/> with <paramref name="deadline"/> (UTC or null).</summary>
    public static InferenceException Cancellation(ServedModel model, DateTime? deadline, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(model);
        return deadline is { } due && due - now.UtcDateTime <= TimeSpan.Zero
            ? new InferenceException(InferenceError.DeadlineExceeded, $"The deadline passed before model '{model.Name}' finished.")
            : new InferenceException(InferenceError.Cancelled, "The caller cancelled the request.");
    }
}

/// <summary>What a backend returns: the response and where and how long it ran.</summary>
/// <param name="Response">Outputs (the service sets model name, version, id and the edgeagent.* parameters).</param>
/// <param name="Placement">Where it ran: "local", "local:int8", "peer:cloud" when rendered.</param>
/// <param name="QueueMs">Milliseconds spent queued where it ran.</param>
/// <param name="ExecMs">Milliseconds of execution where it ran.</param>
public sealed record InferenceOutcome(ModelInferResponse Response, Placement Placement, double QueueMs, double ExecMs);

/// <summary>
/// An <see cref="IInferenceBackend"/> that also takes ModelInfer requests whose bodies are still
/// arriving (the agent's dispatcher: it forwards the bytes to a peer as they come, issue 17).
/// </summary>
public interface IArrivingRequestBackend : IInferenceBackend
{
    /// <summary>Requests of at least this many bytes are handed over while they arrive (0: never).</summary>
    int ArrivingMinBytes { get; }

    /// <summary>
    /// For a call handed over while it arrives: a peer's answer of at least this many bytes goes
    /// on to the caller as it arrives (<see cref="ArrivingCall.Relay"/>; 0: answers are written whole).
    /// </summary>
    int RelayMinBytes => 0;

    /// <summary>
    /// Runs <paramref name="call"/> as <see cref="IInferenceBackend.InferAsync"/> runs a complete
    /// request. It decides from the validated head and gets the whole request from
    /// <see cref="ArrivingCall.CompleteAsync"/>, whose <see cref="ArrivingRequestException"/>
    /// (a request the service refuses, or one whose head is not final) it lets through unrecorded,
    /// having cancelled anything it started.
    /// </summary>
    /// <param name="call">The request's head, validated, and its arriving body.</param>
    /// <param name="cancellationToken">Cancelled when the caller goes away or its deadline passes.</param>
    Task<InferenceOutcome> InferArrivingAsync(ArrivingCall call, CancellationToken cancellationToken);
}

/// <summary>One ModelInfer whose raw input tensors are still arriving, as handed to an <see cref="IArrivingRequestBackend"/>.</summary>
public sealed class ArrivingCall
{
    private readonly Lock _gate = new();
    private Task<InferenceCall>? _complete;

    /// <summary>The request's bytes as they arrive (forward them with <see cref="ArrivingRequest.CopyToAsync"/>).</summary>
    public required ArrivingRequest Body { get; init; }

    /// <summary>The served model the head names.</summary>
    public required ServedModel Model { get; init; }

    /// <summary>The head's tensors, checked as far as the head can be (<see cref="InferRequestValidator.ValidateHead"/>): names, datatypes, shapes, byte counts.</summary>
    public required ValidatedRequest Head { get; init; }

    /// <summary>The caller's deadline in UTC, or null when it set none.</summary>
    public DateTime? Deadline { get; init; }

    /// <summary>
    /// Where a forward may write the peer's answer on to the caller as it arrives (issue 17, response
    /// cut-through; null: the answer is written whole). Once it has <see cref="ResponseRelay.Began"/>,
    /// a failed peer call is not run locally: the caller's stream is reset.
    /// </summary>
    public ResponseRelay? Relay { get; init; }

    /// <summary>Parses and validates the whole request once it is in (see <see cref="CompleteAsync"/>).</summary>
    public required Func<Task<InferenceCall>> Complete { get; init; }

    /// <summary>
    /// The whole request, parsed and validated as a buffered one is; the body's tail is then released
    /// to forwards (<see cref="ArrivingRequest.ReleaseTail"/>). Every call returns the same task.
    /// </summary>
    /// <exception cref="ArrivingRequestException">The service refuses the request (<see cref="ArrivingRequestException.Refusal"/>), or its head is not final (<see cref="ArrivingRequestException.HeadNotFinal"/>).</exception>
    public Task<InferenceCall> CompleteAsync()
    {
        lock (_gate)
        {
            return _complete ??= Complete();
        }
    }

    /// <summary>Time left until <see cref="Deadline"/> at <paramref name="now"/> (null when no deadline).</summary>
    public TimeSpan? Remaining(DateTimeOffset now) => Deadline is { } deadline ? deadline - now.UtcDateTime : null;
}
