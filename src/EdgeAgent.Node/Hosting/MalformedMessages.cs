using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text;
using EdgeAgent.Inference;
using EdgeAgent.Node.Serving;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// Every gRPC service of a node (inference, PeerService, ControlService, health, reflection) bound
/// with request deserializers that answer a malformed message with INVALID_ARGUMENT and one line
/// naming the problem. grpc-dotnet parses a request before any interceptor or handler runs, and a
/// parser exception that is not an <see cref="RpcException"/> became UNKNOWN ("Exception was
/// thrown by handler") with the whole stack trace logged as an error; an <see cref="RpcException"/>
/// thrown by the deserializer is returned as its status (issue 13).
/// </summary>
public static class MalformedMessages
{
    /// <summary>
    /// Replaces grpc-dotnet's method provider (it binds each service through its generated
    /// <c>BindService</c>) with one that binds the same methods and handlers with the checking
    /// request marshaller. Call it after every <c>AddGrpc</c>, i.e. last before building the host:
    /// a later <c>AddGrpc</c> adds grpc-dotnet's provider again (then every method would be bound
    /// twice; <see cref="EnsureBoundOnce"/> refuses that at start).
    /// </summary>
    public static IServiceCollection AddMalformedMessageStatus(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        for (var i = services.Count - 1; i >= 0; i--)
        {
            if (services[i].ServiceType == typeof(IServiceMethodProvider<>) && IsGrpcBinderProvider(services[i].ImplementationType))
            {
                services.RemoveAt(i);
            }
        }

        if (!services.Any(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType == typeof(CheckingServiceMethodProvider<>)))
        {
            services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(CheckingServiceMethodProvider<>));
        }

        return services;
    }

    /// <summary>Throws when grpc-dotnet's own binder was registered again after <see cref="AddMalformedMessageStatus"/>.</summary>
    /// <exception cref="InvalidOperationException">Every method would be bound twice (its route would be ambiguous).</exception>
    public static void EnsureBoundOnce(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var providers = services.GetServices<IServiceMethodProvider<Serving.InferenceService>>().ToList();
        if (providers.Any(p => p is CheckingServiceMethodProvider<Serving.InferenceService>)
            && providers.Any(p => p.GetType().IsGenericType && IsGrpcBinderProvider(p.GetType().GetGenericTypeDefinition())))
        {
            throw new InvalidOperationException("gRPC services are bound twice: AddGrpc was called after MalformedMessages.AddMalformedMessageStatus (call it last).");
        }
    }

    /// <summary>
    /// <paramref name="method"/> with a request marshaller whose parse failures are
    /// <see cref="RpcException"/>s with INVALID_ARGUMENT naming the message type and the problem.
    /// </summary>
    public static Method<TRequest, TResponse> Checked<TRequest, TResponse>(Method<TRequest, TResponse> method)
        where TRequest : class
        where TResponse : class
    {
        ArgumentNullException.ThrowIfNull(method);
        // ModelInfer requests are parsed with their raw tensors as views of one copy of the received
        // bytes, which the agent forwards to a peer as they came (InferMessages).
        var inner = typeof(TRequest) == typeof(Contracts.Inference.ModelInferRequest)
            ? (Marshaller<TRequest>)(object)Serving.InferMessages.ReceivingRequest
            : method.RequestMarshaller;
        var marshaller = new Marshaller<TRequest>(inner.ContextualSerializer, context => Parse(inner, context, method.Name));
        return new Method<TRequest, TResponse>(method.Type, method.ServiceName, method.Name, marshaller, method.ResponseMarshaller);
    }

    /// <summary>The one-line description of why a request message could not be parsed.</summary>
    public static string Describe(Exception exception, string messageType, string methodName)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return $"Malformed {messageType} in a {methodName} call: {Problem(exception)}.";
    }

    private static TRequest Parse<TRequest>(Marshaller<TRequest> inner, DeserializationContext context, string methodName)
    {
        try
        {
            return inner.ContextualDeserializer(context);
        }
        catch (Exception ex) when (ex is not RpcException and not OutOfMemoryException)
        {
            throw InferenceStatus.ToRpcException(new InferenceException(InferenceError.InvalidArgument, Describe(ex, typeof(TRequest).Name, methodName)));
        }
    }

    private static string Problem(Exception exception)
    {
        switch (exception)
        {
            case DecoderFallbackException:
            case InvalidProtocolBufferException e when e.Message.Contains("UTF-8", StringComparison.Ordinal):
                return "a string field is not valid UTF-8";
            case InvalidProtocolBufferException ex when ex.Message.Contains("levels of nesting", StringComparison.Ordinal):
                return "messages or groups nested deeper than protobuf's recursion limit of 100";
            case InvalidProtocolBufferException ex when ex.Message.Contains("ended unexpectedly", StringComparison.Ordinal):
                return "the message is truncated (the input ended inside a field)";
            case InvalidProtocolBufferException ex:
                return OneLine(ex.Message);
            default:
                return $"it could not be parsed ({exception.GetType().Name})";
        }
    }

    private static string OneLine(string text)
    {
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.EndsWith('.') ? line[..^1] : line;
    }

    private static bool IsGrpcBinderProvider(Type? type) =>
        type is { IsGenericTypeDefinition: true, Name: "BinderServiceMethodProvider`1" } && type.Assembly == typeof(IServiceMethodProvider<>).Assembly;

    /// <summary>
    /// Binds a service as grpc-dotnet does (the generated static <c>BindService(ServiceBinderBase,
    /// TBase)</c> named by <see cref="BindServiceMethodAttribute"/>, each method's handler the
    /// public override on the service type), with <see cref="Checked"/> methods.
    /// </summary>
    internal sealed class CheckingServiceMethodProvider<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] TService>(IServiceProvider services)
        : IServiceMethodProvider<TService>
        where TService : class
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
        {
            // The agent serves ModelInfer so that it reads arriving requests itself (cut-through
            // forwarding, issue 17): bound as client-streaming, the unary wire format. Told by its
            // dispatcher's registration: nothing is resolved here (options are validated at start,
            // which reports a bad setting its own way).
            var arriving = typeof(TService) == typeof(Serving.InferenceService)
                && services.GetService<IServiceProviderIsService>()?.IsService(typeof(Agent.Dispatcher)) == true;
            var (bindMethod, baseType) = FindBindMethod(typeof(TService));
            if (bindMethod is null)
            {
                return;
            }

            try
            {
                bindMethod.Invoke(null, [new Binder(context, baseType!, arriving), null]);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                throw new InvalidOperationException($"Error binding gRPC service '{typeof(TService).Name}'.", ex.InnerException);
            }
        }

        private static (MethodInfo? Method, Type? BaseType) FindBindMethod(Type serviceType)
        {
            for (var type = serviceType; type is not null; type = type.BaseType)
            {
                var attribute = type.GetCustomAttribute<BindServiceMethodAttribute>(inherit: false);
                if (attribute is null)
                {
                    continue;
                }

                var method = attribute.BindType
                    .GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
                    .FirstOrDefault(m => m.Name == attribute.BindMethodName
                        && m.GetParameters() is [{ ParameterType: var first }, { ParameterType: var second }]
                        && first == typeof(ServiceBinderBase)
                        && second.IsAssignableFrom(serviceType));
                if (method is not null)
                {
                    return (method, method.GetParameters()[1].ParameterType);
                }
            }

            return (null, null);
        }

        private sealed class Binder(ServiceMethodProviderContext<TService> context, Type baseType, bool arriving) : ServiceBinderBase
        {
            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
            {
                if (arriving && method.Name == nameof(Serving.InferenceService.ModelInfer))
                {
                    var checkedMethod = Checked(method);
                    // A relayed answer (ResponseRelay.Written) has been written by the relay: nothing more.
                    var response = checkedMethod.ResponseMarshaller;
                    var relayAware = new Marshaller<TResponse>(
                        (message, serialization) =>
                        {
                            if (!ReferenceEquals(message, Serving.ResponseRelay.Written))
                            {
                                response.ContextualSerializer(message, serialization);
                            }
                        },
                        response.ContextualDeserializer);
                    var streaming = new Method<TRequest, TResponse>(MethodType.ClientStreaming, method.ServiceName, method.Name, checkedMethod.RequestMarshaller, relayAware);
                    var found = typeof(TService).GetMethod(nameof(Serving.InferenceService.ModelInferArriving), BindingFlags.Public | BindingFlags.Instance, [typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext)])
                        ?? throw new InvalidOperationException($"Could not find '{nameof(Serving.InferenceService.ModelInferArriving)}' on {typeof(TService)}.");
                    var streamingMetadata = new List<object>();
                    streamingMetadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
                    streamingMetadata.AddRange(found.GetCustomAttributes(inherit: true));
                    streamingMetadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
                    context.AddClientStreamingMethod(streaming, streamingMetadata,
                        (Grpc.AspNetCore.Server.Model.ClientStreamingServerMethod<TService, TRequest, TResponse>)Delegate.CreateDelegate(typeof(Grpc.AspNetCore.Server.Model.ClientStreamingServerMethod<TService, TRequest, TResponse>), found));
                    return;
                }

                var (invoker, metadata) = Handler<Grpc.AspNetCore.Server.Model.UnaryServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(ServerCallContext));
                context.AddUnaryMethod(Checked(method), metadata, invoker);
            }

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
            {
                var (invoker, metadata) = Handler<Grpc.AspNetCore.Server.Model.ServerStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(TRequest), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
                context.AddServerStreamingMethod(Checked(method), metadata, invoker);
            }

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler)
            {
                var (invoker, metadata) = Handler<Grpc.AspNetCore.Server.Model.ClientStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(ServerCallContext));
                context.AddClientStreamingMethod(Checked(method), metadata, invoker);
            }

            public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler)
            {
                var (invoker, metadata) = Handler<Grpc.AspNetCore.Server.Model.DuplexStreamingServerMethod<TService, TRequest, TResponse>>(method.Name, typeof(IAsyncStreamReader<TRequest>), typeof(IServerStreamWriter<TResponse>), typeof(ServerCallContext));
                context.AddDuplexStreamingMethod(Checked(method), metadata, invoker);
            }

            private (TDelegate Invoker, List<object> Metadata) Handler<TDelegate>(string name, params Type[] parameters)
                where TDelegate : Delegate
            {
                var handler = FindOverride(name, parameters)
                    ?? throw new InvalidOperationException($"Could not find '{name}' on {typeof(TService)}.");
                var metadata = new List<object>();
                // Type attributes first, method attributes last (they win), as grpc-dotnet orders them.
                metadata.AddRange(typeof(TService).GetCustomAttributes(inherit: true));
                metadata.AddRange(handler.GetCustomAttributes(inherit: true));
                metadata.Add(new HttpMethodMetadata(["POST"], acceptCorsPreflight: true));
                return ((TDelegate)Delegate.CreateDelegate(typeof(TDelegate), handler), metadata);
            }

            // The public instance method that overrides the generated base's virtual one (the base's
            // own answers UNIMPLEMENTED); a method that only hides it by name is skipped.
            private MethodInfo? FindOverride(string name, Type[] parameters)
            {
                for (var type = typeof(TService); type is not null; type = type.BaseType)
                {
                    var method = type.GetMethod(name, BindingFlags.Public | BindingFlags.Instance, binder: null, types: parameters, modifiers: null);
                    if (method is null)
                    {
                        return null;
                    }

                    if (method.IsVirtual && method.GetBaseDefinition().DeclaringType == baseType)
                    {
                        return method;
                    }
                }

                return null;
            }
        }
    }
}
