using System.Text.Json;
using EdgeAgent.Cli.Commands;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>`edgeagent eval live` on a decision log already written (--from-log), and its refusals.</summary>
public sealed class EvalLiveCommandTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 18, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-evallive-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([EvalCommand.Create()], ["eval", "live", .. args], 120);

    // Two runs of one model, at w_delay 0 (everything on peer "edge") and 1 (everything local).
    private static DecisionRecord Record(int i, double preference, double localExpected = 0.04, double boardExec = 0.04, bool? onBoard = null)
    {
        ServerObservation[] servers =
        [
            new() { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = localExpected, MaxConcurrency = 1, EstimatedEnergyJoules = 0.2 },
            new() { Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 1e8, DownlinkBitsPerSecond = 1e8, RoundTripSeconds = 0.005, ExpectedExecSeconds = 0.01, MaxConcurrency = 1 },
        ];
        var local = onBoard ?? preference > 0.5;
        var ran = local ? Placement.Local() : Placement.Peer("edge");
        var exec = local ? boardExec : 0.01;
        var transfer = local ? 0 : 0.005 + (8 * 100_000 / 1e8);
        var start = 100 * preference;
        return new DecisionRecord(T0.AddSeconds(start + (0.5 * i) + exec + transfer), "cls", 100_000, ran, ran, null, new Preference(preference),
            exec + transfer + 0.001, 0, exec, new TaskEnergy(new EnergyFigure(local ? 5 * exec : 0, EnergyProvenance.Modelled), new EnergyFigure(local ? 0 : (2 * 0.008) + 0, EnergyProvenance.Modelled)),
            true, new OffloadObservation(new TaskObservation("cls", 100_000, null), servers))
        {
            TransferSeconds = transfer,
        };
    }

    [Fact]
    public void EvalLive_FromLog_PrintsBothFrontsWithGapsAndWritesTheReport()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        using (var db = DecisionDatabase.OpenForWriting(Path.Combine(_dir, "log", "decisions.db")))
        {
            db.Insert([.. Enumerable.Range(0, 30).SelectMany(i => new[] { DurableDecisionLog.ToRow(Record(i, 0)), DurableDecisionLog.ToRow(Record(i, 1)) })]);
        }

        var (code, output, error) = Run("--from-log", "--report", _dir, "--preferences", "2", "--policy", "heuristic", "--episodes", "2");

        Assert.True(code == 0, error);
        Assert.Contains("| 0 | 24.0 |", output, StringComparison.Ordinal);
        Assert.Contains("| 1 | 41.0 |", output, StringComparison.Ordinal);
        Assert.Contains("within 10 %", output, StringComparison.Ordinal);
        foreach (var file in new[] { "report.json", "report.md", "fronts.png", "calibration.json" })
        {
            Assert.True(File.Exists(Path.Combine(_dir, file)), file);
        }

        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        var points = report.RootElement.GetProperty("points");
        Assert.Equal(2, points.GetArrayLength());
        Assert.Equal(30, points[0].GetProperty("live").GetProperty("requests").GetInt32());
        Assert.Equal(1.0, points[0].GetProperty("live").GetProperty("placements").GetProperty("peer:edge").GetDouble());
        Assert.True(points[1].GetProperty("predicted").GetProperty("requests").GetInt32() > 0);

        // What the live agent saw of its peer: always there, 100 Mbit/s over a 5 ms round trip; sent all of w_delay 0's requests.
        Assert.Contains("| w_delay | peer:edge |", output, StringComparison.Ordinal);
        Assert.Contains("| 0 | absent 0 %, sent 30 / fell back 0, 100-100-100 Mbit/s, 5.0 ms |", output, StringComparison.Ordinal);
        var view = points[0].GetProperty("peer_views").GetProperty("peer:edge");
        Assert.Equal(30, view.GetProperty("requests").GetInt32());
        Assert.Equal(0, view.GetProperty("absent_share").GetDouble());
        Assert.Equal(100, view.GetProperty("uplink_mbit_p50").GetDouble(), 3);
        Assert.False(report.RootElement.GetProperty("backward").GetBoolean());
    }

    [Fact]
    public void EvalLive_FromLogWithTheRunsProbes_ProbeJoulesSpreadOverTheRunsRequests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        using (var db = DecisionDatabase.OpenForWriting(Path.Combine(_dir, "log", "decisions.db")))
        {
            db.Insert([.. Enumerable.Range(0, 30).SelectMany(i => new[] { DurableDecisionLog.ToRow(Record(i, 0)), DurableDecisionLog.ToRow(Record(i, 1)) })]);
        }

        File.WriteAllText(Path.Combine(_dir, "log", "probes.json"), "{\"0\": 0.3, \"1\": 0.06}");

        var (code, _, error) = Run("--from-log", "--report", _dir, "--preferences", "2", "--policy", "heuristic", "--episodes", "2");

        Assert.True(code == 0, error);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        var points = report.RootElement.GetProperty("points");
        Assert.Equal(0.01, points[0].GetProperty("live").GetProperty("probe_joules").GetDouble(), 9);
        Assert.Equal(0.016 + 0.01, points[0].GetProperty("live").GetProperty("energy_joules").GetDouble(), 9);
        Assert.Equal(0.002, points[1].GetProperty("live").GetProperty("probe_joules").GetDouble(), 9);
        Assert.True(points[1].GetProperty("predicted").GetProperty("probe_joules").GetDouble() >= 0);
    }

    [Fact]
    public void EvalLive_FromLogEstimatesMovedBetweenRuns_EachPredictionSeesItsOwnRunsEstimates()
    {
        // The agent expected the board's 40 ms in the run at w_delay 1 and twice that in the run at 0.
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        using (var db = DecisionDatabase.OpenForWriting(Path.Combine(_dir, "log", "decisions.db")))
        {
            db.Insert([.. Enumerable.Range(0, 30).SelectMany(i => new[] { DurableDecisionLog.ToRow(Record(i, 0, localExpected: 0.08)), DurableDecisionLog.ToRow(Record(i, 1)) })]);
        }

        double Ratio(JsonElement point) => point.GetProperty("observed_exec_ratios").GetProperty("cls").GetDouble();
        var (code, output, error) = Run("--from-log", "--report", _dir, "--preferences", "2", "--policy", "heuristic", "--episodes", "2");
        Assert.True(code == 0, error);
        Assert.Contains("from each preference's own run", output, StringComparison.Ordinal);
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json"))))
        {
            var points = report.RootElement.GetProperty("points");
            Assert.Equal(2.0, Ratio(points[0]), 3);
            Assert.Equal(1.0, Ratio(points[1]), 3);
            Assert.Equal("run", report.RootElement.GetProperty("observed_estimates").GetString());
        }

        var (logCode, _, logError) = Run("--from-log", "--observed-estimates", "log", "--report", _dir, "--preferences", "2", "--policy", "heuristic", "--episodes", "2");
        Assert.True(logCode == 0, logError);
        using (var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json"))))
        {
            var points = report.RootElement.GetProperty("points");
            Assert.Equal(Ratio(points[0]), Ratio(points[1]), 9);
        }
    }

    [Fact]
    public void EvalLive_FromLogBoardSlowerInOneRun_ProspectiveAtTheSweepsMean_SpeedConditionedAtEachRunsSpeed_BothCounted()
    {
        // Runs at w_delay 0 (on the peer), 0.5 (the board at 40 ms) and 1 (the board at 50 ms): the calibration's board mean is 45 ms.
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        using (var db = DecisionDatabase.OpenForWriting(Path.Combine(_dir, "log", "decisions.db")))
        {
            db.Insert([.. Enumerable.Range(0, 30).SelectMany(i => new[]
            {
                DurableDecisionLog.ToRow(Record(i, 0)),
                DurableDecisionLog.ToRow(Record(i, 0.5, boardExec: 0.04, onBoard: true)),
                DurableDecisionLog.ToRow(Record(i, 1, boardExec: 0.05, onBoard: true)),
            })]);
        }

        var (code, output, error) = Run("--from-log", "--report", _dir, "--preferences", "3", "--policy", "local", "--episodes", "2");

        Assert.True(code == 0, error);
        Assert.Contains("within 10 % (delay and energy):", output, StringComparison.Ordinal);
        Assert.Contains("speed-conditioned (each server's execution at the speed it ran in that run; uses the run it predicts, so not prospective): within 10 %", output, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        var points = report.RootElement.GetProperty("points");
        double Exec(int k, string prediction) => points[k].GetProperty(prediction).GetProperty("exec_seconds").GetDouble();
        Assert.InRange(Exec(1, "predicted"), 0.0425, 0.0475); // prospective: the sweep's one speed
        Assert.InRange(Exec(2, "predicted"), 0.0425, 0.0475);
        Assert.InRange(Exec(1, "predicted_at_run_speeds"), 0.038, 0.042);
        Assert.InRange(Exec(2, "predicted_at_run_speeds"), 0.0475, 0.0525);
        Assert.Equal(0.05 / 0.045, points[2].GetProperty("exec_time_factors").GetProperty("local").GetDouble(), 3);
    }

    [Fact]
    public void EvalLive_FromLogEstimatorDynamicsExec_PredictsWithMovingEstimates_AndSaysSo()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        using (var db = DecisionDatabase.OpenForWriting(Path.Combine(_dir, "log", "decisions.db")))
        {
            db.Insert([.. Enumerable.Range(0, 30).SelectMany(i => new[] { DurableDecisionLog.ToRow(Record(i, 0)), DurableDecisionLog.ToRow(Record(i, 1)) })]);
        }

        var (code, output, error) = Run("--from-log", "--report", _dir, "--preferences", "2", "--policy", "heuristic", "--episodes", "2", "--estimator-dynamics", "exec", "--passes", "2");

        Assert.True(code == 0, error);
        Assert.Contains("execution-time estimates move with the simulated runs", output, StringComparison.Ordinal);
        Assert.Contains("2 passes (forward, backward, ...)", output, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        Assert.Equal("exec", report.RootElement.GetProperty("estimator_dynamics").GetString());
        Assert.Equal(2, report.RootElement.GetProperty("passes").GetInt32());
        Assert.True(report.RootElement.GetProperty("points")[1].GetProperty("predicted").GetProperty("requests").GetInt32() > 0);
    }

    [Fact]
    public void EvalLive_BadArguments_OneLineExitTwo()
    {
        var (code, _, error) = Run("--preferences", "1", "--report", _dir);
        Assert.Equal(2, code);
        Assert.Contains("--preferences must be between 2 and 101", error, StringComparison.Ordinal);

        var (missingCode, _, missingError) = Run("--from-log", "--report", Path.Combine(_dir, "nothing"), "--policy", "heuristic");
        Assert.Equal(2, missingCode);
        Assert.Contains("does not exist", missingError, StringComparison.Ordinal);
        Assert.Single(missingError.Trim().Split('\n'));

        var (linkCode, _, linkError) = Run("--link-profile", "edge:rtt=fast", "--report", _dir);
        Assert.Equal(2, linkCode);
        Assert.StartsWith("edgeagent eval live: --link-profile:", linkError, StringComparison.Ordinal);

        var (passesCode, _, passesError) = Run("--passes", "0", "--report", _dir);
        Assert.Equal(2, passesCode);
        Assert.Equal("edgeagent eval live: --passes must be between 1 and 20, got 0.", passesError.Trim());

        var (dynamicsCode, _, dynamicsError) = Run("--estimator-dynamics", "links", "--report", _dir);
        Assert.Equal(2, dynamicsCode);
        Assert.Equal("edgeagent eval live: --estimator-dynamics must be 'off' or 'exec', got 'links'.", dynamicsError.Trim());

        var (reportsCode, _, reportsError) = Run("--peer-reports", "late", "--report", _dir);
        Assert.Equal(2, reportsCode);
        Assert.Equal("edgeagent eval live: --peer-reports must be 'lagged' or 'exact', got 'late'.", reportsError.Trim());

        var (orderCode, _, orderError) = Run("--order", "sideways", "--report", _dir);
        Assert.Equal(2, orderCode);
        Assert.Equal("edgeagent eval live: --order must be 'forward' or 'backward', got 'sideways'.", orderError.Trim());
    }

    [Fact]
    public void EvalLive_FromLogWithPreferenceValues_PredictsExactlyThoseWeightsAscending()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        using (var db = DecisionDatabase.OpenForWriting(Path.Combine(_dir, "log", "decisions.db")))
        {
            db.Insert([.. Enumerable.Range(0, 30).SelectMany(i => new[] { DurableDecisionLog.ToRow(Record(i, 0)), DurableDecisionLog.ToRow(Record(i, 0.15)), DurableDecisionLog.ToRow(Record(i, 1)) })]);
        }

        var (code, output, error) = Run("--from-log", "--report", _dir, "--preference-values", "1, 0.15", "--policy", "heuristic", "--episodes", "2");

        Assert.True(code == 0, error);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        var points = report.RootElement.GetProperty("points");
        Assert.Equal(2, points.GetArrayLength());
        Assert.Equal(0.15, points[0].GetProperty("preference").GetDouble());
        Assert.Equal(1, points[1].GetProperty("preference").GetDouble());
        Assert.Equal(30, points[0].GetProperty("live").GetProperty("requests").GetInt32());
        Assert.Equal(1.0, points[0].GetProperty("live").GetProperty("placements").GetProperty("peer:edge").GetDouble());
        Assert.Contains("| 0.15 | 24.0 |", output, StringComparison.Ordinal);
        Assert.DoesNotContain("| 0 | 24.0 |", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0,1.5", "edgeagent eval live: --preference-values: 1.5 is outside [0, 1].")]
    [InlineData("0,fast", "edgeagent eval live: --preference-values: 'fast' in '0,fast' is not a number; give delay weights in [0, 1], comma-separated (0,0.1,0.2,1).")]
    [InlineData("0,NaN", "edgeagent eval live: --preference-values: 'NaN' in '0,NaN' is not a number; give delay weights in [0, 1], comma-separated (0,0.1,0.2,1).")]
    [InlineData("0.2,0.1,0.20", "edgeagent eval live: --preference-values: 0.20 is given twice.")]
    [InlineData("0.5", "edgeagent eval live: --preference-values needs between 2 and 101 delay weights, got 1.")]
    [InlineData("0,0.001,1", "edgeagent eval live: --preference-values: 0.001 is a weight of the sweep's unmeasured warm-up runs (0.999, 0.001); choose another.")]
    public void EvalLive_BadPreferenceValues_OneLineExitTwo(string values, string expected)
    {
        var (code, _, error) = Run("--preference-values", values, "--report", _dir);

        Assert.Equal(2, code);
        Assert.Equal(expected, error.Trim());
    }

    [Fact]
    public void EvalLive_PreferencesAndPreferenceValues_Refused()
    {
        var (code, _, error) = Run("--preferences", "5", "--preference-values", "0,1", "--report", _dir);

        Assert.Equal(2, code);
        Assert.Equal("edgeagent eval live: give --preferences or --preference-values, not both.", error.Trim());
    }

    [Fact]
    public void EvalLive_FromLogPeerReportsLaggedWithTrace_SaysSoAndWritesTheSimulatedObservationsByName()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "log"));
        using (var db = DecisionDatabase.OpenForWriting(Path.Combine(_dir, "log", "decisions.db")))
        {
            db.Insert([.. Enumerable.Range(0, 30).SelectMany(i => new[] { DurableDecisionLog.ToRow(Record(i, 0)), DurableDecisionLog.ToRow(Record(i, 1)) })]);
        }

        var trace = Path.Combine(_dir, "sim-observations.csv");
        var (code, output, error) = Run("--from-log", "--report", _dir, "--preferences", "2", "--policy", "heuristic", "--episodes", "2", "--peer-reports", "lagged", "--trace-observations", trace);

        Assert.True(code == 0, error);
        Assert.Contains("each peer's queue as its last load report showed it (every 250 ms", output, StringComparison.Ordinal);
        using var report = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "report.json")));
        Assert.Equal("lagged", report.RootElement.GetProperty("peer_reports").GetString());
        var lines = File.ReadAllLines(trace);
        var header = lines[0].Split(',');
        Assert.Equal(["w_delay", "context", "episode", "time_s", "model", "placement", "candidate"], header[..7]);
        Assert.Contains("round_trip", header);
        Assert.Contains("residual_hist_0", header);
        Assert.True(lines.Length > 1);
        Assert.All(lines.Skip(1), l => Assert.Equal(header.Length, l.Split(',').Length));
    }
}
