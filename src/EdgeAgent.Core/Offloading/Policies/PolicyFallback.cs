namespace EdgeAgent.Core.Offloading.Policies;

/// <summary>Where fixed policies go when their preferred kind of candidate is missing.</summary>
internal static class PolicyFallback
{
    /// <summary>The first available local candidate, else the first local one, else the default local variant.</summary>
    public static Placement FirstLocal(OffloadObservation observation)
    {
        Placement? anyLocal = null;
        foreach (var server in observation.Servers)
        {
            if (server.Placement.Kind != PlacementKind.Local)
            {
                continue;
            }

            if (server.Available)
            {
                return server.Placement;
            }

            anyLocal ??= server.Placement;
        }

        return anyLocal ?? Placement.Local();
    }
}
