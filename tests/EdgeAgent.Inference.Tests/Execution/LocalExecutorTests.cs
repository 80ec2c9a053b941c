using System.Runtime.InteropServices;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.TestModels;

namespace EdgeAgent.Inference.Tests.Execution;

public sealed class LocalExecutorTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempRepository _repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg()).Add("chain", 1, TinyOnnx.MatMulChain(8));
    private readonly ModelCatalog _catalog;

    public LocalExecutorTests()
    {
        _catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
    }

    public void Dispose()
    {
        _catalog.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task RunAsync_AddNeg_ReturnsOnnxRuntimeOutputs()
    {
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions());
        float[] a = [1, 2, 3, 4, 5, 6, 7, 8];
        float[] b = [10, 20, 30, 40, 50, 60, 70, 80];

        using var result = await executor.RunAsync(_catalog.Find("add_neg")!, null, [Fp32("a", a, 2, 4), Fp32("b", b, 2, 4)], null, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(["sum", "neg"], result.Outputs.Select(o => o.Name));
        Assert.Equal([2L, 4L], result.Outputs[0].Shape);
        Assert.Equal(TensorDataType.Fp32, result.Outputs[0].DataType);
        Assert.Equal(a.Zip(b, (x, y) => x + y), MemoryMarshal.Cast<byte, float>(result.Outputs[0].Data).ToArray());
        Assert.Equal(a.Select(x => -x), MemoryMarshal.Cast<byte, float>(result.Outputs[1].Data).ToArray());
        Assert.Equal("fp32", result.Variant);
    }

    [Fact]
    public async Task RunAsync_RequestedOutput_ReturnsOnlyIt()
    {
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions());
        float[] a = [1, 2, 3, 4];

        using var result = await executor.RunAsync(_catalog.Find("add_neg")!, "default", [Fp32("a", a, 1, 4), Fp32("b", a, 1, 4)], ["neg"], CancellationToken.None).WaitAsync(Timeout);

        var output = Assert.Single(result.Outputs);
        Assert.Equal("neg", output.Name);
    }

    [Fact]
    public async Task RunAsync_UnalignedInputMemory_CopiesAndRuns()
    {
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions());
        var backing = new byte[17];
        MemoryMarshal.AsBytes<float>([1, 2, 3, 4]).CopyTo(backing.AsSpan(1));
        var unaligned = new InferenceInput("a", TensorDataType.Fp32, [1, 4], backing.AsMemory(1, 16));

        using var result = await executor.RunAsync(_catalog.Find("add_neg")!, null, [unaligned, Fp32("b", [1, 1, 1, 1], 1, 4)], ["sum"], CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal([2f, 3f, 4f, 5f], MemoryMarshal.Cast<byte, float>(result.Outputs[0].Data).ToArray());
    }

    [Fact]
    public async Task RunAsync_QueueFull_RefusesAndSnapshotShowsQueuedAndRunningWork()
    {
        // A 1000x emulated slow-down holds the single slot until the test cancels it: the hold is a
        // delay on a fake clock that moves 1 ms per reading (so runs measure a non-zero time and the
        // hold is about 1000 readings long), not on the wall clock, which a loaded machine can
        // exhaust before the queue is observed (the running request then finished too early).
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { MaxConcurrency = 1, QueueCapacity = 1, ComputeSpeedFactor = 0.001, HistogramBinMs = 5, HistogramBins = 4 }, time);
        var chain = _catalog.Find("chain")!;
        // A first run so the model has a measured time (its emulated hold ends as the test moves the clock).
        var first = executor.RunAsync(chain, null, [ChainInput(1)], null, CancellationToken.None);
        using (var cap = new CancellationTokenSource(Timeout))
        {
            while (!first.IsCompleted)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(5, cap.Token);
            }
        }

        (await first).Dispose();

        using var cts = new CancellationTokenSource();
        var running = executor.RunAsync(chain, null, [ChainInput(4096)], null, cts.Token);
        await WaitUntil(() => executor.GetLoadSnapshot().Running == 1);
        var queued = executor.RunAsync(chain, null, [ChainInput(1)], null, cts.Token);
        await WaitUntil(() => executor.GetLoadSnapshot().Queued == 1);

        var ex = await Assert.ThrowsAsync<ExecutorQueueFullException>(() => executor.RunAsync(chain, null, [ChainInput(1)], null, CancellationToken.None)).WaitAsync(Timeout);
        var snapshot = executor.GetLoadSnapshot();

        Assert.Contains("Execution:QueueCapacity=1", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, snapshot.Running);
        Assert.Equal(1, snapshot.Queued);
        Assert.Equal(4, snapshot.ResidualWorkHistogram.Count);
        Assert.Equal(2, snapshot.ResidualWorkHistogram.Sum());
        Assert.True(snapshot.TotalResidualWorkMs > 0, "the queued task carries its model's full measured time");
        var stats = Assert.Single(snapshot.Models);
        Assert.Equal(1, stats.Completed);
        Assert.True(stats.MeanExecMs > 0);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued).WaitAsync(Timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running).WaitAsync(Timeout);
        var after = executor.GetLoadSnapshot();
        Assert.Equal(0, after.Queued + after.Running);
        Assert.Equal(0, after.ResidualWorkHistogram.Sum());
    }

    [Fact]
    public async Task GetLoadSnapshot_AfterRuns_ReportsCompletionsAndServiceRate()
    {
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions());
        var model = _catalog.Find("add_neg")!;
        for (var i = 0; i < 3; i++)
        {
            using var _ = await executor.RunAsync(model, null, [Fp32("a", [1, 2, 3, 4], 1, 4), Fp32("b", [1, 2, 3, 4], 1, 4)], null, CancellationToken.None).WaitAsync(Timeout);
        }

        var snapshot = executor.GetLoadSnapshot();

        Assert.Equal(3, Assert.Single(snapshot.Models).Completed);
        Assert.True(snapshot.ServiceRatePerSecond > 0);
        Assert.True(executor.MeanExecMs(model) > 0);
        Assert.Equal(0, snapshot.Queued + snapshot.Running);
    }

    [Fact]
    public async Task RunAsync_UnknownVariant_ThrowsNamingVariants()
    {
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions());

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => executor.RunAsync(_catalog.Find("add_neg")!, "int8", [], null, CancellationToken.None)).WaitAsync(Timeout);

        Assert.Contains("fp32", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EmulationClock.ThreadCpu, 80, 130)]
    [InlineData(EmulationClock.Wall, 0, 40)]
    public async Task RunAsync_SpeedFactorClock_StretchesThreadCpuTimeOrWallTime(EmulationClock clock, double minMs, double maxMs)
    {
        // The fake clock moves 1 ms per reading, so the run's wall time is a few ms; the injected
        // thread CPU clock moves 40 ms per reading, so the run "used" 40 ms of CPU: at factor 0.5 the
        // CPU clock holds the slot for 80 ms in all, the wall clock for twice the few ms.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        var cpu = TimeSpan.Zero;
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { ComputeSpeedFactor = 0.5, SpeedFactorClock = clock }, time)
        {
            ThreadCpuTime = () =>
            {
                var now = cpu;
                cpu += TimeSpan.FromMilliseconds(40);
                return now;
            },
        };

        var run = executor.RunAsync(_catalog.Find("add_neg")!, null, [Fp32("a", [1, 2, 3, 4], 1, 4), Fp32("b", [5, 6, 7, 8], 1, 4)], null, CancellationToken.None);
        using (var cap = new CancellationTokenSource(Timeout))
        {
            while (!run.IsCompleted)
            {
                time.Advance(TimeSpan.FromMilliseconds(2));
                await Task.Delay(2, cap.Token);
            }
        }

        using var result = await run;

        Assert.InRange(result.ExecTime.TotalMilliseconds, minMs, maxMs);
        Assert.Equal(clock == EmulationClock.ThreadCpu ? TimeSpan.FromMilliseconds(80) : TimeSpan.Zero, cpu);
    }

    [Fact]
    public async Task MeanExecMs_ColdFirstRunThenWarmRuns_FirstRunReplacedByTheSecond()
    {
        // Thread CPU per run (injected): the first run 100 ms (cold), later ones 10 ms; at factor 0.5
        // the runs take about 200, 20 and 20 ms of the fake clock.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        var cpu = TimeSpan.Zero;
        var costs = new Queue<double>([100, 10, 10]);
        var before = true;
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { ComputeSpeedFactor = 0.5, SpeedFactorClock = EmulationClock.ThreadCpu }, time)
        {
            ThreadCpuTime = () =>
            {
                // Reads come in pairs, before and after a run: the run's CPU cost lands between them.
                if (!before)
                {
                    cpu += TimeSpan.FromMilliseconds(costs.Dequeue());
                }

                before = !before;
                return cpu;
            },
        };
        var model = _catalog.Find("add_neg")!;
        var means = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            var run = executor.RunAsync(model, null, [Fp32("a", [1, 2, 3, 4], 1, 4), Fp32("b", [5, 6, 7, 8], 1, 4)], null, CancellationToken.None);
            using (var cap = new CancellationTokenSource(Timeout))
            {
                while (!run.IsCompleted)
                {
                    time.Advance(TimeSpan.FromMilliseconds(2));
                    await Task.Delay(2, cap.Token);
                }
            }

            (await run).Dispose();
            means.Add(executor.MeanExecMs(model));
        }

        Assert.InRange(means[0], 190, 260);
        Assert.InRange(means[1], 15, 45);
        Assert.InRange(means[2], 15, 45);
    }

    [Fact]
    public async Task MeanExecMs_OneSlowRunAmongWarmOnes_MovesTheEstimateLittleAndALastingSlowdownIsFollowed()
    {
        // Thread CPU per run (injected): a cold first run, three warm 10 ms runs, one 200 ms outlier,
        // then a lasting slowdown to 25 ms; at factor 0.5 the runs take about twice that of the fake clock.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider { AutoAdvanceAmount = TimeSpan.FromMilliseconds(1) };
        var cpu = TimeSpan.Zero;
        var costs = new Queue<double>([100, 10, 10, 10, 200, .. Enumerable.Repeat(25.0, 20)]);
        var before = true;
        using var executor = new LocalExecutor(_catalog, new ExecutionOptions { ComputeSpeedFactor = 0.5, SpeedFactorClock = EmulationClock.ThreadCpu }, time)
        {
            ThreadCpuTime = () =>
            {
                if (!before)
                {
                    cpu += TimeSpan.FromMilliseconds(costs.Dequeue());
                }

                before = !before;
                return cpu;
            },
        };
        var model = _catalog.Find("add_neg")!;
        var means = new List<double>();
        while (costs.Count > 0)
        {
            var run = executor.RunAsync(model, null, [Fp32("a", [1, 2, 3, 4], 1, 4), Fp32("b", [5, 6, 7, 8], 1, 4)], null, CancellationToken.None);
            using (var cap = new CancellationTokenSource(Timeout))
            {
                while (!run.IsCompleted)
                {
                    time.Advance(TimeSpan.FromMilliseconds(2));
                    await Task.Delay(2, cap.Token);
                }
            }

            (await run).Dispose();
            means.Add(executor.MeanExecMs(model));
        }

        // Warm runs about 20 ms; after the ~400 ms outlier about (3 x 20 + min(400, 3 x 20)) / 4 = 30 ms
        // (it would be (60 + 400) / 4 = 115 ms counted in full).
        Assert.InRange(means[3], 15, 35);
        Assert.InRange(means[4], 20, 50);
        // The lasting slowdown to about 50 ms (under 3 x the mean, so counted in full) is followed.
        Assert.InRange(means[^1], 40, 70);
    }

    [Fact]
    public void ThreadCpuClock_BusyThread_Advances()
    {
        var before = ThreadCpuClock.Now();
        if (before is null)
        {
            Assert.False(OperatingSystem.IsLinux(), "Linux has CLOCK_THREAD_CPUTIME_ID");
            return;
        }

        var x = 0.0;
        for (var i = 0; i < 20_000_000; i++)
        {
            x += Math.Sqrt(i);
        }

        Assert.True(x > 0);
        Assert.True(ThreadCpuClock.Now() > before);
    }

    private static InferenceInput Fp32(string name, float[] values, params long[] shape) =>
        new(name, TensorDataType.Fp32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    private static InferenceInput ChainInput(int batch) => Fp32("x", Enumerable.Range(0, batch * 64).Select(i => (i % 7) * 0.1f).ToArray(), batch, 64);

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            await Task.Delay(5, cts.Token);
        }
    }
}
