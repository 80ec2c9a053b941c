namespace EdgeAgent.Core.Offloading.Policies;

/// <summary>
/// Always offloads: the available peer with the smallest estimated completion time
/// (<see cref="CompletionEstimate"/>); local when no peer is available. Ignores the preference.
/// </summary>
public sealed class PeerOnlyPolicy : IOffloadPolicy
{
    /// <inheritdoc />
    public string Name => "peer";

    /// <inheritdoc />
    public Placement Decide(OffloadObservation observation, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(observation);
        Placement? best = null;
        var bestSeconds = double.PositiveInfinity;
        foreach (var server in observation.Servers)
        {
            if (!server.Available || server.Placement.Kind != PlacementKind.Peer)
            {
                continue;
            }

            var seconds = CompletionEstimate.Seconds(observation.Task, server);
            if (best is null || seconds < bestSeconds)
            {
                best = server.Placement;
                bestSeconds = seconds;
            }
        }

        return best ?? PolicyFallback.FirstLocal(observation);
    }
}
