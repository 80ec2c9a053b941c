using EdgeAgent.Inference.Repository;
using EdgeAgent.TestModels;

namespace EdgeAgent.Inference.Tests.Repository;

public sealed class ModelRepositoryTests
{
    [Fact]
    public void Open_TritonLayout_ServesLatestNumericVersionWithVariants()
    {
        using var repo = new TempRepository();
        var bytes = TinyOnnx.AddNeg();
        repo.Add("m", 1, bytes).Add("m", 2, bytes).Add("m", 10, bytes).Add("m", 10, bytes, "int8").Add("m", 10, bytes, "mixed-3");
        Directory.CreateDirectory(Path.Combine(repo.Root, "m", "011"));
        File.WriteAllBytes(Path.Combine(repo.Root, "m", "011", "model.onnx"), bytes);
        Directory.CreateDirectory(Path.Combine(repo.Root, "m", "latest"));
        File.WriteAllBytes(Path.Combine(repo.Root, "m", "latest", "model.onnx"), bytes);
        Directory.CreateDirectory(Path.Combine(repo.Root, "empty", "1"));

        var repository = ModelRepository.Open(repo.Root);

        var latest = Assert.Single(repository.Latest);
        Assert.Equal("m", latest.Name);
        Assert.Equal(10, latest.Version);
        Assert.Equal(["fp32", "int8", "mixed-3"], latest.VariantFiles.Keys);
        Assert.Equal("fp32", latest.DefaultVariant);
        Assert.Equal([1L, 2L, 10L], repository.Versions("m").Select(v => v.Version));
    }

    [Fact]
    public void Open_MissingDirectory_ThrowsNamingPath()
    {
        var path = Path.Combine(Path.GetTempPath(), "edgeagent-missing-" + Guid.NewGuid().ToString("N"));

        var ex = Assert.Throws<ModelRepositoryException>(() => ModelRepository.Open(path));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NoModels_ThrowsExplainingLayout()
    {
        using var repo = new TempRepository();
        Directory.CreateDirectory(Path.Combine(repo.Root, "m", "0"));

        var ex = Assert.Throws<ModelRepositoryException>(() => ModelRepository.Open(repo.Root));

        Assert.Contains("<model>/<version>/model.onnx", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData("42", true)]
    [InlineData("0", false)]
    [InlineData("01", false)]
    [InlineData("-1", false)]
    [InlineData("+1", false)]
    [InlineData("1a", false)]
    [InlineData("", false)]
    [InlineData("99999999999999999999", false)]
    public void TryParseVersion_Text_AcceptsPositiveIntegersWithoutLeadingZeros(string text, bool expected)
    {
        Assert.Equal(expected, ModelRepository.TryParseVersion(text, out _));
    }
}
