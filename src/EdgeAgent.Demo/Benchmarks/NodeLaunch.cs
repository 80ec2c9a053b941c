namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// How a benchmark starts <c>edgeagent</c> node processes (<see cref="NodeProcess"/>): the
/// executable and the arguments before the command (the assembly when it is <c>dotnet</c>). One
/// type for the settings of the benchmarks that launch nodes (cold, soak).
/// </summary>
public sealed record NodeLaunch
{
    /// <summary>The executable that runs the edgeagent CLI (the apphost, or dotnet).</summary>
    public required string Executable { get; init; }

    /// <summary>Arguments before the command (<c>edgeagent.dll</c> under <c>dotnet</c>).</summary>
    public IReadOnlyList<string> LeadingArguments { get; init; } = [];
}
