using EdgeAgent.Core.Pareto;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Tests.Evaluation;

public sealed class FrontEvaluatorTests
{
    private static EvaluationSettings Small(int episodes = 4) => new()
    {
        Episodes = episodes,
        Seed = 5,
        Preferences = [0.0, 0.5, 1.0],
        BendPreferences = [0.95],
        SparsePreferences = [0.0, 1.0],
        SparseEpisodes = 2,
        RandomCloudProbabilities = [0.0, 0.5, 1.0],
    };

    [Fact]
    public void Run_SameSettings_IdenticalPoints()
    {
        var a = new FrontEvaluator(Small()).Run([new MethodSpec("greedy", [new GreedyPolicy()]), new MethodSpec("random", [new RandomPolicy(0.3)])]);
        var b = new FrontEvaluator(Small()).Run([new MethodSpec("greedy", [new GreedyPolicy()]), new MethodSpec("random", [new RandomPolicy(0.3)])]);
        Assert.Equal(a.SelectMany(m => m.Points.Select(p => p.Point)), b.SelectMany(m => m.Points.Select(p => p.Point)));
        Assert.Equal(4, a[0].Points.Count); // 3 uniform + 1 bend
        Assert.Single(a[1].Points);
    }

    [Fact]
    public void Run_OwnPreferences_EachVariantPlaysOnlyItsOwnPreference()
    {
        var upper = new MethodSpec(MethodSpec.UpperBoundName, [new GreedyPolicy(), new GreedyPolicy()], OwnPreferences: [0.5, 0.95]);

        var result = new FrontEvaluator(Small()).Run([upper])[0];

        Assert.Equal([0.5, 0.95], result.Points.Select(p => p.DelayWeight!.Value));
        Assert.Equal([true, false], result.Points.Select(p => p.OnUniformGrid)); // 0.95 is a bend point here
    }

    [Fact]
    public void Run_OwnPreferencesCountMismatch_ThrowsNamingTheMethod()
    {
        var upper = new MethodSpec(MethodSpec.UpperBoundName, [new GreedyPolicy()], OwnPreferences: [0.5, 0.9]);

        var e = Assert.Throws<ArgumentException>(() => new FrontEvaluator(Small()).Run([upper]));

        Assert.Contains(MethodSpec.UpperBoundName, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_UpperBoundOfTheSubjectsOwnRule_RatioOneAndNoDifference()
    {
        // Greedy as the subject and greedy "trained" per preference as the upper bound: the same
        // actions on common random numbers, so the ratio is exactly 1 and every difference 0.
        var subject = new MethodSpec("policy", [new GreedyPolicy()], IsSubject: true);
        var upper = new MethodSpec(MethodSpec.UpperBoundName, [new GreedyPolicy(), new GreedyPolicy(), new GreedyPolicy()], OwnPreferences: [0.0, 0.5, 1.0]);
        var settings = Small();
        var results = new FrontEvaluator(settings).Run([subject, upper, new MethodSpec("random", [new RandomPolicy(0.5)])]);

        var report = EvaluationReport.Build(settings, results);

        Assert.Equal(1.0, report.UpperBoundRatio!.Value, 12);
        Assert.NotNull(report.VersusUpperBound);
        Assert.Equal(3, report.VersusUpperBound.Preferences);
        Assert.Equal(0.0, report.VersusUpperBound.MeanDifference, 12);
        Assert.Contains("multi-policy upper bound (3 fixed-preference policies", ReportWriter.Markdown(report), StringComparison.Ordinal);

        // The union also holds random's point: at least the upper bound alone, so the ratio at most 1.
        Assert.NotNull(report.UpperBoundUnionRatio);
        Assert.True(report.UpperBoundUnionRatio <= report.UpperBoundRatio + 1e-12, $"union ratio {report.UpperBoundUnionRatio} above {report.UpperBoundRatio}");
        Assert.Contains("strengthened upper bound", ReportWriter.Markdown(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_GreedyPreferenceExtremes_TradeDelayForEnergy()
    {
        var greedy = new FrontEvaluator(Small(6)).Run([new MethodSpec("greedy", [new GreedyPolicy()])])[0];
        var energyFirst = greedy.Points.Single(p => p.DelayWeight == 0.0);
        var delayFirst = greedy.Points.Single(p => p.DelayWeight == 1.0);
        Assert.True(delayFirst.MeanDelay < energyFirst.MeanDelay);
        Assert.True(energyFirst.MeanEnergy < delayFirst.MeanEnergy);
    }

    [Fact]
    public void Report_ReferencePointIsWorstOfAllPoints_RatiosAgainstSubject()
    {
        var settings = Small();
        var evaluator = new FrontEvaluator(settings);
        var results = evaluator.Run([
            new MethodSpec("subject", [new GreedyPolicy()], IsSubject: true),
            .. evaluator.StandardBaselines(includeRollout: true, rolloutHorizon: 2, rolloutFutures: 1),
        ]);
        var report = EvaluationReport.Build(settings, results);
        var all = results.SelectMany(m => m.Points).ToList();
        Assert.Equal(all.Max(p => p.MeanDelay), report.ReferencePoint.Delay);
        Assert.Equal(all.Max(p => p.MeanEnergy), report.ReferencePoint.Energy);
        Assert.Equal("subject", report.RatioBase);
        var subject = report.Summaries.Single(s => s.Name == "subject");
        var greedy = report.Summaries.Single(s => s.Name == "greedy");
        Assert.Equal(1.0, subject.HypervolumeRatio, 12);
        Assert.Equal(subject.Hypervolume, greedy.Hypervolume, 9); // same policy, same episodes
        Assert.Equal(0.0, subject.VersusGreedy!.MeanDifference, 12);
        Assert.True(greedy.Hypervolume > report.Summaries.Single(s => s.Name == "all-cloud").Hypervolume);
        Assert.Contains(report.Summaries, s => s.Name == "rollout" && s.DecisionMicroseconds > 0);
    }

    [Fact]
    public void ReportWriter_WritesJsonMarkdownAndPng()
    {
        var settings = Small(2);
        var evaluator = new FrontEvaluator(settings);
        var report = EvaluationReport.Build(settings, evaluator.Run([new MethodSpec("greedy", [new GreedyPolicy()]), new MethodSpec("all-cloud", [new AllCloudPolicy()])]));
        var dir = Path.Combine(Path.GetTempPath(), "edgeagent-eval-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = ReportWriter.Write(report, dir);
            Assert.Equal(3, paths.Count);
            Assert.All(paths, p => Assert.True(new FileInfo(p).Length > 100));
            var png = File.ReadAllBytes(Path.Combine(dir, "fronts.png"));
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);
            Assert.Contains("reference point", File.ReadAllText(Path.Combine(dir, "report.md")), StringComparison.Ordinal);
            Assert.Contains("\"ReferencePoint\"", File.ReadAllText(Path.Combine(dir, "report.json")), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LogitsPolicy_PicksLargestLogitAmongPresentServers()
    {
        var env = new MecVecEnv(MecParameters.Gmorl, ContextRange.Fixed(2, 4e9, 2e9), 2, 1, autoReset: false);
        var policy = new LogitsPolicy("fake", new FixedLogits([0f, 1f, 2f, 9f, 0f, 0f, 0f, 0f, 0f, 0f, 0f]), env.MaxServers);
        var servers = new float[2 * env.MaxServers * env.FeatureCount];
        var mask = new float[2 * env.MaxServers];
        var pref = new float[4];
        env.Observe(servers, mask, pref);
        var actions = new int[2];
        policy.Act(env, servers, mask, pref, actions);
        Assert.Equal([2, 2], actions); // row 3 has the largest logit but is absent (E = 2)
    }

    [Fact]
    public void BendGrid_ExcludesUniformValues()
    {
        var bend = EvaluationSettings.BendGrid(ExpectedUtility.UniformGrid(101));
        Assert.Equal(30, bend.Count);
        Assert.DoesNotContain(0.95, bend);
        Assert.Contains(0.9025, bend);
        Assert.Equal(39, EvaluationSettings.BendGrid(ExpectedUtility.UniformGrid(11)).Count); // 0.9 and 1.0 are on the grid
    }

    private sealed class FixedLogits(float[] row) : ILogitsModel
    {
        public void Logits(ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, int batch, Span<float> logits)
        {
            for (var i = 0; i < batch; i++)
            {
                row.CopyTo(logits.Slice(i * row.Length, row.Length));
            }
        }
    }
}
