using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using EdgeAgent.TestModels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Primitives;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>A running agent and its appsettings.json edited in place: what applies, what is refused.</summary>
public sealed class AgentConfigurationReloadTests
{
    [Fact]
    public async Task AppSettingsEdited_AgentWithoutPeers_FollowsThePreferenceAndKeepsItWhenAnEditIsBroken()
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        var settingsPath = Path.Combine(repo.Root, "appsettings.json");
        Replace(settingsPath, "{ \"Agent\": { \"Preference\": 0.3 } }");
        var settings = new AgentHostSettings { ModelsPath = repo.Root, Policy = "heuristic" };
        await using var agent = NodeHost.Build(NodeRole.Agent, ["--contentRoot", repo.Root], settings.ToConfiguration(), Peer.PeerFixture.Quiet);
        await NodeHost.StartAsync(agent, CancellationToken.None).WaitAsync(AgentCluster.Bound);
        var preference = agent.Services.GetRequiredService<OperatorPreference>();
        Assert.Equal(0.3, preference.Current.DelayWeight, 6);

        Replace(settingsPath, "{ \"Agent\": { \"Preference\": 0.8 } }");
        await WaitUntilAsync(() => Math.Abs(preference.Current.DelayWeight - 0.8) < 1e-9);

        // A broken edit: refused (the file's settings stay), so the preference does not fall back to the default.
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (ChangeToken.OnChange(agent.Configuration.GetReloadToken, () => reloaded.TrySetResult()))
        {
            Replace(settingsPath, "{ \"Agent\": { \"Preference\": 0.1 ");
            await reloaded.Task.WaitAsync(AgentCluster.Bound);
        }

        Assert.Equal(0.8, preference.Current.DelayWeight, 6);
        Assert.Equal("0.8", agent.Configuration["Agent:Preference"]);

        Replace(settingsPath, "{ \"Agent\": { \"Preference\": 0.6 } }");
        await WaitUntilAsync(() => Math.Abs(preference.Current.DelayWeight - 0.6) < 1e-9);
    }

    private static void Replace(string path, string content)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + AgentCluster.Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The agent did not follow the edit in time.");
            await Task.Delay(20);
        }
    }
}
