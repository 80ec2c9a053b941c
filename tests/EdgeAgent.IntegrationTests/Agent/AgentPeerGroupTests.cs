using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using Grpc.Core;
using Grpc.Net.Client.Balancer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>
/// A peer group (issue 17): four real peers on 127.0.0.2-5 behind one dns:/// name, balanced by
/// Grpc.Net.Client's round_robin; the name resolves through a "dns" resolver factory registered in
/// the agent (the seam grpc-dotnet gives for this; production uses its DNS resolver).
/// </summary>
public sealed class AgentPeerGroupTests(ITestOutputHelper output)
{
    private const string Group = "grp=dns:///localhost:7999";

    [Fact]
    public async Task Group_FourMembers_SpreadsEvenlyAndStatusShowsMembers()
    {
        await using var cluster = new AgentCluster();
        var members = await StartMembersAsync(cluster, 4);
        var agent = await StartAgentAsync(cluster, members);
        using var channel = cluster.Channel(agent);
        var status = await WaitForMembersAsync(channel, 4);
        Assert.Equal(4, status.Peers.Single().Members.Count);
        var text = EdgeAgent.Node.Control.AgentStatusText.Format(status);
        output.WriteLine(text);
        Assert.Contains("group of 4, 4 connected", text, StringComparison.Ordinal);

        // Until every member has answered once, the balancer may still be connecting to one of them.
        var deadline = DateTime.UtcNow + AgentCluster.Bound;
        while (members.Any(m => Completed(m) == 0) && DateTime.UtcNow < deadline)
        {
            AgentCluster.AssertAddNegOutputs(await AgentCluster.InferAsync(channel));
        }

        var before = members.Select(Completed).ToArray();
        var placements = await LoadAsync(channel, requests: 400, concurrency: 8);

        Assert.All(placements, p => Assert.Equal("peer:grp", p));
        var counts = members.Select((m, i) => Completed(m) - before[i]).ToArray();
        output.WriteLine("per member " + string.Join("/", counts));
        var mean = counts.Average();
        Assert.Equal(400, counts.Sum());
        Assert.All(counts, c => Assert.InRange(c, mean * 0.9, mean * 1.1));
    }

    [Fact]
    public async Task Group_MemberKilledUnderLoad_NoRequestLostAndMemberReadmitted()
    {
        await using var cluster = new AgentCluster();
        var members = await StartMembersAsync(cluster, 4);
        var agent = await StartAgentAsync(cluster, members);
        using var channel = cluster.Channel(agent);
        await WaitForMembersAsync(channel, 4);
        var victim = members[0];
        var victimAddress = victim.GetTcpAddress();

        // Load from 8 callers; member 0 is killed (connections aborted) while requests are in flight.
        using var stop = new CancellationTokenSource();
        var done = 0;
        var load = LoadUntilAsync(channel, concurrency: 8, () => Interlocked.Increment(ref done), stop.Token);
        await AgentCluster.WaitUntilAsync(() => Volatile.Read(ref done) >= 200, "200 requests are answered");
        await cluster.StopAsync(victim, abort: true);
        var killedAt = Volatile.Read(ref done);
        await AgentCluster.WaitUntilAsync(() => Volatile.Read(ref done) >= killedAt + 300, "300 more requests are answered");
        var ejected = await AgentCluster.WaitForStatusAsync(channel, s => s.Peers[0].Members.Count(m => m.Connected) == 3, "the killed member is unavailable");
        output.WriteLine(EdgeAgent.Node.Control.AgentStatusText.Format(ejected));
        Assert.True(ejected.Peers[0].Connected);

        // Re-admission: a peer comes back on the same address; the group sends it work again.
        var revived = await cluster.StartPeerAsync("revived", $"{victimAddress.Host}:{victimAddress.Port}");
        await WaitForMembersAsync(channel, 4);
        var revivedBefore = Completed(revived);
        var afterRevival = Volatile.Read(ref done);
        await AgentCluster.WaitUntilAsync(() => Completed(revived) - revivedBefore >= 20, "the revived member serves requests");
        await AgentCluster.WaitUntilAsync(() => Volatile.Read(ref done) >= afterRevival + 100, "100 more requests are answered");
        await stop.CancelAsync();
        var outcomes = await load;

        output.WriteLine($"answered {outcomes.Answered}, failed {outcomes.Failed.Count}, fallbacks {outcomes.Fallbacks}, on the group {outcomes.OnGroup}");
        Assert.Empty(outcomes.Failed);
        Assert.Equal(outcomes.Answered, outcomes.OnGroup + outcomes.Fallbacks);
        Assert.True(outcomes.OnGroup > outcomes.Fallbacks * 10, $"most requests ran on the group ({outcomes.OnGroup} on the group, {outcomes.Fallbacks} fell back)");
    }

    [Fact]
    public async Task Group_NameResolvesToNothing_StatusSaysWhyAndRequestsRunLocally()
    {
        await using var cluster = new AgentCluster();
        var agent = await StartAgentAsync(cluster, []);
        using var channel = cluster.Channel(agent);
        var status = await AgentCluster.WaitForStatusAsync(channel, s => s.Peers[0].Resolution.Length > 0, "the group reports it has no members");
        var text = EdgeAgent.Node.Control.AgentStatusText.Format(status);
        output.WriteLine(text);
        Assert.False(status.Peers[0].Connected);
        Assert.Contains("no members: it resolved to no address", text, StringComparison.Ordinal);

        var response = await AgentCluster.InferAsync(channel);
        AgentCluster.AssertAddNegOutputs(response);
        Assert.StartsWith("local", AgentCluster.Placement(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Group_NameDoesNotResolve_StatusSaysWhyAndRequestsRunLocally()
    {
        // Grpc.Net.Client's own DNS resolver on a name that cannot exist (RFC 6761 .invalid).
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("peer", "grp=dns:///edgeagent-test.invalid:8001") with
        {
            Extra = AgentCluster.FastAgentSettings(("Security:Insecure", "true")),
        };
        var agent = await cluster.StartAgentAsync(settings);
        using var channel = cluster.Channel(agent);

        var status = await AgentCluster.WaitForStatusAsync(channel, s => s.Peers[0].Resolution.Length > 0, "the group reports it has no members");
        output.WriteLine(EdgeAgent.Node.Control.AgentStatusText.Format(status));
        Assert.False(status.Peers[0].Connected);
        Assert.Empty(status.Peers[0].Members);

        var response = await AgentCluster.InferAsync(channel);
        AgentCluster.AssertAddNegOutputs(response);
        Assert.StartsWith("local", AgentCluster.Placement(response), StringComparison.Ordinal);
    }

    private static async Task<List<WebApplication>> StartMembersAsync(AgentCluster cluster, int count)
    {
        var members = new List<WebApplication>();
        for (var i = 0; i < count; i++)
        {
            members.Add(await cluster.StartPeerAsync($"member-{i}", $"127.0.0.{i + 2}:0"));
        }

        return members;
    }

    private static Task<WebApplication> StartAgentAsync(AgentCluster cluster, IReadOnlyList<WebApplication> members)
    {
        var addresses = members.Select(m => m.GetTcpAddress()).Select(a => new BalancerAddress(a.Host, a.Port)).ToArray();
        var settings = cluster.AgentSettings("peer", Group) with
        {
            Extra = AgentCluster.FastAgentSettings(("Agent:PeerBreakDuration", "00:00:00.200")),
        };
        return cluster.StartAgentAsync(settings, b => b.Services.AddSingleton<ResolverFactory>(new LoopbackGroupResolverFactory(addresses)));
    }

    private static Task<AgentStatus> WaitForMembersAsync(Grpc.Net.Client.GrpcChannel channel, int connected) =>
        AgentCluster.WaitForStatusAsync(channel, s => s.Peers.Count == 1 && s.Peers[0].Connected && s.Peers[0].Members.Count(m => m.Connected) == connected, $"{connected} members are connected");

    private static long Completed(WebApplication peer) =>
        peer.Services.GetRequiredService<LocalExecutor>().GetLoadSnapshot().Models.Where(m => m.Name == "add_neg").Sum(m => m.Completed);

    private static async Task<List<string>> LoadAsync(Grpc.Net.Client.GrpcChannel channel, int requests, int concurrency)
    {
        var placements = new List<string>();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) <= requests)
            {
                var response = await AgentCluster.InferAsync(channel);
                AgentCluster.AssertAddNegOutputs(response);
                lock (placements)
                {
                    placements.Add(AgentCluster.Placement(response));
                }
            }
        })));
        return placements;
    }

    private sealed record Outcomes(long Answered, long OnGroup, long Fallbacks, List<string> Failed);

    private static async Task<Outcomes> LoadUntilAsync(Grpc.Net.Client.GrpcChannel channel, int concurrency, Action answered, CancellationToken stop)
    {
        long onGroup = 0, fallbacks = 0, total = 0;
        var failed = new List<string>();
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    // No caller cancellation: every request sent is waited for, so none is dropped unseen.
                    var response = await client.ModelInferAsync(AgentCluster.AddNegRequest(), deadline: DateTime.UtcNow + AgentCluster.Bound).ResponseAsync;
                    AgentCluster.AssertAddNegOutputs(response);
                    Interlocked.Increment(ref total);
                    if (AgentCluster.Placement(response) == "peer:grp")
                    {
                        Interlocked.Increment(ref onGroup);
                    }
                    else if (response.Parameters.ContainsKey(ResponseParameters.FallbackFrom))
                    {
                        Interlocked.Increment(ref fallbacks);
                    }

                    answered();
                }
                catch (RpcException ex)
                {
                    lock (failed)
                    {
                        failed.Add(ex.Status.ToString());
                    }
                }
            }
        })));
        return new Outcomes(total, onGroup, fallbacks, failed);
    }

    /// <summary>The "dns" scheme answered with fixed loopback members, through grpc-dotnet's static resolver.</summary>
    private sealed class LoopbackGroupResolverFactory(IReadOnlyList<BalancerAddress> addresses) : ResolverFactory
    {
        public override string Name => "dns";

        public override Resolver Create(ResolverOptions options) => new StaticResolverFactory(_ => addresses).Create(options);
    }
}
