using EdgeAgent.Demo.Benchmarks;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Demo.Tests.Benchmarks;

public sealed class NodeProcessTests
{
    [Fact]
    public async Task StartAsync_NodeNeverReady_FailsAfterTheTimeoutOnItsClockWithOneLineNamingTheLastProbe()
    {
        // A process that runs but never listens: every ServerReady probe is refused. The start-up
        // timeout runs on the given clock, advanced here by hand, so nothing waits two minutes
        // and nothing depends on how fast the machine is.
        var time = new FakeTimeProvider();
        var start = NodeProcess.StartAsync(
            new NodeLaunch { Executable = "sh", LeadingArguments = ["-c", "sleep 600"] },
            ["peer"], NodeProcess.FreePort(), TimeSpan.FromSeconds(120), time, CancellationToken.None);
        while (!start.IsCompleted)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        var error = await Assert.ThrowsAsync<TimeoutException>(() => start);
        Assert.StartsWith("edgeagent peer was not ready within 120 s (last probe: ServerReady ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task StartAsync_ProcessExitsDuringStartUp_FailsNamingTheExitCode()
    {
        var error = await StartShellAsync("exit 3");

        Assert.Equal("edgeagent agent exited with code 3 during start-up.", error.Message);
    }

    [Fact]
    public async Task StartAsync_StartedNode_WatchesTheStartingProcess()
    {
        // The node is told to stop when this process exits (Serving:StopWithProcessId): the stand-in
        // exits with 3 when the variable holds this process's id, else 4.
        var id = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var error = await StartShellAsync("test \"$" + NodeProcess.SupervisorVariable + "\" = \"" + id + "\" && exit 3; exit 4");

        Assert.Equal("edgeagent agent exited with code 3 during start-up.", error.Message);
    }

    /// <summary>
    /// Starts a shell script as an agent that never listens and returns how the start failed. The
    /// clock moves on in the probes' 200 ms steps, never near the (long) start-up timeout: the
    /// script's exit is what ends the wait.
    /// </summary>
    private static async Task<InvalidOperationException> StartShellAsync(string script)
    {
        var time = new FakeTimeProvider();
        var start = NodeProcess.StartAsync(
            new NodeLaunch { Executable = "sh", LeadingArguments = ["-c", script] },
            ["agent"], NodeProcess.FreePort(), TimeSpan.FromDays(365), time, CancellationToken.None);
        while (!start.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(200));
            await Task.Delay(1);
        }

        return await Assert.ThrowsAsync<InvalidOperationException>(() => start);
    }
}
