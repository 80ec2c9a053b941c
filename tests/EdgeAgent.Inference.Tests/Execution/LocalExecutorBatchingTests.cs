using System.Runtime.InteropServices;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Inference.Tests.Execution;

/// <summary>
/// Dynamic batching in the executor on a real ONNX Runtime model: the delay is on a fake clock that
/// never moves, so a batch runs only when it is full, and every request gets its own rows back.
/// </summary>
public sealed class LocalExecutorBatchingTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempRepository _repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

    public void Dispose() => _repo.Dispose();

    private ModelCatalog Catalog(string config)
    {
        File.WriteAllText(Path.Combine(_repo.Root, "add_neg", ModelConfig.FileName), config);
        return ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
    }

    [Fact]
    public async Task RunAsync_ConcurrentRequestsFillABatch_OneRunEachGetsItsOwnRows()
    {
        using var catalog = Catalog("""{ "max_batch_size": 6, "dynamic_batching": { "max_queue_delay_microseconds": 1000000 } }""");
        using var executor = new LocalExecutor(catalog, new ExecutionOptions(), new FakeTimeProvider());
        var model = catalog.Find("add_neg")!;
        // Rows per request: 1, 2, 1, 2 = 6, the maximum: the batch runs as soon as the last arrives.
        var rows = new[] { 1, 2, 1, 2 };
        var inputs = rows.Select((n, k) => (A: Values(n, k), B: Values(n, 10 * k + 100), Rows: n)).ToArray();

        var results = await Task.WhenAll(inputs.Select(i => executor.RunAsync(model, null, [Fp32("a", i.A, i.Rows, 4), Fp32("b", i.B, i.Rows, 4)], null, CancellationToken.None))).WaitAsync(Timeout);
        try
        {
            for (var k = 0; k < inputs.Length; k++)
            {
                Assert.Equal([inputs[k].Rows, 4L], results[k].Outputs[0].Shape);
                Assert.Equal(inputs[k].A.Zip(inputs[k].B, (x, y) => x + y), Floats(results[k].Outputs[0]));
                Assert.Equal(inputs[k].A.Select(x => -x), Floats(results[k].Outputs[1]));
                Assert.Equal(4, results[k].BatchSize);
            }

            var stats = Assert.Single(executor.GetLoadSnapshot().Models);
            Assert.Equal(4, stats.Completed);
            Assert.Equal(1, stats.Runs);
        }
        finally
        {
            foreach (var result in results)
            {
                result.Dispose();
            }
        }
    }

    [Fact]
    public async Task RunAsync_RequestAtMaxBatchSize_RunsAloneWithoutWaiting()
    {
        using var catalog = Catalog("""{ "max_batch_size": 2, "dynamic_batching": { "max_queue_delay_microseconds": 1000000 } }""");
        using var executor = new LocalExecutor(catalog, new ExecutionOptions(), new FakeTimeProvider());

        using var result = await executor.RunAsync(catalog.Find("add_neg")!, null, [Fp32("a", Values(2, 1), 2, 4), Fp32("b", Values(2, 2), 2, 4)], null, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(1, result.BatchSize);
        Assert.Equal([2L, 4L], result.Outputs[0].Shape);
    }

    [Fact]
    public void Load_DynamicBatchingOnAFixedFirstDimension_FailsNamingConfigAndTensor()
    {
        using var repo = new TempRepository().Add("fixed", 1, TinyOnnx.Model(
            [new TinyOnnx.Value("x", TinyOnnx.ElemType.Float, 3, 4)], [new TinyOnnx.Value("y", TinyOnnx.ElemType.Float, 3, 4)], [new TinyOnnx.Node("Neg", ["x"], ["y"])]));
        var config = Path.Combine(repo.Root, "fixed", ModelConfig.FileName);
        File.WriteAllText(config, """{ "max_batch_size": 8, "dynamic_batching": {} }""");

        var ex = Assert.Throws<ModelLoadException>(() => ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions { IntraOpThreads = 1 }));

        Assert.StartsWith($"{config}: 'dynamic_batching' needs a batch dimension, but input 'x' of model 'fixed' has a fixed first dimension 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MisspeltConfig_FailsNamingTheFile()
    {
        var config = Path.Combine(_repo.Root, "add_neg", ModelConfig.FileName);
        File.WriteAllText(config, """{ "max_batch_size": 8, "dynamic_batch": {} }""");

        var ex = Assert.Throws<ModelRepositoryException>(() => ModelRepository.Open(_repo.Root));

        Assert.Equal($"{config}: unknown field 'dynamic_batch' (known: name, max_batch_size, dynamic_batching).", ex.Message);
    }

    [Fact]
    public async Task RunAsync_WithoutConfig_EveryRequestIsItsOwnRun()
    {
        using var catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        using var executor = new LocalExecutor(catalog, new ExecutionOptions());
        var model = catalog.Find("add_neg")!;

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(k => executor.RunAsync(model, null, [Fp32("a", Values(1, k), 1, 4), Fp32("b", Values(1, k), 1, 4)], null, CancellationToken.None))).WaitAsync(Timeout);
        foreach (var result in results)
        {
            result.Dispose();
        }

        var stats = Assert.Single(executor.GetLoadSnapshot().Models);
        Assert.Equal(4, stats.Runs);
        Assert.Null(model.Batching);
    }

    private static float[] Values(int rows, int seed) => Enumerable.Range(0, rows * 4).Select(i => (float)((seed * 31) + i)).ToArray();

    private static float[] Floats(InferenceOutput output) => MemoryMarshal.Cast<byte, float>(output.Data).ToArray();

    private static InferenceInput Fp32(string name, float[] values, params long[] shape) =>
        new(name, TensorDataType.Fp32, shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
}
