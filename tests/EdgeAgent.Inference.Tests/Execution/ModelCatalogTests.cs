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
    public void Load_Variants_OpensOneSessionPerVariant()
    {
        using var repo = new TempRepository().Add("m", 1, TinyOnnx.AddNeg()).Add("m", 1, TinyOnnx.AddNeg(), "int8");

        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());

        var model = catalog.Find("m")!;
        Assert.Equal(["fp32", "int8"], model.Variants);
        Assert.True(model.TryGetSession("int8", out var int8));
        Assert.True(model.TryGetSession("default", out var fp32));
        Assert.NotSame(int8, fp32);
        Assert.False(model.TryGetSession("fp16", out _));
    }
}
