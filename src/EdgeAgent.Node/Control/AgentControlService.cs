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
public sealed class AgentControlService(
    OperatorPreference preference,
    PreferenceControl control,
    IOffloadPolicy policy,
    ClusterView cluster,
    DecisionLog decisions) : ControlService.ControlServiceBase
{
    /// <inheritdoc />
    public override Task<AgentStatus> GetStatus(GetStatusRequest request, ServerCallContext context) =>
        Task.FromResult(BuildStatus());

    /// <inheritdoc />
    public override Task<AgentStatus> SetPreference(SetPreferenceRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        try
        {
            control.Set(request.DelayWeight, "control", context?.Peer ?? "unknown");
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, ex.Message.Split(" (Parameter", 2)[0]));
        }

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
            var row = new PeerStatus
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
                Resolution = peer.Resolution,
            };
            foreach (var member in peer.Members)
            {
                var memberLoad = member.Load;
                row.Members.Add(new PeerMemberStatus
                {
                    Address = member.Endpoint.Url.GetLeftPart(UriPartial.Authority),
                    Connected = member.IsAvailable,
                    RttMs = member.Link.RoundTripSeconds * 1000.0,
                    RttSamples = (uint)member.Link.RoundTripSamples,
                    Queued = (uint)Math.Max(0, memberLoad.Queued),
                    Running = (uint)Math.Max(0, memberLoad.Running),
                });
            }

            status.Peers.Add(row);
        }

        return status;
    }
}
