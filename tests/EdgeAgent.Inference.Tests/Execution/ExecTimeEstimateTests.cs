using EdgeAgent.Inference.Execution;

namespace EdgeAgent.Inference.Tests.Execution;

public sealed class ExecTimeEstimateTests
{
    [Fact]
    public void Record_ColdFirstRun_IsTheEstimateUntilTheSecondReplacesIt()
    {
        var estimate = new ExecTimeEstimate();

        estimate.Record(1000, 400);
        var first = estimate.MeanMs;
        estimate.Record(1000, 60);

        Assert.Equal(400, first, 6);
        Assert.Equal(60, estimate.MeanMs, 6);
    }

    [Fact]
    public void Record_OneSlowRunAmongWarmOnes_MovesTheMeanLittle()
    {
        var estimate = new ExecTimeEstimate();
        foreach (var ms in new[] { 200.0, 60, 62, 58, 61, 59 })
        {
            estimate.Record(1000, ms);
        }

        estimate.Record(1000, 600);

        Assert.InRange(estimate.MeanMs, 57, 66);
    }

    [Fact]
    public void Record_StaleSlowEstimateThenFreshRuns_RecoversWithinAFewRuns()
    {
        // A warm-up under load: ten runs at 160 ms; then idle-time probes measure 75 ms.
        var estimate = new ExecTimeEstimate();
        for (var i = 0; i < 11; i++)
        {
            estimate.Record(1000, 160);
        }

        var runs = 0;
        while (estimate.MeanMs > 80 && runs < 32)
        {
            estimate.Record(1000, 75);
            runs++;
        }

        Assert.InRange(runs, 1, 6);
        Assert.InRange(estimate.MeanMs, 74, 80);
    }

    [Fact]
    public void ExpectedMs_TimeGrowsWithSize_FollowsTheLineAndClampsToTheMeasuredRange()
    {
        // Recognition-like: 20 ms + 0.2 ms per KB over 100-500 KB, +-2 % alternating noise.
        var estimate = new ExecTimeEstimate();
        estimate.Record(300_000, 300); // cold first run, dropped
        for (var i = 0; i < 20; i++)
        {
            var bytes = 100_000 + (i * 20_000);
            var ms = (20 + (0.0002 * bytes)) * (i % 2 == 0 ? 1.02 : 0.98);
            estimate.Record(bytes, ms);
        }

        Assert.True(estimate.Line.IsUsable);
        Assert.InRange(estimate.ExpectedMs(150_000), 50 * 0.95, 50 * 1.05);
        Assert.InRange(estimate.ExpectedMs(450_000), 110 * 0.95, 110 * 1.05);
        Assert.Equal(estimate.ExpectedMs(480_000), estimate.ExpectedMs(5_000_000), 9);
        Assert.Equal(estimate.ExpectedMs(100_000), estimate.ExpectedMs(1), 9);
    }

    [Fact]
    public void ExpectedMs_WidestInputsFirstThenNarrowOnes_DoesNotKeepTheWideMean()
    {
        // The demo's first items hold the widest lines: a mean would keep their time for all.
        var estimate = new ExecTimeEstimate();
        foreach (var bytes in new long[] { 510_000, 480_000, 450_000, 420_000, 400_000, 380_000, 345_000 })
        {
            estimate.Record(bytes, 0.25 * bytes / 1000);
        }

        for (var i = 0; i < 4; i++)
        {
            estimate.Record(200_000 + (i * 40_000), 0.25 * (200_000 + (i * 40_000)) / 1000);
        }

        Assert.InRange(estimate.ExpectedMs(200_000), 45, 55);
        // The first (510 KB) run was the session's cold one, dropped: the line ends at 480 KB.
        Assert.InRange(estimate.ExpectedMs(500_000), 118, 122);
    }

    [Fact]
    public void ExpectedMs_OneSizeOnly_IsTheMean()
    {
        var estimate = new ExecTimeEstimate();
        for (var i = 0; i < 10; i++)
        {
            estimate.Record(921_600, 36 + (i % 3));
        }

        Assert.False(estimate.Line.IsUsable);
        Assert.Equal(estimate.MeanMs, estimate.ExpectedMs(100), 9);
        Assert.InRange(estimate.MeanMs, 36, 38);
    }

    [Fact]
    public void ExpectedMs_FewerRunsThanALineNeeds_IsTheMean()
    {
        var estimate = new ExecTimeEstimate();
        for (var i = 0; i < ExecTimeEstimate.MinLineRuns; i++)
        {
            // The first is dropped: MinLineRuns - 1 runs kept.
            estimate.Record(100_000 * (i + 1), 10 * (i + 1));
        }

        Assert.False(estimate.Line.IsUsable);
        Assert.Equal(estimate.MeanMs, estimate.ExpectedMs(600_000), 9);
    }

    [Fact]
    public void ExpectedMs_TimeFallsWithSize_NoLine()
    {
        var estimate = new ExecTimeEstimate();
        for (var i = 0; i < 12; i++)
        {
            estimate.Record(100_000 + (i * 10_000), 100 - i);
        }

        Assert.False(estimate.Line.IsUsable);
    }

    [Fact]
    public void ExpectedMs_OneOutlierAmongSizedRuns_LineBarelyMoves()
    {
        var estimate = new ExecTimeEstimate();
        estimate.Record(1, 1);
        for (var i = 0; i < 16; i++)
        {
            var bytes = 100_000 + (i * 25_000);
            estimate.Record(bytes, 0.0002 * bytes);
        }

        var before = estimate.ExpectedMs(300_000);
        estimate.Record(150_000, 600);

        Assert.InRange(estimate.ExpectedMs(300_000), before * 0.95, before * 1.05);
    }

    [Fact]
    public void RecordAndExpectedMs_Warm_AllocateNothing()
    {
        var estimate = new ExecTimeEstimate();
        for (var i = 0; i < 40; i++)
        {
            estimate.Record(100_000 + (i * 7_000), 20 + (i % 5));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0.0;
        for (var i = 0; i < 100; i++)
        {
            estimate.Record(100_000 + (i * 3_000), 25);
            sum += estimate.ExpectedMs(200_000);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }

    [Fact]
    public void Record_NotAFiniteTime_Ignored()
    {
        var estimate = new ExecTimeEstimate();
        estimate.Record(10, double.NaN);
        estimate.Record(10, -1);

        Assert.Equal(0, estimate.Runs);
        Assert.Equal(0, estimate.MeanMs);
    }

    [Fact]
    public void CopyFrom_TakesTheOthersRunsAndFit_Clear_ForgetsEveryRun()
    {
        var source = new ExecTimeEstimate();
        for (var k = 0; k < 40; k++)
        {
            source.Record(100_000 + (10_000 * (k % 7)), 20 + (k % 7) + (0.1 * (k % 3)));
        }

        var copy = new ExecTimeEstimate();
        copy.Record(5, 999);
        copy.CopyFrom(source);
        Assert.Equal(source.Runs, copy.Runs);
        Assert.Equal(source.MeanMs, copy.MeanMs);
        Assert.Equal(source.Line, copy.Line);
        source.Record(130_000, 40);
        copy.Record(130_000, 40);
        Assert.Equal(source.ExpectedMs(120_000), copy.ExpectedMs(120_000), 12);

        copy.Clear();
        Assert.Equal(0, copy.Runs);
        Assert.Equal(0, copy.MeanMs);
        Assert.Equal(ExecTimeLine.None, copy.Line);
        copy.Record(100_000, 10);
        copy.Record(100_000, 12);
        Assert.Equal(12, copy.MeanMs, 12); // the first run after Clear is a session's first again
    }
}
