using EdgeAgent.Cli.Commands;
using EdgeAgent.Core.Observation;
using EdgeAgent.TestModels;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class PolicyOwnColumnsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgeagent-owncols-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Of_OneFile_GivesItsOwnLayoutBack()
    {
        foreach (var layout in new[]
        {
            FeatureLayout.Agent(),
            FeatureLayout.Agent(ownTraffic: true),
            FeatureLayout.Agent(ownTraffic: true, ownRate: true),
            FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true),
            FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true),
        })
        {
            Assert.Equal(layout, PolicyOwnColumns.Of([File(layout)]).Layout);
        }
    }

    [Fact]
    public void Of_SeveralFiles_TakesTheWidestAndAnUnreadableFileRecordsNothing()
    {
        var f42 = File(FeatureLayout.Agent(ownTraffic: true));
        var f44 = File(FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true));
        var garbage = Path.Combine(_directory, "garbage.onnx");
        System.IO.File.WriteAllText(garbage, "not a policy");

        Assert.Equal(new PolicyOwnColumns(true, true, true, false), PolicyOwnColumns.Of([f42, f44, garbage]));
        Assert.Equal(new PolicyOwnColumns(false, false, false, false), PolicyOwnColumns.Of([garbage]));
        Assert.Equal(new PolicyOwnColumns(false, false, false, false), PolicyOwnColumns.Of([]));
    }

    private string File(FeatureLayout layout) =>
        PolicyFiles.Untrained(Path.Combine(_directory, $"f{layout.FeatureCount}.onnx"), layout);
}
