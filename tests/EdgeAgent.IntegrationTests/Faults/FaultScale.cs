namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// How long the fault suite runs. CI runs the bounded form (seconds per test, same assertions);
/// <c>EDGEAGENT_FAULTS=full dotnet test tests/EdgeAgent.IntegrationTests -c Release --filter FullyQualifiedName~Faults</c>
/// runs the figures (20 trials, 10,000 malformed requests, 60 s overload).
/// </summary>
public static class FaultScale
{
    /// <summary>True when EDGEAGENT_FAULTS=full.</summary>
    public static bool Full { get; } = string.Equals(Environment.GetEnvironmentVariable("EDGEAGENT_FAULTS"), "full", StringComparison.OrdinalIgnoreCase);

    /// <summary><paramref name="bounded"/> in CI, <paramref name="full"/> with EDGEAGENT_FAULTS=full.</summary>
    public static int Pick(int bounded, int full) => Full ? full : bounded;

    /// <summary><paramref name="bounded"/> in CI, <paramref name="full"/> with EDGEAGENT_FAULTS=full.</summary>
    public static TimeSpan Pick(TimeSpan bounded, TimeSpan full) => Full ? full : bounded;
}

/// <summary>The fault tests run one after another: they load the machine and measure the process's memory.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultCollection
{
    /// <summary>Collection name.</summary>
    public const string Name = "Faults";
}
