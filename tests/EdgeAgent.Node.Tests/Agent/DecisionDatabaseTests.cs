using EdgeAgent.Core.Observation;
using EdgeAgent.Node.Agent;
using Microsoft.Data.Sqlite;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class DecisionDatabaseTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 3, 18, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-dlog-").FullName;

    private string DbPath => Path.Combine(_dir, "decisions.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static object? Pragma(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }

    [Fact]
    public void Insert_ThenRead_ReturnsEveryColumnExactly()
    {
        var rows = Enumerable.Range(0, 20).Select(i => DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddTicks(i * 12_345_670L), i, success: i != 5))).ToArray();
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            db.Insert(rows[..7]);
            db.Insert(rows[7..]);
        }

        using var read = DecisionDatabase.OpenForReading(DbPath);
        var back = read.Read().ToArray();

        Assert.Equal(rows.Length, back.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            var (a, b) = (rows[i], back[i]);
            Assert.Equal(i + 1, b.Id);
            Assert.Equal(a.Features, b.Features);
            Assert.Equal(a.Mask, b.Mask);
            Assert.Equal(a.Candidates, b.Candidates);
            Assert.Equal(a with { Id = b.Id, Features = b.Features, Mask = b.Mask, Candidates = b.Candidates }, b);
        }

        Assert.Equal(["local", "local:int8", "peer:edge", "peer:cloud"], back[0].Candidates);
        Assert.Equal([1f, 1f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f], back[0].Mask);
        Assert.Equal(LearnedPolicy.AgentLayout.FeatureCount, back[0].FeatureCount);
        Assert.Equal("error", back[5].Outcome);
        Assert.Equal(14, back[5].StatusCode);
        Assert.Equal("edge", back[6].FallbackFrom);
        Assert.Equal("measured", back[0].ComputeProvenance);
        // The layout's full description is stored once and decodes to the layout that encoded the features.
        var layout = FeatureLayout.FromMetadata(System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(read.Layouts()[back[0].Layout])!);
        Assert.Equal(LearnedPolicy.AgentLayout, layout);
    }

    [Fact]
    public void OpenForWriting_NewFile_WalJournalSchemaVersionAndApplicationId()
    {
        using (DecisionDatabase.OpenForWriting(DbPath))
        {
        }

        Assert.Equal("wal", Pragma(DbPath, "PRAGMA journal_mode;"));
        Assert.Equal((long)DecisionDatabase.SchemaVersion, Pragma(DbPath, "PRAGMA user_version;"));
        Assert.Equal((long)DecisionDatabase.ApplicationId, Pragma(DbPath, "PRAGMA application_id;"));
        Assert.Equal((long)DecisionDatabase.PageSize, Pragma(DbPath, "PRAGMA page_size;"));
        Assert.Equal(2L, Pragma(DbPath, "PRAGMA auto_vacuum;"));
    }

    [Fact]
    public void OpenForWriting_ExistingFileWithOtherPageSize_KeepsItAndItsRows()
    {
        // A schema-3 file of 4 KiB pages (written before new files got 16 KiB ones).
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA page_size = 4096; CREATE TABLE x (a); DROP TABLE x;";
            command.ExecuteNonQuery();
        }

        Pragma(DbPath, $"PRAGMA application_id = {DecisionDatabase.ApplicationId};");
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            db.Insert([DurableDecisionLog.ToRow(DecisionRecords.Create(T0))]);
        }

        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            db.Insert([DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddSeconds(1), 1))]);
            Assert.Equal(2, db.Count());
        }

        Assert.Equal(4096L, Pragma(DbPath, "PRAGMA page_size;"));
    }

    [Fact]
    public void WriterLibrary_IsTheOneMicrosoftDataSqliteUses()
    {
        // The writer binds through SqliteNative (e_sqlite3) on statements of Microsoft.Data.Sqlite's
        // connection: another SQLitePCL provider would make that a different library.
        Assert.Equal("e_sqlite3", SQLitePCL.raw.GetNativeLibraryName());
        Assert.Null(SqliteNative.Mismatch());
    }

    [Fact]
    public void Insert_EmptyTextsAndNoObservation_StoredAsEmptyValuesNotNull()
    {
        // The writer binds through SqliteNative: an empty text or blob must still be a value (a null
        // pointer would bind NULL, which the NOT NULL columns refuse), and a null fallback is NULL.
        var row = DurableDecisionLog.ToRow(DecisionRecords.Create(T0)) with
        {
            Model = "", Decided = "", RanAt = "", Outcome = "", ComputeProvenance = "", RadioProvenance = "",
            Candidates = [], Features = [], Mask = [], FallbackFrom = null,
        };
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            db.Insert([row]);
        }

        Assert.Equal("text text blob blob null null", Pragma(DbPath, "SELECT typeof(model) || ' ' || typeof(outcome) || ' ' || typeof(features) || ' ' || typeof(mask) || ' ' || typeof(fallback_from) || ' ' || typeof(feature_count) FROM decisions;"));
        Assert.Equal(0L, Pragma(DbPath, "SELECT length(model) + length(features) + length(mask) FROM decisions;"));
        using var read = DecisionDatabase.OpenForReading(DbPath);
        var back = read.Read().Single();
        Assert.Empty(back.Features);
        Assert.Empty(back.Mask);
        Assert.Empty(back.Candidates);
        Assert.Equal(row with { Id = back.Id, Features = back.Features, Mask = back.Mask, Candidates = back.Candidates }, back);
    }

    [Fact]
    public void Insert_ValuesThatRepeatThenChange_EachRowKeepsItsOwn()
    {
        // A value equal to the one its parameter holds is not bound again: rows whose texts, numbers
        // and NULLs repeat, change and come back, across two batches, must each read back as written.
        var first = DurableDecisionLog.ToRow(DecisionRecords.Create(T0));
        string?[] fallbacks = [null, "edge", "edge", null, "", null, "cloud"];
        string[] models = ["a", "a", "b", "a", "a", "", "a"];
        double[] delays = [1, 1, 2, 1, 1, 0, 0];
        int[] codes = [0, 0, 5, 0, 0, 0, 14];
        var rows = Enumerable.Range(0, fallbacks.Length).Select(i => first with
        {
            Timestamp = T0.AddSeconds(i % 2),
            FallbackFrom = fallbacks[i],
            Model = models[i],
            DelaySeconds = delays[i],
            StatusCode = codes[i],
            Features = [.. first.Features.Select((f, k) => k == 0 ? f + i : f)],
        }).ToArray();
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            db.Insert(rows[..4]);
            db.Insert(rows[4..]);
        }

        using var read = DecisionDatabase.OpenForReading(DbPath);
        var back = read.Read().ToArray();
        Assert.Equal(rows.Length, back.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].Features, back[i].Features);
            Assert.Equal(rows[i] with { Id = back[i].Id, Features = back[i].Features, Mask = back[i].Mask, Candidates = back[i].Candidates }, back[i]);
        }
    }

    [Fact]
    public void Insert_BatchFailingPartWay_KeepsNoneOfItAndTheNextBatchIsWritten()
    {
        var rows = Enumerable.Range(0, 3).Select(i => DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddSeconds(i), i))).ToArray();
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            // The second row's model is NULL: its step fails, the batch's transaction is rolled back.
            Assert.Throws<SqliteException>(() => db.Insert([rows[0], rows[1] with { Model = null! }, rows[2]]));
            Assert.Equal(0, db.Count());
            db.Insert(rows);
        }

        using var read = DecisionDatabase.OpenForReading(DbPath);
        var back = read.Read().ToArray();
        Assert.Equal(rows.Length, back.Length);
        for (var i = 0; i < rows.Length; i++)
        {
            Assert.Equal(rows[i].Features, back[i].Features);
            Assert.Equal(rows[i] with { Id = back[i].Id, Features = back[i].Features, Mask = back[i].Mask, Candidates = back[i].Candidates }, back[i]);
        }
    }

    [Fact]
    public void Insert_StoresOnlyThePresentRows_AndReadExpandsThem()
    {
        var row = DurableDecisionLog.ToRow(DecisionRecords.Create(T0, 1));
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            db.Insert([row]);
        }

        // 3 of 11 rows present: the stored blob is [3, F], feature_count F.
        var f = LearnedPolicy.AgentLayout.FeatureCount;
        Assert.Equal((long)(3 * f * sizeof(float)), Pragma(DbPath, "SELECT length(features) FROM decisions;"));
        Assert.Equal((long)f, Pragma(DbPath, "SELECT feature_count FROM decisions;"));
        using var read = DecisionDatabase.OpenForReading(DbPath);
        Assert.Equal(row.Features, read.Read().Single().Features);
    }

    [Fact]
    public void Insert_AbsentRowsNotAllAbsentValue_StoresTheWholeObservation()
    {
        var row = DurableDecisionLog.ToRow(DecisionRecords.Create(T0, 1));
        var features = (float[])row.Features.Clone();
        features[^1] = 0.5f;
        row = row with { Features = features };
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            db.Insert([row]);
        }

        Assert.Equal((long)(features.Length * sizeof(float)), Pragma(DbPath, "SELECT length(features) FROM decisions;"));
        Assert.Equal(DBNull.Value, Pragma(DbPath, "SELECT feature_count FROM decisions;"));
        using var read = DecisionDatabase.OpenForReading(DbPath);
        Assert.Equal(features, read.Read().Single().Features);
    }

    [Fact]
    public void SchemaOneFile_IsReadAsWritten_ThenMigratedKeepingItsRows()
    {
        // A version-1 file as EdgeAgent wrote it before schema 2: features always the whole [S, F].
        var old = DurableDecisionLog.ToRow(DecisionRecords.Create(T0, 1));
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = SchemaOne + $"PRAGMA application_id = {DecisionDatabase.ApplicationId}; PRAGMA user_version = 1;";
            command.ExecuteNonQuery();
            InsertAsWritten(connection, old, featureCount: false);
        }

        using (var read = DecisionDatabase.OpenForReading(DbPath))
        {
            Assert.Equal(1, read.Version);
            Assert.Equal(old with { Id = 1 }, read.Read().Single() with { Candidates = old.Candidates, Features = old.Features, Mask = old.Mask });
            Assert.Equal(old.Features, read.Read().Single().Features);
        }

        var added = DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddSeconds(1), 2));
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            Assert.Equal(DecisionDatabase.SchemaVersion, db.Version);
            db.Insert([added]);
        }

        using var again = DecisionDatabase.OpenForReading(DbPath);
        var rows = again.Read().ToArray();
        Assert.Equal(2, rows.Length);
        Assert.Equal(old.Features, rows[0].Features);
        Assert.Equal(added.Features, rows[1].Features);
        Assert.Equal(DBNull.Value, Pragma(DbPath, "SELECT feature_count FROM decisions WHERE id = 1;"));
    }

    // Schema version 1's tables exactly as the first migration created them.
    private const string SchemaOne = """
        CREATE TABLE layouts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, metadata TEXT NOT NULL);
        CREATE TABLE decisions (id INTEGER PRIMARY KEY, ts_us INTEGER NOT NULL, model TEXT NOT NULL, input_bytes INTEGER NOT NULL,
            layout_id INTEGER NOT NULL REFERENCES layouts(id), candidates TEXT NOT NULL, features BLOB NOT NULL, mask BLOB NOT NULL,
            w_delay REAL NOT NULL, w_energy REAL NOT NULL, decided TEXT NOT NULL, ran_at TEXT NOT NULL, fallback_from TEXT,
            delay_s REAL NOT NULL, queue_s REAL NOT NULL, transfer_s REAL NOT NULL, exec_s REAL NOT NULL, compute_j REAL NOT NULL,
            compute_provenance TEXT NOT NULL, radio_j REAL NOT NULL, radio_provenance TEXT NOT NULL, outcome TEXT NOT NULL, status_code INTEGER NOT NULL);
        CREATE INDEX decisions_ts ON decisions(ts_us);
        """;

    [Fact]
    public void SchemaTwoFile_MigratedToThree_KeepsItsRowsAndDropsTheTimeIndex()
    {
        // A version-2 file: schema 1's tables and index plus feature_count, rows stored by the current code.
        var old = Enumerable.Range(0, 5).Select(i => DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddSeconds(i), i))).ToArray();
        Pragma(DbPath, "PRAGMA auto_vacuum = INCREMENTAL;");
        Pragma(DbPath, SchemaOne + "ALTER TABLE decisions ADD COLUMN feature_count INTEGER;" +
            $"PRAGMA application_id = {DecisionDatabase.ApplicationId}; PRAGMA user_version = 2;");
        using (var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DbPath, Pooling = false }.ToString()))
        {
            raw.Open();
            foreach (var row in old)
            {
                InsertAsWritten(raw, row, featureCount: true);
            }
        }

        var added = DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddSeconds(10), 7));
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            Assert.Equal(3, db.Version);
            db.Insert([added]);
        }

        Assert.Equal(0L, Pragma(DbPath, "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'decisions_ts';"));
        using var read = DecisionDatabase.OpenForReading(DbPath);
        var rows = read.Read().ToArray();
        Assert.Equal(6, rows.Length);
        for (var i = 0; i < old.Length; i++)
        {
            Assert.Equal(old[i].Features, rows[i].Features);
            Assert.Equal(old[i] with { Id = i + 1 }, rows[i] with { Candidates = old[i].Candidates, Features = old[i].Features, Mask = old[i].Mask });
        }

        Assert.Equal(added.Features, rows[5].Features);
        Assert.Equal(3, read.Read(T0.AddSeconds(3)).Count());
    }

    [Fact]
    public void Prune_ByAge_DeletesTheOldRowsBeforeTheFirstYoungOneInIdOrder()
    {
        // Ids follow time except row 4, written after a clock set back: it waits until row 3 is old too.
        int[] seconds = [0, 10, 20, 30, 5, 40];
        using var db = DecisionDatabase.OpenForWriting(DbPath);
        db.Insert([.. seconds.Select((s, i) => DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddSeconds(s), i)))]);

        var minute = TimeSpan.FromSeconds(60);
        Assert.Equal(2, db.Prune(T0.AddSeconds(15) + minute, minute, long.MaxValue, 0));
        Assert.Equal([20, 30, 5, 40], db.Read().Select(r => (int)(r.Timestamp - T0).TotalSeconds));
        Assert.Equal(1, db.Prune(T0.AddSeconds(25) + minute, minute, long.MaxValue, 0));
        Assert.Equal([30, 5, 40], db.Read().Select(r => (int)(r.Timestamp - T0).TotalSeconds));
        Assert.Equal(2, db.Prune(T0.AddSeconds(35) + minute, minute, long.MaxValue, 0));
        Assert.Equal(1, db.Prune(T0.AddSeconds(99) + minute, minute, long.MaxValue, 0));
        Assert.Equal(0, db.Count());
    }

    [Fact]
    public void OpenForWriting_OlderSchema_IsMigrated()
    {
        // Version 0 of an EdgeAgent file: marked, no tables yet (a file created before the first migration committed).
        Pragma(DbPath, $"PRAGMA application_id = {DecisionDatabase.ApplicationId};");

        using var db = DecisionDatabase.OpenForWriting(DbPath);
        db.Insert([DurableDecisionLog.ToRow(DecisionRecords.Create(T0))]);

        Assert.Equal(DecisionDatabase.SchemaVersion, db.Version);
        Assert.Equal(1, db.Count());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Open_NewerSchema_RefusedWithOneLine(bool forWriting)
    {
        using (DecisionDatabase.OpenForWriting(DbPath))
        {
        }

        Pragma(DbPath, "PRAGMA user_version = 7;");

        var ex = Assert.Throws<DecisionDatabaseException>(() => forWriting ? DecisionDatabase.OpenForWriting(DbPath) : DecisionDatabase.OpenForReading(DbPath));
        Assert.Equal(DecisionDatabaseProblem.NewerSchema, ex.Problem);
        Assert.Contains("schema version 7", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.Equal(7L, Pragma(DbPath, "PRAGMA user_version;"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Open_GarbageFile_IsCorrupt(bool forWriting)
    {
        File.WriteAllBytes(DbPath, [.. Enumerable.Range(0, 8192).Select(i => (byte)(i * 31))]);

        var ex = Assert.Throws<DecisionDatabaseException>(() => forWriting ? DecisionDatabase.OpenForWriting(DbPath) : DecisionDatabase.OpenForReading(DbPath));

        Assert.Equal(DecisionDatabaseProblem.Corrupt, ex.Problem);
        Assert.Contains(DbPath, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Open_DamagedPages_IsCorrupt()
    {
        using (var db = DecisionDatabase.OpenForWriting(DbPath))
        {
            db.Insert([.. Enumerable.Range(0, 300).Select(i => DurableDecisionLog.ToRow(DecisionRecords.Create(T0, i)))]);
        }

        Pragma(DbPath, "PRAGMA wal_checkpoint(TRUNCATE);");
        // Overwrite pages in the middle of the file: the header stays valid, the b-tree does not.
        using (var file = new FileStream(DbPath, FileMode.Open, FileAccess.ReadWrite))
        {
            file.Position = file.Length / 2;
            file.Write([.. Enumerable.Repeat((byte)0xA5, 16384)]);
        }

        var ex = Assert.Throws<DecisionDatabaseException>(() => DecisionDatabase.OpenForReading(DbPath));
        Assert.Equal(DecisionDatabaseProblem.Corrupt, ex.Problem);
    }

    [Fact]
    public void Open_OtherSqliteDatabase_IsForeignAndUntouched()
    {
        Pragma(DbPath, "CREATE TABLE notes (x TEXT);");

        var ex = Assert.Throws<DecisionDatabaseException>(() => DecisionDatabase.OpenForWriting(DbPath));

        Assert.Equal(DecisionDatabaseProblem.Foreign, ex.Problem);
        Assert.Equal(0L, Pragma(DbPath, "PRAGMA user_version;"));
    }

    [Fact]
    public void OpenForReading_NoFile_IsMissing()
    {
        var ex = Assert.Throws<DecisionDatabaseException>(() => DecisionDatabase.OpenForReading(DbPath));
        Assert.Equal(DecisionDatabaseProblem.Missing, ex.Problem);
        Assert.False(File.Exists(DbPath));
    }

    [Fact]
    public void Prune_ByAge_DeletesOnlyOlderRows()
    {
        using var db = DecisionDatabase.OpenForWriting(DbPath);
        db.Insert([.. Enumerable.Range(0, 10).Select(i => DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddMinutes(i), i)))]);

        var deleted = db.Prune(T0.AddMinutes(9) + TimeSpan.FromHours(1), TimeSpan.FromHours(1) + TimeSpan.FromMinutes(3), long.MaxValue, 0);

        Assert.Equal(6, deleted);
        Assert.Equal([T0.AddMinutes(6), T0.AddMinutes(7), T0.AddMinutes(8), T0.AddMinutes(9)], db.Read().Select(r => r.Timestamp));
        Assert.Equal([T0.AddMinutes(8), T0.AddMinutes(9)], db.Read(T0.AddMinutes(8)).Select(r => r.Timestamp));
    }

    [Fact]
    public void Prune_ByRows_KeepsTheNewest()
    {
        using var db = DecisionDatabase.OpenForWriting(DbPath);
        db.Insert([.. Enumerable.Range(0, 250).Select(i => DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddSeconds(i), i)))]);

        db.Prune(T0.AddSeconds(250), TimeSpan.FromDays(1), long.MaxValue, 100);

        var kept = db.Read().ToArray();
        Assert.Equal(100, kept.Length);
        Assert.Equal(T0.AddSeconds(150), kept[0].Timestamp);
        Assert.Equal(T0.AddSeconds(249), kept[^1].Timestamp);
    }

    [Fact]
    public void Prune_BySize_UsedBytesUnderTheLimitAndFileShrinks()
    {
        using var db = DecisionDatabase.OpenForWriting(DbPath);
        // Rows of 3 present servers of 11 take about 0.8 KB (features of the present rows only, schema 2).
        for (var batch = 0; batch < 8; batch++)
        {
            db.Insert([.. Enumerable.Range(batch * 500, 500).Select(i => DurableDecisionLog.ToRow(DecisionRecords.Create(T0.AddMilliseconds(i), i)))]);
        }

        var before = db.UsedBytes();
        const long limit = 1024 * 1024;
        Assert.True(before > 2 * limit, $"test needs more than 2 MiB of rows; got {before}");

        var deleted = db.Prune(T0.AddSeconds(4), TimeSpan.FromDays(1), limit, 0);
        Pragma(DbPath, "PRAGMA wal_checkpoint(TRUNCATE);");

        Assert.True(db.UsedBytes() <= limit, $"used {db.UsedBytes()} bytes after pruning to {limit}");
        Assert.True(new FileInfo(DbPath).Length <= limit + (64 * 1024), $"file is {new FileInfo(DbPath).Length} bytes");
        Assert.Equal(4000 - deleted, db.Count());
        Assert.Equal(T0.AddMilliseconds(3999), db.Read().Last().Timestamp);
    }

    [Fact]
    public void MoveAside_RenamesWithTimestampAndSidecars()
    {
        File.WriteAllText(DbPath, "x");
        File.WriteAllText(DbPath + "-wal", "w");

        var aside = DecisionDatabase.MoveAside(DbPath, T0);

        Assert.Equal(DbPath + ".corrupt-20261203T180000Z", aside);
        Assert.True(File.Exists(aside) && File.Exists(aside + "-wal"));
        Assert.False(File.Exists(DbPath) || File.Exists(DbPath + "-wal"));
    }

    /// <summary>
    /// Inserts <paramref name="row"/> as an EdgeAgent of schema 1 (no feature_count column) or 2
    /// (feature_count NULL: the whole [S, F] stored) wrote it.
    /// </summary>
    private static void InsertAsWritten(SqliteConnection connection, DecisionRow row, bool featureCount)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR IGNORE INTO layouts (name, metadata) VALUES ($layout, $metadata);" +
            "INSERT INTO decisions (ts_us, model, input_bytes, layout_id, candidates, features, mask, w_delay, w_energy, decided, ran_at, fallback_from, delay_s, queue_s, transfer_s, exec_s, compute_j, compute_provenance, radio_j, radio_provenance, outcome, status_code" + (featureCount ? ", feature_count" : "") + ") " +
            "VALUES ($ts, $model, $bytes, 1, $candidates, $features, $mask, $wd, $we, $decided, $ran, $fallback, $delay, $queue, $transfer, $exec, $cj, $cp, $rj, $rp, $outcome, $status" + (featureCount ? ", NULL" : "") + ");";
        command.Parameters.AddWithValue("$layout", row.Layout);
        command.Parameters.AddWithValue("$metadata", row.LayoutMetadata);
        command.Parameters.AddWithValue("$ts", DecisionDatabase.ToMicroseconds(row.Timestamp));
        command.Parameters.AddWithValue("$model", row.Model);
        command.Parameters.AddWithValue("$bytes", row.InputBytes);
        command.Parameters.AddWithValue("$candidates", System.Text.Json.JsonSerializer.Serialize(row.Candidates));
        command.Parameters.AddWithValue("$features", DecisionDatabase.FloatsToBytes(row.Features));
        command.Parameters.AddWithValue("$mask", row.Mask.Select(m => m > 0 ? (byte)1 : (byte)0).ToArray());
        command.Parameters.AddWithValue("$wd", row.DelayWeight);
        command.Parameters.AddWithValue("$we", row.EnergyWeight);
        command.Parameters.AddWithValue("$decided", row.Decided);
        command.Parameters.AddWithValue("$ran", row.RanAt);
        command.Parameters.AddWithValue("$fallback", (object?)row.FallbackFrom ?? DBNull.Value);
        command.Parameters.AddWithValue("$delay", row.DelaySeconds);
        command.Parameters.AddWithValue("$queue", row.QueueSeconds);
        command.Parameters.AddWithValue("$transfer", row.TransferSeconds);
        command.Parameters.AddWithValue("$exec", row.ExecSeconds);
        command.Parameters.AddWithValue("$cj", row.ComputeJoules);
        command.Parameters.AddWithValue("$cp", row.ComputeProvenance);
        command.Parameters.AddWithValue("$rj", row.RadioJoules);
        command.Parameters.AddWithValue("$rp", row.RadioProvenance);
        command.Parameters.AddWithValue("$outcome", row.Outcome);
        command.Parameters.AddWithValue("$status", row.StatusCode);
        command.ExecuteNonQuery();
    }
}
