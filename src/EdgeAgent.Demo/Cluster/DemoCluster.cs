using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Demo.Cluster;

/// <summary>
/// One agent and two peers ("edge", "cloud") in this process on loopback, each with its
/// emulated profile, all serving the same model repository.
/// </summary>
public sealed class DemoCluster : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];

    private DemoCluster()
    {
    }

    /// <summary>The agent's address.</summary>
    public Uri AgentAddress { get; private set; } = null!;

    /// <summary>The agent's services (decision log, energy estimator).</summary>
    public IServiceProvider AgentServices { get; private set; } = null!;

    /// <summary>The agents, one per policy, in the order given to <see cref="StartAsync(string, IReadOnlyList{string}, double, IReadOnlyList{DemoProfile}, CancellationToken, string?, string?, IReadOnlyDictionary{string, Uri}?, EmulationClock)"/>.</summary>
    public IReadOnlyList<DemoAgent> Agents { get; private set; } = [];

    /// <summary>The agent running <paramref name="policy"/>.</summary>
    public DemoAgent Agent(string policy) =>
        Agents.FirstOrDefault(a => a.Policy == policy) ?? throw new ArgumentException($"The demo cluster runs no agent with policy '{policy}'.", nameof(policy));

    /// <summary>Peer name to address.</summary>
    public IReadOnlyDictionary<string, Uri> Peers { get; private set; } = new Dictionary<string, Uri>();

    /// <summary>Starts the peers, then the agent pointed at them.</summary>
    /// <param name="modelsPath">Model repository served by every node.</param>
    /// <param name="policy">Agent policy: learned, heuristic, local or peer.</param>
    /// <param name="preference">Delay weight in [0, 1].</param>
    /// <param name="peerProfiles">The peers to start.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <param name="policyFile">The learned policy's file (null: the agent's default).</param>
    /// <param name="decisionLogPath">The agent's durable decision log (file or directory); null: off.</param>
    /// <param name="externalPeers">Peers already running elsewhere (name to URL: behind real links, see NetworkNamespacePeer); their bandwidth is the real link's, only the round trip is emulated.</param>
    public static Task<DemoCluster> StartAsync(string modelsPath, string policy, double preference, IReadOnlyList<DemoProfile> peerProfiles, CancellationToken cancellationToken, string? policyFile = null, string? decisionLogPath = null, IReadOnlyDictionary<string, Uri>? externalPeers = null) =>
        StartAsync(modelsPath, [policy], preference, peerProfiles, cancellationToken, policyFile, decisionLogPath, externalPeers, EmulationClock.Wall);

    /// <summary>
    /// Starts the peers, then one agent per policy in <paramref name="policies"/>, every agent
    /// pointed at the same peers (a comparison runs one agent at a time, so each policy keeps its
    /// own warm agent across runs instead of a cold cluster per run). With several agents and a
    /// decision log, each agent logs under <c>decisionLogPath/POLICY</c>.
    /// </summary>
    /// <param name="modelsPath">Model repository served by every node.</param>
    /// <param name="policies">One agent per policy (learned, heuristic, local or peer; distinct).</param>
    /// <param name="preference">Initial delay weight in [0, 1].</param>
    /// <param name="peerProfiles">The peers to start.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <param name="policyFile">The learned policy's file (null: the agent's default).</param>
    /// <param name="decisionLogPath">The agents' durable decision log (file or directory); null: off.</param>
    /// <param name="externalPeers">Peers already running elsewhere (name to URL).</param>
    /// <param name="emulationClock">What the emulated nodes' speed factors stretch (ExecutionOptions.SpeedFactorClock): the wall time (the default: the nodes share this machine's cores) or each node's thread CPU time (a CPU of its own).</param>
    public static async Task<DemoCluster> StartAsync(string modelsPath, IReadOnlyList<string> policies, double preference, IReadOnlyList<DemoProfile> peerProfiles, CancellationToken cancellationToken, string? policyFile = null, string? decisionLogPath = null, IReadOnlyDictionary<string, Uri>? externalPeers = null, EmulationClock emulationClock = EmulationClock.Wall)
    {
        ArgumentNullException.ThrowIfNull(peerProfiles);
        ArgumentNullException.ThrowIfNull(policies);
        if (policies.Count == 0 || policies.Distinct(StringComparer.Ordinal).Count() != policies.Count)
        {
            throw new ArgumentException("The demo cluster needs at least one policy, each once.", nameof(policies));
        }

        var cluster = new DemoCluster();
        try
        {
            var peers = new Dictionary<string, Uri>(StringComparer.Ordinal);
            foreach (var profile in peerProfiles)
            {
                if (externalPeers is not null && externalPeers.TryGetValue(profile.Name, out var external))
                {
                    peers[profile.Name] = external;
                    continue;
                }

                var peer = await PeerHost.StartAsync(
                    new PeerHostSettings
                    {
                        ModelsPath = modelsPath,
                        NodeName = profile.Name,
                        ComputeSpeedFactor = profile.ComputeSpeedFactor,
                        Extra = NodeExtras(emulationClock),
                    },
                    Quiet,
                    cancellationToken).ConfigureAwait(false);
                cluster._apps.Add(peer);
                peers[profile.Name] = peer.GetTcpAddress();
            }

            var extras = new Dictionary<string, string?>(NodeExtras(emulationClock))
            {
                ["Execution:ComputeSpeedFactor"] = DemoProfiles.Board.ComputeSpeedFactor.ToString("R", CultureInfo.InvariantCulture),
                ["Agent:LocalComputeSpeed"] = DemoProfiles.Board.ComputeSpeedFactor.ToString("R", CultureInfo.InvariantCulture),
                ["Agent:DecisionLogCapacity"] = "100000",
            };
            if (policyFile is not null)
            {
                extras["Agent:PolicyFile"] = policyFile;
            }

            if (externalPeers is { Count: > 0 })
            {
                // Plaintext to peers on the namespaces' private addresses (not loopback).
                extras["Security:Insecure"] = "true";
            }

            var agents = new List<DemoAgent>();
            foreach (var policy in policies)
            {
                var agent = await AgentHost.StartAsync(
                    new AgentHostSettings
                    {
                        ModelsPath = modelsPath,
                        NodeName = policies.Count == 1 ? "agent" : "agent-" + policy,
                        Policy = policy,
                        Preference = preference,
                        Peers = peerProfiles.Select(p => p.PeerSpec(peers[p.Name], emulateBandwidth: externalPeers is null || !externalPeers.ContainsKey(p.Name))).ToArray(),
                        DecisionLogPath = decisionLogPath is null || policies.Count == 1 ? decisionLogPath : Path.Combine(decisionLogPath, policy),
                        Extra = extras,
                    },
                    Quiet,
                    cancellationToken).ConfigureAwait(false);
                cluster._apps.Add(agent);
                agents.Add(new DemoAgent(policy, agent.GetTcpAddress(), agent.Services));
            }

            cluster.Agents = agents;
            cluster.AgentAddress = agents[0].Address;
            cluster.AgentServices = agents[0].Services;
            cluster.Peers = peers;

            // A long-running agent decides with its peers' load streams up; so does the first request of
            // a run (otherwise its first items see no peer, or not yet, depending on the machine's load).
            foreach (var agent in agents)
            {
                await WaitForPeersAsync(agent.Services, PeerWait, cancellationToken).ConfigureAwait(false);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>How long StartAsync waits for each agent to see every peer available before the workload starts anyway.</summary>
    public static TimeSpan PeerWait { get; } = TimeSpan.FromSeconds(10);

    private static async Task WaitForPeersAsync(IServiceProvider services, TimeSpan limit, CancellationToken cancellationToken)
    {
        if (services.GetService<PeerConnections>() is not { Count: > 0 } connections)
        {
            return;
        }

        for (var waited = TimeSpan.Zero; waited < limit && !connections.All(c => c.IsAvailable); waited += TimeSpan.FromMilliseconds(20))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A client channel to <paramref name="address"/> with limits wide enough for detection tensors.</summary>
    public static GrpcChannel Channel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        MaxReceiveMessageSize = 256 * 1024 * 1024,
        MaxSendMessageSize = 256 * 1024 * 1024,
    });

    /// <summary>The agent's inference client on <paramref name="channel"/>.</summary>
    public static GRPCInferenceService.GRPCInferenceServiceClient Client(GrpcChannel channel) => new(channel);

    /// <summary>This device's energy (compute plus radio) per placement actually used, from the agent's decision log.</summary>
    public IReadOnlyDictionary<string, double> EnergyByPlacement()
    {
        var log = AgentServices.GetRequiredService<DecisionLog>();
        return log.Snapshot()
            .Where(r => r.Success)
            .GroupBy(r => r.RanAt.ToString())
            .ToDictionary(g => g.Key, g => g.Sum(r => r.Energy.DeviceJoules), StringComparer.Ordinal);
    }

    /// <summary>This device's energy (compute plus radio) over every successful request, from the agent's decision log.</summary>
    public double DeviceEnergyJoules() =>
        AgentServices.GetRequiredService<DecisionLog>().Snapshot().Where(r => r.Success).Sum(r => r.Energy.DeviceJoules);

    /// <summary>Where the agent's energy figures come from: measured, modelled (and by what) or both.</summary>
    public string EnergySource()
    {
        var records = AgentServices.GetRequiredService<DecisionLog>().Snapshot().Where(r => r.Success).ToArray();
        var figures = records.SelectMany(r => new[] { r.Energy.Compute, r.Energy.Radio }).Where(f => f.Joules > 0).ToArray();
        var measured = figures.Count(f => f.Provenance == EnergyProvenance.Measured);
        var modelled = figures.Count(f => f.Provenance == EnergyProvenance.Modelled);
        var table = "";
        if (AgentServices.GetRequiredService<IEnergyEstimator>() is DeviceEnergyModel or MeasuredEnergyEstimator { Fallback: DeviceEnergyModel })
        {
            var energy = AgentServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<AgentOptions>>().Value.Energy;
            table = string.Create(CultureInfo.InvariantCulture,
                $" from the agent's device power table (busy {energy.BusyWatts:0.#} W, idle {energy.IdleWatts:0.#} W, radio {energy.RadioWatts:0.#} W)");
        }

        return (measured, modelled) switch
        {
            (0, 0) => "no energy recorded",
            (0, _) => "modelled" + table + ", not measured: no power sensor was read",
            (_, 0) => "measured by a power sensor on this machine",
            _ => string.Create(CultureInfo.InvariantCulture, $"mixed: {measured} figures measured, {modelled} modelled{table}"),
        };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        // Agent first, so it does not see its peers vanish mid-request.
        for (var i = _apps.Count - 1; i >= 0; i--)
        {
            await _apps[i].StopAsync().ConfigureAwait(false);
            await _apps[i].DisposeAsync().ConfigureAwait(false);
        }

        _apps.Clear();
    }

    // Three executors share this machine's cores: one ONNX Runtime thread each keeps them from fighting.
    // The clock says what a node's speed factor stretches (ExecutionOptions.SpeedFactorClock): the wall
    // time, or the run's thread CPU time (a device with a CPU of its own, not slowed by the others).
    private static Dictionary<string, string?> NodeExtras(EmulationClock clock) => new()
    {
        ["Execution:IntraOpThreads"] = "1",
        ["Execution:InterOpThreads"] = "1",
        ["Execution:SpeedFactorClock"] = clock.ToString(),
    };

    private static void Quiet(WebApplicationBuilder builder)
    {
        // The demo draws a live table on the console; node logs would tear it.
        builder.Logging.ClearProviders();
    }
}

/// <summary>One agent of a <see cref="DemoCluster"/>.</summary>
/// <param name="Policy">The agent's policy.</param>
/// <param name="Address">Its gRPC address.</param>
/// <param name="Services">Its services (decision log, preference, energy estimator).</param>
public sealed record DemoAgent(string Policy, Uri Address, IServiceProvider Services)
{
    /// <summary>The agent's in-memory decision log.</summary>
    public DecisionLog Log => Services.GetRequiredService<DecisionLog>();

    /// <summary>Moves the running agent to delay weight <paramref name="delayWeight"/> (as `pref set` does).</summary>
    public void SetPreference(double delayWeight) =>
        Services.GetRequiredService<OperatorPreference>().Set(new Preference(delayWeight), "demo");
}
