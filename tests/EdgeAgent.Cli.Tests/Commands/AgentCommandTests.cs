using EdgeAgent.Cli.Commands;
using EdgeAgent.Onnx;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class AgentCommandTests : IDisposable
{
    private readonly string _repo = Path.Combine(Path.GetTempPath(), "edgeagent-cli-agent-" + Guid.NewGuid().ToString("N"));

    public AgentCommandTests()
    {
        var version = Path.Combine(_repo, "neg", "1");
        Directory.CreateDirectory(version);
        var model = new GraphBuilder("neg").Opset(13).Input("x", DataType.Float, 1, 4).Node("Neg", ["x"], ["y"]).Output("y", DataType.Float, 1, 4).Build();
        OnnxModelFile.Save(model, Path.Combine(version, "model.onnx"));
    }

    public void Dispose() => Directory.Delete(_repo, recursive: true);

    private static (int Code, string Error) Run(params string[] args)
    {
        var (code, _, error) = CliRunner.Run([AgentCommand.Create()], args, 60);
        return (code, error);
    }

    [Theory]
    [InlineData("-1", "Agent:MaxAccuracyDropPoints (--max-accuracy-drop) is -1;")]
    [InlineData("NaN", "Agent:MaxAccuracyDropPoints (--max-accuracy-drop) is NaN;")]
    public void Agent_BadMaxAccuracyDrop_ExitsTwoNamingTheSetting(string value, string expected)
    {
        var (code, error) = Run("agent", "--models", _repo, "--listen", "127.0.0.1:0", "--max-accuracy-drop", value);

        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Agent_ProfileDeviceWithSlash_ExitsTwoNamingTheSetting()
    {
        var (code, error) = Run("agent", "--models", _repo, "--listen", "127.0.0.1:0", "--profile-device", "../x");

        Assert.Equal(2, code);
        Assert.Contains("Agent:ProfileDevice (--profile-device) is '../x'", error, StringComparison.Ordinal);
    }
}
