using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Peer;
using EdgeAgent.Node.Security;
using EdgeAgent.Node.Serving;
using System.Threading.RateLimiting;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Hosting;

/// <summary>Registrations of the serving core (both roles) and of the peer role.</summary>
public static class ServingServiceCollectionExtensions
{
    /// <summary>
    /// Registers what both roles serve: options (Serving, Models, Execution; validated at start),
    /// the model repository and catalog (sessions created once), the <see cref="LocalExecutor"/>,
    /// <see cref="LocalInferenceBackend"/>, the idle-time <see cref="ExecutionProber"/>, gRPC with message limits from Serving:MaxRequestBytes,
    /// and grpc.health.v1 health. It does not register an <see cref="IInferenceBackend"/>: the
    /// peer registers the local backend, the agent its dispatcher.
    /// </summary>
    public static IServiceCollection AddEdgeAgentServing(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<ServingOptions>().BindConfiguration(ServingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ExecutionOptions>().BindConfiguration(ExecutionOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ModelRepositoryOptions>().BindConfiguration(ModelRepositoryOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ModelRepositoryOptions>, ModelRepositoryOptionsValidator>());

        services.TryAddSingleton(sp => ModelRepository.Open(sp.GetRequiredService<IOptions<ModelRepositoryOptions>>().Value.Path));
        services.TryAddSingleton(sp => ModelCatalog.Load(sp.GetRequiredService<ModelRepository>(), sp.GetRequiredService<IOptions<ExecutionOptions>>().Value));
        services.TryAddSingleton(sp => new LocalExecutor(
            sp.GetRequiredService<ModelCatalog>(),
            sp.GetRequiredService<IOptions<ExecutionOptions>>().Value,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<LocalExecutor>>()));
        services.TryAddSingleton<LocalInferenceBackend>();
        // Both roles probe their idle executor (a peer's estimates feed its load reports); the
        // agent's probes are priced by its energy estimator, a peer has none (0 J).
        services.TryAddSingleton(sp => new ExecutionProber(
            sp.GetRequiredService<LocalExecutor>(),
            sp.GetRequiredService<IOptions<ExecutionOptions>>().Value,
            sp.GetService<IEnergyEstimator>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ExecutionProber>>(),
            sp.GetService<EnergyMeter>()));
        services.AddHostedService(sp => sp.GetRequiredService<ExecutionProber>());
        services.TryAddSingleton<ExecutorMetrics>();
        services.TryAddSingleton<RejectedCallLog>();
        services.AddHostedService<IdleMemoryTrimmer>();

        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.SectionName);
        services.TryAddSingleton<InferenceAuthorizationInterceptor>();
        services.TryAddSingleton<InferenceStatusInterceptor>();
        // Every service's InferenceExceptions become statuses in one place (InferenceStatus).
        services.AddGrpc(grpc => grpc.Interceptors.Add<InferenceStatusInterceptor>());
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<ServingOptions>>((grpc, serving) =>
        {
            grpc.MaxReceiveMessageSize = serving.Value.TransportMessageLimit;
            grpc.MaxSendMessageSize = serving.Value.TransportMessageLimit;
        });
        // The inference service's own options (its interceptor) carry the message limits too:
        // without them its calls fell back to gRPC's 4 MB default.
        services.AddOptions<GrpcServiceOptions<InferenceService>>().Configure<IOptions<ServingOptions>>((grpc, serving) =>
        {
            grpc.Interceptors.Add<InferenceAuthorizationInterceptor>();
            grpc.MaxReceiveMessageSize = serving.Value.TransportMessageLimit;
            grpc.MaxSendMessageSize = serving.Value.TransportMessageLimit;
        });
        // Kestrel's own body limit (30,000,000 bytes by default) sat below the documented cap and
        // failed valid requests with UNKNOWN. A body limit of exactly the transport limit raced
        // gRPC's check: data frames past it aborted the stream while gRPC was still reading the
        // frame header, and the caller got UNKNOWN again. So Kestrel counts no body bytes: gRPC's
        // per-message limit (checked from the 5-byte header, before the message is buffered) is
        // the one cap, and refuses with RESOURCE_EXHAUSTED; every call here is unary or a stream
        // of messages each under that limit.
        services.AddOptions<KestrelServerOptions>().Configure(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        services.AddGrpcHealthChecks().AddCheck<ModelsHealthCheck>("models");
        // Server reflection: grpcurl and other generic clients discover the services without protos.
        services.AddGrpcReflection();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<ServingOptions>>((limiter, serving) =>
        {
            limiter.AddConcurrencyLimiter(InferenceAdmissionPolicy, c =>
            {
                c.PermitLimit = serving.Value.MaxConcurrentRequests;
                c.QueueLimit = serving.Value.MaxWaitingRequests;
                c.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            limiter.OnRejected = (context, token) => RejectAsResourceExhaustedAsync(context.HttpContext, serving.Value, token);
        });
        return services;
    }

    /// <summary>
    /// Adds the middleware that admits inference calls (Serving:MaxConcurrentRequests); call it on
    /// the application before <see cref="MapEdgeAgentServing"/>'s endpoints run.
    /// </summary>
    /// <remarks>Calls answered with an error status, admission refusals included, are counted by
    /// <see cref="RejectedCallLog"/> (one summary line per Serving:RejectionLogInterval).</remarks>
    public static IApplicationBuilder UseEdgeAgentServing(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(HealthOnlyEndpoint.FilterAsync);
        var rejected = app.ApplicationServices.GetRequiredService<RejectedCallLog>();
        app.Use((context, next) => RejectedCallLog.CountAsync(context, next, rejected));
        return app.UseRateLimiter();
    }

    /// <summary>
    /// Registers the peer role: <see cref="AddEdgeAgentServing"/>, the local executor as the
    /// <see cref="IInferenceBackend"/>, and PeerService with its options ("Peer" section).
    /// </summary>
    public static IServiceCollection AddEdgeAgentPeer(this IServiceCollection services)
    {
        services.AddEdgeAgentServing();
        services.AddOptions<PeerOptions>().BindConfiguration(PeerOptions.SectionName).ValidateDataAnnotations()
            .Validate(o => o.MinLoadReportIntervalMs <= o.MaxLoadReportIntervalMs, "Peer:MinLoadReportIntervalMs must not exceed Peer:MaxLoadReportIntervalMs.")
            .ValidateOnStart();
        services.TryAddSingleton<IInferenceBackend>(sp => sp.GetRequiredService<LocalInferenceBackend>());
        services.TryAddSingleton<LoadStreamLimiter>();
        return services;
    }

    /// <summary>Maps the inference service and grpc.health.v1 (both roles).</summary>
    public static IEndpointRouteBuilder MapEdgeAgentServing(this IEndpointRouteBuilder endpoints)
    {
        // Only ModelInfer is admitted by the limiter: liveness, readiness and metadata must answer
        // while every permit is taken (issue 13: ServerLive failed with RESOURCE_EXHAUSTED under
        // overload and waited behind a hung peer's calls).
        endpoints.MapGrpcService<InferenceService>().Add(endpoint =>
        {
            if (endpoint.Metadata.OfType<GrpcMethodMetadata>().Any(m => m.Method.Name == nameof(InferenceService.ModelInfer)))
            {
                endpoint.Metadata.Add(new EnableRateLimitingAttribute(InferenceAdmissionPolicy));
            }
        });
        endpoints.MapGrpcHealthChecksService();
        endpoints.MapGrpcReflectionService();
        return endpoints;
    }

    /// <summary>Maps everything a peer serves: inference, PeerService and health.</summary>
    public static IEndpointRouteBuilder MapEdgeAgentPeer(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapEdgeAgentServing();
        endpoints.MapGrpcService<PeerService>();
        return endpoints;
    }

    private const string InferenceAdmissionPolicy = "edgeagent-inference";

    // A trailers-only gRPC response: the client sees RESOURCE_EXHAUSTED with this message. The
    // body is read and discarded first (never held): a stream the server ends while the client is
    // still sending leaves DATA frames in flight, and under sustained rejection Kestrel stops
    // tracking such streams and closes the whole connection with STREAM_CLOSED, failing admitted
    // calls on it with INTERNAL/UNAVAILABLE (seen in OverloadTests before this drain).
    private static async ValueTask RejectAsResourceExhaustedAsync(HttpContext context, ServingOptions serving, CancellationToken cancellationToken)
    {
        context.RequestServices.GetService<Telemetry.ServingMetrics>()?.AdmissionRejected(nameof(InferenceService.ModelInfer));
        try
        {
            await context.Request.Body.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            // The client left or sent more than the body limit: answer anyway.
        }

        InferenceStatus.WriteTrailersOnly(context, new InferenceException(InferenceError.ResourceExhausted, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"The node is at its limit of {serving.MaxConcurrentRequests} inference calls in progress and {serving.MaxWaitingRequests} waiting (Serving:MaxConcurrentRequests, Serving:MaxWaitingRequests); retry later.")));
    }

    private sealed class ModelRepositoryOptionsValidator : IValidateOptions<ModelRepositoryOptions>
    {
        public ValidateOptionsResult Validate(string? name, ModelRepositoryOptions options)
        {
            try
            {
                ModelRepository.Open(options.Path);
                return ValidateOptionsResult.Success;
            }
            catch (ModelRepositoryException ex)
            {
                return ValidateOptionsResult.Fail($"Models:Path (--models): {ex.Message}");
            }
        }
    }

    private sealed class ModelsHealthCheck(ModelCatalog catalog) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(catalog.Models.Count > 0
                ? HealthCheckResult.Healthy($"{catalog.Models.Count} models served.")
                : HealthCheckResult.Unhealthy("No model is served."));
    }
}
