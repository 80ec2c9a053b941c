using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class EvalLivePredictCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("eval-live-predict-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([EvalCommand.Create()], args, 60);

    private string Policy(string name)
    {
        var layout = EdgeAgent.Core.Observation.FeatureLayout.Agent();
        var path = Path.Combine(_directory, name);
        EdgeAgent.Learning.Export.PolicyExporter.Save(new EdgeAgent.Learning.Nn.ServerSetNetwork(new EdgeAgent.Learning.Nn.ServerSetShape(layout.FeatureCount, Hidden: 8), new Random(3)), layout, path);
        return path;
    }

    [Fact]
    public void LivePredict_PoliciesAndBaselinesOnACalibration_PrintsEachFrontAndTheHypervolumeAgainstTheFirst()
    {
        var calibration = CalibrationFiles.WriteDemoWithOnePeer(Path.Combine(_directory, "calibration.json"), 0.0002, 1e9, 0.25);
        var generic = Policy("generic.onnx");
        var copy = Path.Combine(_directory, "copy.onnx");
        File.Copy(generic, copy);

        var (code, output, error) = Run("eval", "live-predict", "--calibration", calibration, "--policy-file", generic, copy,
            "--baselines", "greedy-expected,heuristic", "--episodes", "1", "--steps", "20", "--preferences", "3");

        Assert.True(code == 0, error);
        Assert.Contains("| w_delay | generic | copy | greedy-expected | heuristic |", output, StringComparison.Ordinal);
        Assert.Contains("| 0.5 | ", output, StringComparison.Ordinal);
        Assert.Contains("copy / generic: 1.0000", output, StringComparison.Ordinal); // the same file plays the same front
        Assert.Contains("greedy-expected / generic: ", output, StringComparison.Ordinal);
        Assert.Contains("heuristic / generic: ", output, StringComparison.Ordinal);
    }

    [Fact]
    public void LivePredict_PeerReports_LaggedByDefaultAndExactOnRequest_SaysWhichInTheHeader()
    {
        var calibration = CalibrationFiles.WriteDemoWithOnePeer(Path.Combine(_directory, "calibration.json"), 0.0002, 1e9, 0.25);
        var generic = Policy("generic.onnx");
        string[] args = ["eval", "live-predict", "--calibration", calibration, "--policy-file", generic, "--baselines", "greedy-expected", "--episodes", "1", "--steps", "20", "--preferences", "2"];

        var lagged = Run(args);
        var exact = Run([.. args, "--peer-reports", "exact"]);

        Assert.True(lagged.Code == 0, lagged.Error);
        Assert.Contains("(peer queues as their load reports every 250 ms show them)", lagged.Output, StringComparison.Ordinal);
        Assert.True(exact.Code == 0, exact.Error);
        Assert.Contains("(peer queues exact)", exact.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--baselines", "oracle", "unknown baseline 'oracle'")]
    [InlineData("--preferences", "1", "--preferences must be between 2 and 101")]
    [InlineData("--episodes", "0", "--episodes must be between 1 and 4096")]
    public void LivePredict_BadArgument_ExitsWithMessageNamingIt(string option, string value, string expected)
    {
        var calibration = CalibrationFiles.WriteDemoWithOnePeer(Path.Combine(_directory, "calibration.json"), 0.0002, 1e9, 0.25);
        var (code, _, error) = Run("eval", "live-predict", "--calibration", calibration, "--policy-file", Policy("p.onnx"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void LivePredict_MissingPolicyFile_ExitsWithMessage()
    {
        var calibration = CalibrationFiles.WriteDemoWithOnePeer(Path.Combine(_directory, "calibration.json"), 0.0002, 1e9, 0.25);
        var (code, _, error) = Run("eval", "live-predict", "--calibration", calibration, "--policy-file", "/nonexistent/p.onnx");
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }
}
