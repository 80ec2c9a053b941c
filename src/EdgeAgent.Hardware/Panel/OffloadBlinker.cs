using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Hardware.Panel;

/// <summary>
/// The panel's subscription to the agent's decisions: every request that ran on a peer signals
/// <see cref="IOffloadIndicator.NotifyOffload"/> (the panel blinks). Registered by
/// <see cref="HardwareServiceCollectionExtensions.AddEdgeAgentHardware"/> as an <see cref="IDecisionObserver"/>.
/// </summary>
public sealed class OffloadBlinker(IOffloadIndicator indicator) : IDecisionObserver
{
    /// <inheritdoc />
    public void OnDecision(DecisionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.RanAt.Kind == PlacementKind.Peer)
        {
            indicator.NotifyOffload();
        }
    }
}
