using System.Diagnostics;
using EdgeAgent.Hardware.Energy;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Hardware.Tests.Energy;

public sealed class DeadlineSleeperTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task SleepUntil_FakeClock_ReturnsOnlyOnceTheClockReachedTheDeadline()
    {
        var time = new FakeTimeProvider();
        using var sleeper = DeadlineSleeper.Create(time);
        var deadline = time.GetTimestamp() + (time.TimestampFrequency / 100);
        var sleeping = RunOnThread(() => (sleeper.SleepUntil(deadline, CancellationToken.None), time.GetTimestamp()));

        for (var i = 0; i < 4; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(3));
            await Task.Yield();
        }

        var (reached, at) = await sleeping.WaitAsync(Timeout);
        Assert.True(reached);
        Assert.True(at >= deadline);
    }

    [Fact]
    public void SleepUntil_DeadlineAlreadyPassed_ReturnsAtOnce()
    {
        var time = new FakeTimeProvider();
        using var sleeper = DeadlineSleeper.Create(time);
        var deadline = time.GetTimestamp();
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.True(sleeper.SleepUntil(deadline, CancellationToken.None));
    }

    [Fact]
    public async Task SleepUntil_FakeClockCancelled_ReturnsFalseWithoutTheClockMoving()
    {
        var time = new FakeTimeProvider();
        using var sleeper = DeadlineSleeper.Create(time);
        using var cts = new CancellationTokenSource();
        var sleeping = RunOnThread(() => sleeper.SleepUntil(time.GetTimestamp() + (3600 * time.TimestampFrequency), cts.Token));

        await cts.CancelAsync();

        Assert.False(await sleeping.WaitAsync(Timeout));
    }

    [Fact]
    public void Create_SystemClockOnLinux_UsesAbsoluteMonotonicSleeps()
    {
        using var sleeper = DeadlineSleeper.Create(TimeProvider.System);

        Assert.Contains(OperatingSystem.IsLinux() ? "clock_nanosleep" : "Thread.Sleep", sleeper.Mechanism, StringComparison.Ordinal);
    }

    [Fact]
    public void SleepUntil_SystemClock_NeverReturnsBeforeTheDeadline()
    {
        using var sleeper = DeadlineSleeper.Create(TimeProvider.System);
        for (var i = 0; i < 20; i++)
        {
            var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2000);

            Assert.True(sleeper.SleepUntil(deadline, CancellationToken.None));
            Assert.True(Stopwatch.GetTimestamp() >= deadline);
        }
    }

    [Fact]
    public async Task SleepUntil_SystemClockCancelledDuringALongSleep_ReturnsFalse()
    {
        using var sleeper = DeadlineSleeper.Create(TimeProvider.System);
        using var cts = new CancellationTokenSource();
        var sleeping = RunOnThread(() => sleeper.SleepUntil(Stopwatch.GetTimestamp() + (3600 * Stopwatch.Frequency), cts.Token));

        await cts.CancelAsync();

        Assert.False(await sleeping.WaitAsync(Timeout));
    }

    private static Task<T> RunOnThread<T>(Func<T> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
}
