using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>An agent on 127.0.0.1 serving real requests locally and through a peer writes one durable row per request.</summary>
public sealed class AgentDecisionLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-dlog-it-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("local", "local")]
    [InlineData("peer", "peer:cloud")]
    public async Task Agent_ServesRequests_DatabaseHoldsOneRowPerRequest(string policy, string placement)
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var settings = cluster.AgentSettings(policy, $"cloud={peer.GetTcpAddress()}") with { DecisionLogPath = _dir };
        var agent = await cluster.StartAgentAsync(settings);
        var channel = cluster.Channel(agent);
        if (policy == "peer")
        {
            await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        }

        const int requests = 25;
        for (var i = 0; i < requests; i++)
        {
            var response = await AgentCluster.InferAsync(channel, AgentCluster.AddNegRequest(rows: 1 + (i % 3)));
            AgentCluster.AssertAddNegOutputs(response, rows: 1 + (i % 3));
            Assert.Equal(placement, AgentCluster.Placement(response));
        }

        var durable = agent.Services.GetRequiredService<DurableDecisionLog>();
        // The writer opens the database off the request path; on a loaded machine the requests can
        // finish before it has (their records wait in the queue).
        for (var waited = 0; durable.State == DurableDecisionLogState.Starting && waited < 300; waited++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(DurableDecisionLogState.Writing, durable.State);
        await cluster.StopAsync(agent);

        using var db = DecisionDatabase.OpenForReading(Path.Combine(_dir, DecisionLogOptions.FileName));
        var rows = db.Read().ToArray();
        Assert.Equal(requests, rows.Length);
        Assert.Equal((requests, 0L), (durable.Written, durable.Dropped));
        Assert.All(rows, r =>
        {
            Assert.Equal("add_neg", r.Model);
            Assert.Equal(placement, r.RanAt);
            Assert.Equal(placement, r.Decided);
            Assert.Equal(("ok", 0), (r.Outcome, r.StatusCode));
            Assert.True(r.DelaySeconds > 0);
            Assert.Contains("peer:cloud", r.Candidates);
            Assert.Equal(LearnedPolicy.AgentLayout.MaxServers, r.MaxServers);
            Assert.Equal(1f, r.Mask[0]);
        });
        Assert.Equal(3, rows.Select(r => r.InputBytes).Distinct().Count());
        if (policy == "peer")
        {
            Assert.All(rows, r => Assert.True(r.TransferSeconds > 0 && r.RadioJoules > 0, $"transfer {r.TransferSeconds} s, radio {r.RadioJoules} J"));
        }
        else
        {
            Assert.All(rows, r => Assert.Equal(0, r.TransferSeconds));
        }
    }

    [Fact]
    public async Task Agent_DecisionLogDirectoryUnusable_StillServes()
    {
        await using var cluster = new AgentCluster();
        var blocker = Path.Combine(_dir, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "x");
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local") with { DecisionLogPath = Path.Combine(blocker, "decisions.db") });
        var channel = cluster.Channel(agent);
        var durable = agent.Services.GetRequiredService<DurableDecisionLog>();
        await AgentCluster.WaitUntilAsync(() => durable.State == DurableDecisionLogState.Stopped, "the decision log stops");

        for (var i = 0; i < 5; i++)
        {
            AgentCluster.AssertAddNegOutputs(await AgentCluster.InferAsync(channel));
        }

        Assert.Equal(5, durable.Dropped);
        Assert.Contains("cannot create its directory", durable.Problem, StringComparison.Ordinal);
    }
}
