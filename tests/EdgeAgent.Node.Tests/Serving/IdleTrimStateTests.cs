using EdgeAgent.Node.Serving;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class IdleTrimStateTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    [Fact]
    public void Observe_QuietAfterEnoughWork_TrimsOnceUntilAsMuchWorkAgain()
    {
        long allocated = 0;
        var state = new IdleTrimState(Quiet, () => allocated);
        var now = TimeSpan.Zero;
        Assert.False(state.Observe(now));

        // Work: 10 MB/s for 4 s (40 MB in all).
        for (var i = 0; i < 4; i++)
        {
            now += TimeSpan.FromSeconds(1);
            allocated += 10L << 20;
            Assert.False(state.Observe(now));
        }

        // Quiet (a few KB/s): due once the node was quiet for 3 s.
        var due = new List<bool>();
        for (var i = 0; i < 5; i++)
        {
            now += TimeSpan.FromSeconds(1);
            allocated += 4096;
            var trim = state.Observe(now);
            due.Add(trim);
            if (trim)
            {
                state.Trimmed();
            }
        }

        Assert.Equal([false, false, true, false, false], due);
    }

    [Fact]
    public void Observe_SteadyLoad_NeverTrims()
    {
        long allocated = 0;
        var state = new IdleTrimState(Quiet, () => allocated);
        var now = TimeSpan.Zero;
        for (var i = 0; i < 60; i++)
        {
            Assert.False(state.Observe(now));
            now += TimeSpan.FromSeconds(1);
            allocated += 1L << 20;
        }
    }

    [Fact]
    public void Observe_QuietWithLittleWorkSinceTheLastTrim_DoesNotTrim()
    {
        long allocated = 0;
        var state = new IdleTrimState(Quiet, () => allocated);
        var now = TimeSpan.Zero;
        state.Observe(now);
        now += TimeSpan.FromSeconds(1);
        allocated += IdleMemoryTrimmer.TrimAfterAllocatedBytes / 2;
        state.Observe(now);
        for (var i = 0; i < 10; i++)
        {
            now += TimeSpan.FromSeconds(1);
            Assert.False(state.Observe(now));
        }
    }

    [Fact]
    public void Observe_Off_NeverTrims()
    {
        long allocated = 0;
        var state = new IdleTrimState(TimeSpan.Zero, () => allocated);
        var now = TimeSpan.Zero;
        state.Observe(now);
        now += TimeSpan.FromSeconds(1);
        allocated += 100L << 20;
        state.Observe(now);
        for (var i = 0; i < 10; i++)
        {
            now += TimeSpan.FromSeconds(1);
            Assert.False(state.Observe(now));
        }
    }
}
