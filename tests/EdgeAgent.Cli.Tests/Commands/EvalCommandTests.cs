using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class EvalCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("eval-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([EvalCommand.Create()], args, 60);

    [Theory]
    [InlineData("--profile", "nope", "Unknown simulator profile 'nope'")]
    [InlineData("--contexts", "middle", "--contexts must be 'train' or 'test'")]
    [InlineData("--edges", "11", "E_max = 10")]
    [InlineData("--cloud-ghz-range", "3-5", "--cloud-ghz-range must be MIN:MAX")]
    [InlineData("--preferences", "1", "--preferences must be at least 2")]
    [InlineData("--baselines", "greedy,oracle", "unknown baseline 'oracle'")]
    [InlineData("--reward-units", "item", "--reward-units applies to the agent profile")]
    public void Eval_BadArgument_ExitsWithMessageNamingIt(string option, string value, string expected)
    {
        string[] args = option == "--preferences"
            ? ["eval", option, value, "--episodes", "1", "--no-bend"]
            : ["eval", option, value, "--episodes", "1", "--preferences", "2", "--no-bend"];
        var (code, _, error) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_MissingPolicyFile_ExitsWithMessage()
    {
        var (code, _, error) = Run("eval", "--policy", "/nonexistent/policy.onnx", "--episodes", "1");
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    private static string Policy(string directory, string name, double? fixedWeight)
    {
        var layout = EdgeAgent.Learning.Simulation.MecParameters.Gmorl.CreateLayout();
        var actor = new EdgeAgent.Learning.Nn.ServerSetNetwork(new EdgeAgent.Learning.Nn.ServerSetShape(layout.FeatureCount, Hidden: 8), new Random(name.Length));
        var path = Path.Combine(directory, name);
        var metadata = new Dictionary<string, string>
        {
            ["edgeagent.training.fixed_delay_weight"] = fixedWeight?.ToString("R", System.Globalization.CultureInfo.InvariantCulture) ?? "",
        };
        EdgeAgent.Learning.Export.PolicyExporter.Save(actor, layout, path, metadata);
        return path;
    }

    [Fact]
    public void Eval_UpperBound_ReportsRatioAtTheFixedPolicies()
    {
        var upper = Directory.CreateDirectory(Path.Combine(_directory, "upper")).FullName;
        Policy(upper, "w0.5.onnx", 0.5);
        Policy(upper, "w1.onnx", 1.0);
        var subject = Policy(_directory, "policy.onnx", null);

        var (code, output, error) = Run("eval", "--policy", subject, "--upper-bound", upper, "--episodes", "1", "--preferences", "3", "--no-bend", "--baselines", "greedy");

        Assert.True(code == 0, error);
        Assert.Contains("| upper-bound | 2 |", output, StringComparison.Ordinal);
        Assert.Contains("multi-policy upper bound (2 fixed-preference policies", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_Compare_EvaluatesTheOtherPolicyBesideTheSubject()
    {
        var subject = Policy(_directory, "policy.onnx", null);
        var other = Policy(_directory, "test-range.onnx", null);

        var (code, output, error) = Run("eval", "--policy", subject, "--compare", other, "--episodes", "1", "--preferences", "3", "--no-bend", "--baselines", "greedy");

        Assert.True(code == 0, error);
        Assert.Contains("| policy | 3 |", output, StringComparison.Ordinal);
        Assert.Contains("| test-range | 3 |", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing", "does not exist")]
    [InlineData("empty", "holds no .onnx policy")]
    [InlineData("conditioned", "is not a fixed-preference policy")]
    public void Eval_BadUpperBoundDirectory_ExitsWithMessageNamingIt(string kind, string expected)
    {
        var upper = Path.Combine(_directory, "upper");
        if (kind != "missing")
        {
            Directory.CreateDirectory(upper);
        }

        if (kind == "conditioned")
        {
            Policy(upper, "policy.onnx", null);
        }

        var (code, _, error) = Run("eval", "--upper-bound", upper, "--episodes", "1", "--preferences", "2", "--no-bend", "--baselines", "greedy");

        Assert.Equal(2, code);
        Assert.Contains("--upper-bound", error, StringComparison.Ordinal);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_BaselinesOnly_PrintsTableWithReferencePoint()
    {
        var (code, output, _) = Run("eval", "--episodes", "2", "--preferences", "3", "--no-bend", "--baselines", "greedy,all-cloud");
        Assert.Equal(0, code);
        Assert.Contains("reference point", output, StringComparison.Ordinal);
        Assert.Contains("| greedy |", output, StringComparison.Ordinal);
        Assert.Contains("| all-cloud |", output, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildContexts_RangesOverrideNamedSet()
    {
        var c = EvalCommand.BuildContexts("test", null, 9, 10, null, "2.5:5.5", 1.0, null);
        Assert.Equal(9, c.EdgesMin);
        Assert.Equal(10, c.EdgesMax);
        Assert.Equal(2.5e9, c.CloudHzMin);
        Assert.Equal(5.5e9, c.CloudHzMax);
        Assert.Equal(1e9, c.EdgeHzMin);
        Assert.Equal(1e9, c.EdgeHzMax);
    }

    [Theory]
    [InlineData("--edges", "3", "--edges applies to the gmorl profiles")]
    [InlineData("--cloud-ghz", "4", "--cloud-ghz applies to the gmorl profiles")]
    [InlineData("--contexts", "moon", "Unknown agent context set 'moon'")]
    [InlineData("--baselines", "heuristic,all-cloud", "unknown baseline 'all-cloud' for profile agent")]
    public void Eval_AgentProfileBadArgument_ExitsWithMessageNamingIt(string option, string value, string expected)
    {
        var (code, _, error) = Run("eval", "--profile", "agent", option, value, "--episodes", "1", "--preferences", "2", "--no-bend");
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_AgentProfileGmorlPolicy_RefusedNamingTheLayout()
    {
        var gmorl = Policy(_directory, "gmorl.onnx", null);
        var (code, _, error) = Run("eval", "--profile", "agent", "--policy", gmorl, "--episodes", "1", "--preferences", "2", "--no-bend");
        Assert.Equal(2, code);
        Assert.Contains("profile", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Eval_AgentProfileDemoContext_ComparesPolicyWithEveryAgentBaselineAndTheHeuristic()
    {
        var layout = EdgeAgent.Core.Observation.FeatureLayout.Agent();
        var actor = new EdgeAgent.Learning.Nn.ServerSetNetwork(new EdgeAgent.Learning.Nn.ServerSetShape(layout.FeatureCount, Hidden: 8), new Random(3));
        var policy = Path.Combine(_directory, "agent.onnx");
        EdgeAgent.Learning.Export.PolicyExporter.Save(actor, layout, policy);

        var (code, output, error) = Run("eval", "--profile", "agent", "--contexts", "demo", "--policy", policy, "--episodes", "2", "--preferences", "3", "--no-bend");

        Assert.True(code == 0, error);
        Assert.Contains("profile `agent`, contexts the demo's context", output, StringComparison.Ordinal);
        Assert.Contains("vs heuristic", output, StringComparison.Ordinal);
        foreach (var method in new[] { "| policy |", "| greedy |", "| heuristic |", "| linucb |", "| all-local |", "| all-peer |" })
        {
            Assert.Contains(method, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Eval_AgentProfileWithCalibration_EvaluatesOnTheCalibratedContext()
    {
        var calibration = CalibrationFiles.WriteDemoWithOnePeer(Path.Combine(_directory, "calibration.json"), 0.0002, 1e9, 0.25);
        var layout = EdgeAgent.Core.Observation.FeatureLayout.Agent();
        var policy = Path.Combine(_directory, "agent.onnx");
        EdgeAgent.Learning.Export.PolicyExporter.Save(new EdgeAgent.Learning.Nn.ServerSetNetwork(new EdgeAgent.Learning.Nn.ServerSetShape(layout.FeatureCount, Hidden: 8), new Random(3)), layout, policy);

        var (code, output, error) = Run("eval", "--profile", "agent", "--calibration", calibration, "--policy", policy, "--episodes", "2", "--preferences", "3", "--no-bend", "--baselines", "greedy-expected");
        var (both, _, bothError) = Run("eval", "--profile", "agent", "--calibration", calibration, "--contexts", "demo", "--episodes", "1", "--preferences", "2", "--no-bend");
        var (gmorl, _, gmorlError) = Run("eval", "--calibration", calibration, "--episodes", "1", "--preferences", "2", "--no-bend");

        Assert.True(code == 0, error);
        Assert.Contains("contexts calibrated calibration.json (100 requests of decisions.db; 3 models; peers edge 0.2 ms 1000 Mbit/s 0.25x", output, StringComparison.Ordinal);
        Assert.Contains("| greedy-expected |", output, StringComparison.Ordinal);
        Assert.Equal(2, both);
        Assert.Contains("--calibration and --contexts exclude each other", bothError, StringComparison.Ordinal);
        Assert.Equal(2, gmorl);
        Assert.Contains("--calibration applies to the agent profile", gmorlError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--weights", "0.5,abc", "edgeagent eval decisions: --weights: 'abc' is not a delay weight in [0, 1].")]
    [InlineData("--weights", "7", "edgeagent eval decisions: --weights: '7' is not a delay weight in [0, 1].")]
    [InlineData("--weights", ",", "edgeagent eval decisions: --weights: give at least one delay weight in [0, 1].")]
    [InlineData("--episodes", "0", "edgeagent eval decisions: --episodes must be between 1 and 100000.")]
    public void Decisions_BadValue_OneLineNamingTheOption(string option, string value, string expected)
    {
        var policy = Path.Combine(AppContext.BaseDirectory, "policies", "agent-default.onnx");

        var (code, _, error) = Run("eval", "decisions", "--policy", policy, option, value);

        Assert.Equal(2, code);
        Assert.Equal(expected, error.Trim().Split('\n')[0]);
        Assert.DoesNotContain("Actual value", error, StringComparison.Ordinal);
    }
}

