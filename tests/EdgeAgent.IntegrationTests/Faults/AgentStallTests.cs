using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.IntegrationTests.Peer;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// A stopped or starved agent (SIGSTOP, CPU contention on a small board) does not take its peers for
/// silent: the load stream's quiet and the last report's age are measured on the connection's clock
/// of observed time (SchedulingLag), which leaves out the time the agent itself was not running. The
/// agent's clock is a FakeTimeProvider, the peer real on loopback; the peer is asked for one report
/// every 10 s (its longest interval), so within a test only the first report arrives. The fake
/// clock starts an hour ahead, so gRPC deadlines (real time) never fire before the fake ones.
/// </summary>
public sealed class AgentStallTests
{
    private static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(3);

    // A connection to PEER on a fake clock, running, with its first report in (options: the stall tests' by default).
    private static async Task<(PeerConnection Connection, FakeTimeProvider Time, LogCapture Logs, CancellationTokenSource Stop, Task Run)> ConnectAsync(Microsoft.AspNetCore.Builder.WebApplication peer, AgentOptions? options = null)
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1));
        options ??= new AgentOptions { StaleAfter = StaleAfter, LoadReportInterval = TimeSpan.FromSeconds(10), HungPeerFloor = TimeSpan.FromMilliseconds(250) };
        Assert.True(PeerEndpoint.TryParse("p", peer.GetTcpAddress().ToString(), out var endpoint, out var error), error);
        var logs = new LogCapture();
        var connection = new PeerConnection(endpoint, options, time, new Random(1), logs.CreateLogger("peer"));
        var stop = new CancellationTokenSource();
        var run = connection.RunAsync(stop.Token);
        await AgentCluster.WaitUntilAsync(() => connection.IsAvailable, "the first load report");
        return (connection, time, logs, stop, run);
    }

    // One check of the watchdog: advance the agent's clock by its interval and wait until the check ran.
    private static async Task StepAsync(PeerConnection connection, FakeTimeProvider time)
    {
        var checks = connection.Lag.Checks;
        time.Advance(connection.Lag.Interval);
        await AgentCluster.WaitUntilAsync(() => connection.Lag.Checks > checks, "the watchdog's check");
    }

    private static async Task StopAsync(PeerConnection connection, CancellationTokenSource stop, Task run)
    {
        await stop.CancelAsync();
        await run.WaitAsync(AgentCluster.Bound);
        stop.Dispose();
        connection.Dispose();
    }

    [Fact]
    public async Task AgentStopped_LongerThanStaleAfter_PeerStaysAvailableAndItsStreamOpen()
    {
        using var repo = new TempRepository().Add("chain", 1, TinyOnnx.MatMulChain(8));
        await using var peer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root, Listen = "127.0.0.1:0", NodeName = "p" }, PeerFixture.Quiet).WaitAsync(AgentCluster.Bound);
        var (connection, time, logs, stop, run) = await ConnectAsync(peer);
        await StepAsync(connection, time);
        var connects = connection.Load.Connects;

        // Ten times StaleAfter pass at once: the agent was not running (its timers all come due together).
        time.Advance(StaleAfter * 10);
        Assert.True(connection.IsAvailable, $"available at once after the stop (age {connection.LoadAge.TotalMilliseconds:0} ms)");
        await AgentCluster.WaitUntilAsync(() => connection.Lag.Checks > 1, "the late check");
        await StepAsync(connection, time);
        await StepAsync(connection, time);

        Assert.True(connection.IsAvailable, $"available after the late check (age {connection.LoadAge.TotalMilliseconds:0} ms)");
        Assert.True(connection.LoadAge < StaleAfter / 2, $"age {connection.LoadAge.TotalMilliseconds:0} ms leaves the stop out");
        Assert.Equal(connects, connection.Load.Connects);
        Assert.DoesNotContain(logs.Entries, e => e.Message.Contains("sent no load report", StringComparison.Ordinal));
        await StopAsync(connection, stop, run);
    }

    [Fact]
    public async Task PeerQuiet_ForStaleAfterOfRunningTime_UnavailableAndStreamReconnects()
    {
        using var repo = new TempRepository().Add("chain", 1, TinyOnnx.MatMulChain(8));
        await using var peer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root, Listen = "127.0.0.1:0", NodeName = "p" }, PeerFixture.Quiet).WaitAsync(AgentCluster.Bound);
        var (connection, time, logs, stop, run) = await ConnectAsync(peer);

        // The agent runs (every check on time) and no report comes: after StaleAfter of that, the peer is stale.
        var steps = (int)(StaleAfter / connection.Lag.Interval);
        for (var i = 0; i < steps - 1; i++)
        {
            await StepAsync(connection, time);
        }

        Assert.True(connection.IsAvailable, $"still available just before StaleAfter (age {connection.LoadAge.TotalMilliseconds:0} ms)");

        // A step taken before the watchdog re-armed its wait makes one check late (the test, not the
        // agent, was slow): that only delays staleness, so step on until it comes, within a bound.
        for (var extra = 0; connection.IsAvailable && extra < steps; extra++)
        {
            await StepAsync(connection, time);
        }

        Assert.False(connection.IsAvailable, $"stale after StaleAfter (age {connection.LoadAge.TotalMilliseconds:0} ms)");
        Assert.True(connection.LoadAge > StaleAfter);
        await AgentCluster.WaitUntilAsync(() => logs.Entries.Any(e => e.Message.Contains("sent no load report", StringComparison.Ordinal)), "the quiet stream's warning");
        await AgentCluster.WaitUntilAsync(() => !connection.Load.Connected, "the quiet stream ended");
        await StopAsync(connection, stop, run);
    }

    // A call at a peer that never answers (its load stream healthy), hang detection off so only
    // the offload timeout ends it: the timeout passes across a stop of the agent, or while it runs.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CallTimesOut_AcrossAStopOrWhileRunning_CircuitBlamesThePeerOnlyWhenTheAgentRan(bool acrossAStop)
    {
        using var repo = new TempRepository().Add("chain", 1, TinyOnnx.MatMulChain(8));
        var (peer, backend) = await FaultPeers.StartHungPeerAsync(repo.Root);
        await using (peer)
        {
            var timeout = TimeSpan.FromSeconds(2);
            // StaleAfter 40 s: the watchdog checks every 5 s, so one step (taken while its first wait
            // is certainly armed) covers the whole timeout on time.
            var options = new AgentOptions { StaleAfter = TimeSpan.FromSeconds(40), LoadReportInterval = TimeSpan.FromSeconds(10), HungPeerFloor = TimeSpan.Zero, OffloadTimeout = timeout };
            var (connection, time, _, stop, run) = await ConnectAsync(peer, options);

            var call = connection.InferAsync(FaultPeers.ChainRequest(rows: 4), timeout, CancellationToken.None);
            await AgentCluster.WaitUntilAsync(() => !backend.Arrivals.IsEmpty, "the call at the peer");
            if (acrossAStop)
            {
                time.Advance(timeout * 3);
            }
            else
            {
                Assert.True(connection.Lag.Interval > timeout);
                await StepAsync(connection, time);
            }

            var failed = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => call.WaitAsync(AgentCluster.Bound));
            Assert.Equal(Grpc.Core.StatusCode.DeadlineExceeded, failed.StatusCode);
            Assert.Equal(acrossAStop ? 0 : 1, connection.Circuit.ConsecutiveFailures);
            Assert.Equal(!acrossAStop, !connection.Circuit.AllowsCalls);
            await StopAsync(connection, stop, run);
        }
    }
}
