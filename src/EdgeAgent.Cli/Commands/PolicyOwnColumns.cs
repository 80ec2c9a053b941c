using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Export;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// Which of the agent layout's own-column groups policy files record (<see cref="FeatureLayout.Agent"/>'s
/// ownTraffic, ownRate, ownPipeline and ownBatch, each only with the ones before it): the layout a simulator
/// writes so that every one of the files reads its own columns of it, and the layout a resumed file keeps.
/// </summary>
internal readonly record struct PolicyOwnColumns(bool OwnTraffic, bool OwnRate, bool OwnPipeline, bool OwnBatch)
{
    /// <summary>The groups any of the files at <paramref name="paths"/> records; each file's layout is read once, and one that cannot be read records none (it is reported when it is opened).</summary>
    public static PolicyOwnColumns Of(IEnumerable<string> paths)
    {
        var layouts = paths.Select(TryReadLayout).OfType<FeatureLayout>().ToList();
        bool Any(FeatureKind kind) => layouts.Any(l => l.IndexOf(kind) >= 0);
        var traffic = Any(FeatureKind.OwnDelayEstimateLog);
        var rate = traffic && Any(FeatureKind.OwnRequestRateLog);
        var pipeline = rate && Any(FeatureKind.OwnFollowedInFlightLog);
        return new(traffic, rate, pipeline, pipeline && Any(FeatureKind.OwnBatchAfterLog));
    }

    /// <summary>The agent layout with these groups.</summary>
    public FeatureLayout Layout => FeatureLayout.Agent(ownTraffic: OwnTraffic, ownRate: OwnRate, ownPipeline: OwnPipeline, ownBatch: OwnBatch);

    private static FeatureLayout? TryReadLayout(string path)
    {
        try
        {
            return PolicyImporter.ReadLayout(path);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }
}
