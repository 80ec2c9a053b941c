using EdgeAgent.Cli.Commands;
using EdgeAgent.Onnx;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class QuantizeCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "edgeagent-cli-q-" + Guid.NewGuid().ToString("N"));

    public QuantizeCommandTests()
    {
        Directory.CreateDirectory(_folder);
        var model = new GraphBuilder("mm")
            .Opset(13)
            .Input("x", DataType.Float, 1, 8)
            .Initializer("w", Enumerable.Range(0, 32).Select(i => (i - 16) / 10f).ToArray(), 8, 4)
            .Node("MatMul", ["x", "w"], ["y"])
            .Output("y", DataType.Float, 1, 4)
            .Build();
        OnnxModelFile.Save(model, Path.Combine(_folder, "model.onnx"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([QuantizeCommand.Create()], args, 120);

    [Fact]
    public void Quantize_Synthetic_WritesVariant()
    {
        string output = Path.Combine(_folder, "model.int8.onnx");

        var (code, stdout, _) = Run("quantize", Path.Combine(_folder, "model.onnx"), "--out", output, "--synthetic", "4");

        Assert.Equal(0, code);
        Assert.Contains("4 samples", stdout, StringComparison.Ordinal);
        Assert.Contains(OnnxModelFile.Load(output).Graph.Node, n => n.OpType == "QuantizeLinear");
    }

    [Fact]
    public void Quantize_Evaluate_TimesFp32SimplifiedInTheSameRun()
    {
        string output = Path.Combine(_folder, "model.int8.onnx");

        var (code, stdout, _) = Run("quantize", Path.Combine(_folder, "model.onnx"), "--out", output, "--synthetic", "4", "--evaluate", "2", "--evaluate-samples", "2", "--threads", "1");

        Assert.Equal(0, code);
        Assert.Contains("fp32-simplified p50", stdout, StringComparison.Ordinal);
        Assert.Contains("speed-up over fp32-simplified", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_ExcludeOps_LeavesThatOpTypeInFloat()
    {
        string output = Path.Combine(_folder, "model.int8.onnx");

        var (code, stdout, error) = Run("quantize", Path.Combine(_folder, "model.onnx"), "--out", output, "--synthetic", "4", "--exclude-ops", "MatMul");

        Assert.True(code == 0, error);
        Assert.Contains("0 nodes quantized, 0 tensors calibrated", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(OnnxModelFile.Load(output).Graph.Node, n => n.OpType == "QuantizeLinear");
    }

    [Fact]
    public void Quantize_StaticWithoutData_ExitsWithMessage()
    {
        var (code, _, error) = Run("quantize", Path.Combine(_folder, "model.onnx"), "--out", Path.Combine(_folder, "o.onnx"));

        Assert.Equal(1, code);
        Assert.Contains("needs calibration data", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_NotAModel_ExitsNamingTheFile()
    {
        string bad = Path.Combine(_folder, "bad.onnx");
        File.WriteAllText(bad, "hello");

        var (code, _, error) = Run("quantize", bad, "--out", Path.Combine(_folder, "o.onnx"), "--mode", "fp16");

        Assert.Equal(1, code);
        Assert.Contains("bad.onnx", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_BadInputShape_ExitsWithMessage()
    {
        var (code, _, error) = Run("quantize", Path.Combine(_folder, "model.onnx"), "--out", Path.Combine(_folder, "o.onnx"), "--synthetic", "1", "--input-shape", "1xfoo");

        Assert.Equal(1, code);
        Assert.Contains("--input-shape '1xfoo'", error, StringComparison.Ordinal);
    }
}
