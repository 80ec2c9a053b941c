using EdgeAgent.Cli.Commands;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Learning.Simulation.Agent.Calibration;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>`edgeagent calibrate --from-log` on databases written by the agent's own log writer.</summary>
public sealed class CalibrateCommandTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 18, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-calibrate-").FullName;

    private string DbPath => Path.Combine(_dir, "decisions.db");

    private string OutPath => Path.Combine(_dir, "calibration.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Requests of one model every 0.25 s: even ones local (40 ms), odd ones on peer "edge" (10 ms
    // there, 5 ms RTT), as the live ClusterView would observe them.
    private static DecisionRecord Record(int i)
    {
        ServerObservation[] servers =
        [
            new() { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.04, MaxConcurrency = 1, EstimatedEnergyJoules = 0.2 },
            new() { Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 1e8, DownlinkBitsPerSecond = 1e8, RoundTripSeconds = 0.005, ExpectedExecSeconds = 0.01, MaxConcurrency = 2 },
        ];
        var local = i % 2 == 0;
        var ran = local ? Placement.Local() : Placement.Peer("edge");
        var exec = local ? 0.04 : 0.01;
        var transfer = local ? 0 : 0.005 + (8 * 100_000 / 1e8);
        return new DecisionRecord(T0.AddSeconds((0.25 * i) + exec + transfer), "cls", 100_000, ran, ran, null, new Preference(0.5),
            exec + transfer, 0, exec, new TaskEnergy(new EnergyFigure(local ? 5 * exec : 0, EnergyProvenance.Modelled), new EnergyFigure(local ? 0 : 2 * 0.008, EnergyProvenance.Modelled)),
            true, new OffloadObservation(new TaskObservation("cls", 100_000, null), servers))
        {
            TransferSeconds = transfer,
        };
    }

    private void WriteDatabase(int count)
    {
        using var db = DecisionDatabase.OpenForWriting(DbPath);
        db.Insert(Enumerable.Range(0, count).Select(i => DurableDecisionLog.ToRow(Record(i))).ToArray());
    }

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([CalibrateCommand.Create()], ["calibrate", .. args]);

    [Fact]
    public void Calibrate_AgentLog_WritesAVersionedFileTheSimulatorAccepts()
    {
        WriteDatabase(40);

        var (code, output, error) = Run("--from-log", DbPath, "--out", OutPath);

        Assert.True(code == 0, error);
        Assert.Contains("Calibration of 40 requests", output, StringComparison.Ordinal);
        var calibration = DeploymentCalibration.Read(OutPath);
        Assert.Equal(DeploymentCalibration.SchemaVersion, calibration.Version);
        var edge = Assert.Single(calibration.Peers);
        Assert.Equal(2, edge.Concurrency);
        Assert.InRange(edge.Speed, 3.99, 4.01);
        Assert.InRange(edge.RoundTripSeconds, 0.0049, 0.0051);
        Assert.Equal("periodic", calibration.Arrivals.Kind);
        Assert.InRange(calibration.Arrivals.JobsPerSecond, 3.9, 4.1);
        Assert.Equal(0.04, calibration.Models[0].DeviceExecSeconds, 6);
        Assert.Equal(1, calibration.ToContext().PeerCount);
        Assert.Equal(0, calibration.Arrivals.ClientMaxInFlight);
    }

    [Fact]
    public void Calibrate_ClientCap_WrittenIntoTheFileAndTheContext()
    {
        WriteDatabase(40);

        var (code, output, error) = Run("--from-log", DbPath, "--out", OutPath, "--client-cap", "8");

        Assert.True(code == 0, error);
        Assert.Contains("client cap 8 jobs in flight", output, StringComparison.Ordinal);
        var calibration = DeploymentCalibration.Read(OutPath);
        Assert.Equal(8, calibration.Arrivals.ClientMaxInFlight);
        Assert.Equal(8, calibration.ToContext().MaxJobsInFlight);
    }

    [Fact]
    public void Calibrate_ClientCapOutOfRange_OneLineExitTwo()
    {
        WriteDatabase(40);

        var (code, _, error) = Run("--from-log", DbPath, "--out", OutPath, "--client-cap", "-1");

        Assert.Equal(2, code);
        Assert.Contains("--client-cap", error, StringComparison.Ordinal);
        Assert.False(File.Exists(OutPath));
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Calibrate_EmptyLogPath_OneLineExitTwo(string path)
    {
        var (code, _, error) = Run("--from-log", path, "--out", OutPath);

        Assert.Equal(2, code);
        Assert.Equal("edgeagent calibrate: --from-log must not be empty.", error.Trim().Split('\n')[0]);
        Assert.False(File.Exists(OutPath));
    }

    [Fact]
    public void Calibrate_EmptyLog_OneLineExitTwo()
    {
        WriteDatabase(0);

        var (code, _, error) = Run("--from-log", DbPath, "--out", OutPath);

        Assert.Equal(2, code);
        Assert.Contains("holds no requests", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.False(File.Exists(OutPath));
    }

    [Fact]
    public void Calibrate_CorruptOrMissingOrForeignFile_OneLineExitTwo()
    {
        File.WriteAllBytes(DbPath, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 7))]);
        var (code, _, error) = Run("--from-log", DbPath, "--out", OutPath);
        Assert.Equal(2, code);
        Assert.StartsWith("edgeagent calibrate: ", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));

        var (missingCode, _, missingError) = Run("--from-log", Path.Combine(_dir, "none.db"), "--out", OutPath);
        Assert.Equal(2, missingCode);
        Assert.Contains("does not exist", missingError, StringComparison.Ordinal);
        Assert.False(File.Exists(OutPath));
    }

    [Fact]
    public void Calibrate_RowsOfAnOlderLayoutOnly_OneLineNamingTheLayout()
    {
        WriteDatabase(10);
        using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE layouts SET name = 'agent-v0', metadata = '{\"edgeagent.layout.version\":\"0\"}';";
            command.ExecuteNonQuery();
        }

        var (code, _, error) = Run("--from-log", DbPath, "--out", OutPath);

        Assert.Equal(2, code);
        Assert.Contains("agent-v0", error, StringComparison.Ordinal);
        Assert.Contains("older or other EdgeAgent", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }
}
