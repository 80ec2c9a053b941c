using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>The agent's endpoints and operator surface: Unix socket, ControlService, CLI, start-up errors.</summary>
public sealed class AgentEndpointTests
{
    [Fact]
    public async Task ModelInfer_OverUnixSocket_RunsLocally()
    {
        await using var cluster = new AgentCluster();
        var socket = Path.Combine(cluster.Repository.Root, "agent.sock");
        await cluster.StartAgentAsync(cluster.AgentSettings("local") with { Socket = socket });
        var channel = cluster.Channel("unix:" + socket);

        var live = await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ServerLiveAsync(new ServerLiveRequest()).ResponseAsync.WaitAsync(AgentCluster.Bound);
        var response = await AgentCluster.InferAsync(channel);

        Assert.True(live.Live);
        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("local", AgentCluster.Placement(response));
    }

    [Fact]
    public async Task SetPreference_ValidWeight_ChangesStatus()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("heuristic") with { Preference = 0.3 });
        var control = new ControlService.ControlServiceClient(cluster.Channel(agent));
        Assert.Equal(0.3, (await control.GetStatusAsync(new GetStatusRequest()).ResponseAsync.WaitAsync(AgentCluster.Bound)).DelayWeight);

        var status = await control.SetPreferenceAsync(new SetPreferenceRequest { DelayWeight = 0.8 }).ResponseAsync.WaitAsync(AgentCluster.Bound);

        Assert.Equal(0.8, status.DelayWeight);
        Assert.Equal(0.8, (await control.GetStatusAsync(new GetStatusRequest()).ResponseAsync.WaitAsync(AgentCluster.Bound)).DelayWeight);
    }

    [Fact]
    public async Task StartAsync_PreferenceHolderRegisteredElsewhere_StartsAtConfiguredPreference()
    {
        await using var cluster = new AgentCluster();
        var holder = new OperatorPreference(Preference.Balanced);
        var agent = await cluster.StartAgentAsync(
            cluster.AgentSettings("heuristic") with { Preference = 0.9 },
            b => b.Services.AddSingleton(holder));
        var control = new ControlService.ControlServiceClient(cluster.Channel(agent));

        var status = await control.GetStatusAsync(new GetStatusRequest()).ResponseAsync.WaitAsync(AgentCluster.Bound);
        holder.Set(new Preference(0.2), "gpio");
        var afterPanel = await control.GetStatusAsync(new GetStatusRequest()).ResponseAsync.WaitAsync(AgentCluster.Bound);

        Assert.Same(holder, agent.Services.GetRequiredService<OperatorPreference>());
        Assert.Equal(0.9, status.DelayWeight);
        Assert.Equal(0.2, afterPanel.DelayWeight);
    }

    [Fact]
    public async Task SetPreference_OutOfRange_InvalidArgumentNamingField()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("heuristic"));
        var control = new ControlService.ControlServiceClient(cluster.Channel(agent));

        var ex = await Assert.ThrowsAsync<RpcException>(() => control.SetPreferenceAsync(new SetPreferenceRequest { DelayWeight = 1.5 }).ResponseAsync.WaitAsync(AgentCluster.Bound));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("delay_weight", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PrefAndStatusCommands_AgainstRunningAgent_PrintStatus()
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));
        var url = agent.GetTcpAddress().ToString();

        var (setCode, setOut, _) = await InProcessCli.RunAsync("pref", "set", "0.8", "--agent", url, "--token-file", cluster.TokenFile);
        var (statusCode, statusOut, _) = await InProcessCli.RunAsync("status", "--agent", url, "--token-file", cluster.TokenFile);
        var (badCode, _, badErr) = await InProcessCli.RunAsync("pref", "set", "2", "--agent", url, "--token-file", cluster.TokenFile);

        Assert.Equal(0, setCode);
        Assert.Contains("w_delay=0.8", setOut, StringComparison.Ordinal);
        Assert.Equal(0, statusCode);
        Assert.Contains("policy      local", statusOut, StringComparison.Ordinal);
        Assert.Contains("w_delay=0.8", statusOut, StringComparison.Ordinal);
        Assert.Equal(2, badCode);
        Assert.Contains("delay-weight is 2", badErr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Agent:Peers:cloud", "ftp://127.0.0.1:1", "Agent:Peers:cloud (--peer): peer 'cloud' has URL 'ftp://127.0.0.1:1'")]
    [InlineData("Agent:Policy", "random", "Agent:Policy (--policy) is 'random'")]
    [InlineData("Agent:Preference", "1.5", "Agent:Preference (--preference) is 1.5")]
    [InlineData("Agent:OffloadTimeout", "00:00:00", "Agent:OffloadTimeout must be a positive duration")]
    public async Task StartAsync_BadSetting_OneMessageNamingIt(string key, string value, string expected)
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("heuristic") with { Policy = null, Extra = new Dictionary<string, string?> { [key] = value } };

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(settings));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_MalformedPeerFlag_NamesFlag()
    {
        await using var cluster = new AgentCluster();
        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(cluster.AgentSettings("peer", "http://127.0.0.1:5001")));
        Assert.Contains("Agent:Peers (--peer): 'http://127.0.0.1:5001' is not NAME=URL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_SocketFolderMissing_NamesSocketSetting()
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local") with { Socket = Path.Combine(cluster.Repository.Root, "missing", "agent.sock") };
        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(settings));
        Assert.Contains("Endpoint:Socket (--socket)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PortInUse_NamesListenSetting()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var settings = cluster.AgentSettings("local") with { Listen = $"127.0.0.1:{peer.GetTcpAddress().Port}" };
        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(settings));
        Assert.Contains("Endpoint:Listen (--listen)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentCommand_BadPreferenceFlag_ExitsWithMessage()
    {
        await using var cluster = new AgentCluster();
        var (code, _, error) = await InProcessCli.RunAsync("agent", "--listen", "127.0.0.1:0", "--models", cluster.Repository.Root, "--preference", "7");
        Assert.Equal(2, code);
        Assert.Contains("Agent:Preference (--preference) is 7", error, StringComparison.Ordinal);
    }
}
