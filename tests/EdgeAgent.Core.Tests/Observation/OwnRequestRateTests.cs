using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Observation;

/// <summary>
/// The own request rate: the estimator (<see cref="OwnRequestRate"/>), its column
/// (<see cref="FeatureKind.OwnRequestRateLog"/> in the 43-column layout), and files of the 42-column
/// layout under it (still encoded exactly as before) or a 43-column file under a 42-column producer (refused).
/// </summary>
public sealed class OwnRequestRateTests
{
    private static readonly FeatureLayout Old = FeatureLayout.Agent(ownTraffic: true);
    private static readonly FeatureLayout Rate = FeatureLayout.Agent(ownTraffic: true, ownRate: true);

    [Fact]
    public void Arrive_FirstRequests_OpenTheWindowThenCount()
    {
        var rate = default(OwnRequestRate);
        Assert.Equal(0.0, rate.PerSecond(5.0));
        Assert.Equal(0.0, rate.Arrive(5.0));
        Assert.Equal(0.0, rate.PerSecond(5.0));
        Assert.Equal(0.0, rate.Arrive(5.01));
        Assert.Equal(1.0 / OwnRequestRate.MinWindowSeconds, rate.PerSecond(5.01), 12); // the floor keeps 10 ms from reading as 100/s
        var expected = Math.Exp(-0.99 / OwnRequestRate.TimeConstantSeconds) / (OwnRequestRate.TimeConstantSeconds * (1 - Math.Exp(-1.0 / OwnRequestRate.TimeConstantSeconds)));
        Assert.Equal(expected, rate.Arrive(6.0), 12);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(20.0)]
    [InlineData(100.0)]
    public void Arrive_PoissonArrivals_ReadsTheRateFromTheStartNotAfterAWarmUp(double perSecond)
    {
        // Many short runs from a fresh estimator (a simulated episode, an agent just started): the
        // readings at arrivals 1-3 s in average the rate (a plain exponential average would read
        // 39-78 % of it there), and so do those later on.
        var random = new Random(7);
        var early = new List<double>();
        var late = new List<double>();
        for (var run = 0; run < 400; run++)
        {
            var rate = default(OwnRequestRate);
            for (var t = 0.0; t < 8.0; t += -Math.Log(1 - random.NextDouble()) / perSecond)
            {
                var value = rate.Arrive(t);
                (t is >= 1.0 and < 3.0 ? early : t >= 5.0 ? late : null)?.Add(value);
            }
        }

        Assert.Equal(perSecond, early.Average(), 0.05 * perSecond);
        Assert.Equal(perSecond, late.Average(), 0.05 * perSecond);
    }

    [Fact]
    public void PerSecond_AfterArrivalsStop_DecaysWithTheTimeConstant()
    {
        var rate = default(OwnRequestRate);
        for (var k = 0; k <= 200; k++)
        {
            rate.Arrive(k * 0.1); // 10 requests/s for 20 s
        }

        var atStop = rate.PerSecond(20.0);
        Assert.Equal(10.0, atStop, 0.6);
        Assert.Equal(atStop * Math.Exp(-1), rate.PerSecond(20.0 + OwnRequestRate.TimeConstantSeconds), 0.02 * atStop);
        Assert.True(rate.PerSecond(40.0) < 0.01);
    }

    [Fact]
    public void Arrive_TimeGoingBackwards_CountsAsTheLastArrivalsTime()
    {
        var a = default(OwnRequestRate);
        var b = default(OwnRequestRate);
        a.Arrive(1.0);
        a.Arrive(2.0);
        a.Arrive(1.5);
        b.Arrive(1.0);
        b.Arrive(2.0);
        b.Arrive(2.0);
        Assert.Equal(b.PerSecond(3.0), a.PerSecond(3.0), 15);
    }

    [Fact]
    public void Agent_OwnRate_AppendsOneColumnAfterTheFortyTwo()
    {
        Assert.Equal(42, Old.FeatureCount);
        Assert.Equal(43, Rate.FeatureCount);
        Assert.Equal(Old.Scalars.Count, Rate.IndexOf(FeatureKind.OwnRequestRateLog));
        Assert.Equal("own_request_rate[log2(1 + requests/s)]", Rate.ColumnNames()[Rate.IndexOf(FeatureKind.OwnRequestRateLog)]);
        Assert.Equal(Old.Scalars.Select(s => s.Kind), Rate.Scalars.Take(Old.Scalars.Count).Select(s => s.Kind));
        Assert.Equal(Rate, FeatureLayout.FromMetadata(Rate.ToMetadata()));
        Assert.Throws<ArgumentException>(() => FeatureLayout.Agent(ownRate: true));
    }

    [Fact]
    public void EnsureProducible_FortyTwoColumnFileUnderTheRateLayout_LoadsAndEncodesAsBefore()
    {
        Rate.EnsureProducible(Old);
        var map = Rate.ColumnMap(Old);
        var observation = Situation(ownRequestsPerSecond: 12.5);
        var (s, f43, f42) = (Rate.MaxServers, Rate.FeatureCount, Old.FeatureCount);
        var rows43 = new float[s * f43];
        var rows42 = new float[s * f42];
        new ObservationEncoder(Rate).Encode(observation, new Preference(0.67), rows43, new float[s], new float[2]);
        new ObservationEncoder(Old).Encode(observation, new Preference(0.67), rows42, new float[s], new float[2]);
        for (var r = 0; r < s; r++)
        {
            for (var c = 0; c < f42; c++)
            {
                Assert.Equal(BitConverter.SingleToInt32Bits(rows42[(r * f42) + c]), BitConverter.SingleToInt32Bits(rows43[(r * f43) + map[c]]));
            }
        }

        // The 42 columns do not depend on the rate at all.
        var again = new float[s * f42];
        new ObservationEncoder(Old).Encode(Situation(ownRequestsPerSecond: 0), new Preference(0.67), again, new float[s], new float[2]);
        Assert.Equal(rows42, again);
    }

    [Fact]
    public void EnsureProducible_RateFileUnderAFortyTwoColumnProducer_RefusedNamingTheFeature()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Old.EnsureProducible(Rate));
        Assert.Contains("own_request_rate[log2(1 + requests/s)]", error.Message, StringComparison.Ordinal);
        Assert.Contains($"at column {Old.Scalars.Count}, which this agent does not produce", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(7.5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Encode_RateColumn_IsLog2OnePlusTheRateInEveryPresentRow(double perSecond)
    {
        var (s, f) = (Rate.MaxServers, Rate.FeatureCount);
        var rows = new float[s * f];
        var mask = new float[s];
        new ObservationEncoder(Rate).Encode(Situation(perSecond), new Preference(0.5), rows, mask, new float[2]);
        var expected = (float)Math.Log2(1 + (double.IsNaN(perSecond) ? 0 : Math.Min(perSecond, 1e6)));
        var column = Rate.IndexOf(FeatureKind.OwnRequestRateLog);
        for (var r = 0; r < s; r++)
        {
            Assert.Equal(mask[r] > 0 ? expected : ObservationEncoder.AbsentValue, rows[(r * f) + column]);
        }
    }

    private static OffloadObservation Situation(double ownRequestsPerSecond) => OwnTrafficSituation.Of(
        new TaskObservation("det", 600_000, TimeSpan.FromSeconds(1)) { ExpectedResponseBytes = 20_000, OwnRequestsPerSecond = ownRequestsPerSecond });
}
