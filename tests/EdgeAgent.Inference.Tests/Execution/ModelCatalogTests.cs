using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.TestModels;

namespace EdgeAgent.Inference.Tests.Execution;

public sealed class ModelCatalogTests
{
    [Fact]
    public void Load_TinyModels_ReadsMetadataFromSessions()
    {
        using var repo = new TempRepository().Add("add_neg", 3, TinyOnnx.AddNeg()).Add("id_int8", 1, TinyOnnx.Identity(TinyOnnx.ElemType.Int8));

        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());

        Assert.True(catalog.TryGet("add_neg", "", out var model));
        Assert.Equal("3", model.VersionString);
        Assert.Equal(["a", "b"], model.Inputs.Select(i => i.Name));
        Assert.Equal(TensorDataType.Fp32, model.Inputs[0].DataType);
        Assert.Equal([-1L, 4L], model.Inputs[0].Shape);
        Assert.Equal(["sum", "neg"], model.Outputs.Select(o => o.Name));
        Assert.True(catalog.TryGet("id_int8", "1", out var int8));
        Assert.Equal("INT8", int8.Inputs[0].DataTypeName);
        Assert.False(catalog.TryGet("add_neg", "1", out _));
        Assert.False(catalog.TryGet("nope", "", out _));
    }

    [Fact]
    public void Load_CorruptModelFile_ThrowsNamingFile()
    {
        using var repo = new TempRepository().Add("broken", 1, "this is not an onnx model"u8.ToArray());

        var ex = Assert.Throws<ModelLoadException>(() => ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions()));

        Assert.Contains(Path.Combine("broken", "1", "model.onnx"), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Variants_OpensDefaultNowAndOtherVariantOnceOnFirstUse()
    {
        using var repo = new TempRepository().Add("m", 1, TinyOnnx.AddNeg()).Add("m", 1, TinyOnnx.AddNeg(), "int8");

        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());

        var model = catalog.Find("m")!;
        Assert.Equal(["fp32", "int8"], model.Variants);
        Assert.Equal("fp32", model.DefaultVariant);
        Assert.Equal(VariantState.NotLoaded, model.GetVariantState("int8"));
        var int8 = model.GetSession("int8");
        Assert.Equal(VariantState.Loaded, model.GetVariantState("int8"));
        Assert.Equal("int8", int8.Variant);
        Assert.EndsWith("model.int8.onnx", int8.FilePath, StringComparison.Ordinal);
        Assert.Same(int8, model.GetSession("int8"));
        Assert.Same(model.DefaultSession, model.GetSession("default"));
        Assert.Same(model.DefaultSession, model.GetSession(null));
        Assert.NotSame(int8, model.DefaultSession);
        Assert.True(model.HasVariant("int8"));
        Assert.False(model.HasVariant("fp16"));
        Assert.Equal(VariantState.Unknown, model.GetVariantState("fp16"));
    }

    [Fact]
    public async Task GetSession_ConcurrentFirstUse_CreatesOneSession()
    {
        using var repo = new TempRepository().Add("m", 1, TinyOnnx.AddNeg()).Add("m", 1, TinyOnnx.AddNeg(), "int8");
        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        var model = catalog.Find("m")!;

        var sessions = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => model.GetSession("int8")))).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.All(sessions, s => Assert.Same(sessions[0], s));
    }

    [Fact]
    public void GetSession_UnknownVariant_ThrowsListingServedVariants()
    {
        using var repo = new TempRepository().Add("m", 1, TinyOnnx.AddNeg()).Add("m", 1, TinyOnnx.AddNeg(), "int8");
        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());

        var ex = Assert.Throws<ArgumentException>(() => catalog.Find("m")!.GetSession("fp16"));

        Assert.Contains("no variant 'fp16'; it serves fp32, int8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetSession_VariantFileRemovedAfterScan_ThrowsNamingVariantAndFileAndRemembersFailure()
    {
        using var repo = new TempRepository().Add("m", 1, TinyOnnx.AddNeg()).Add("m", 1, TinyOnnx.AddNeg(), "int8");
        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());
        var model = catalog.Find("m")!;
        var file = Path.Combine(repo.Root, "m", "1", "model.int8.onnx");
        File.Delete(file);

        var ex = Assert.Throws<ModelLoadException>(() => model.GetSession("int8"));

        Assert.Contains("Variant 'int8' of model 'm' version 1", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("m", "1", "model.int8.onnx"), ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(repo.Root, ex.Message, StringComparison.Ordinal);
        Assert.Contains("missing", ex.Message, StringComparison.Ordinal);
        Assert.Equal(VariantState.Failed, model.GetVariantState("int8"));
        // The default variant is untouched, and a later use fails the same way without a retry.
        Assert.Same(model.DefaultSession, model.GetSession(null));
        Assert.Equal(ex.Message, Assert.Throws<ModelLoadException>(() => model.GetSession("int8")).Message);
    }

    [Fact]
    public void GetSession_CorruptVariant_CatalogLoadsAndVariantFailsNamingIt()
    {
        using var repo = new TempRepository().Add("m", 1, TinyOnnx.AddNeg()).Add("m", 1, "not an onnx model"u8.ToArray(), "int8");

        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());

        var ex = Assert.Throws<ModelLoadException>(() => catalog.Find("m")!.GetSession("int8"));
        Assert.Contains("Variant 'int8' of model 'm' version 1 could not be loaded", ex.Message, StringComparison.Ordinal);
        Assert.Contains("model.int8.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetSession_VariantWithOtherInputs_ThrowsNamingBothSignatures()
    {
        using var repo = new TempRepository().Add("m", 1, TinyOnnx.AddNeg()).Add("m", 1, TinyOnnx.Identity(TinyOnnx.ElemType.Float), "int8");
        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());

        var ex = Assert.Throws<ModelLoadException>(() => catalog.Find("m")!.GetSession("int8"));

        Assert.Contains("takes [x:FP32]", ex.Message, StringComparison.Ordinal);
        Assert.Contains("default variant 'fp32' takes [a:FP32, b:FP32]", ex.Message, StringComparison.Ordinal);
        Assert.Equal(VariantState.Failed, catalog.Find("m")!.GetVariantState("int8"));
    }
}
