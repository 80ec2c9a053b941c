using EdgeAgent.Contracts.V1;
using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>
/// The learned policy in a real agent on loopback: policy files in the agent layout (a linear
/// cost policy whose choice follows the encoded delay and energy estimates, and fixed preferences),
/// real peers behind emulated links, the operator's preference moved at run time.
/// </summary>
public sealed class AgentLearnedPolicyTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-learned-it-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Chooses the least w_delay * log10(delay estimate) + w_energy * log10(energy estimate).</summary>
    private string CostPolicy() => PolicyFiles.LinearCost(Path.Combine(_dir, "cost.onnx"), FeatureLayout.Agent(),
        new Dictionary<FeatureKind, float> { [FeatureKind.DelayEstimateLog] = 1 },
        new Dictionary<FeatureKind, float> { [FeatureKind.EnergyLog] = 1 });

    private static AgentHostSettings Learned(AgentCluster cluster, string policyFile, double preference, params string[] peers) =>
        cluster.AgentSettings("learned", peers) with
        {
            Preference = preference,
            Extra = AgentCluster.FastAgentSettings(("Agent:PolicyFile", policyFile), ("Agent:PolicyReloadInterval", "00:00:00.100")),
        };

    [Fact]
    public async Task ModelInfer_PreferenceFromEnergyEndToDelayEnd_PlacementsFollowTheMeasuredCosts()
    {
        // The peer sits behind a 500 ms link: far slower than the board for this tiny model. The power
        // table makes computing cost far more than sending a few hundred bytes (2000 W above idle
        // against a 2 W radio), so offloading is the cheaper choice in this device's energy.
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("far");
        var settings = Learned(cluster, CostPolicy(), preference: 0.0, $"far={peer.GetTcpAddress()};rtt=500ms;bw=100mbit");
        var agent = await cluster.StartAgentAsync(settings with
        {
            Extra = new Dictionary<string, string?>(settings.Extra) { ["Agent:Energy:IdleWatts"] = "5", ["Agent:Energy:BusyWatts"] = "2005" },
        });
        var channel = cluster.Channel(agent);
        var control = new ControlService.ControlServiceClient(channel);
        await AgentCluster.WaitForStatusAsync(channel, s => s.Peers.Single().Connected && s.Peers.Single().RttMs > 400, "the peer is connected and its RTT measured");

        // Energy end: every request offloaded once the peer has reported its execution time.
        var energyEnd = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            energyEnd.Add(AgentCluster.Placement(await AgentCluster.InferAsync(channel)));
        }

        // Delay end: the board, once it has measured its own execution time.
        await control.SetPreferenceAsync(new SetPreferenceRequest { DelayWeight = 1.0 }).ResponseAsync.WaitAsync(AgentCluster.Bound);
        var delayEnd = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            delayEnd.Add(AgentCluster.Placement(await AgentCluster.InferAsync(channel)));
        }

        output.WriteLine($"w_delay 0: {string.Join(' ', energyEnd)}; w_delay 1: {string.Join(' ', delayEnd)}");
        foreach (var record in agent.Services.GetRequiredService<DecisionLog>().Snapshot())
        {
            output.WriteLine($"w_delay {record.Preference.DelayWeight}: {record.Decided}, {record.DelaySeconds * 1000:0.0} ms, {record.Energy.DeviceJoules:0.000000} J; seen: "
                + string.Join(", ", record.Observation.Servers.Select(s => $"{s.Placement} exec {s.ExpectedExecSeconds * 1000:0.00} ms rtt {s.RoundTripSeconds * 1000:0} ms energy {s.EstimatedEnergyJoules:0.000000} J")));
        }

        Assert.All(energyEnd.Skip(1), p => Assert.Equal("peer:far", p));
        Assert.All(delayEnd.Skip(1), p => Assert.Equal("local", p));

        // The measured costs agree with the moves: the peer took longer, the board spent more energy.
        var records = agent.Services.GetRequiredService<DecisionLog>().Snapshot().Where(r => r.Success).ToArray();
        var offloaded = records.Where(r => !r.RanAt.IsLocal).ToArray();
        var local = records.Where(r => r.RanAt.IsLocal).ToArray();
        Assert.NotEmpty(offloaded);
        Assert.NotEmpty(local);
        // Medians, not means: on a loaded machine one offload stalled in the agent for 0.7 s, which
        // the agent accounts as radio time (1.48 J against 0.00004 J for the others) and which alone
        // put the offloads' mean energy above the board's.
        Assert.True(Median(offloaded, r => r.DelaySeconds) > Median(local, r => r.DelaySeconds),
            $"measured delay (median): offloaded {Median(offloaded, r => r.DelaySeconds):0.0000} s, local {Median(local, r => r.DelaySeconds):0.0000} s");
        Assert.True(Median(local, r => r.Energy.DeviceJoules) > Median(offloaded, r => r.Energy.DeviceJoules),
            $"device energy (median): local {Median(local, r => r.Energy.DeviceJoules):0.000000} J, offloaded {Median(offloaded, r => r.Energy.DeviceJoules):0.000000} J");
    }

    private static double Median(IReadOnlyCollection<DecisionRecord> records, Func<DecisionRecord, double> value)
    {
        var sorted = records.Select(value).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    [Fact]
    public async Task StartAsync_NoPolicyConfigured_RunsTheShippedAgentPolicy()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("heuristic") with { Policy = null });
        var channel = cluster.Channel(agent);

        var status = await AgentCluster.WaitForStatusAsync(channel, _ => true, "the agent answers");
        AgentCluster.AssertAddNegOutputs(await AgentCluster.InferAsync(channel));

        Assert.Equal("learned", status.Policy);
        Assert.Equal(AgentOptions.DefaultPolicyFile, status.PolicyFile);
        Assert.Equal("agent", status.PolicyProfile);
    }

    [Fact]
    public async Task ModelInfer_EveryPeerUnreachable_LearnedPolicyPlacesLocally()
    {
        await using var cluster = new AgentCluster();
        var policy = PolicyFiles.PreferPeer(Path.Combine(_dir, "peer.onnx"), FeatureLayout.Agent());
        var agent = await cluster.StartAgentAsync(Learned(cluster, policy, preference: 0.0, "edge=http://127.0.0.1:1", "cloud=http://127.0.0.1:2;kind=cloud"));
        var channel = cluster.Channel(agent);

        for (var i = 0; i < 3; i++)
        {
            var response = await AgentCluster.InferAsync(channel);
            AgentCluster.AssertAddNegOutputs(response);
            Assert.Equal("local", AgentCluster.Placement(response));
            Assert.False(response.Parameters.ContainsKey(ResponseParameters.FallbackFrom));
        }
    }

    [Fact]
    public async Task PolicyFile_ReplacedWhileServing_ReloadedAndStatusNamesIt()
    {
        await using var cluster = new AgentCluster();
        var file = Path.Combine(_dir, "agent.onnx");
        PolicyFiles.PreferPeer(file, FeatureLayout.Agent());
        var peer = await cluster.StartPeerAsync("edge");
        var agent = await cluster.StartAgentAsync(Learned(cluster, file, preference: 0.5, $"edge={peer.GetTcpAddress()}"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "edge", connected: true);
        Assert.Equal("peer:edge", AgentCluster.Placement(await AgentCluster.InferAsync(channel)));

        var (code, statusText, _) = await InProcessCli.RunAsync("status", "--agent", agent.GetTcpAddress().ToString(), "--token-file", cluster.TokenFile);
        Assert.Equal(0, code);
        Assert.Contains("policy      learned", statusText, StringComparison.Ordinal);
        Assert.Contains($"policy file {file} (trained on profile agent, reloaded 0 times)", statusText, StringComparison.Ordinal);

        // A broken file keeps the running policy; a good one replaces it.
        var before = File.GetLastWriteTimeUtc(file);
        await File.WriteAllTextAsync(file + ".tmp", "not onnx");
        File.Move(file + ".tmp", file, overwrite: true);
        await Task.Delay(TimeSpan.FromMilliseconds(400));
        Assert.Equal("peer:edge", AgentCluster.Placement(await AgentCluster.InferAsync(channel)));
        PolicyFiles.PreferLocal(file + ".new", FeatureLayout.Agent());
        File.Move(file + ".new", file, overwrite: true);
        File.SetLastWriteTimeUtc(file, before.AddSeconds(5));
        var status = await AgentCluster.WaitForStatusAsync(channel, s => s.PolicyReloads == 1, "the new policy file is loaded");

        Assert.Equal("learned", status.Policy);
        Assert.Equal("agent", status.PolicyProfile);
        Assert.Equal("local", AgentCluster.Placement(await AgentCluster.InferAsync(channel)));
    }

    [Fact]
    public async Task StartAsync_PolicyFileOfAnotherLayout_OneLineNamingFileAndFeature()
    {
        await using var cluster = new AgentCluster();
        var file = PolicyFiles.Untrained(Path.Combine(_dir, "gmorl.onnx"), FeatureLayout.Gmorl());

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(Learned(cluster, file, 0.5)));

        Assert.StartsWith($"Agent:PolicyFile (--policy-file): Policy file '{file}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("policy expects feature 'compute_speed[GHz]' at column 1; this agent produces 'is_local[1]'", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public async Task AgentCommand_LearnedWithMissingPolicyFile_ExitsTwoWithOneLine()
    {
        await using var cluster = new AgentCluster();
        var missing = Path.Combine(_dir, "absent.onnx");

        var (code, _, error) = await InProcessCli.RunAsync("agent", "--listen", "127.0.0.1:0", "--models", cluster.Repository.Root, "--policy", "learned", "--policy-file", missing);

        Assert.Equal(2, code);
        Assert.Equal($"edgeagent: Agent:PolicyFile (--policy-file): Policy file '{missing}' does not exist.", error.Trim());
    }
}
