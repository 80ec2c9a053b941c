using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("train-cmd-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([TrainCommand.Create(), BenchCommand.Create()], args, 120);

    [Theory]
    [InlineData("--profile", "nope", "nope")]
    [InlineData("--contexts", "middle", "--contexts must be train, test or benchmark")]
    [InlineData("--minutes", "0", "--minutes must be positive")]
    [InlineData("--fixed-preference", "1.5", "fixed preference")]
    [InlineData("--gamma", "1", "Gamma")]
    [InlineData("--low-focus-max", "0", "LowFocusDelayWeightMax")]
    [InlineData("--endpoints", "1.5", "EndpointProbability")]
    [InlineData("--focus-min", "1", "FocusDelayWeightMin")]
    [InlineData("--cloning-exploration", "1.5", "CloningExploration = 1.5 is out of range")]
    [InlineData("--greedy-below", "0.01", "GreedyBelow = 0.01 is out of range: 0 without cost features")]
    public void Train_BadArgument_ExitsWithMessageNamingIt(string option, string value, string expected)
    {
        var (code, _, error) = Run("train", "--out", Path.Combine(_directory, "p.onnx"), option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--preference-encoding", "cubic", "linear")]
    [InlineData("--teacher", "oracle", "rollout")]
    public void Train_ValueNotAmongTheChoices_ParserRefusesNamingValueAndChoices(string option, string value, string choice)
    {
        var (code, _, error) = Run("train", "--out", Path.Combine(_directory, "p.onnx"), option, value);

        Assert.Equal(2, code);
        Assert.Contains($"'{value}'", error, StringComparison.Ordinal);
        Assert.Contains(choice, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_ResumeFromMissingCheckpoint_ExitsWithMessage()
    {
        var (code, _, error) = Run("train", "--out", Path.Combine(_directory, "p.onnx"), "--edges-max", "3", "--environments", "2",
            "--resume", Path.Combine(_directory, "none.ckpt"));
        Assert.Equal(2, code);
        Assert.Contains("none.ckpt", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_CostFeaturesForAProfileWithTheDeviceItself_ExitsNamingWhy()
    {
        var (code, _, error) = Run("train", "--out", Path.Combine(_directory, "p.onnx"), "--profile", "gmorl-local", "--cost-features");
        Assert.Equal(2, code);
        Assert.Contains("IsLocal", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Train_TinyBudget_WritesPolicyAndCheckpointThatBenchLoads(bool costFeatures)
    {
        var policy = Path.Combine(_directory, "tiny.onnx");
        string[] extra = costFeatures ? ["--cost-features", "--endpoints", "0.1"] : [];
        var (code, output, error) = Run(["train", "--out", policy, "--minutes", "0.01", "--edges-max", "3", "--environments", "2",
            "--batch", "8", "--hidden", "8", "--probe-minutes", "0", "--progress-seconds", "1", .. extra]);

        Assert.True(code == 0, error);
        Assert.True(File.Exists(policy));
        Assert.True(File.Exists(Path.ChangeExtension(policy, ".ckpt")));
        Assert.Contains("final probe", output, StringComparison.Ordinal);

        var bench = Run("bench", "policy", "--policy", policy, "--decisions", "200");
        Assert.Equal(0, bench.Code);
        Assert.Contains("p99", bench.Output, StringComparison.Ordinal);
        Assert.Contains("1..4 present", bench.Output, StringComparison.Ordinal);

        var all = Run("bench", "policy", "--policy", policy, "--decisions", "200", "--present", "4");
        Assert.Equal(0, all.Code);
        Assert.Contains("4 present", all.Output, StringComparison.Ordinal);

        var tooMany = Run("bench", "policy", "--policy", policy, "--decisions", "200", "--present", "5");
        Assert.Equal(2, tooMany.Code);
        Assert.Contains("exceeds the policy's S = 4", tooMany.Error, StringComparison.Ordinal);
        var negative = Run("bench", "policy", "--policy", policy, "--present", "-1");
        Assert.Equal(2, negative.Code);
        Assert.Contains("--present", negative.Error, StringComparison.Ordinal);
        if (!costFeatures)
        {
            return;
        }

        // Resuming with the budget already spent trains nothing and re-exports with the greedy end.
        var greedy = Path.Combine(_directory, "greedy.onnx");
        var resumed = Run(["train", "--out", greedy, "--resume", Path.ChangeExtension(policy, ".ckpt"), "--minutes", "0.01", "--edges-max", "3",
            "--environments", "2", "--batch", "8", "--hidden", "8", "--probe-minutes", "0", .. extra, "--greedy-below", "0.01"]);
        Assert.True(resumed.Code == 0, resumed.Error);
        Assert.Contains("actor greedy below w_delay 0.01", resumed.Output, StringComparison.Ordinal);
        using var session = EdgeAgent.Inference.Policy.OnnxPolicySession.Open(greedy, null);
        Assert.Contains("greedy_below=0.01", session.Metadata[EdgeAgent.Learning.Export.PolicyExporter.ArchitectureKey], StringComparison.Ordinal);
    }

    [Fact]
    public void BenchPolicy_MissingFile_ExitsWithMessage()
    {
        var (code, _, error) = Run("bench", "policy", "--policy", Path.Combine(_directory, "none.onnx"));
        Assert.Equal(2, code);
        Assert.Contains("does not exist", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--edges-max", "3", "--edges-max applies to the gmorl profiles")]
    [InlineData("--contexts", "moon", "Unknown agent context set 'moon'; known: train, train-ends, demo")]
    [InlineData("--resume", "missing.onnx", "missing.onnx")]
    public void Train_AgentProfileBadArgument_ExitsWithMessageNamingIt(string option, string? value, string expected)
    {
        string[] args = value is null ? [option] : [option, value];
        var (code, _, error) = Run(["train", "--profile", "agent", "--out", Path.Combine(_directory, "p.onnx"), .. args]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_AgentProfileCostFeaturesResumedFromAPolicyFile_WritesTheAgentCostFeaturesAndTheGreedyEnd()
    {
        // A plain agent policy, then training resumed from that policy file with the agent cost features and the greedy end.
        var plain = Path.Combine(_directory, "plain.onnx");
        string[] tiny = ["--minutes", "0.01", "--environments", "2", "--batch", "8", "--hidden", "8", "--bc-updates", "5", "--probe-minutes", "0", "--seed", "4"];
        var (code, _, error) = Run(["train", "--profile", "agent", "--out", plain, .. tiny]);
        Assert.True(code == 0, error);

        var costed = Path.Combine(_directory, "costed.onnx");
        (code, var output, error) = Run(["train", "--profile", "agent", "--out", costed, "--resume", plain, "--cost-features", "--greedy-below", "0.02", .. tiny]);

        Assert.True(code == 0, error);
        Assert.Contains("actor only (critics start fresh); input layer widened with cost-feature columns (zero weights); greedy end below w_delay 0.02", output, StringComparison.Ordinal);
        using var session = EdgeAgent.Inference.Policy.OnnxPolicySession.Open(costed, null);
        Assert.Equal("agent", session.Layout.Profile);
        Assert.Contains(" agent_cost=", session.Metadata["edgeagent.policy.architecture"], StringComparison.Ordinal);
        Assert.Contains(" greedy_below=0.02", session.Metadata["edgeagent.policy.architecture"], StringComparison.Ordinal);
    }

    [Fact]
    public void Train_OwnRateResumedFromA42ColumnFile_WritesThe43ColumnLayout()
    {
        var own = Path.Combine(_directory, "own42.onnx");
        string[] tiny = ["--profile", "agent", "--environments", "2", "--batch", "8", "--hidden", "8", "--bc-updates", "5", "--probe-minutes", "0", "--seed", "4"];
        var (code, _, error) = Run(["train", "--out", own, "--own-traffic", "--minutes", "0.01", .. tiny]);
        Assert.True(code == 0, error);

        var rate = Path.Combine(_directory, "rate43.onnx");
        (code, var output, error) = Run(["train", "--out", rate, "--own-rate", "--resume", own, "--minutes", "0.000001", .. tiny]);
        Assert.True(code == 0, error);
        Assert.Contains("observation columns mapped by name from the file's 42 to this layout's 43 (new columns: zero weights)", output, StringComparison.Ordinal);
        Assert.Contains("training profile=agent S=11 F=43", output, StringComparison.Ordinal);
        using var model = new EdgeAgent.Learning.Evaluation.OnnxLogitsModel(rate);
        Assert.Equal(EdgeAgent.Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true), model.Layout);
        Assert.Equal("own_request_rate[log2(1 + requests/s)]", model.Layout.ColumnNames()[26]);
    }

    [Theory]
    [InlineData("--own-rate", "--own-pipeline", 43, "own_followed_in_flight[log2(1 + requests)]")]
    [InlineData("--own-pipeline", "--own-batch", 44, "own_batch_after[log2(1 + requests)]")]
    public void Train_CountColumnResumedFromAFileOfTheLayoutBefore_WritesTheLayoutWithIt(string before, string after, int columns, string added)
    {
        var old = Path.Combine(_directory, $"old{columns}.onnx");
        string[] tiny = ["--profile", "agent", "--environments", "2", "--batch", "8", "--hidden", "8", "--bc-updates", "5", "--probe-minutes", "0", "--seed", "4"];
        var (code, _, error) = Run(["train", "--out", old, before, "--minutes", "0.01", .. tiny]);
        Assert.True(code == 0, error);

        var grown = Path.Combine(_directory, $"new{columns + 1}.onnx");
        (code, var output, error) = Run(["train", "--out", grown, after, "--resume", old, "--minutes", "0.000001", .. tiny]);
        Assert.True(code == 0, error);
        Assert.Contains($"observation columns mapped by name from the file's {columns} to this layout's {columns + 1} (new columns: zero weights)", output, StringComparison.Ordinal);
        Assert.Contains($"training profile=agent S=11 F={columns + 1}", output, StringComparison.Ordinal);
        using var model = new EdgeAgent.Learning.Evaluation.OnnxLogitsModel(grown);
        Assert.Equal(EdgeAgent.Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: after == "--own-batch"), model.Layout);
        Assert.Equal(added, model.Layout.ColumnNames()[columns - 16]);
    }

    [Fact]
    public void Train_OwnTrafficResumedFromA37ColumnFile_MapsColumnsByNameAndKeepsTheLogits()
    {
        var plain = Path.Combine(_directory, "plain37.onnx");
        string[] tiny = ["--profile", "agent", "--environments", "2", "--batch", "8", "--hidden", "8", "--bc-updates", "5", "--probe-minutes", "0", "--seed", "4"];
        var (code, _, error) = Run(["train", "--out", plain, "--minutes", "0.01", .. tiny]);
        Assert.True(code == 0, error);

        // No time to train: the resumed actor is the file's, its rows moved to the 42-column layout.
        var own = Path.Combine(_directory, "own41.onnx");
        (code, var output, error) = Run(["train", "--out", own, "--own-traffic", "--resume", plain, "--minutes", "0.000001", .. tiny]);
        Assert.True(code == 0, error);
        Assert.Contains("observation columns mapped by name from the file's 37 to this layout's 42 (new columns: zero weights)", output, StringComparison.Ordinal);
        Assert.Contains("training profile=agent S=11 F=42", output, StringComparison.Ordinal);

        var layout = EdgeAgent.Core.Observation.FeatureLayout.Agent(ownTraffic: true);
        using var oldModel = new EdgeAgent.Learning.Evaluation.OnnxLogitsModel(plain);
        using var newModel = new EdgeAgent.Learning.Evaluation.OnnxLogitsModel(own);
        Assert.Equal(layout, newModel.Layout);
        oldModel.ReadRowsOf(layout);
        newModel.ReadRowsOf(layout);
        var env = new EdgeAgent.Learning.Simulation.Agent.AgentVecEnv(EdgeAgent.Learning.Simulation.Agent.AgentContextRange.Train, 16, 3, layout: layout);
        var servers = new float[16 * 11 * layout.FeatureCount];
        var mask = new float[16 * 11];
        var preference = new float[32];
        var actions = new int[16];
        var rewards = new float[16];
        var done = new bool[16];
        var a = new float[16 * 11];
        var b = new float[16 * 11];
        var compared = 0;
        for (var t = 0; t < 30; t++)
        {
            env.Observe(servers, mask, preference);
            oldModel.Logits(servers, mask, preference, 16, a);
            newModel.Logits(servers, mask, preference, 16, b);
            for (var k = 0; k < a.Length; k++)
            {
                if (mask[k] > 0.5f)
                {
                    Assert.True(Math.Abs(a[k] - b[k]) <= 1e-4f * Math.Max(1f, Math.Abs(a[k])), $"step {t} entry {k}: 37-column file {a[k]}, resumed 42-column file {b[k]}");
                    compared++;
                }
            }

            for (var i = 0; i < 16; i++)
            {
                actions[i] = Array.FindIndex(mask, i * 11, 11, m => m > 0.5f) - (i * 11);
            }

            env.Step(actions, rewards, rewards, done);
        }

        Assert.True(compared > 100);

        // bench policy names each file's own layout: F = 37 for the older file, 42 for the resumed one.
        var bench37 = Run("bench", "policy", "--policy", plain, "--decisions", "100");
        Assert.True(bench37.Code == 0, bench37.Error);
        Assert.Contains("S=11 F=37", bench37.Output, StringComparison.Ordinal);
        var bench41 = Run("bench", "policy", "--policy", own, "--decisions", "100");
        Assert.True(bench41.Code == 0, bench41.Error);
        Assert.Contains("S=11 F=42", bench41.Output, StringComparison.Ordinal);

        // eval plays both files on one own-traffic simulator: the older one reads its columns of it.
        var eval = CliRunner.Run([EvalCommand.Create()], ["eval", "--profile", "agent", "--policy", own, "--compare", plain, "--preferences", "3", "--episodes", "1", "--seed", "5",
            "--baselines", "heuristic,greedy-estimate"], 60);
        Assert.True(eval.Code == 0, eval.Error);
        Assert.Contains("| plain37 |", eval.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_AgentProfileTinyBudget_WritesPolicyWithAgentLayoutAndTrainingMetadata()
    {
        var policy = Path.Combine(_directory, "agent.onnx");
        var (code, output, error) = Run("train", "--profile", "agent", "--out", policy, "--minutes", "0.01", "--environments", "2",
            "--batch", "8", "--hidden", "8", "--bc-updates", "5", "--teacher", "rollout", "--rollout-horizon", "1", "--rollout-futures", "1",
            "--probe-minutes", "0", "--seed", "4");

        Assert.True(code == 0, error);
        Assert.Contains("training profile=agent S=11", output, StringComparison.Ordinal);
        Assert.Contains("final probe (policy/greedy scalarised cost, training contexts, other seeds; after '/': policy/greedy-expected): w=0.1:", output, StringComparison.Ordinal);
        using var session = EdgeAgent.Inference.Policy.OnnxPolicySession.Open(policy, null);
        Assert.Equal("agent", session.Layout.Profile);
        Assert.Equal(11, session.Layout.MaxServers);
        Assert.Equal("agent", session.Metadata["edgeagent.training.profile"]);
        Assert.Equal("4", session.Metadata["edgeagent.training.seed"]);
        Assert.StartsWith("edgeagent train --profile agent", session.Metadata["edgeagent.training.command"], StringComparison.Ordinal);
        Assert.Equal("model", session.Metadata["edgeagent.training.reward_units"]);
    }

    [Fact]
    public void Train_AgentProfileItemRewardUnits_RecordsThemAndEvalReportsInThem()
    {
        var policy = Path.Combine(_directory, "item.onnx");
        var (code, _, error) = Run("train", "--profile", "agent", "--out", policy, "--minutes", "0.01", "--environments", "2",
            "--batch", "8", "--hidden", "8", "--bc-updates", "5", "--probe-minutes", "0", "--seed", "4", "--reward-units", "item");
        Assert.True(code == 0, error);
        using (var session = EdgeAgent.Inference.Policy.OnnxPolicySession.Open(policy, null))
        {
            Assert.Equal("item", session.Metadata["edgeagent.training.reward_units"]);
        }

        var report = Path.Combine(_directory, "item-report");
        var eval = CliRunner.Run([EvalCommand.Create()], ["eval", "--profile", "agent", "--policy", policy, "--contexts", "demo", "--preferences", "3", "--episodes", "1",
            "--seed", "5", "--baselines", "heuristic", "--reward-units", "item", "--report", report], 60);
        Assert.True(eval.Code == 0, eval.Error);
        Assert.Contains("in the rewards' item units: per task, delay / T", File.ReadAllText(Path.Combine(report, "report.md")), StringComparison.Ordinal);
        var model = CliRunner.Run([EvalCommand.Create()], ["eval", "--profile", "agent", "--policy", policy, "--contexts", "demo", "--preferences", "3", "--episodes", "1",
            "--seed", "5", "--baselines", "heuristic", "--report", report], 60);
        Assert.True(model.Code == 0, model.Error);
        Assert.Contains("delay / t_ref and energy / e_ref of its model", File.ReadAllText(Path.Combine(report, "report.md")), StringComparison.Ordinal);
    }

    [Fact]
    public void Train_RewardUnitsOnTheGmorlProfile_IsRefusedNamingTheOption()
    {
        var (code, _, error) = Run("train", "--out", Path.Combine(_directory, "g.onnx"), "--minutes", "0.01", "--reward-units", "item");
        Assert.NotEqual(0, code);
        Assert.Contains("--reward-units applies to the agent profile", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_AgentProfileWithCalibration_ResumesThePolicyOnTheCalibratedContextAndRecordsIt()
    {
        var calibration = CalibrationFiles.WriteDemoWithOnePeer(Path.Combine(_directory, "calibration.json"), 0.2, 2e6, 0.5);
        var generic = Path.Combine(_directory, "generic.onnx");
        string[] tiny = ["--profile", "agent", "--minutes", "0.01", "--environments", "2", "--batch", "8", "--hidden", "8", "--bc-updates", "5", "--probe-minutes", "0", "--seed", "4"];
        Assert.Equal(0, Run(["train", "--out", generic, .. tiny]).Code);
        var tuned = Path.Combine(_directory, "tuned.onnx");

        var (code, output, error) = Run(["train", "--out", tuned, "--calibration", calibration, "--resume", generic, .. tiny]);

        Assert.True(code == 0, error);
        Assert.Contains("contexts=calibrated calibration.json (100 requests of decisions.db; 3 models; peers edge 200 ms 2 Mbit/s 0.5x", output, StringComparison.Ordinal);
        using var session = EdgeAgent.Inference.Policy.OnnxPolicySession.Open(tuned, null);
        Assert.StartsWith("calibrated calibration.json", session.Metadata["edgeagent.training.contexts"], StringComparison.Ordinal);
    }

    [Fact]
    public void Train_CalibrationResumingAnOwnTrafficFileWithoutLayoutFlag_TakesTheFilesLayoutAndLaggedPeerReports()
    {
        var calibration = CalibrationFiles.WriteDemoWithOnePeer(Path.Combine(_directory, "calibration.json"), 0.2, 2e6, 0.5);
        var generic = Path.Combine(_directory, "generic.onnx");
        string[] tiny = ["--profile", "agent", "--minutes", "0.01", "--environments", "2", "--batch", "8", "--hidden", "8", "--bc-updates", "5", "--probe-minutes", "0", "--seed", "4"];
        Assert.Equal(0, Run(["train", "--out", generic, "--own-traffic", .. tiny]).Code);
        var tuned = Path.Combine(_directory, "tuned.onnx");

        var (code, output, error) = Run(["train", "--out", tuned, "--calibration", calibration, "--resume", generic, .. tiny]);

        Assert.True(code == 0, error);
        Assert.Contains("layout of generic.onnx: own traffic (as --own-traffic)", output, StringComparison.Ordinal);
        Assert.Contains("F=42", output, StringComparison.Ordinal);
        Assert.Contains("peer queues as their load reports every 250 ms show them", output, StringComparison.Ordinal);
        var (exactCode, exactOutput, exactError) = Run(["train", "--out", tuned, "--calibration", calibration, "--resume", generic, "--peer-reports", "exact", .. tiny]);
        Assert.True(exactCode == 0, exactError);
        Assert.DoesNotContain("load reports", exactOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_PeerReportsWithoutCalibration_ExitsWithMessage()
    {
        var (code, _, error) = Run("train", "--profile", "agent", "--out", Path.Combine(_directory, "x.onnx"), "--minutes", "0.01", "--peer-reports", "exact");
        Assert.Equal(2, code);
        Assert.Contains("--peer-reports applies with --calibration", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_BadCalibration_OneLineExitTwo()
    {
        var bad = Path.Combine(_directory, "bad.json");
        File.WriteAllText(bad, "{\"schema\":\"edgeagent.calibration\",\"version\":7}");

        var (code, _, error) = Run("train", "--profile", "agent", "--out", Path.Combine(_directory, "x.onnx"), "--calibration", bad);
        Assert.Equal(2, code);
        Assert.Contains("schema version 7", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));

        var (gmorl, _, gmorlError) = Run("train", "--out", Path.Combine(_directory, "x.onnx"), "--calibration", bad);
        Assert.Equal(2, gmorl);
        Assert.Contains("--calibration applies to the agent profile", gmorlError, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_LearningRateThatDiverges_StopsWithOneLineAndWritesNoPolicy()
    {
        var policy = Path.Combine(_directory, "diverged.onnx");

        var (code, output, error) = Run("train", "--out", policy, "--minutes", "0.5", "--edges-max", "3", "--hidden", "8", "--batch", "8",
            "--bc-updates", "0", "--lr", "1e20", "--probe-minutes", "0", "--progress-seconds", "60");

        Assert.Equal(1, code);
        Assert.StartsWith("edgeagent train: training diverged at update ", error, StringComparison.Ordinal);
        Assert.Contains("--lr", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("final probe", output, StringComparison.Ordinal);
        Assert.False(File.Exists(policy), "a diverged run wrote its policy file");
    }
}
