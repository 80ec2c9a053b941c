using EdgeAgent.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Grpc.Core;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class LocalInferenceBackendTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly TempRepository _repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg()).Add("add_neg", 1, TinyOnnx.AddNeg(), "int8");
    private readonly ModelCatalog _catalog;
    private readonly LocalExecutor _executor;

    public LocalInferenceBackendTests()
    {
        _catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        _executor = new LocalExecutor(_catalog, new ExecutionOptions());
    }

    public void Dispose()
    {
        _executor.Dispose();
        _catalog.Dispose();
        _repo.Dispose();
    }

    [Theory]
    [InlineData(null, "local")]
    [InlineData("int8", "local:int8")]
    [InlineData("fp32", "local:fp32")]
    public async Task RunAsync_Variant_RunsItAndNamesPlacement(string? variant, string placement)
    {
        var backend = new LocalInferenceBackend(_executor);

        var outcome = await backend.RunAsync(Call(), variant, CancellationToken.None).WaitAsync(Timeout);

        Assert.Equal(placement, outcome.Placement.ToString());
        Assert.Equal([11f, 22f, 33f, 44f], outcome.Response.Outputs[0].Contents.Fp32Contents);
        Assert.True(outcome.ExecMs > 0);
        Assert.Contains(_executor.GetLoadSnapshot().Models, m => m.Variant == (variant ?? "fp32") && m.Completed == 1);
    }

    [Fact]
    public async Task RunAsync_UnknownVariant_InvalidArgumentListingVariants()
    {
        var backend = new LocalInferenceBackend(_executor);

        var ex = InferenceStatus.ToRpcException(await Assert.ThrowsAsync<InferenceException>(() => backend.RunAsync(Call(), "fp16", CancellationToken.None)).WaitAsync(Timeout));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("it serves fp32, int8", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_VariantFileMissing_FailedPreconditionNamingVariantAndFile()
    {
        var backend = new LocalInferenceBackend(_executor);
        var file = Path.Combine(_repo.Root, "add_neg", "1", "model.int8.onnx");
        File.Delete(file);

        var ex = InferenceStatus.ToRpcException(await Assert.ThrowsAsync<ModelLoadException>(() => backend.RunAsync(Call(), "int8", CancellationToken.None)).WaitAsync(Timeout));

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("Variant 'int8' of model 'add_neg' version 1", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("add_neg", "1", "model.int8.onnx"), ex.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(_repo.Root, ex.Status.Detail, StringComparison.Ordinal);
        // The default variant still serves.
        var outcome = await backend.RunAsync(Call(), null, CancellationToken.None).WaitAsync(Timeout);
        Assert.Equal("local", outcome.Placement.ToString());
    }

    private InferenceCall Call()
    {
        var request = MalformedRequests.Typed();
        var model = _catalog.Find("add_neg")!;
        return new InferenceCall { Request = request, Model = model, Validated = InferRequestValidator.Validate(request, model, 1 << 20) };
    }
}
