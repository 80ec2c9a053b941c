using EdgeAgent.Inference;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// The one place an <see cref="InferenceException"/> becomes a gRPC status: the code its
/// <see cref="InferenceError"/> names and its message as the detail (the cause stays in the logs).
/// Everything below the service (validation, the dispatcher, the executor) throws the domain
/// exception; <see cref="InferenceStatusInterceptor"/> applies this mapping to every call.
/// </summary>
public static class InferenceStatus
{
    /// <summary>The gRPC status code of <paramref name="error"/>.</summary>
    public static StatusCode Code(InferenceError error) => error switch
    {
        InferenceError.InvalidArgument => StatusCode.InvalidArgument,
        InferenceError.NotFound => StatusCode.NotFound,
        InferenceError.FailedPrecondition => StatusCode.FailedPrecondition,
        InferenceError.ResourceExhausted => StatusCode.ResourceExhausted,
        InferenceError.DeadlineExceeded => StatusCode.DeadlineExceeded,
        InferenceError.Cancelled => StatusCode.Cancelled,
        InferenceError.Unavailable => StatusCode.Unavailable,
        _ => StatusCode.Internal,
    };

    /// <summary>The <see cref="RpcException"/> a caller receives for <paramref name="exception"/>.</summary>
    public static RpcException ToRpcException(InferenceException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new RpcException(new Status(Code(exception.Error), exception.Message));
    }
}

/// <summary>Turns <see cref="InferenceException"/>s thrown by a service into their status (<see cref="InferenceStatus"/>).</summary>
public sealed class InferenceStatusInterceptor : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (InferenceException ex)
        {
            throw InferenceStatus.ToRpcException(ex);
        }
    }

    /// <inheritdoc />
    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
        }
        catch (InferenceException ex)
        {
            throw InferenceStatus.ToRpcException(ex);
        }
    }
}
