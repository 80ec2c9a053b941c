using EdgeAgent.Cli.Commands;
using EdgeAgent.Onnx;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class ModelsProfileOpsCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "edgeagent-cli-ops-" + Guid.NewGuid().ToString("N"));

    public ModelsProfileOpsCommandTests()
    {
        Directory.CreateDirectory(_folder);
        var model = new GraphBuilder("mm")
            .Opset(13)
            .Input("x", DataType.Float, 1, 8)
            .Initializer("w", Enumerable.Range(0, 32).Select(i => (i - 16) / 10f).ToArray(), 8, 4)
            .Node("MatMul", ["x", "w"], ["m"])
            .Node("Relu", ["m"], ["y"])
            .Output("y", DataType.Float, 1, 4)
            .Build();
        OnnxModelFile.Save(model, Path.Combine(_folder, "model.onnx"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([ModelsCommand.Create()], args, 60);

    [Fact]
    public void ProfileOps_TwoModels_PrintsOpTypesAndComparison()
    {
        string model = Path.Combine(_folder, "model.onnx");

        var (code, stdout, _) = Run("models", "profile-ops", model, model, "--runs", "2", "--warmup", "0", "--threads", "1", "--out", _folder);

        Assert.Equal(0, code);
        Assert.Contains("MatMul", stdout, StringComparison.Ordinal);
        Assert.Contains("kernels total", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_folder, "model.ort-optimized.onnx")));
        Assert.NotEmpty(Directory.GetFiles(_folder, "model.ort-profile*.json"));
    }

    [Fact]
    public void ProfileOps_MissingModel_ExitsNamingIt()
    {
        var (code, _, error) = Run("models", "profile-ops", Path.Combine(_folder, "absent.onnx"));

        Assert.Equal(1, code);
        Assert.Contains("absent.onnx", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ProfileOps_ZeroRuns_IsRejected()
    {
        var (code, _, error) = Run("models", "profile-ops", Path.Combine(_folder, "model.onnx"), "--runs", "0");

        Assert.NotEqual(0, code);
        Assert.Contains("--runs must be between 1 and 10000", error, StringComparison.Ordinal);
    }
}
