using EdgeAgent.Inference;
using EdgeAgent.Node.Serving;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// The Endpoint:HealthListen listener (plaintext, for Kubernetes' gRPC probes) serves
/// grpc.health.v1.Health and nothing else: any other call that arrives on it is answered with a
/// trailers-only UNIMPLEMENTED before routing, so inference, metadata, PeerService and the operator
/// API stay behind the node's TLS listener.
/// </summary>
internal static class HealthOnlyEndpoint
{
    /// <summary>Connection item set on connections accepted by the health listener.</summary>
    public const string ConnectionItem = "edgeagent.health-only";

    private const string HealthService = "/grpc.health.v1.Health/";

    public static Task FilterAsync(HttpContext context, Func<Task> next)
    {
        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is null || !items.ContainsKey(ConnectionItem) || context.Request.Path.StartsWithSegments(HealthService.TrimEnd('/'), StringComparison.Ordinal))
        {
            return next();
        }

        InferenceStatus.WriteTrailersOnly(context, new InferenceException(InferenceError.Unimplemented,
            $"{context.Request.Path} is not served on Endpoint:HealthListen (--health-listen), which serves grpc.health.v1.Health only; use Endpoint:Listen (--listen)."));
        return Task.CompletedTask;
    }
}
