using EdgeAgent.Core.Pareto;
using EdgeAgent.Demo.Live;
using LearningTerms = EdgeAgent.Learning.Evaluation.RequestTerms;

namespace EdgeAgent.Demo.Tests.Live;

public sealed class LiveComparisonTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-livecompare-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static LiveSweep Sweep(string label, params (double Delay, double Energy)[] points) =>
        new(label, "learned", [.. points.Select((p, i) => (i / 10.0, new ObjectivePoint(p.Delay, p.Energy)))]);

    [Fact]
    public void Compare_EverySweepUnderOneReference_RatioOfMeanHypervolumes()
    {
        var result = LiveComparison.Compare([Sweep("g1", (1, 2), (2, 1))], [Sweep("t1", (1, 1))]);

        // reference 1.1 x the worst of both: (2.2, 2.2); HV(g1) = 1.2 x 0.2 + 0.2 x 1 = 0.44; HV(t1) = 1.2 x 1.2 = 1.44
        Assert.Equal(new ObjectivePoint(2.2, 2.2), result.Reference);
        Assert.Equal(0.44, result.Baseline[0], 9);
        Assert.Equal(1.44, result.Candidate[0], 9);
        Assert.Equal(1.44 / 0.44, result.Ratio, 9);
        Assert.True(double.IsNaN(result.Low)); // one sweep each: no interval
        Assert.Contains("no interval", LiveComparison.Format([Sweep("g1", (1, 2), (2, 1))], [Sweep("t1", (1, 1))], result), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_GivenReference_UsesItAndCountsThePointsOutsideIt()
    {
        // Reference (3, 3) given: g1 (1,2),(2,1) -> 2*1 + 1*1 = 3; t1 (1,1) -> 4; the point (4, 0.5) lies outside and adds nothing.
        var result = LiveComparison.Compare([Sweep("g1", (1, 2), (2, 1), (4, 0.5))], [Sweep("t1", (1, 1))], reference: new ObjectivePoint(3, 3));

        Assert.Equal(new ObjectivePoint(3, 3), result.Reference);
        Assert.True(result.ReferenceGiven);
        Assert.Equal(1, result.PointsBeyondReference);
        Assert.Equal(3, result.Baseline[0], 9);
        Assert.Equal(4, result.Candidate[0], 9);
        Assert.Contains("given; 1 point(s) of the sweeps not inside it add nothing", LiveComparison.Format([Sweep("g1", (1, 2), (2, 1), (4, 0.5))], [Sweep("t1", (1, 1))], result), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_InterleavedPairsWithDrift_PairedBootstrapSeesTheGainTheUnpairedOneDoesNot()
    {
        // the machine drifts from sweep pair to pair; within each pair the candidate is better
        LiveSweep[] generic = [Sweep("g1", (1, 1)), Sweep("g2", (1.5, 1.5)), Sweep("g3", (2, 2))];
        LiveSweep[] tuned = [Sweep("t1", (0.9, 0.9)), Sweep("t2", (1.4, 1.4)), Sweep("t3", (1.9, 1.9))];

        var paired = LiveComparison.Compare(generic, tuned, resamples: 2000);
        var unpaired = LiveComparison.Compare(generic, tuned, resamples: 2000, paired: false);

        Assert.True(paired.Paired);
        Assert.True(paired.Low > 1, $"paired low {paired.Low}");
        Assert.True(paired.CandidateBeyondNoise);
        Assert.Equal(1.0, paired.ShareAboveOne);
        Assert.False(unpaired.Paired);
        Assert.True(unpaired.Low < 1, $"unpaired low {unpaired.Low}");
        Assert.Equal(paired.Ratio, unpaired.Ratio, 12);
        Assert.Contains("candidate beyond noise", LiveComparison.Format(generic, tuned, paired), StringComparison.Ordinal);
        Assert.Contains("not decided", LiveComparison.Format(generic, tuned, unpaired), StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_SweepsWithPredictions_AlsoGivesTheSimulatorsRatioUnderTheLiveReference()
    {
        // live: as in the first test (reference (2.2, 2.2) from the live points); predicted: g1 (1, 1) -> HV 1.44, t1 (2, 1) -> 0.24
        var g = new LiveSweep("g1", "learned", [(0, new ObjectivePoint(1, 2)), (1, new ObjectivePoint(2, 1))], [(0, new ObjectivePoint(1, 1)), (1, new ObjectivePoint(1, 1))]);
        var t = new LiveSweep("t1", "learned", [(0, new ObjectivePoint(1, 1))], [(0, new ObjectivePoint(2, 1))]);

        var result = LiveComparison.Compare([g], [t]);

        Assert.Equal(new ObjectivePoint(2.2, 2.2), result.Reference);
        Assert.Equal(1.44 / 0.44, result.Ratio, 9);
        Assert.Equal(0.24 / 1.44, result.PredictedRatio, 9);
        Assert.Contains("the simulator's prediction in each sweep's report, under the same reference point: candidate / baseline (mean HV) 0.1667", LiveComparison.Format([g], [t], result), StringComparison.Ordinal);
        Assert.True(double.IsNaN(LiveComparison.Compare([g], [Sweep("t2", (1, 1))]).PredictedRatio)); // a sweep without prediction: none
    }

    [Fact]
    public void Compare_UnequalCounts_ResamplesEachGroupOnItsOwn()
    {
        var result = LiveComparison.Compare([Sweep("g1", (1, 1)), Sweep("g2", (1.2, 1.2))], [Sweep("t1", (1, 1))], resamples: 500);

        Assert.False(result.Paired);
        Assert.Equal(500, result.Resamples);
        Assert.InRange(result.Low, 0.5, result.High);
    }

    [Fact]
    public void Read_EvalLiveReport_LivePointsOfPreferencesWithRequests()
    {
        var run = Path.Combine(_dir, "generic1");
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "report.json"), """
            {"policy": "learned", "policy_file": "/x/agent-default.onnx", "points": [
              {"preference": 0, "live": {"requests": 10, "delay_seconds": 0.5, "energy_joules": 0.1}, "predicted": {"requests": 5, "delay_seconds": 0.4, "energy_joules": 0.1}},
              {"preference": 0.5, "live": {"requests": 0, "delay_seconds": 0, "energy_joules": 0}, "predicted": {"requests": 5, "delay_seconds": 0.4, "energy_joules": 0.1}},
              {"preference": 1, "live": {"requests": 9, "delay_seconds": 0.05, "energy_joules": 0.3}, "predicted": {"requests": 5, "delay_seconds": 0.4, "energy_joules": 0.1}}]}
            """);

        var sweep = LiveSweep.Read(run);

        Assert.Equal("generic1", sweep.Label);
        Assert.Equal("learned (agent-default.onnx)", sweep.Policy);
        Assert.Equal([(0.0, new ObjectivePoint(0.5, 0.1)), (1.0, new ObjectivePoint(0.05, 0.3))], sweep.Points);
        Assert.Equal([(0.0, new ObjectivePoint(0.4, 0.1)), (1.0, new ObjectivePoint(0.4, 0.1))], sweep.Predicted!);
        Assert.Throws<ArgumentException>(() => LiveSweep.Read(Path.Combine(_dir, "missing")));
        File.WriteAllText(Path.Combine(_dir, "bad.json"), "{\"policy\": \"learned\"}");
        Assert.Throws<ArgumentException>(() => LiveSweep.Read(Path.Combine(_dir, "bad.json")));
    }
}

public sealed class LiveEvaluationExplainTests
{
    private static LearningTerms Terms(int requests, double delayMs, double execMs, double transferMs, double offloaded, double joules) => new()
    {
        Requests = requests,
        DelaySeconds = delayMs / 1000,
        ExecSeconds = execMs / 1000,
        TransferSeconds = transferMs / 1000,
        EnergyJoules = joules,
        ComputeJoules = joules * (1 - offloaded),
        Placements = offloaded > 0 ? new Dictionary<string, double> { ["local"] = 1 - offloaded, ["peer:edge"] = offloaded } : new Dictionary<string, double> { ["local"] = 1 },
    };

    [Fact]
    public void Explain_AllLocalRunOffTheMean_NamesTheRunToRunSpreadOfTheBoard()
    {
        var sim = Terms(80, 43.8, 42.0, 0, 0, 0.21);
        LivePoint[] points =
        [
            new(0, Terms(81, 61.3, 40, 20, 2 / 81.0, 0.23), Terms(80, 48.5, 41, 6, 0.02, 0.22)),
            new(0.7, Terms(80, 44.4, 42.6, 0, 0, 0.213), sim),
            new(0.8, Terms(80, 38.4, 36.6, 0, 0, 0.184), sim),
            new(0.9, Terms(80, 40.6, 38.8, 0, 0, 0.194), sim),
            new(1, Terms(80, 47.6, 45.8, 0, 0, 0.229), sim),
        ];
        var report = new LiveEvaluationReport { Points = points, Tolerance = 0.10 };

        Assert.Equal(4, report.AllLocalRuns.Count);
        Assert.Null(LiveEvaluation.Explain(points[1], report)); // within 10 %
        var drift = LiveEvaluation.Explain(points[2], report);
        Assert.StartsWith("execution, run to run: the board's mean execution 36.6 ms in this run, 36.6-45.8 ms", drift, StringComparison.Ordinal);
        Assert.Contains("over the sweep's 4 all-local runs, simulated 42.0 ms (inside that spread: the machine's drift", drift, StringComparison.Ordinal);
        Assert.Equal("transfer, a few requests: 2 of 81 requests offloaded live, 1.6 expected by the prediction's share; they decide -14.0 ms of the mean", LiveEvaluation.Explain(points[0], report));
        Assert.Contains("- w_delay 0.8 beyond 10 %: execution, run to run", LiveEvaluation.Format(report), StringComparison.Ordinal);
        var energyOnly = new LivePoint(0.1, Terms(80, 100, 20, 70, 0.9, 0.030), Terms(80, 101, 20, 71, 0.9, 0.034));
        Assert.Equal("energy: radio/wait +0.0036 J (delay within 10 %)", LiveEvaluation.Explain(energyOnly, report with { Points = [.. points, energyOnly] }));
    }
}
