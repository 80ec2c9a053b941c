using System.Globalization;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Security;
using Microsoft.AspNetCore.Builder;

namespace EdgeAgent.Node.Hosting;

/// <summary>Settings of an agent started in-process (tests, the demo) or by `edgeagent agent`.</summary>
public sealed record AgentHostSettings
{
    /// <summary>HOST:PORT; port 0 picks a free port (read it back with <see cref="NodeHost.GetTcpAddress"/>).</summary>
    public string Listen { get; init; } = "127.0.0.1:0";

    /// <summary>Model repository folder (the agent validates requests against it and runs local work from it).</summary>
    public required string ModelsPath { get; init; }

    /// <summary>Optional Unix socket path served next to the TCP endpoint.</summary>
    public string? Socket { get; init; }

    /// <summary>Peers as <c>NAME=URL[;rtt=40ms][;bw=50mbit]</c>.</summary>
    public IReadOnlyList<string> Peers { get; init; } = [];

    /// <summary>learned, heuristic, local or peer (null: configuration or the default, learned).</summary>
    public string? Policy { get; init; }

    /// <summary>Initial delay weight in [0, 1].</summary>
    public double? Preference { get; init; }

    /// <summary>Longest wait for a peer before running locally.</summary>
    public TimeSpan? OffloadTimeout { get; init; }

    /// <summary>Name reported in ServerMetadata.</summary>
    public string? NodeName { get; init; }

    /// <summary>
    /// The durable decision log's file or directory (DecisionLog:Path). Null switches it off
    /// (DecisionLog:Enabled = false) for in-process agents, so tests and the demo do not write into
    /// the user's state directory; <see cref="Extra"/> can still turn it on.
    /// </summary>
    public string? DecisionLogPath { get; init; }

    /// <summary>Any further configuration keys ("Agent:StaleAfter" = "00:00:01").</summary>
    public IReadOnlyDictionary<string, string?> Extra { get; init; } = new Dictionary<string, string?>();

    /// <summary>These settings as configuration keys.</summary>
    /// <exception cref="NodeStartupException">A peer is not NAME=URL[;...].</exception>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        var keys = new List<KeyValuePair<string, string?>>
        {
            new("Endpoint:Listen", Listen),
            new("Models:Path", ModelsPath),
        };
        if (Socket is not null) keys.Add(new("Endpoint:Socket", Socket));
        if (NodeName is not null) keys.Add(new("Serving:NodeName", NodeName));
        if (Policy is not null) keys.Add(new("Agent:Policy", Policy));
        if (Preference is { } w) keys.Add(new("Agent:Preference", w.ToString("R", CultureInfo.InvariantCulture)));
        if (OffloadTimeout is { } t) keys.Add(new("Agent:OffloadTimeout", t.ToString("c", CultureInfo.InvariantCulture)));
        keys.Add(new($"{DecisionLogOptions.Section}:Enabled", DecisionLogPath is null ? "false" : "true"));
        if (DecisionLogPath is not null) keys.Add(new($"{DecisionLogOptions.Section}:Path", DecisionLogPath));
        keys.AddRange(AgentHost.PeerKeys(Peers));
        keys.AddRange(Extra);
        return keys;
    }
}

/// <summary>
/// The agent role's host: the inference service (backed by the <see cref="Dispatcher"/>),
/// ControlService, health and the hardware layer, built by <see cref="NodeHost.Build(NodeRole, string[], IEnumerable{KeyValuePair{string, string}}?, Action{WebApplicationBuilder}?)"/> as a peer is.
/// </summary>
public static class AgentHost
{
    /// <summary>Builds an agent from command-line style <paramref name="args"/> and <paramref name="overrides"/>.</summary>
    /// <param name="args">Configuration arguments (--Agent:Policy=local); may be empty.</param>
    /// <param name="overrides">Keys that win over every other source (CLI flags, test settings).</param>
    /// <param name="configure">Extra registrations before the agent's (a TimeProvider, a learned policy, a measured energy source).</param>
    /// <exception cref="NodeStartupException">The endpoint settings are unusable.</exception>
    public static WebApplication Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, Action<WebApplicationBuilder>? configure = null) =>
        NodeHost.Build(NodeRole.Agent, args, overrides, configure);

    /// <summary>Builds and starts an agent; dispose the returned app to stop it.</summary>
    /// <exception cref="NodeStartupException">A setting is invalid, a model cannot load, or an endpoint cannot be bound.</exception>
    public static Task<WebApplication> StartAsync(AgentHostSettings settings, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return NodeHost.StartAsync(NodeRole.Agent, settings.ToConfiguration(), configure, cancellationToken);
    }

    /// <summary>Configuration keys (Agent:Peers:NAME = URL[;...]) for --peer style specifications.</summary>
    /// <exception cref="NodeStartupException">A specification is not NAME=URL[;rtt=..][;bw=..].</exception>
    public static IEnumerable<KeyValuePair<string, string?>> PeerKeys(IEnumerable<string> specs)
    {
        ArgumentNullException.ThrowIfNull(specs);
        var keys = new List<KeyValuePair<string, string?>>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var spec in specs)
        {
            if (!PeerEndpoint.TryParse(spec, out var endpoint, out var error))
            {
                throw new NodeStartupException($"Agent:Peers (--peer): {error}.");
            }

            if (!names.Add(endpoint.Name))
            {
                throw new NodeStartupException($"Agent:Peers (--peer): peer name '{endpoint.Name}' is given twice.");
            }

            keys.Add(new($"{AgentOptions.Section}:Peers:{endpoint.Name}", endpoint.ValueText));
        }

        return keys;
    }
}
