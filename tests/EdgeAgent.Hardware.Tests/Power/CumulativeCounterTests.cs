using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class CumulativeCounterTests
{
    [Fact]
    public void Update_RandomIncrementsAcrossManyWraps_TotalEqualsSumOfIncrements()
    {
        // Property: for any range and any increments smaller than the range, the unwrapped total is
        // the sum of the increments, however often the raw counter wraps.
        var random = new Random(20261122);
        for (var trial = 0; trial < 200; trial++)
        {
            var range = random.NextInt64(1_000, 1L << 40);
            var counter = new CumulativeCounter(range);
            var raw = random.NextInt64(0, range);
            counter.Update(raw);
            long expected = 0;
            for (var step = 0; step < 100; step++)
            {
                var increment = random.NextInt64(0, range / 3);
                expected += increment;
                raw = (raw + increment) % range;
                counter.Update(raw);
            }

            Assert.Equal(expected, counter.Total);
        }
    }

    [Fact]
    public void Update_First_ReturnsZero()
    {
        var counter = new CumulativeCounter(100);
        Assert.Equal(0, counter.Update(42));
        Assert.Equal(0, counter.Total);
    }

    [Fact]
    public void Update_DropWithUnknownRange_TreatsAsReset()
    {
        var counter = new CumulativeCounter(0);
        counter.Update(500);
        Assert.Equal(30, counter.Update(30));
        Assert.Equal(30, counter.Total);
    }

    [Fact]
    public void Update_Negative_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CumulativeCounter(100).Update(-1));
    }
}
