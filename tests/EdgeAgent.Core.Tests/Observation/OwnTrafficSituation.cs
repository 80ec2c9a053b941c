using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Observation;

/// <summary>
/// The candidates the own-traffic column tests encode a task against: the device with a queue, an edge
/// peer with this agent's own traffic on its link, and an unavailable cloud peer.
/// </summary>
internal static class OwnTrafficSituation
{
    /// <summary>An observation of <paramref name="task"/> against the three candidates.</summary>
    public static OffloadObservation Of(TaskObservation task) => new(
        task,
        [
            new ServerObservation { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.03, Executing = 1, Queued = 2, ResidualWorkSeconds = 0.09, EstimatedEnergyJoules = 0.3 },
            new ServerObservation
            {
                Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 2e8, DownlinkBitsPerSecond = 2e8, RoundTripSeconds = 0.005,
                ExpectedExecSeconds = 0.012, Executing = 1, MaxConcurrency = 2, ResidualWorkSeconds = 0.01, EstimatedEnergyJoules = 0.05,
                OwnInFlight = 2, UploadBacklogSeconds = 0.01, ArrivingTasks = 1, ArrivingWorkSeconds = 0.012,
            },
            new ServerObservation { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, Available = false },
        ]);
}
