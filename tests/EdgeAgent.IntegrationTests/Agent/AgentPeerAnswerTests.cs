using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>
/// A peer's error answer is either the caller's error (answered as is, no second run locally) or
/// about that peer (its load, its limits: the request runs locally). docs/architecture.md, "Peer answers".
/// </summary>
public sealed class AgentPeerAnswerTests
{
    [Fact]
    public async Task ModelInfer_PeerRefusesContentAsInvalid_CallerGetsInvalidArgumentAndNothingRunsLocally()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge");
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"edge={peer.GetTcpAddress()}"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "edge", connected: true);
        // a [2, 4] and b [3, 4] pass validation (N is free in both) but the model refuses to add them.
        var request = AgentCluster.AddNegRequest(rows: 2);
        request.Inputs[1].Shape[0] = 3;
        request.RawInputContents[1] = Google.Protobuf.ByteString.CopyFrom(new byte[3 * 4 * 4]);

        var error = await Assert.ThrowsAsync<RpcException>(() => AgentCluster.InferAsync(channel, request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.StartsWith("Peer 'edge' refused the request: ", error.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("rejected the inputs", error.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Status.Detail);
        // The agent did not run it a second time, and the peer still gets work afterwards.
        Assert.Empty(agent.Services.GetRequiredService<LocalExecutor>().GetLoadSnapshot().Models);
        var next = await AgentCluster.InferAsync(channel);
        Assert.Equal("peer:edge", AgentCluster.Placement(next));
        AgentCluster.AssertAddNegOutputs(next);
    }

    [Theory]
    [InlineData("Serving:MaxParameters", "1")]
    [InlineData("Serving:MaxRequestBytes", "1024")]
    public async Task ModelInfer_PeerRefusesOverItsOwnLimit_RunsLocally(string setting, string value)
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge", extra: new Dictionary<string, string?> { [setting] = value });
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"edge={peer.GetTcpAddress()}"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "edge", connected: true);
        // Two parameters and 1,280 bytes of tensor data: within the agent's limits, over the peer's.
        var request = AgentCluster.AddNegRequest(rows: 40);
        request.Parameters["trace"] = new InferParameter { StringParam = "t" };
        request.Parameters["tenant"] = new InferParameter { StringParam = "a" };

        var response = await AgentCluster.InferAsync(channel, request);

        AgentCluster.AssertAddNegOutputs(response, rows: 40);
        Assert.Equal("local", AgentCluster.Placement(response));
        Assert.Equal("edge", response.Parameters[ResponseParameters.FallbackFrom].StringParam);
    }
}
