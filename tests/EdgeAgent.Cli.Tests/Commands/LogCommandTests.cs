using System.Globalization;
using System.Text.Json;
using EdgeAgent.Cli.Commands;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;
using Microsoft.Data.Sqlite;
using Parquet.Serialization;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class LogCommandTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 18, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-logexport-").FullName;

    private string DbPath => Path.Combine(_dir, "decisions.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static DecisionRecord Record(int i)
    {
        ServerObservation[] servers =
        [
            new() { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.03, Executing = 1, ResidualWorkSeconds = 0.02, ResidualWorkHistogram = [1], HistogramBinSeconds = 0.01, EstimatedEnergyJoules = 0.15 },
            new() { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, UplinkBitsPerSecond = 5e7, RoundTripSeconds = 0.04, ExpectedExecSeconds = 0.008 + (i * 1e-4) },
        ];
        var ran = i % 2 == 0 ? Placement.Local() : Placement.Peer("cloud");
        return new DecisionRecord(T0.AddSeconds(i).AddTicks(i * 10), i % 3 == 0 ? "det,\"v2\"" : "rec", 1000 + i, ran, ran, null, new Preference(0.1 * (i % 10)),
            0.01 * (i + 1), 0.001 * i, 0.02, new TaskEnergy(new EnergyFigure(0.1 * i, EnergyProvenance.Modelled), new EnergyFigure(ran.IsLocal ? 0 : 0.01, EnergyProvenance.Modelled)),
            i != 4, new OffloadObservation(new TaskObservation("det", 1000 + i, null), servers))
        {
            TransferSeconds = ran.IsLocal ? 0 : 0.005 * i,
            StatusCode = i != 4 ? 0 : 4,
        };
    }

    private DecisionRow[] WriteDatabase(int count = 12)
    {
        var rows = Enumerable.Range(0, count).Select(i => DurableDecisionLog.ToRow(Record(i))).ToArray();
        using var db = DecisionDatabase.OpenForWriting(DbPath);
        db.Insert(rows);
        return [.. db.Read()];
    }

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([LogCommand.Create()], ["log", "export", .. args]);

    private static void AssertSameRow(DecisionRow expected, IReadOnlyDictionary<string, string?> actual)
    {
        var inv = CultureInfo.InvariantCulture;
        Assert.Equal(expected.Id.ToString(inv), actual["id"]);
        Assert.Equal(DecisionDatabase.ToMicroseconds(expected.Timestamp).ToString(inv), actual["ts_us"]);
        Assert.Equal(expected.Timestamp, DateTimeOffset.Parse(actual["timestamp"]!, inv));
        Assert.Equal(expected.Model, actual["model"]);
        Assert.Equal(expected.Layout, actual["layout"]);
        Assert.Equal(expected.Candidates, actual["candidates"]!.Split(';'));
        Assert.Equal(expected.Features, actual["features"]!.Split(';').Select(f => float.Parse(f, inv)));
        Assert.Equal(expected.Mask, actual["mask"]!.Split(';').Select(f => float.Parse(f, inv)));
        foreach (var (name, value) in new[] { ("w_delay", expected.DelayWeight), ("delay_s", expected.DelaySeconds), ("queue_s", expected.QueueSeconds), ("transfer_s", expected.TransferSeconds), ("exec_s", expected.ExecSeconds), ("compute_j", expected.ComputeJoules), ("radio_j", expected.RadioJoules) })
        {
            Assert.Equal(value, double.Parse(actual[name]!, inv));
        }

        Assert.Equal(expected.Decided, actual["decided"]);
        Assert.Equal(expected.RanAt, actual["ran_at"]);
        Assert.Equal(expected.ComputeProvenance, actual["compute_provenance"]);
        Assert.Equal(expected.Outcome, actual["outcome"]);
        Assert.Equal(expected.StatusCode.ToString(inv), actual["status_code"]);
    }

    // RFC 4180: quoted fields may hold commas, doubled quotes and line breaks.
    private static List<List<string>> ParseCsv(string text)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else if (c == '"') { quoted = false; }
                else { field.Append(c); }
            }
            else if (c == '"') { quoted = true; }
            else if (c == ',') { record.Add(field.ToString()); field.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n') { record.Add(field.ToString()); field.Clear(); records.Add(record); record = []; }
            else { field.Append(c); }
        }

        return records;
    }

    [Fact]
    public void Export_Csv_ParsesBackToTheRows()
    {
        var rows = WriteDatabase();
        var output = Path.Combine(_dir, "out.csv");

        var (code, _, error) = Run("--db", DbPath, "--format", "csv", "--out", output);

        Assert.True(code == 0, error);
        var records = ParseCsv(File.ReadAllText(output));
        Assert.Equal(DecisionExport.Header, records[0]);
        Assert.Equal(rows.Length, records.Count - 1);
        for (var i = 0; i < rows.Length; i++)
        {
            AssertSameRow(rows[i], records[0].Zip(records[i + 1]).ToDictionary(p => p.First, p => (string?)p.Second));
        }

        Assert.Contains("Exported 12 rows", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Export_OutIsADirectory_OneLineErrorAndTheDirectoryStays()
    {
        WriteDatabase();
        var directory = Directory.CreateDirectory(Path.Combine(_dir, "exports"));
        File.WriteAllText(Path.Combine(directory.FullName, "keep.txt"), "x");

        var (code, _, error) = Run("--db", DbPath, "--format", "csv", "--out", directory.FullName);

        Assert.Equal(2, code);
        Assert.Equal([$"edgeagent log export: cannot write '{directory.FullName}': "], error.Trim().Split('\n').Select(l => l[..(l.IndexOf("': ", StringComparison.Ordinal) + 3)]));
        Assert.True(File.Exists(Path.Combine(directory.FullName, "keep.txt")));
    }

    [Fact]
    public void Export_JsonlToStandardOutput_ParsesBackToTheRowsSince()
    {
        var rows = WriteDatabase();

        var (code, output, error) = Run("--db", DbPath, "--format", "jsonl", "--since", "2026-12-03T18:00:05Z");

        Assert.True(code == 0, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var expected = rows.Where(r => r.Timestamp >= T0.AddSeconds(5)).ToArray();
        Assert.Equal(expected.Length, lines.Length);
        for (var i = 0; i < lines.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var fields = doc.RootElement.EnumerateObject().ToDictionary(
                p => p.Name,
                p => p.Value.ValueKind switch
                {
                    JsonValueKind.Array => string.Join(';', p.Value.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Null => null,
                    _ => p.Value.GetRawText(),
                });
            AssertSameRow(expected[i], fields);
        }
    }

    [Fact]
    public async Task Export_Parquet_ReadsBackWithLayoutMetadata()
    {
        var rows = WriteDatabase();
        var output = Path.Combine(_dir, "out.parquet");

        var (code, _, error) = Run("--db", DbPath, "--format", "parquet", "--out", output);

        Assert.True(code == 0, error);
        using var stream = File.OpenRead(output);
        var result = await ParquetSerializer.DeserializeAsync<DecisionExport.ParquetRow>(stream);
        var back = result.Data;
        Assert.Equal(rows.Length, back.Count);
        for (var i = 0; i < rows.Length; i++)
        {
            var expected = DecisionExport.ParquetRow.From(rows[i]);
            Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(back[i]));
        }

        Assert.Contains("edgeagent.layout:" + rows[0].Layout, result.CustomMetadata.Keys);
    }

    [Fact]
    public void Export_MissingDatabase_OneLineError()
    {
        var (code, output, error) = Run("--db", DbPath);

        Assert.Equal(2, code);
        Assert.Equal($"edgeagent log export: Decision log '{DbPath}' does not exist.", error.Trim());
        Assert.Empty(output);
    }

    [Fact]
    public void Export_CorruptDatabase_OneLineError()
    {
        File.WriteAllBytes(DbPath, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 13))]);

        var (code, _, error) = Run("--db", DbPath, "--out", Path.Combine(_dir, "x.csv"));

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains("is corrupt", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x.csv")));
    }

    [Fact]
    public void Export_NewerSchema_OneLineError()
    {
        WriteDatabase(1);
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA user_version = {DecisionDatabase.SchemaVersion + 1};";
            command.ExecuteNonQuery();
        }

        var (code, _, error) = Run("--db", DbPath);

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains($"schema version {DecisionDatabase.SchemaVersion + 1}, newer than the {DecisionDatabase.SchemaVersion}", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--format", "xml", "--format 'xml' is not one of csv, jsonl, parquet.")]
    [InlineData("--since", "yesterday", "--since 'yesterday' is neither")]
    [InlineData("--format", "parquet", "give it with --out FILE")]
    public void Export_BadOption_OneLineError(string option, string value, string message)
    {
        WriteDatabase(1);

        var (code, _, error) = Run("--db", DbPath, option, value);

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("90s", 90)]
    [InlineData("15m", 900)]
    [InlineData("2h", 7200)]
    [InlineData("7d", 604800)]
    public void TryParseSince_Durations_CountBackFromNow(string text, double seconds)
    {
        Assert.True(LogCommand.TryParseSince(text, T0, out var since));
        Assert.Equal(T0 - TimeSpan.FromSeconds(seconds), since);
    }
}
