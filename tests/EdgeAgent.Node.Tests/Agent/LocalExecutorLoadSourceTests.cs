using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Agent;
using EdgeAgent.TestModels;
using static EdgeAgent.TestModels.TestVariantProfiles;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class LocalExecutorLoadSourceTests : IDisposable
{
    private readonly TempRepository _repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg()).Add("add_neg", 1, TinyOnnx.AddNeg(), "int8");

    public LocalExecutorLoadSourceTests()
    {
        Write(_repo.Root, "testbox", Profile("add_neg", 1, "none", new Entry("fp32", 10), new Entry("int8", 4, Accuracy: Agreement(0.999))));
    }

    public void Dispose() => _repo.Dispose();

    [Fact]
    public void GetLoad_ProfiledModel_ListsOfferedVariants()
    {
        using var catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        using var executor = new LocalExecutor(catalog, new ExecutionOptions());
        var source = new LocalExecutorLoadSource(executor, new LocalVariantProfiles(catalog, new AgentOptions { ProfileDevice = "testbox" }));

        var load = source.GetLoad("add_neg");

        Assert.Equal("fp32", load.DefaultVariant);
        Assert.Equal([("fp32", 0.010), ("int8", 0.004)], load.Variants.Select(v => (v.Variant, v.ExecSeconds)));
        Assert.Empty(source.GetLoad("unknown").Variants);
    }

    [Fact]
    public void GetLoad_EmulatedSlowerDevice_ScalesProfileLatency()
    {
        using var catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        using var executor = new LocalExecutor(catalog, new ExecutionOptions { ComputeSpeedFactor = 0.5 });
        var source = new LocalExecutorLoadSource(executor, new LocalVariantProfiles(catalog, new AgentOptions { ProfileDevice = "testbox" }));

        Assert.Equal([0.020, 0.008], source.GetLoad("add_neg").Variants.Select(v => v.ExecSeconds));
    }

    [Fact]
    public void GetLoad_VariantThatFailedToLoad_IsNoLongerOffered()
    {
        using var catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        using var executor = new LocalExecutor(catalog, new ExecutionOptions());
        var source = new LocalExecutorLoadSource(executor, new LocalVariantProfiles(catalog, new AgentOptions { ProfileDevice = "testbox" }));
        File.Delete(Path.Combine(_repo.Root, "add_neg", "1", "model.int8.onnx"));
        Assert.Throws<ModelLoadException>(() => catalog.Find("add_neg")!.GetSession("int8"));

        Assert.Equal(["fp32"], source.GetLoad("add_neg").Variants.Select(v => v.Variant));
    }
}
