using EdgeAgent.Inference;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// The one place an <see cref="InferenceException"/> becomes a gRPC status: the code its
/// <see cref="InferenceError"/> names and its message as the detail (the cause stays in the logs).
/// Everything below the service (validation, the dispatcher, the executor) and the interceptors in
/// front of it (caller credentials) throw the domain exception;
/// <see cref="InferenceStatusInterceptor"/> applies this mapping to every call. Answers made before
/// gRPC routes a call (the admission limit, the health-only listener) are written by
/// <see cref="WriteTrailersOnly"/>, and the request parser's failures (Hosting/MalformedMessages)
/// use <see cref="ToRpcException"/>, because grpc-dotnet reports only an RpcException from a
/// deserializer. One status passes by this mapping on purpose: when a peer refuses a request's
/// content (INVALID_ARGUMENT, OUT_OF_RANGE), the agent's dispatcher relays the peer's own code in an
/// RpcException naming the peer (docs/architecture.md, Peer answers); the code is the peer's
/// verdict, not one of this node's errors. Every other peer failure stays inside the dispatcher
/// and runs locally.
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
        InferenceError.Unauthenticated => StatusCode.Unauthenticated,
        InferenceError.PermissionDenied => StatusCode.PermissionDenied,
        InferenceError.Unimplemented => StatusCode.Unimplemented,
        _ => StatusCode.Internal,
    };

    /// <summary>The <see cref="RpcException"/> a caller receives for <paramref name="exception"/>.</summary>
    public static RpcException ToRpcException(InferenceException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return new RpcException(new Status(Code(exception.Error), exception.Message));
    }

    /// <summary>
    /// Answers <paramref name="context"/> with <paramref name="exception"/>'s status as a
    /// trailers-only gRPC response (HTTP 200, <c>grpc-status</c> and <c>grpc-message</c> headers),
    /// for middleware that refuses a call before gRPC routes it.
    /// </summary>
    public static void WriteTrailersOnly(HttpContext context, InferenceException exception)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(exception);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/grpc";
        context.Response.Headers["grpc-status"] = ((int)Code(exception.Error)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["grpc-message"] = Uri.EscapeDataString(exception.Message);
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
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(requestStream, context).ConfigureAwait(false);
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
