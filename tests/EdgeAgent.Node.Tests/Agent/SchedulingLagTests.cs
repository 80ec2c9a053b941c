using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

/// <summary>The clock of observed time: a check that wakes late counts its lateness as time the agent was not running.</summary>
public sealed class SchedulingLagTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly FakeTimeProvider _time = new();

    private static double Ms(long ticks, TimeProvider time) => ticks * 1000.0 / time.TimestampFrequency;

    [Fact]
    public void Now_NotStarted_RunsWithTheTimeProvider()
    {
        var lag = new SchedulingLag(_time);
        var mark = lag.Now;
        _time.Advance(TimeSpan.FromSeconds(7));
        Assert.Equal(TimeSpan.FromSeconds(7), lag.Since(mark));
        Assert.Equal(0, lag.UnobservedTicks);
    }

    [Fact]
    public void Tick_OnTime_CountsNothing()
    {
        var lag = new SchedulingLag(_time);
        lag.Start(Interval);
        var mark = lag.Now;
        for (var i = 0; i < 30; i++)
        {
            _time.Advance(Interval);
            Assert.Equal(TimeSpan.Zero, lag.Tick());
        }

        Assert.Equal(30 * Interval, lag.Since(mark));
        Assert.Equal(30, lag.Checks);
    }

    [Fact]
    public void Tick_Late_CountsTheGapBeyondTheInterval()
    {
        var lag = new SchedulingLag(_time);
        lag.Start(Interval);
        var mark = lag.Now;
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(10) - Interval, lag.Tick());
        Assert.Equal(Interval, lag.Since(mark));
        Assert.Equal(10_000 - 100, Ms(lag.UnobservedTicks, _time), 6);
    }

    [Fact]
    public void Since_CheckOverdue_LeavesTheOverduePartOutBeforeTheCheckRuns()
    {
        // A reading just after the process resumes (the decision path), before the late check has run.
        var lag = new SchedulingLag(_time);
        lag.Start(Interval);
        var mark = lag.Now;
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(Interval, lag.Since(mark));
        lag.Tick();
        Assert.Equal(Interval, lag.Since(mark));
        _time.Advance(Interval / 2);
        Assert.Equal(Interval * 1.5, lag.Since(mark));
    }

    [Fact]
    public void Stop_KeepsTheClockContinuousAndCountsNothingAfter()
    {
        var lag = new SchedulingLag(_time);
        lag.Start(Interval);
        var mark = lag.Now;
        _time.Advance(TimeSpan.FromSeconds(2));
        var before = lag.Since(mark);
        lag.Stop();
        Assert.Equal(before, lag.Since(mark));
        _time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(before + TimeSpan.FromSeconds(3), lag.Since(mark));
    }

    [Fact]
    public void Since_ObservedTime_IsTheSumOfEachGapUpToOneInterval()
    {
        // Any sequence of waits: each check observes at most one interval of the gap before it.
        var random = new Random(20261206);
        for (var run = 0; run < 200; run++)
        {
            var time = new FakeTimeProvider();
            var lag = new SchedulingLag(time);
            var interval = TimeSpan.FromMilliseconds(random.Next(1, 500));
            lag.Start(interval);
            var mark = lag.Now;
            var expected = TimeSpan.Zero;
            for (var check = random.Next(1, 40); check > 0; check--)
            {
                var gap = TimeSpan.FromMilliseconds(random.Next(0, 3) == 0 ? random.Next(0, 20_000) : random.Next(0, 2 * (int)interval.TotalMilliseconds));
                time.Advance(gap);
                lag.Tick();
                expected += gap < interval ? gap : interval;
            }

            Assert.Equal(expected.TotalMilliseconds, lag.Since(mark).TotalMilliseconds, 3);
            Assert.True(lag.Now <= time.GetTimestamp());
        }
    }

    [Fact]
    public void Since_LaterMark_IsZero()
    {
        var lag = new SchedulingLag(_time);
        Assert.Equal(TimeSpan.Zero, lag.Since(lag.Now + 1000));
    }

    [Fact]
    public void Tick_BeforeStart_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => new SchedulingLag(_time).Tick());
        Assert.Throws<ArgumentOutOfRangeException>(() => new SchedulingLag(_time).Start(TimeSpan.Zero));
    }
}
