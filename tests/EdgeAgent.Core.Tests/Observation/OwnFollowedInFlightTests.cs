using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Observation;

/// <summary>
/// The own followed requests in flight (<see cref="FeatureKind.OwnFollowedInFlightLog"/>, the 44-column
/// layout): the column, files of the 43-column layout under it (loaded and encoded exactly as before)
/// and a 44-column file under a 43-column producer (refused, naming the feature).
/// </summary>
public sealed class OwnFollowedInFlightTests
{
    private static readonly FeatureLayout Old = FeatureLayout.Agent(ownTraffic: true, ownRate: true);
    private static readonly FeatureLayout Pipeline = FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true);

    [Fact]
    public void Agent_OwnPipeline_AppendsOneColumnAfterTheFortyThree()
    {
        Assert.Equal(43, Old.FeatureCount);
        Assert.Equal(44, Pipeline.FeatureCount);
        Assert.Equal(Old.Scalars.Count, Pipeline.IndexOf(FeatureKind.OwnFollowedInFlightLog));
        Assert.Equal("own_followed_in_flight[log2(1 + requests)]", Pipeline.ColumnNames()[Pipeline.IndexOf(FeatureKind.OwnFollowedInFlightLog)]);
        Assert.Equal(Old.Scalars.Select(s => s.Kind), Pipeline.Scalars.Take(Old.Scalars.Count).Select(s => s.Kind));
        Assert.Equal(Pipeline, FeatureLayout.FromMetadata(Pipeline.ToMetadata()));
        Assert.Contains("OwnFollowedInFlightLog", Pipeline.ToMetadata()[FeatureLayout.MetadataPrefix + "scalar_features"], StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => FeatureLayout.Agent(ownTraffic: true, ownPipeline: true));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public void EnsureProducible_FortyThreeColumnFileUnderThePipelineLayout_LoadsAndEncodesAsBefore(int followed)
    {
        Pipeline.EnsureProducible(Old);
        var map = Pipeline.ColumnMap(Old);
        var (s, f44, f43) = (Pipeline.MaxServers, Pipeline.FeatureCount, Old.FeatureCount);
        var rows44 = new float[s * f44];
        var rows43 = new float[s * f43];
        new ObservationEncoder(Pipeline).Encode(Situation(followed), new Preference(0.67), rows44, new float[s], new float[2]);
        new ObservationEncoder(Old).Encode(Situation(followed), new Preference(0.67), rows43, new float[s], new float[2]);
        for (var r = 0; r < s; r++)
        {
            for (var c = 0; c < f43; c++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(rows43[(r * f43) + c]), BitConverter.SingleToInt32Bits(rows44[(r * f44) + map[c]]));
            }
        }

        // The 43 columns do not depend on the count at all: the committed file decides as before.
        var without = new float[s * f43];
        new ObservationEncoder(Old).Encode(Situation(0), new Preference(0.67), without, new float[s], new float[2]);
        Assert.Equal(without, rows43);
    }

    [Fact]
    public void EnsureProducible_PipelineFileUnderAFortyThreeColumnProducer_RefusedNamingTheFeature()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Old.EnsureProducible(Pipeline));
        Assert.Contains("own_followed_in_flight[log2(1 + requests)]", error.Message, StringComparison.Ordinal);
        Assert.Contains($"at column {Old.Scalars.Count}, which this agent does not produce", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(-2)]
    public void Encode_FollowedColumn_IsLog2OnePlusTheCountInEveryPresentRow(int followed)
    {
        var (s, f) = (Pipeline.MaxServers, Pipeline.FeatureCount);
        var rows = new float[s * f];
        var mask = new float[s];
        new ObservationEncoder(Pipeline).Encode(Situation(followed), new Preference(0.5), rows, mask, new float[2]);
        var expected = (float)Math.Log2(1 + Math.Max(0, followed));
        var column = Pipeline.IndexOf(FeatureKind.OwnFollowedInFlightLog);
        for (var r = 0; r < s; r++)
        {
            Assert.Equal(mask[r] > 0 ? expected : ObservationEncoder.AbsentValue, rows[(r * f) + column]);
        }
    }

    [Fact]
    public void Encode_PipelineLayout_AllocatesNothing()
    {
        var encoder = new ObservationEncoder(Pipeline);
        var observation = Situation(2);
        var (rows, mask, preference) = (new float[Pipeline.MaxServers * Pipeline.FeatureCount], new float[Pipeline.MaxServers], new float[2]);
        encoder.Encode(observation, new Preference(0.5), rows, mask, preference);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var k = 0; k < 100; k++)
        {
            encoder.Encode(observation, new Preference(0.5), rows, mask, preference);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static OffloadObservation Situation(int followed) => new(
        new TaskObservation("rec", 60_000, TimeSpan.FromSeconds(1)) { ExpectedResponseBytes = 20_000, OwnRequestsPerSecond = 6.5, OwnFollowedInFlight = followed },
        [
            new ServerObservation { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.03, Executing = 1, Queued = 2, ResidualWorkSeconds = 0.09, EstimatedEnergyJoules = 0.3 },
            new ServerObservation
            {
                Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 2e8, DownlinkBitsPerSecond = 2e8, RoundTripSeconds = 0.005,
                ExpectedExecSeconds = 0.012, Executing = 1, MaxConcurrency = 2, ResidualWorkSeconds = 0.01, EstimatedEnergyJoules = 0.05,
                OwnInFlight = 2, UploadBacklogSeconds = 0.01, ArrivingTasks = 1, ArrivingWorkSeconds = 0.012,
            },
            new ServerObservation { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, Available = false },
        ]);
}
