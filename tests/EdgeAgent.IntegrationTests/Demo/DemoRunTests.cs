using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;

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
}
