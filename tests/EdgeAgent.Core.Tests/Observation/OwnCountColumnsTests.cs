using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Observation;

/// <summary>
/// The two count columns the agent layout appends one at a time: the own followed requests in flight
/// (<see cref="FeatureKind.OwnFollowedInFlightLog"/>, 43 -> 44 columns) and the own requests of a fan-out
/// decided right after this one (<see cref="FeatureKind.OwnBatchAfterLog"/>, 44 -> 45). For each: the
/// column, files of the layout before it under it (loaded and encoded exactly as before) and a file with
/// it under a producer without it (refused, naming the feature).
/// </summary>
public sealed class OwnCountColumnsTests
{
    private static readonly FeatureLayout Rate = FeatureLayout.Agent(ownTraffic: true, ownRate: true);
    private static readonly FeatureLayout Pipeline = FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true);
    private static readonly FeatureLayout Batch = FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true);

    public static TheoryData<string> Columns => ["pipeline", "batch"];

    // (layout before, layout with the column, the column, its name)
    private static (FeatureLayout Old, FeatureLayout New, FeatureKind Kind, string Name) Step(string column) => column switch
    {
        "pipeline" => (Rate, Pipeline, FeatureKind.OwnFollowedInFlightLog, "own_followed_in_flight[log2(1 + requests)]"),
        _ => (Pipeline, Batch, FeatureKind.OwnBatchAfterLog, "own_batch_after[log2(1 + requests)]"),
    };

    [Theory]
    [MemberData(nameof(Columns))]
    public void Agent_AppendsOneColumnAfterTheLayoutBefore(string column)
    {
        var (old, layout, kind, name) = Step(column);
        Assert.Equal(old.FeatureCount + 1, layout.FeatureCount);
        Assert.Equal(old.Scalars.Count, layout.IndexOf(kind));
        Assert.Equal(name, layout.ColumnNames()[layout.IndexOf(kind)]);
        Assert.Equal(old.Scalars.Select(s => s.Kind), layout.Scalars.Take(old.Scalars.Count).Select(s => s.Kind));
        Assert.Equal(layout, FeatureLayout.FromMetadata(layout.ToMetadata()));
        Assert.Contains(kind.ToString(), layout.ToMetadata()[FeatureLayout.MetadataPrefix + "scalar_features"], StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_ACountColumnWithoutTheOneBefore_IsRefused()
    {
        Assert.Equal((43, 44, 45), (Rate.FeatureCount, Pipeline.FeatureCount, Batch.FeatureCount));
        Assert.Throws<ArgumentException>(() => FeatureLayout.Agent(ownTraffic: true, ownPipeline: true));
        Assert.Throws<ArgumentException>(() => FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownBatch: true));
    }

    [Theory]
    [InlineData("pipeline", 0)]
    [InlineData("pipeline", 3)]
    [InlineData("batch", 0)]
    [InlineData("batch", 3)]
    public void EnsureProducible_FileOfTheLayoutBefore_LoadsAndEncodesAsBefore(string column, int count)
    {
        var (old, layout, _, _) = Step(column);
        layout.EnsureProducible(old);
        var map = layout.ColumnMap(old);
        var (s, fNew, fOld) = (layout.MaxServers, layout.FeatureCount, old.FeatureCount);
        var rowsNew = new float[s * fNew];
        var rowsOld = new float[s * fOld];
        new ObservationEncoder(layout).Encode(Situation(count, count), new Preference(0.67), rowsNew, new float[s], new float[2]);
        new ObservationEncoder(old).Encode(Situation(count, count), new Preference(0.67), rowsOld, new float[s], new float[2]);
        for (var r = 0; r < s; r++)
        {
            for (var c = 0; c < fOld; c++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(rowsOld[(r * fOld) + c]), BitConverter.SingleToInt32Bits(rowsNew[(r * fNew) + map[c]]));
            }
        }

        // The older columns do not depend on the new count at all: a file of the layout before decides as before.
        var without = new float[s * fOld];
        var situation = column == "pipeline" ? Situation(0, count) : Situation(count, 0);
        new ObservationEncoder(old).Encode(situation, new Preference(0.67), without, new float[s], new float[2]);
        Assert.Equal(without, rowsOld);
    }

    [Theory]
    [MemberData(nameof(Columns))]
    public void EnsureProducible_FileWithTheColumnUnderAProducerWithout_RefusedNamingTheFeature(string column)
    {
        var (old, layout, _, name) = Step(column);
        var error = Assert.Throws<InvalidOperationException>(() => old.EnsureProducible(layout));
        Assert.Contains(name, error.Message, StringComparison.Ordinal);
        Assert.Contains($"at column {old.Scalars.Count}, which this agent does not produce", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(-2)]
    public void Encode_CountColumns_AreLog2OnePlusTheirCountInEveryPresentRow(int count)
    {
        var (s, f) = (Batch.MaxServers, Batch.FeatureCount);
        var rows = new float[s * f];
        var mask = new float[s];
        // The two counts differ, so a column reading the other's count fails.
        new ObservationEncoder(Batch).Encode(Situation(count, count + 2), new Preference(0.5), rows, mask, new float[2]);
        var (followedColumn, batchColumn) = (Batch.IndexOf(FeatureKind.OwnFollowedInFlightLog), Batch.IndexOf(FeatureKind.OwnBatchAfterLog));
        for (var r = 0; r < s; r++)
        {
            Assert.Equal(mask[r] > 0 ? (float)Math.Log2(1 + Math.Max(0, count)) : ObservationEncoder.AbsentValue, rows[(r * f) + followedColumn]);
            Assert.Equal(mask[r] > 0 ? (float)Math.Log2(1 + Math.Max(0, count + 2)) : ObservationEncoder.AbsentValue, rows[(r * f) + batchColumn]);
        }
    }

    [Fact]
    public void Encode_BatchLayout_AllocatesNothing()
    {
        var encoder = new ObservationEncoder(Batch);
        var observation = Situation(2, 3);
        var (rows, mask, preference) = (new float[Batch.MaxServers * Batch.FeatureCount], new float[Batch.MaxServers], new float[2]);
        encoder.Encode(observation, new Preference(0.5), rows, mask, preference);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var k = 0; k < 100; k++)
        {
            encoder.Encode(observation, new Preference(0.5), rows, mask, preference);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static OffloadObservation Situation(int followed, int batchAfter) => OwnTrafficSituation.Of(
        new TaskObservation("rec", 60_000, TimeSpan.FromSeconds(1)) { ExpectedResponseBytes = 20_000, OwnRequestsPerSecond = 6.5, OwnFollowedInFlight = followed, OwnBatchAfter = batchAfter });
}
