using System.Globalization;
using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>`edgeagent eval live-compare` over report directories, and its refusals.</summary>
public sealed class EvalLiveCompareCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-evallivecompare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([EvalCommand.Create()], ["eval", "live-compare", .. args], 60);

    private string Report(string name, string file, double delay, double energy)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        static string Point(double w, double d, double e) => string.Create(CultureInfo.InvariantCulture,
            $"{{\"preference\": {w}, \"live\": {{\"requests\": 10, \"delay_seconds\": {d}, \"energy_joules\": {e}}}}}");
        File.WriteAllText(Path.Combine(dir, "report.json"),
            "{\"policy\": \"learned\", \"policy_file\": \"" + file + "\", \"points\": [" + Point(0, delay * 2, energy) + ", " + Point(1, delay, energy * 2) + "]}");
        return dir;
    }

    [Fact]
    public void LiveCompare_InterleavedSweeps_PrintsEachHypervolumeAndThePairedInterval()
    {
        string[] generic = [Report("g1", "agent-default.onnx", 1, 1), Report("g2", "agent-default.onnx", 1.3, 1.3)];
        string[] tuned = [Report("t1", "tuned.onnx", 0.9, 0.9), Report("t2", "tuned.onnx", 1.2, 1.2)];
        var md = Path.Combine(_dir, "compare.md");
        var png = Path.Combine(_dir, "compare.png");

        var (code, output, error) = Run(["--baseline", .. generic, "--candidate", .. tuned, "--resamples", "500", "--out", md, "--plot", png]);

        Assert.True(code == 0, error);
        Assert.Contains("| baseline | g1 | learned (agent-default.onnx) | 2 |", output, StringComparison.Ordinal);
        Assert.Contains("| candidate | t2 | learned (tuned.onnx) | 2 |", output, StringComparison.Ordinal);
        Assert.Contains("in pairs", output, StringComparison.Ordinal);
        Assert.Contains("candidate beyond noise", output, StringComparison.Ordinal);
        Assert.Contains("candidate / baseline (mean HV)", File.ReadAllText(md), StringComparison.Ordinal);
        Assert.True(new FileInfo(png).Length > 1000);
    }

    [Fact]
    public void LiveCompare_GivenReference_PrintsItAsGiven()
    {
        var (code, output, error) = Run("--baseline", Report("g1", "agent-default.onnx", 1, 1), "--candidate", Report("t1", "tuned.onnx", 0.9, 0.9), "--reference", "3,3");

        Assert.True(code == 0, error);
        Assert.Contains("under one reference point (3 s, 3 J: given; 0 point(s) of the sweeps not inside it add nothing)", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1,-2")]
    [InlineData("a,b")]
    public void LiveCompare_BadReference_OneLineExit2(string reference)
    {
        var (code, _, error) = Run("--baseline", Report("g1", "agent-default.onnx", 1, 1), "--candidate", Report("t1", "tuned.onnx", 1, 1), "--reference", reference);

        Assert.Equal(2, code);
        Assert.Contains("--reference must be DELAY_S,ENERGY_J", error, StringComparison.Ordinal);
    }

    [Fact]
    public void LiveCompare_MissingReport_OneLineExit2()
    {
        var (code, _, error) = Run("--baseline", Path.Combine(_dir, "nothing"), "--candidate", Report("t1", "tuned.onnx", 1, 1));

        Assert.Equal(2, code);
        Assert.StartsWith("edgeagent eval live-compare: ", error, StringComparison.Ordinal);
        Assert.Contains("report.json does not exist", error, StringComparison.Ordinal);
    }
}
