using System.ComponentModel.DataAnnotations;
using System.Runtime.InteropServices;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Inference.Tests.Execution;

public sealed class LocalExecutorProbeTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempRepository _repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg()).Add("other", 1, TinyOnnx.AddNeg());
    private readonly ModelCatalog _catalog;

    public LocalExecutorProbeTests()
    {
        _catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
    }

    public void Dispose()
    {
        _catalog.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task ProbeIdleAsync_EstimateOlderThanTheInterval_RunsTheRetainedInputOnce()
    {
        var time = new FakeTimeProvider();
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { IdleProbeIntervalSeconds = 10 }, time);
        var model = _catalog.Find("add_neg")!;
        (await executor.RunAsync(model, null, Inputs(), null, CancellationToken.None).WaitAsync(Timeout)).Dispose();

        var early = await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout);
        time.Advance(TimeSpan.FromSeconds(10));
        var due = await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout);
        var again = await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Null(early);
        Assert.NotNull(due);
        Assert.Equal(("add_neg", "fp32", 32L), (due.Model, due.Variant, due.InputBytes));
        Assert.Null(again);
        var stats = Assert.Single(executor.GetLoadSnapshot().Models);
        Assert.Equal((1L, 0L), (stats.Completed, stats.Failed));
    }

    [Fact]
    public async Task ProbeIdleAsync_NoRequestYet_NothingToProbe()
    {
        var time = new FakeTimeProvider();
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { IdleProbeIntervalSeconds = 1 }, time);
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Null(await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task ProbeIdleAsync_ProbesOff_NeverRuns()
    {
        var time = new FakeTimeProvider();
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { IdleProbeIntervalSeconds = 0 }, time);
        (await executor.RunAsync(_catalog.Find("add_neg")!, null, Inputs(), null, CancellationToken.None).WaitAsync(Timeout)).Dispose();
        time.Advance(TimeSpan.FromHours(1));

        Assert.False(executor.ProbesEnabled);
        Assert.Null(await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout));
    }

    [Fact]
    public async Task ProbeIdleAsync_ARequestRunning_DoesNotProbe()
    {
        var time = new FakeTimeProvider();
        using var executor = SlowExecutor(time);
        var model = _catalog.Find("add_neg")!;
        await CompleteAsync(executor.RunAsync(model, null, Inputs(), null, CancellationToken.None), time);
        time.Advance(TimeSpan.FromSeconds(10));

        // The emulated slow-down holds the slot until the fake clock moves.
        var running = executor.RunAsync(model, null, Inputs(), null, CancellationToken.None);
        var probe = await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout);
        await CompleteAsync(running, time);

        Assert.Null(probe);
    }

    [Fact]
    public async Task ProbeIdleAsync_ARequestArrivesDuringTheProbe_ProbeCancelledAndNotShownAsLoad()
    {
        var time = new FakeTimeProvider();
        using var executor = SlowExecutor(time);
        var model = _catalog.Find("add_neg")!;
        await CompleteAsync(executor.RunAsync(model, null, Inputs(), null, CancellationToken.None), time);
        time.Advance(TimeSpan.FromSeconds(10));

        var probe = executor.ProbeIdleAsync(CancellationToken.None);
        var during = executor.GetLoadSnapshot();
        time.Advance(TimeSpan.FromMilliseconds(4));
        var request = executor.RunAsync(model, null, Inputs(), null, CancellationToken.None);
        var gaveWay = await probe.WaitAsync(Timeout);
        var served = await CompleteAsync(request, time);

        // The probe held the slot 4 ms of its 20 (its energy still counts) and the request did not wait
        // for the other 16: the fake clock moves only in the test's 2 ms steps while it waits.
        Assert.NotNull(gaveWay);
        Assert.True(gaveWay.Cancelled);
        Assert.Equal(TimeSpan.FromMilliseconds(4), gaveWay.ExecTime);
        Assert.True(served.QueueTime < TimeSpan.FromMilliseconds(16), $"queued {served.QueueTime.TotalMilliseconds} ms behind the probe");
        Assert.Equal((0, 0, 0.0), (during.Running, during.Queued, during.TotalResidualWorkMs));
        var stats = Assert.Single(executor.GetLoadSnapshot().Models);
        Assert.Equal((2L, 0L), (stats.Completed, stats.Failed));
    }

    [Fact]
    public async Task ProbeIdleAsync_TwoModelsDue_AtMostOneProbePerThirdOfTheInterval()
    {
        var time = new FakeTimeProvider();
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { IdleProbeIntervalSeconds = 30 }, time);
        (await executor.RunAsync(_catalog.Find("add_neg")!, null, Inputs(), null, CancellationToken.None).WaitAsync(Timeout)).Dispose();
        time.Advance(TimeSpan.FromSeconds(1));
        (await executor.RunAsync(_catalog.Find("other")!, null, Inputs(), null, CancellationToken.None).WaitAsync(Timeout)).Dispose();
        time.Advance(TimeSpan.FromSeconds(30));

        var first = await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout);
        var overBudget = await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout);
        time.Advance(TimeSpan.FromSeconds(10));
        var second = await executor.ProbeIdleAsync(CancellationToken.None).WaitAsync(Timeout);

        // The stalest first.
        Assert.Equal("add_neg", first?.Model);
        Assert.Null(overBudget);
        Assert.Equal("other", second?.Model);
        Assert.Equal(3, LocalExecutor.ProbesPerInterval);
    }

    [Fact]
    public async Task ProbeIdleAsync_SlowRunsThenFastProbes_EstimateRecovers()
    {
        // Thread CPU per run (injected): the requests ran under load (60 ms), the probes on an idle
        // machine (20 ms); at factor 0.5 the slot is held twice that.
        var time = new FakeTimeProvider();
        var cpu = TimeSpan.Zero;
        var cost = 60.0;
        var before = true;
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { ComputeSpeedFactor = 0.5, SpeedFactorClock = EmulationClock.ThreadCpu, IdleProbeIntervalSeconds = 5 }, time)
        {
            ThreadCpuTime = () =>
            {
                if (!before)
                {
                    cpu += TimeSpan.FromMilliseconds(cost);
                }

                before = !before;
                return cpu;
            },
        };
        var model = _catalog.Find("add_neg")!;
        for (var i = 0; i < 6; i++)
        {
            await CompleteAsync(executor.RunAsync(model, null, Inputs(), null, CancellationToken.None), time);
        }

        var stale = executor.MeanExecMs(model);
        cost = 20;
        var probes = 0;
        for (var i = 0; i < 8; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            var probe = executor.ProbeIdleAsync(CancellationToken.None);
            if (await CompleteAsync(probe, time) is not null)
            {
                probes++;
            }
        }

        Assert.InRange(stale, 110, 130);
        Assert.Equal(8, probes);
        Assert.InRange(executor.MeanExecMs(model), 35, 45);
        Assert.InRange(executor.ExpectedExecMs(model, 32), 35, 45);
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(30, true)]
    [InlineData(86_400, true)]
    [InlineData(0.5, false)]
    [InlineData(-1, false)]
    [InlineData(100_000, false)]
    [InlineData(double.NaN, false)]
    public void ExecutionOptions_IdleProbeInterval_ValidatedWithOneLine(double seconds, bool valid)
    {
        var options = new ExecutionOptions { IdleProbeIntervalSeconds = seconds };
        var results = new List<ValidationResult>();

        var ok = Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Equal(valid, ok);
        if (!valid)
        {
            var message = Assert.Single(results).ErrorMessage!;
            Assert.StartsWith("Execution:IdleProbeIntervalSeconds is ", message, StringComparison.Ordinal);
            Assert.Contains("use 0 (no idle-time execution probes) or 1 to 86400 seconds", message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', message);
        }
    }

    [Fact]
    public void ExecutionOptions_Default_ProbesAfter30Seconds()
    {
        Assert.Equal(30, new ExecutionOptions().IdleProbeIntervalSeconds);
    }

    // An executor emulating a half-speed device on an injected CPU clock (10 ms per run): each run
    // holds its slot in a delay of the fake clock until the test advances it.
    private LocalExecutor SlowExecutor(FakeTimeProvider time)
    {
        var cpu = TimeSpan.Zero;
        var before = true;
        return new LocalExecutor(_catalog, new ExecutionOptions { ComputeSpeedFactor = 0.5, SpeedFactorClock = EmulationClock.ThreadCpu, IdleProbeIntervalSeconds = 5 }, time)
        {
            ThreadCpuTime = () =>
            {
                if (!before)
                {
                    cpu += TimeSpan.FromMilliseconds(10);
                }

                before = !before;
                return cpu;
            },
        };
    }

    private static async Task<T> CompleteAsync<T>(Task<T> task, FakeTimeProvider time)
    {
        using var cap = new CancellationTokenSource(Timeout);
        while (!task.IsCompleted)
        {
            time.Advance(TimeSpan.FromMilliseconds(2));
            await Task.Delay(2, cap.Token);
        }

        var result = await task;
        (result as IDisposable)?.Dispose();
        return result;
    }

    private static InferenceInput[] Inputs() => [Fp32("a", [1, 2, 3, 4], 1, 4), Fp32("b", [5, 6, 7, 8], 1, 4)];

    private static InferenceInput Fp32(string name, float[] values, params long[] shape) =>
        new(name, TensorDataType.Fp32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
