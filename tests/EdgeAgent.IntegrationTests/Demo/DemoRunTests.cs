using EdgeAgent.Core.Offloading;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.IntegrationTests.Demo;

/// <summary>A fact that needs the PaddleOCR models in the user's cache and a Latin font.</summary>
internal sealed class RequiresOcrModelsFactAttribute : FactAttribute
{
    public RequiresOcrModelsFactAttribute()
    {
        if (!PaddleOcrModels.ArePresent(CacheDirectories.Models()) || OcrFonts.FindLatin() is null)
        {
            Skip = "PaddleOCR models or DejaVu Sans missing: run `edgeagent models fetch paddleocr` (and `edgeagent models fetch fonts` without fonts-dejavu-core) to enable this test.";
        }
    }
}

public sealed class DemoRunTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [RequiresOcrModelsFact]
    public async Task RunAsync_PeerPolicy_ReadsRenderedTextThroughAgentAndPeers()
    {
        await using var run = new DemoRun(new DemoSettings { Duration = TimeSpan.FromSeconds(3), Rate = 1, Policy = "peer", Preference = 0.5 });
        await run.StartAsync(_ => { }, CancellationToken.None).WaitAsync(Timeout);

        await run.RunAsync(TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);

        var snapshot = run.Snapshot();
        Assert.True(snapshot.Items >= 2, $"{snapshot.Items} items, last error {snapshot.LastError}");
        Assert.Equal(0, snapshot.FailedItems);
        Assert.True(snapshot.OffloadedRequests > 0);
        Assert.True(snapshot.CharacterAccuracy >= 0.9, $"character accuracy {snapshot.CharacterAccuracy:P1}");
        Assert.Contains("modelled", run.Cluster.EnergySource(), StringComparison.Ordinal);
        Assert.All(snapshot.Rows.Where(r => r.Placement.StartsWith("peer:", StringComparison.Ordinal)), r => Assert.True(r.EnergyJoules > 0));
    }

    [RequiresOcrModelsFact]
    public async Task MeasureAsync_TwoAgentsOnSharedPeers_EachRunCountsOnlyItsAgentsRequests()
    {
        await using var run = new DemoRun(new DemoSettings { Duration = TimeSpan.FromSeconds(2), Rate = 1, Policy = "local" }, ["local", "peer"]);
        await run.StartAsync(_ => { }, CancellationToken.None).WaitAsync(Timeout);
        await run.WarmPeersAsync(1, CancellationToken.None).WaitAsync(Timeout);
        await run.WarmAgentExecutorsAsync(1, CancellationToken.None).WaitAsync(Timeout);
        var boardRuns = run.Cluster.Agent("local").Services.GetRequiredService<EdgeAgent.Inference.Execution.LocalExecutor>().GetLoadSnapshot().Models.Sum(m => m.Completed);

        var local = await run.MeasureAsync("local", 0.3, 0, 0, TimeSpan.FromSeconds(2), TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);
        var peer = await run.MeasureAsync("peer", 0.7, 0, 1, TimeSpan.FromSeconds(2), TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);
        var localAgain = await run.MeasureAsync("local", 0.7, 0, 1, TimeSpan.FromSeconds(2), TimeProvider.System, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(["local", "peer"], run.Cluster.Agents.Select(a => a.Policy));
        // The executor warm-up ran det, cls and rec on each agent's own board; it and the peers' warm-up
        // bypass the dispatcher, so no agent logged them.
        Assert.True(boardRuns >= 3, $"{boardRuns} runs on the local agent's board");
        Assert.Equal(local.Snapshot.Requests + localAgain.Snapshot.Requests, run.Cluster.Agent("local").Log.Added);
        Assert.True(local.Snapshot.Items >= 1 && peer.Snapshot.Items >= 1, $"{local.Snapshot.LastError} {peer.Snapshot.LastError}");
        Assert.Equal(0, local.Snapshot.OffloadedRequests);
        Assert.Equal(0, peer.Snapshot.LocalRequests);
        Assert.Equal(local.Snapshot.Items, local.ItemSeconds.Count);
        Assert.Equal((1, 0.7), (peer.Repeat, run.Cluster.Agent("peer").Services.GetRequiredService<OperatorPreference>().Current.DelayWeight));
        // Each run's energy is its own requests' plus the link and execution probes its agent ran during
        // it: the local agent's log holds both of its runs, each counted once.
        var logged = run.Cluster.Agent("local").Log.Snapshot().Where(r => r.Success).Sum(r => r.Energy.DeviceJoules);
        Assert.True(local.ProbeJoules >= 0 && localAgain.ProbeJoules >= 0 && local.ExecProbeJoules >= 0 && localAgain.ExecProbeJoules >= 0);
        Assert.Equal(logged, local.DeviceEnergyJoules - local.ProbeJoules - local.ExecProbeJoules + localAgain.DeviceEnergyJoules - localAgain.ProbeJoules - localAgain.ExecProbeJoules, 9);
        Assert.True(peer.DeviceEnergyJoules > 0);
    }
}
