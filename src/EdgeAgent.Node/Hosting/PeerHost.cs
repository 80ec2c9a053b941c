using System.Globalization;
using EdgeAgent.Node.Security;
using Microsoft.AspNetCore.Builder;

namespace EdgeAgent.Node.Hosting;

/// <summary>Settings of a peer started in-process (tests, the demo) or by `edgeagent peer`.</summary>
public sealed record PeerHostSettings
{
    /// <summary>HOST:PORT; port 0 picks a free port (read it back with <see cref="NodeHost.GetTcpAddress"/>).</summary>
    public string Listen { get; init; } = "127.0.0.1:0";

    /// <summary>Model repository folder.</summary>
    public required string ModelsPath { get; init; }

    /// <summary>Name reported in ServerMetadata and GetCapabilities.</summary>
    public string? NodeName { get; init; }

    /// <summary>Optional Unix socket path.</summary>
    public string? Socket { get; init; }

    /// <summary>Emulated relative compute speed in (0, 1].</summary>
    public double? ComputeSpeedFactor { get; init; }

    /// <summary>Execution slots.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Queue capacity.</summary>
    public int? QueueCapacity { get; init; }

    /// <summary>Any further configuration keys ("Execution:IntraOpThreads" = "1").</summary>
    public IReadOnlyDictionary<string, string?> Extra { get; init; } = new Dictionary<string, string?>();

    /// <summary>These settings as configuration keys.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        yield return new("Endpoint:Listen", Listen);
        yield return new("Models:Path", ModelsPath);
        if (NodeName is not null) yield return new("Serving:NodeName", NodeName);
        if (Socket is not null) yield return new("Endpoint:Socket", Socket);
        if (ComputeSpeedFactor is { } f) yield return new("Execution:ComputeSpeedFactor", f.ToString(CultureInfo.InvariantCulture));
        if (MaxConcurrency is { } c) yield return new("Execution:MaxConcurrency", c.ToString(CultureInfo.InvariantCulture));
        if (QueueCapacity is { } q) yield return new("Execution:QueueCapacity", q.ToString(CultureInfo.InvariantCulture));
        foreach (var pair in Extra)
        {
            yield return pair;
        }
    }
}

/// <summary>
/// The peer role's host: the inference service on the local executor, PeerService and health,
/// built by <see cref="NodeHost.Build(NodeRole, string[], IEnumerable{KeyValuePair{string, string}}?, Action{WebApplicationBuilder}?)"/> as an agent is.
/// </summary>
public static class PeerHost
{
    /// <summary>Builds a peer from command-line style <paramref name="args"/> and <paramref name="overrides"/>.</summary>
    /// <param name="args">Configuration arguments (--Models:Path=...); may be empty.</param>
    /// <param name="overrides">Keys that win over every other source (CLI flags, test settings).</param>
    /// <param name="configure">Extra registrations (logging levels, a TimeProvider, a backend) before the peer's.</param>
    /// <exception cref="NodeStartupException">The endpoint settings are unusable.</exception>
    public static WebApplication Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, Action<WebApplicationBuilder>? configure = null) =>
        NodeHost.Build(NodeRole.Peer, args, overrides, configure);

    /// <summary>Builds and starts a peer; dispose the returned app to stop it.</summary>
    /// <exception cref="NodeStartupException">A setting is invalid, a model cannot load, or the endpoint cannot be bound.</exception>
    public static Task<WebApplication> StartAsync(PeerHostSettings settings, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return NodeHost.StartAsync(NodeRole.Peer, settings.ToConfiguration(), configure, cancellationToken);
    }
}
