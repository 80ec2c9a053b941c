using System.Diagnostics.Metrics;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class ExecutorMetricsTests : IDisposable
{
    private readonly TempRepository _repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
    private readonly ModelCatalog _catalog;
    private readonly LocalExecutor _executor;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public ExecutorMetricsTests()
    {
        _catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        _executor = new LocalExecutor(_catalog, new ExecutionOptions());
    }

    public void Dispose()
    {
        _services.Dispose();
        _executor.Dispose();
        _catalog.Dispose();
        _repo.Dispose();
    }

    [Fact]
    public async Task Gauges_AfterOneRun_ReportIdleExecutorAndItsServiceRate()
    {
        using var metrics = new ExecutorMetrics(_executor, _services.GetRequiredService<IMeterFactory>());
        var model = _catalog.Models[0];
        var data = new byte[16];
        using (await _executor.RunAsync(model, null, [new InferenceInput("a", TensorDataType.Fp32, [1, 4], data), new InferenceInput("b", TensorDataType.Fp32, [1, 4], data)], null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)))
        {
        }

        var seen = Collect();

        Assert.Equal(0, seen[ExecutorMetrics.ResidualWork]);
        Assert.Equal(0, seen["edgeagent.executor.queued"]);
        Assert.Equal(0, seen["edgeagent.executor.running"]);
        Assert.True(seen["edgeagent.executor.service_rate"] > 0);
    }

    private static Dictionary<string, double> Collect()
    {
        var seen = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ExecutorMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => seen[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }
}
