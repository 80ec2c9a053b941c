namespace EdgeAgent.Core.Offloading.Policies;

/// <summary>Always runs on this device: the first available local candidate, for comparison.</summary>
public sealed class LocalOnlyPolicy : IOffloadPolicy
{
    /// <inheritdoc />
    public string Name => "local";

    /// <inheritdoc />
    public Placement Decide(OffloadObservation observation, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(observation);
        return PolicyFallback.FirstLocal(observation);
    }
}
