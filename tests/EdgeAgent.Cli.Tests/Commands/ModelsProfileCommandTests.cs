using EdgeAgent.Cli.Commands;
using EdgeAgent.Onnx;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class ModelsProfileCommandTests : IDisposable
{
    private readonly string _repo = Directory.CreateTempSubdirectory("edgeagent-cli-profile-").FullName;

    public void Dispose() => Directory.Delete(_repo, recursive: true);

    private void AddModel(string name, Dim width)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_repo, name, "1")).FullName;
        var model = new GraphBuilder(name)
            .Opset(13)
            .Input("x", DataType.Float, 1, width)
            .Node("Relu", ["x"], ["y"])
            .Output("y", DataType.Float, 1, width)
            .Build();
        OnnxModelFile.Save(model, Path.Combine(folder, "model.onnx"));
    }

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([ModelsCommand.Create()], args, 60);

    [Fact]
    public void Profile_StaticModel_WritesTheDeviceProfile()
    {
        AddModel("relu", 8);

        var (code, stdout, error) = Run("models", "profile", _repo, "--runs", "2", "--threads", "1", "--device", "testbox", "--accuracy-samples", "0");

        Assert.True(code == 0, error);
        Assert.Contains("relu/1", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_repo, "relu", "1", "profiles", "testbox.json")));
    }

    [Fact]
    public void Profile_DynamicInputWithoutShape_ExitsNamingTheModelAndTheOption()
    {
        AddModel("free", "width");

        var (code, _, error) = Run("models", "profile", _repo, "--runs", "2", "--accuracy-samples", "0");

        Assert.Equal(1, code);
        Assert.Contains("free/1", error, StringComparison.Ordinal);
        Assert.Contains("--input-shape", error, StringComparison.Ordinal);
    }
}
