namespace EdgeAgent.Inference;

/// <summary>
/// Why a call to the node failed, in the node's own terms: an inference request, and also a caller
/// refused before any service ran (admission, credentials, a listener that does not serve the
/// call). The serving layer turns each kind into a wire status in one place (EdgeAgent.Node's
/// <c>InferenceStatus</c>); nothing below it knows gRPC.
/// </summary>
public enum InferenceError
{
    /// <summary>The node failed for a reason of its own (a runtime error); not the caller's fault.</summary>
    Internal,

    /// <summary>The request is malformed or the model refused its inputs.</summary>
    InvalidArgument,

    /// <summary>The model or version named is not served here.</summary>
    NotFound,

    /// <summary>The request is fine but this node cannot run it as asked (a variant that does not load).</summary>
    FailedPrecondition,

    /// <summary>The node is full; retrying later may succeed.</summary>
    ResourceExhausted,

    /// <summary>The caller's deadline passed before the work finished.</summary>
    DeadlineExceeded,

    /// <summary>The caller went away.</summary>
    Cancelled,

    /// <summary>Where the work was to run cannot be reached now.</summary>
    Unavailable,

    /// <summary>The caller presented no credential this node accepts.</summary>
    Unauthenticated,

    /// <summary>The caller's credential does not allow the call.</summary>
    PermissionDenied,

    /// <summary>This node does not serve the call where it arrived (for example a health-only listener).</summary>
    Unimplemented,
}

/// <summary>
/// A request failed with an <see cref="InferenceError"/> and a message for the caller: one
/// sentence naming what was wrong, never a stack trace.
/// </summary>
public class InferenceException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="error">Why the request failed.</param>
    /// <param name="message">The caller's message.</param>
    /// <param name="innerException">The cause, kept for logs (never sent to the caller).</param>
    public InferenceException(InferenceError error, string message, Exception? innerException = null) : base(message, innerException)
    {
        Error = error;
    }

    /// <summary>Creates an <see cref="InferenceError.Internal"/> exception.</summary>
    public InferenceException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates an <see cref="InferenceError.Internal"/> exception.</summary>
    public InferenceException(string message) : base(message)
    {
    }

    /// <summary>Creates an <see cref="InferenceError.Internal"/> exception.</summary>
    public InferenceException()
    {
    }

    /// <summary>Why the request failed.</summary>
    public InferenceError Error { get; }
}
