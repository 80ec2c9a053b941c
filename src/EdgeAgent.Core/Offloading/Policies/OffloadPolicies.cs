namespace EdgeAgent.Core.Offloading.Policies;

/// <summary>The built-in policies by the names configuration and the command line use.</summary>
public static class OffloadPolicies
{
    /// <summary>Names accepted by <see cref="TryCreate"/>: heuristic, local, peer.</summary>
    public static IReadOnlyList<string> Names { get; } = ["heuristic", "local", "peer"];

    /// <summary>Creates the built-in policy called <paramref name="name"/> (case-insensitive).</summary>
    public static bool TryCreate(string? name, out IOffloadPolicy policy)
    {
        IOffloadPolicy? created = name?.Trim().ToUpperInvariant() switch
        {
            "HEURISTIC" => new HeuristicPolicy(),
            "LOCAL" => new LocalOnlyPolicy(),
            "PEER" => new PeerOnlyPolicy(),
            _ => null,
        };
        policy = created!;
        return created is not null;
    }
}
