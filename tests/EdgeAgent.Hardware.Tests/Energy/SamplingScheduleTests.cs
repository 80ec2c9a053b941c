using EdgeAgent.Hardware.Energy;

namespace EdgeAgent.Hardware.Tests.Energy;

public sealed class SamplingScheduleTests
{
    [Fact]
    public void Next_LateWakeUpsWithinAPeriod_StaysOnTheGrid()
    {
        // Property: however late each sample finishes (less than a period), deadline k is start + k * period.
        var random = new Random(11);
        const long start = 1_000_000, period = 10_000;
        var schedule = new SamplingSchedule(start, period);
        var now = start;
        for (var k = 1; k <= 10_000; k++)
        {
            var deadline = schedule.Next(now);

            Assert.Equal(start + (k * period), deadline);
            now = deadline + random.NextInt64(0, period - 1);
        }

        Assert.Equal(0, schedule.Skipped);
    }

    [Fact]
    public void Next_SampleFinishedPeriodsLate_SkipsMissedPointsKeepingThePhase()
    {
        var schedule = new SamplingSchedule(0, 100);

        var deadline = schedule.Next(now: 350);

        Assert.Equal(400, deadline);
        Assert.Equal(3, schedule.Skipped);
        Assert.Equal(500, schedule.Next(now: 401));
    }

    [Fact]
    public void Next_SampleFinishedExactlyOnTheNextPoint_MovesPastIt()
    {
        var schedule = new SamplingSchedule(0, 100);

        Assert.Equal(200, schedule.Next(now: 100));
        Assert.Equal(1, schedule.Skipped);
    }

    [Fact]
    public void Next_AnyLateness_IsAfterNowAndOnTheGrid()
    {
        var random = new Random(5);
        var schedule = new SamplingSchedule(0, 997);
        var now = 0L;
        for (var i = 0; i < 10_000; i++)
        {
            now += random.NextInt64(0, 5_000);
            var deadline = schedule.Next(now);

            Assert.True(deadline > now);
            Assert.True(deadline - now <= 997);
            Assert.Equal(0, deadline % 997);
            now = deadline;
        }
    }

    [Fact]
    public void Constructor_PeriodBelowOneTick_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingSchedule(0, 0));
}
