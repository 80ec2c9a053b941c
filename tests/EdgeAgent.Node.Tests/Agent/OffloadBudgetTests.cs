using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class OffloadBudgetTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public void OffloadBudget_NoDeadline_TheOffloadTimeout()
    {
        Assert.Equal(Timeout, Dispatcher.OffloadBudget(null, Observation(exec: 0.2), Timeout));
    }

    [Fact]
    public void OffloadBudget_DeadlineTwiceLocalTime_LeavesTheLocalReserve()
    {
        // 400 ms left, local 200 ms: reserve 1.5 x 200 + 20 = 320 ms, so the peer gets 80 ms.
        var budget = Dispatcher.OffloadBudget(TimeSpan.FromMilliseconds(400), Observation(exec: 0.2), Timeout);

        Assert.NotNull(budget);
        Assert.Equal(80, budget.Value.TotalMilliseconds, precision: 6);
    }

    [Fact]
    public void OffloadBudget_QueuedLocalWork_CountsPerSlot()
    {
        // 1 s residual over 2 slots + 100 ms exec = 600 ms; x 1.5 + 20 = 920 ms reserved of 2 s.
        var budget = Dispatcher.OffloadBudget(TimeSpan.FromSeconds(2), Observation(exec: 0.1, residual: 1.0, slots: 2), Timeout);

        Assert.Equal(1080, budget!.Value.TotalMilliseconds, precision: 6);
    }

    [Fact]
    public void OffloadBudget_MeasuredLocalPathLongerThanExec_ReservesTheMeasuredTime()
    {
        // exec 100 ms but the agent's local path measured 200 ms: 1.5 x 200 + 20 = 320 ms reserved.
        var budget = Dispatcher.OffloadBudget(TimeSpan.FromMilliseconds(500), Observation(exec: 0.1), Timeout, measuredLocalSeconds: 0.2);

        Assert.Equal(180, budget!.Value.TotalMilliseconds, precision: 6);
    }

    [Fact]
    public void OffloadBudget_DeadlineShorterThanTheReserve_NoOffload()
    {
        Assert.Null(Dispatcher.OffloadBudget(TimeSpan.FromMilliseconds(300), Observation(exec: 0.2), Timeout));
    }

    [Fact]
    public void OffloadBudget_LongDeadline_CappedAtTheOffloadTimeout()
    {
        Assert.Equal(Timeout, Dispatcher.OffloadBudget(TimeSpan.FromSeconds(60), Observation(exec: 0.2), Timeout));
    }

    private static OffloadObservation Observation(double exec, double residual = 0, int slots = 1) => new(
        new TaskObservation("m", 1000, null),
        [
            new ServerObservation { Placement = Placement.Local(), Kind = ServerKind.Local, Available = true, ExpectedExecSeconds = exec, ResidualWorkSeconds = residual, MaxConcurrency = slots },
            new ServerObservation { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, Available = true, ExpectedExecSeconds = exec / 3 },
        ]);
}
