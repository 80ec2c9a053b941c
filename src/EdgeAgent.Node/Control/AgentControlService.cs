using System.Globalization;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Node.Control;

/// <summary>
/// The operator API of a running agent (edgeagent.v1.ControlService): read the status, set the
/// energy/delay preference. Served on the agent's own endpoints next to the inference service.
/// </summary>
public sealed partial class AgentControlService(
    OperatorPreference preference,
    IOffloadPolicy policy,
    ClusterView cluster,
    DecisionLog decisions,
    ILogger<AgentControlService> logger) : ControlService.ControlServiceBase
{
    /// <inheritdoc />
    public override Task<AgentStatus> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        Task.FromResult(BuildStatus());

    /// <inheritdoc />
    public override Task<AgentStatus> SetPreference(SetPreferenceRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var weight = request.DelayWeight;
        if (!(weight >= 0 && weight <= 1))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument,
                string.Create(CultureInfo.InvariantCulture, $"delay_weight is {weight}; it must be in [0, 1] (the energy weight is 1 - delay_weight).")));
        }

        preference.Set(new Preference(weight), "control");
        Log.PreferenceSet(logger, weight, context?.Peer ?? "unknown");
        return Task.FromResult(BuildStatus());
    }

    private AgentStatus BuildStatus()
    {
        var status = new AgentStatus
        {
            DelayWeight = preference.Current.DelayWeight,
            Policy = policy.Name,
            RequestsLocal = (ulong)decisions.LocalCount,
            RequestsOffloaded = (ulong)decisions.OffloadedCount,
            RequestsFallback = (ulong)decisions.FallbackCount,
        };
        if (policy is LearnedPolicy learned)
        {
            status.PolicyFile = learned.FilePath;
            status.PolicyProfile = learned.TrainingProfile;
            status.PolicyReloads = (ulong)learned.Reloads;
        }

        foreach (var peer in cluster.Peers)
        {
            var load = peer.Load;
            status.Peers.Add(new PeerStatus
            {
                Name = peer.Name,
                Url = peer.Endpoint.Url.ToString(),
                Connected = peer.IsAvailable,
                RttMs = peer.Link.RoundTripSeconds * 1000.0,
                ThroughputMbitPerSecond = peer.Link.ThroughputBitsPerSecond / 1e6,
                Queued = (uint)Math.Max(0, load.Queued),
                Running = (uint)Math.Max(0, load.Running),
                RttSamples = (uint)peer.Link.RoundTripSamples,
                ThroughputSamples = (uint)peer.Link.ThroughputSamples,
            });
        }

        return status;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Preference set to delay weight {DelayWeight} by {Caller}.")]
        public static partial void PreferenceSet(ILogger logger, double delayWeight, string caller);
    }
}
