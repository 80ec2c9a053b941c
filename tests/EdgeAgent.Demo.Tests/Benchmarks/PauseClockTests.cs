using EdgeAgent.Demo.Benchmarks;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Demo.Tests.Benchmarks;

public sealed class PauseClockTests
{
    [Fact]
    public void Tick_GapsUnderTheThreshold_AreActiveTime()
    {
        var time = new FakeTimeProvider();
        var clock = new PauseClock(time, TimeSpan.FromSeconds(2));
        for (var i = 0; i < 100; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            Assert.False(clock.Tick());
        }

        Assert.Equal(TimeSpan.FromSeconds(1), clock.Active);
        Assert.Equal(TimeSpan.Zero, clock.Paused);
        Assert.Equal(0, clock.Pauses);
    }

    [Fact]
    public void Tick_AfterAStop_LeavesThePauseOutOfActiveTime()
    {
        var time = new FakeTimeProvider();
        var clock = new PauseClock(time, TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(1));
        clock.Tick();
        time.Advance(TimeSpan.FromMinutes(12));

        Assert.True(clock.Tick());
        Assert.False(clock.Tick());
        time.Advance(TimeSpan.FromSeconds(1));
        clock.Tick();

        Assert.Equal(TimeSpan.FromMinutes(12), clock.Paused);
        Assert.Equal(TimeSpan.FromSeconds(2), clock.Active);
        Assert.Equal(TimeSpan.FromMinutes(12) + TimeSpan.FromSeconds(2), clock.Wall);
        Assert.Equal(1, clock.Pauses);
    }
}
