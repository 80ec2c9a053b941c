using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Tests.Simulation;

public sealed class ProcessorSharingTests
{
    [Fact]
    public void SumOfCompletionTimes_TwoTasksSharing_MatchesHandComputed()
    {
        // Speed 2 bits/s, residuals 2 and 6 bits at t = 0. Both at 1 bit/s until the small one
        // finishes at t = 2; the other has 4 left at 2 bits/s: finishes at t = 4. Sum = 6.
        Span<double> scratch = new double[8];
        var sum = ProcessorSharing.SumOfCompletionTimes(0, 2, 0, [6, 2], [], [], 0, 0, new double[8], new double[8], scratch);
        Assert.Equal(6.0, sum, 12);
    }

    [Fact]
    public void SumOfCompletionTimes_TaskJoiningAfterUpload_MatchesHandComputed()
    {
        // Speed 1 bit/s; a 3-bit task runs alone from t = 0. A 2-bit task joins at t = 1 (after
        // its upload): at t = 1 the first has 2 left; both share at 0.5 bit/s, both finish at t = 5.
        var without = ProcessorSharing.SumOfCompletionTimes(0, 1, 0, [3], [], [], 0, 0, new double[8], new double[8], new double[8]);
        var with = ProcessorSharing.SumOfCompletionTimes(0, 1, 0, [3], [], [], 1, 2, new double[8], new double[8], new double[8]);
        Assert.Equal(3.0, without, 12);
        Assert.Equal(10.0, with, 12);
    }

    [Fact]
    public void SumOfCompletionTimes_ExistingTaskFinishesDuringUpload_NewTaskRunsAlone()
    {
        // Speed 1 bit/s; 1 bit left on the server; a 4-bit task joins at t = 2 when the server is
        // already empty, finishing at t = 6. The existing task's completion (t = 1) is unchanged.
        var without = ProcessorSharing.SumOfCompletionTimes(0, 1, 0, [1], [], [], 0, 0, new double[8], new double[8], new double[8]);
        var with = ProcessorSharing.SumOfCompletionTimes(0, 1, 0, [1], [], [], 2, 4, new double[8], new double[8], new double[8]);
        Assert.Equal(6.0, with - without, 12);
    }

    [Fact]
    public void Run_StopsAtHorizon_KeepsServiceClock()
    {
        var marks = new double[4];
        var count = 0;
        ProcessorSharing.InsertDescending(marks, ref count, 10);
        ProcessorSharing.InsertDescending(marks, ref count, 4);
        var t = 0.0;
        var service = 0.0;
        var pending = 0;
        var sum = 0.0;
        var finished = 0;
        ProcessorSharing.Run(ref t, 3, 2, ref service, marks, ref count, new double[4], new double[4], ref pending, ref sum, ref finished);
        Assert.Equal(3.0, t, 12);
        Assert.Equal(3.0, service, 12); // 2 bits/s shared by two tasks for 3 s
        Assert.Equal(2, count);
        Assert.Equal(0, finished);
    }
}
