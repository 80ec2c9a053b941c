using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class ExecutionProberTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempRepository _repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
    private readonly ModelCatalog _catalog;

    public ExecutionProberTests()
    {
        _catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
    }

    public void Dispose()
    {
        _catalog.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task ProbeDueAsync_DueAndIdle_CountsTheProbesDeviceEnergyByTheEstimator()
    {
        var time = new FakeTimeProvider();
        var options = new ExecutionOptions { IdleProbeIntervalSeconds = 10 };
        using var executor = new LocalExecutor(_catalog, options, time);
        var energy = new PerSecondEnergy(7);
        var prober = new ExecutionProber(executor, options, energy, time, NullLogger<ExecutionProber>.Instance);
        var data = new byte[16];
        (await executor.RunAsync(_catalog.Models[0], null, [new InferenceInput("a", TensorDataType.Fp32, [1, 4], data), new InferenceInput("b", TensorDataType.Fp32, [1, 4], data)], null, CancellationToken.None).WaitAsync(Timeout)).Dispose();

        var early = await prober.ProbeDueAsync(CancellationToken.None).WaitAsync(Timeout);
        time.Advance(TimeSpan.FromSeconds(10));
        var probe = await prober.ProbeDueAsync(CancellationToken.None).WaitAsync(Timeout);

        Assert.Null(early);
        Assert.NotNull(probe);
        var totals = prober.Totals;
        Assert.Equal(1, totals.Probes);
        Assert.Equal(probe.ExecTime.TotalSeconds, totals.Seconds, 12);
        Assert.Equal(7 * probe.ExecTime.TotalSeconds, totals.Joules, 12);
        Assert.Equal(["fp32"], energy.Variants);
    }

    [Fact]
    public async Task ProbeDueAsync_NoEstimatorOnAPeer_ProbesWithZeroJoules()
    {
        var time = new FakeTimeProvider();
        var options = new ExecutionOptions { IdleProbeIntervalSeconds = 1 };
        using var executor = new LocalExecutor(_catalog, options, time);
        var prober = new ExecutionProber(executor, options, null, time, NullLogger<ExecutionProber>.Instance);
        var data = new byte[16];
        (await executor.RunAsync(_catalog.Models[0], null, [new InferenceInput("a", TensorDataType.Fp32, [1, 4], data), new InferenceInput("b", TensorDataType.Fp32, [1, 4], data)], null, CancellationToken.None).WaitAsync(Timeout)).Dispose();
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.NotNull(await prober.ProbeDueAsync(CancellationToken.None).WaitAsync(Timeout));
        Assert.Equal((1L, 0.0), (prober.Totals.Probes, prober.Totals.Joules));
    }

    [Theory]
    [InlineData(0, false, 0.1)]
    [InlineData(1, true, 0.1)]
    [InlineData(5, true, 0.5)]
    [InlineData(15, true, 1.0)]
    [InlineData(600, true, 1.0)]
    public void Tick_Interval_ATenthBetweenATenthOfASecondAndOne(double seconds, bool enabled, double tickSeconds)
    {
        var options = new ExecutionOptions { IdleProbeIntervalSeconds = seconds };
        using var executor = new LocalExecutor(_catalog, options, new FakeTimeProvider());
        var prober = new ExecutionProber(executor, options, null, new FakeTimeProvider(), NullLogger<ExecutionProber>.Instance);

        Assert.Equal(enabled, prober.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(tickSeconds), prober.Tick);
    }

    private sealed class PerSecondEnergy(double watts) : IEnergyEstimator
    {
        public List<string> Variants { get; } = [];

        public double LocalJoules(double execSeconds, string variant)
        {
            Variants.Add(variant);
            return watts * execSeconds;
        }

        public double OffloadJoules(long uploadBytes, long downloadBytes, double transferSeconds, double waitSeconds) => 0;
    }
}
