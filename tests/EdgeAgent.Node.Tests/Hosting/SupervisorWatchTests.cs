using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Node.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Hosting;

public sealed class SupervisorWatchTests
{
    [Fact]
    public async Task Watch_SupervisorExitsAfterAWhile_StopsTheNodeAtTheNextCheck()
    {
        var time = new FakeTimeProvider();
        var running = true;
        var checks = 0;
        var lifetime = new RecordingLifetime();
        using var watch = new SupervisorWatch(4242, id =>
        {
            Assert.Equal(4242, id);
            Interlocked.Increment(ref checks);
            return Volatile.Read(ref running);
        }, lifetime, time, NullLogger<SupervisorWatch>.Instance);

        await watch.StartAsync(CancellationToken.None);
        for (var second = 0; second < 5; second++)
        {
            await WaitForAsync(() => Volatile.Read(ref checks) > second, "a check per interval");
            time.Advance(SupervisorWatch.Interval);
        }

        Assert.Equal(0, lifetime.StopRequests);
        Assert.True(watch.SupervisorRunning);

        Volatile.Write(ref running, false);
        time.Advance(SupervisorWatch.Interval);
        await WaitForAsync(() => lifetime.StopRequests > 0, "the stop request");

        Assert.Equal(1, lifetime.StopRequests);
        Assert.False(watch.SupervisorRunning);
        await watch.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Watch_SupervisorGoneBeforeStart_StopsTheNodeWithoutWaitingAnInterval()
    {
        var lifetime = new RecordingLifetime();
        using var watch = new SupervisorWatch(4242, _ => false, lifetime, new FakeTimeProvider(), NullLogger<SupervisorWatch>.Instance);

        await watch.StartAsync(CancellationToken.None);
        await WaitForAsync(() => lifetime.StopRequests > 0, "the stop request");

        Assert.Equal(1, lifetime.StopRequests);
    }

    [Fact]
    public async Task Watch_Off_NeverChecksOrStops()
    {
        var time = new FakeTimeProvider();
        var lifetime = new RecordingLifetime();
        using var watch = new SupervisorWatch(0, _ => throw new InvalidOperationException("checked while off"), lifetime, time, NullLogger<SupervisorWatch>.Instance);

        await watch.StartAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromMinutes(1));
        await (watch.ExecuteTask ?? Task.CompletedTask);

        Assert.Equal(0, lifetime.StopRequests);
    }

    [Fact]
    public void IsRunning_ThisProcess_True() => Assert.True(SupervisorWatch.IsRunning(Environment.ProcessId));

    [Fact]
    public async Task IsRunning_ProcessThatExitedAndWasReaped_False()
    {
        using var process = Process.Start(new ProcessStartInfo("sh", ["-c", "exit 0"]) { UseShellExecute = false })!;
        var id = process.Id;
        await process.WaitForExitAsync();

        Assert.False(SupervisorWatch.IsRunning(id));
    }

    [Fact]
    public async Task IsRunning_ExitedButNotReaped_False()
    {
        // sh starts a short sleep in the background, prints its id, then becomes a long sleep, which
        // never reaps children: the short sleep, once done, stays a zombie (state Z) in /proc.
        var start = new ProcessStartInfo("sh", ["-c", "sleep 0.2 & echo $!; exec sleep 30"]) { UseShellExecute = false, RedirectStandardOutput = true };
        using var parent = Process.Start(start)!;
        try
        {
            var id = int.Parse(await parent.StandardOutput.ReadLineAsync() ?? "", CultureInfo.InvariantCulture);
            var stat = "/proc/" + id.ToString(CultureInfo.InvariantCulture) + "/stat";
            await WaitForAsync(() => File.Exists(stat) && File.ReadAllText(stat).Contains(") Z ", StringComparison.Ordinal), "the zombie");

            Assert.False(SupervisorWatch.IsRunning(id));
        }
        finally
        {
            parent.Kill();
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for " + what);
            await Task.Delay(5);
        }
    }

    private sealed class RecordingLifetime : IHostApplicationLifetime
    {
        private int _stopRequests;

        public int StopRequests => Volatile.Read(ref _stopRequests);

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => Interlocked.Increment(ref _stopRequests);
    }
}
