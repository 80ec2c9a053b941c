using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.TestModels;

namespace EdgeAgent.IntegrationTests.Hosting;

/// <summary>
/// A node started by a supervisor that is then killed with SIGKILL (which the supervisor cannot
/// pass on) stops by itself: the real binary, started as the benchmarks start it
/// (<see cref="NodeProcess"/>), watching a stand-in supervisor process through
/// <c>Serving:StopWithProcessId</c>.
/// </summary>
public sealed class SupervisorWatchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("agent")]
    [InlineData("peer")]
    public async Task Node_SupervisorKilled_NodeStopsCleanlyWithinSeconds(string role)
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        using var supervisor = Process.Start(new ProcessStartInfo("sleep", ["600"]) { UseShellExecute = false })!;
        var environment = new Dictionary<string, string> { [NodeProcess.SupervisorVariable] = supervisor.Id.ToString(CultureInfo.InvariantCulture) };
        string[] arguments = role == "agent" ? ["agent", "--models", repo.Root, "--policy", "local"] : ["peer", "--models", repo.Root];
        await using var node = await NodeProcess.StartAsync("dotnet", [Path.Combine(AppContext.BaseDirectory, "edgeagent.dll")], arguments, environment, Timeout, CancellationToken.None);
        var exit = node.WaitForExitAsync(CancellationToken.None);

        // Still serving a few checks later: the watch does not stop a node whose supervisor runs.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        Assert.False(exit.IsCompleted, $"edgeagent {role} stopped while its supervisor was running");

        var killed = Stopwatch.StartNew();
        supervisor.Kill();
        var code = await exit.WaitAsync(Timeout);

        Assert.Equal(0, code);
        Assert.True(killed.Elapsed < TimeSpan.FromSeconds(30), $"edgeagent {role} stopped {killed.Elapsed.TotalSeconds:0.0} s after its supervisor was killed");
    }
}
