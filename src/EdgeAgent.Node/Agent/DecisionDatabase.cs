using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EdgeAgent.Node.Agent;

/// <summary>One request as the durable decision log stores it (the columns of table <c>decisions</c>).</summary>
public sealed record DecisionRow
{
    /// <summary>Row id, increasing with insertion (0 before insertion).</summary>
    public long Id { get; init; }

    /// <summary>When the request finished; stored in whole microseconds since the Unix epoch (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Requested model.</summary>
    public required string Model { get; init; }

    /// <summary>Serialized request size, bytes.</summary>
    public long InputBytes { get; init; }

    /// <summary>Name of the feature layout of <see cref="Features"/> (table <c>layouts</c> holds its full description).</summary>
    public required string Layout { get; init; }

    /// <summary>The layout's full description (a JSON object of its ONNX metadata entries), stored once per <see cref="Layout"/> name.</summary>
    public required string LayoutMetadata { get; init; }

    /// <summary>The placement each observation row stands for, in row order (absent rows too; see <see cref="Mask"/>).</summary>
    public required IReadOnlyList<string> Candidates { get; init; }

    /// <summary>The observation's servers [S, F], row-major, exactly as the policy saw them.</summary>
    public required float[] Features { get; init; }

    /// <summary>The observation's mask [S]: 1 present, 0 absent.</summary>
    public required float[] Mask { get; init; }

    /// <summary>Preference weight of delay.</summary>
    public double DelayWeight { get; init; }

    /// <summary>Preference weight of energy.</summary>
    public double EnergyWeight { get; init; }

    /// <summary>What the policy chose ("local", "local:int8", "peer:cloud").</summary>
    public required string Decided { get; init; }

    /// <summary>Where the request ran.</summary>
    public required string RanAt { get; init; }

    /// <summary>The peer that failed or was late, or null.</summary>
    public string? FallbackFrom { get; init; }

    /// <summary>End-to-end delay inside the agent, seconds.</summary>
    public double DelaySeconds { get; init; }

    /// <summary>Queue time of the executor that ran it, seconds.</summary>
    public double QueueSeconds { get; init; }

    /// <summary>Wire time of the peer call that answered, seconds (0 locally).</summary>
    public double TransferSeconds { get; init; }

    /// <summary>Execution time of the executor that ran it, seconds.</summary>
    public double ExecSeconds { get; init; }

    /// <summary>This device's compute energy, joules.</summary>
    public double ComputeJoules { get; init; }

    /// <summary>"measured", "modelled" or "reported".</summary>
    public required string ComputeProvenance { get; init; }

    /// <summary>This device's radio energy, joules.</summary>
    public double RadioJoules { get; init; }

    /// <summary>"measured", "modelled" or "reported".</summary>
    public required string RadioProvenance { get; init; }

    /// <summary>"ok" or "error".</summary>
    public required string Outcome { get; init; }

    /// <summary>gRPC status code the caller got (0 = OK).</summary>
    public int StatusCode { get; init; }

    /// <summary>S, the observation's row count (<see cref="Mask"/> length).</summary>
    public int MaxServers => Mask.Length;

    /// <summary>F, the features per row.</summary>
    public int FeatureCount => Mask.Length == 0 ? 0 : Features.Length / Mask.Length;
}

/// <summary>
/// The values of one row as <see cref="DecisionDatabase"/> binds them: the columns of
/// <see cref="DecisionRow"/>, with the candidates as their JSON array and the features and mask as
/// spans (the caller may reuse the buffers behind them once the row is bound).
/// </summary>
internal readonly ref struct DecisionRowValues
{
    public required DateTimeOffset Timestamp { get; init; }

    public required string Model { get; init; }

    public long InputBytes { get; init; }

    public required string Layout { get; init; }

    public required string LayoutMetadata { get; init; }

    public required string CandidatesJson { get; init; }

    /// <summary>The features [S, F] (when not <see cref="Stored"/>).</summary>
    public ReadOnlySpan<float> Features { get; init; }

    /// <summary>The mask [S] (when not <see cref="Stored"/>).</summary>
    public ReadOnlySpan<float> Mask { get; init; }

    /// <summary>
    /// True when the row's observation is already in its stored form (<see cref="StoredFeatureBytes"/>,
    /// <see cref="StoredFeatureCount"/>, <see cref="MaskBytes"/>, as <see cref="DecisionDatabase.StoredFeatures"/>
    /// makes them), so binding copies bytes instead of reading <see cref="Features"/> and <see cref="Mask"/>.
    /// </summary>
    public bool Stored { get; init; }

    /// <summary>The <c>features</c> value (when <see cref="Stored"/>).</summary>
    public ReadOnlySpan<byte> StoredFeatureBytes { get; init; }

    /// <summary>The <c>feature_count</c> value, null for the whole [S, F] (when <see cref="Stored"/>).</summary>
    public int? StoredFeatureCount { get; init; }

    /// <summary>The <c>mask</c> value, one byte per row (when <see cref="Stored"/>).</summary>
    public ReadOnlySpan<byte> MaskBytes { get; init; }

    public double DelayWeight { get; init; }

    public double EnergyWeight { get; init; }

    public required string Decided { get; init; }

    public required string RanAt { get; init; }

    public string? FallbackFrom { get; init; }

    public double DelaySeconds { get; init; }

    public double QueueSeconds { get; init; }

    public double TransferSeconds { get; init; }

    public double ExecSeconds { get; init; }

    public double ComputeJoules { get; init; }

    public required string ComputeProvenance { get; init; }

    public double RadioJoules { get; init; }

    public required string RadioProvenance { get; init; }

    public required string Outcome { get; init; }

    public int StatusCode { get; init; }
}

/// <summary>The values of the row of <paramref name="item"/>.</summary>
internal delegate DecisionRowValues DecisionRowValuesOf<in T>(T item);

/// <summary>Why a decision database cannot be used.</summary>
public enum DecisionDatabaseProblem
{
    /// <summary>No file at the path (read-only opening).</summary>
    Missing,

    /// <summary>The file is not an SQLite database, or its pages are damaged.</summary>
    Corrupt,

    /// <summary>The file is an SQLite database of something else.</summary>
    Foreign,

    /// <summary>Written by a newer EdgeAgent (schema version above <see cref="DecisionDatabase.SchemaVersion"/>).</summary>
    NewerSchema,

    /// <summary>The file or its directory cannot be created, read or written (permissions, full disk, I/O error).</summary>
    Unavailable,
}

/// <summary>A decision database that cannot be used; the message is one line naming the file and the reason.</summary>
public sealed class DecisionDatabaseException : Exception
{
    /// <summary>Creates the exception.</summary>
    public DecisionDatabaseException(DecisionDatabaseProblem problem, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
    }

    /// <summary>Creates the exception (for serializers and analyzers).</summary>
    public DecisionDatabaseException()
        : this(DecisionDatabaseProblem.Unavailable, "The decision database cannot be used.")
    {
    }

    /// <summary>Creates the exception (for serializers and analyzers).</summary>
    public DecisionDatabaseException(string message)
        : this(DecisionDatabaseProblem.Unavailable, message)
    {
    }

    /// <summary>Creates the exception (for serializers and analyzers).</summary>
    public DecisionDatabaseException(string message, Exception innerException)
        : this(DecisionDatabaseProblem.Unavailable, message, innerException)
    {
    }

    /// <summary>What is wrong.</summary>
    public DecisionDatabaseProblem Problem { get; }
}

/// <summary>
/// The durable decision log's SQLite file: schema (versioned with <c>PRAGMA user_version</c>, marked
/// with <see cref="ApplicationId"/>), WAL journal, batched inserts, retention by size, age and row
/// count, and reading back. One instance is one connection; not thread-safe (the
/// <see cref="DurableDecisionLog"/> writer owns it, an export reads with its own).
/// </summary>
/// <remarks>
/// Schema 1: table <c>decisions</c> (one row per request, see <see cref="DecisionRow"/>; <c>ts_us</c>
/// is microseconds since the Unix epoch, <c>features</c> float32 little-endian [S, F] row-major,
/// <c>mask</c> one byte per row, <c>candidates</c> a JSON array of placements) and table
/// <c>layouts</c> (name, and the layout's ONNX-metadata description as a JSON object, so features can
/// be decoded after the code changed). Schema 2 adds <c>decisions.feature_count</c> (F): when it is
/// set, <c>features</c> holds only the present rows (mask 1) in row order, [P, F], and every absent
/// row is all <see cref="EdgeAgent.Core.Observation.ObservationEncoder.AbsentValue"/> (an
/// observation row of 11 with 1-4 servers present takes 164-656 bytes instead of 1,804); when it is
/// NULL (rows of schema 1, or a row whose absent rows hold other values) <c>features</c> is the whole
/// [S, F]. <see cref="Read"/> returns [S, F] either way. Schema 3 drops the index on <c>ts_us</c>
/// (schemas 1 and 2 had <c>decisions_ts</c>): maintaining it cost about a quarter of SQLite's work per
/// inserted row; rows are inserted in the order their requests finished, so retention by age deletes
/// the oldest rows by id, and reading from a time scans.
/// </remarks>
public sealed class DecisionDatabase : IDisposable
{
    /// <summary>Schema version this build writes and reads; older files are migrated on opening for writing.</summary>
    public const int SchemaVersion = 3;

    /// <summary>Page size of a new file, bytes (an existing file keeps its own).</summary>
    public const int PageSize = 16384;

    /// <summary><c>PRAGMA application_id</c> of an EdgeAgent decision log ("EAdl").</summary>
    public const int ApplicationId = 0x4541_646C;

    // Each entry upgrades from version (index) to index + 1.
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE layouts (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            metadata TEXT NOT NULL);
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            ts_us INTEGER NOT NULL,
            model TEXT NOT NULL,
            input_bytes INTEGER NOT NULL,
            layout_id INTEGER NOT NULL REFERENCES layouts(id),
            candidates TEXT NOT NULL,
            features BLOB NOT NULL,
            mask BLOB NOT NULL,
            w_delay REAL NOT NULL,
            w_energy REAL NOT NULL,
            decided TEXT NOT NULL,
            ran_at TEXT NOT NULL,
            fallback_from TEXT,
            delay_s REAL NOT NULL,
            queue_s REAL NOT NULL,
            transfer_s REAL NOT NULL,
            exec_s REAL NOT NULL,
            compute_j REAL NOT NULL,
            compute_provenance TEXT NOT NULL,
            radio_j REAL NOT NULL,
            radio_provenance TEXT NOT NULL,
            outcome TEXT NOT NULL,
            status_code INTEGER NOT NULL);
        CREATE INDEX decisions_ts ON decisions(ts_us);
        """,
        // 2: features of new rows hold the present rows only (no row is rewritten).
        "ALTER TABLE decisions ADD COLUMN feature_count INTEGER;",
        // 3: no index on ts_us (it was a quarter of SQLite's work per inserted row); retention by age
        // deletes in id order, reads by time scan (no row is rewritten).
        "DROP INDEX IF EXISTS decisions_ts;",
    ];

    private const string Columns =
        "d.id, d.ts_us, d.model, d.input_bytes, l.name, d.candidates, d.features, d.mask, d.w_delay, d.w_energy, d.decided, d.ran_at, d.fallback_from, " +
        "d.delay_s, d.queue_s, d.transfer_s, d.exec_s, d.compute_j, d.compute_provenance, d.radio_j, d.radio_provenance, d.outcome, d.status_code, l.metadata, ";

    private const string InsertSql =
        "INSERT INTO decisions (ts_us, model, input_bytes, layout_id, candidates, features, mask, w_delay, w_energy, decided, ran_at, fallback_from, " +
        "delay_s, queue_s, transfer_s, exec_s, compute_j, compute_provenance, radio_j, radio_provenance, outcome, status_code, feature_count) VALUES " +
        "($ts, $model, $bytes, $layout, $candidates, $features, $mask, $wd, $we, $decided, $ran, $fallback, $delay, $queue, $transfer, $exec, $cj, $cp, $rj, $rp, $outcome, $status, $fc);";

    private readonly SqliteConnection _connection;
    private readonly Dictionary<string, long> _layoutIds = new(StringComparer.Ordinal);

    // Statements prepared once and reused (the writer runs the same few each batch; preparing them
    // each time was a measurable part of a row's cost).
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);
    private sqlite3_stmt? _insert;
    private byte[] _scratchFeatures = [];
    private byte[] _scratchMask = [];
    private byte[] _scratchText = new byte[256];

    // What each INSERT parameter (1-23) holds now; Kind None (after a failure too) binds again.
    private readonly Bound[] _bound = new Bound[24];
    private IReadOnlyList<string>? _lastCandidates;
    private string _lastCandidatesJson = "[]";
    private int _version;

    private DecisionDatabase(string path, SqliteConnection connection)
    {
        FilePath = path;
        _connection = connection;
    }

    /// <summary>The database file (full path).</summary>
    public string FilePath { get; }

    /// <summary>
    /// Opens <paramref name="path"/> for writing, creating it (and its directory) or migrating an
    /// older schema. The file is checked (<c>PRAGMA quick_check</c>).
    /// </summary>
    /// <exception cref="DecisionDatabaseException">The file is corrupt, foreign, newer, or cannot be created or written.</exception>
    public static DecisionDatabase OpenForWriting(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        try
        {
            if (Path.GetDirectoryName(full) is { } directory)
            {
                Directory.CreateDirectory(directory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DecisionDatabaseException(DecisionDatabaseProblem.Unavailable, $"Decision log '{full}': cannot create its directory ({ex.Message}).", ex);
        }

        return Open(full, SqliteOpenMode.ReadWriteCreate);
    }

    /// <summary>Opens an existing database for reading (export, tests); nothing is changed.</summary>
    /// <exception cref="DecisionDatabaseException">The file is missing, corrupt, foreign or newer.</exception>
    public static DecisionDatabase OpenForReading(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new DecisionDatabaseException(DecisionDatabaseProblem.Missing, $"Decision log '{full}' does not exist.");
        }

        return Open(full, SqliteOpenMode.ReadOnly);
    }

    private static DecisionDatabase Open(string full, SqliteOpenMode mode)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = mode,
            // Pooled connections keep the file open after Dispose; a corrupt file must be movable.
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        var database = new DecisionDatabase(full, connection);
        try
        {
            connection.Open();
            // The writer's INSERT runs on SQLite's own API, outside Microsoft.Data.Sqlite's retry
            // loop: SQLite waits for a lock itself, as long as the connection's DefaultTimeout.
            raw.sqlite3_busy_timeout(connection.Handle, builder.DefaultTimeout * 1000);
            database.Prepare(writable: mode != SqliteOpenMode.ReadOnly);
            return database;
        }
        catch (SqliteException ex)
        {
            database.Dispose();
            throw Classify(full, ex);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    /// <summary>The one-line exception for an SQLite failure on <paramref name="path"/>.</summary>
    public static DecisionDatabaseException Classify(string path, SqliteException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        // Primary result codes: 11 SQLITE_CORRUPT, 26 SQLITE_NOTADB; the rest are I/O, permission or space.
        var primary = exception.SqliteErrorCode & 0xFF;
        return primary is 11 or 26
            ? new DecisionDatabaseException(DecisionDatabaseProblem.Corrupt, $"Decision log '{path}' is corrupt ({FirstLine(exception.Message)}).", exception)
            : new DecisionDatabaseException(DecisionDatabaseProblem.Unavailable, $"Decision log '{path}' cannot be used ({FirstLine(exception.Message)}).", exception);
    }

    /// <summary>True when <paramref name="exception"/> means the database was busy (locked by another connection), not broken.</summary>
    public static bool IsBusy(SqliteException exception) => exception is not null && (exception.SqliteErrorCode & 0xFF) is 5 or 6;

    private void Prepare(bool writable)
    {
        var applicationId = ScalarLong("PRAGMA application_id;");
        var version = ScalarLong("PRAGMA user_version;");
        var check = Scalar("PRAGMA quick_check(1);") as string;
        if (!string.Equals(check, "ok", StringComparison.Ordinal))
        {
            throw new DecisionDatabaseException(DecisionDatabaseProblem.Corrupt, $"Decision log '{FilePath}' is corrupt (quick_check: {check}).");
        }

        var tables = ScalarLong("SELECT count(*) FROM sqlite_schema;");
        if ((applicationId != 0 && applicationId != ApplicationId) || (applicationId == 0 && tables > 0))
        {
            throw new DecisionDatabaseException(DecisionDatabaseProblem.Foreign, $"'{FilePath}' is an SQLite database but not an EdgeAgent decision log.");
        }

        if (version > SchemaVersion)
        {
            throw new DecisionDatabaseException(DecisionDatabaseProblem.NewerSchema, string.Create(CultureInfo.InvariantCulture,
                $"Decision log '{FilePath}' has schema version {version}, newer than the {SchemaVersion} this edgeagent knows; use a newer edgeagent or another DecisionLog:Path."));
        }

        _version = (int)version;
        if (writable && SqliteNative.Mismatch() is { } mismatch)
        {
            // The writer's per-row calls go straight to e_sqlite3 on this connection's statements.
            throw new DecisionDatabaseException(DecisionDatabaseProblem.Unavailable, $"Decision log '{FilePath}' cannot be written: {mismatch}.");
        }

        if (!writable)
        {
            if (version < 1)
            {
                throw new DecisionDatabaseException(DecisionDatabaseProblem.Foreign, $"'{FilePath}' holds no decision log yet (schema version 0).");
            }

            return;
        }

        if (version == 0)
        {
            // Both must precede the first table (and WAL). Pages of 16 KiB: a row is written to the WAL,
            // read back and written to the file at each checkpoint, each page by its own system calls,
            // which were most of the writer's time with 4 KiB pages (16 KiB: about a fifth less CPU per
            // row, 5 December). An existing file keeps its page size. Incremental auto-vacuum lets
            // retention give deleted pages back to the file system.
            Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA page_size = {PageSize}; PRAGMA auto_vacuum = INCREMENTAL;"));
        }

        Scalar("PRAGMA journal_mode = WAL;");
        Execute("PRAGMA synchronous = NORMAL; PRAGMA journal_size_limit = 16777216;");
        for (var v = (int)version; v < SchemaVersion; v++)
        {
            using var transaction = _connection.BeginTransaction();
            Execute(Migrations[v], transaction);
            Execute(string.Create(CultureInfo.InvariantCulture, $"PRAGMA application_id = {ApplicationId}; PRAGMA user_version = {v + 1};"), transaction);
            transaction.Commit();
            _version = v + 1;
        }
    }

    /// <summary>The schema version of the open file.</summary>
    public int Version => (int)ScalarLong("PRAGMA user_version;");

    /// <summary>Writes <paramref name="rows"/> in one transaction (one prepared statement, reused).</summary>
    /// <exception cref="SqliteException">The write failed (disk full, I/O error, busy beyond the timeout).</exception>
    public void Insert(IReadOnlyList<DecisionRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Insert(rows, row => new DecisionRowValues
        {
            Timestamp = row.Timestamp,
            Model = row.Model,
            InputBytes = row.InputBytes,
            Layout = row.Layout,
            LayoutMetadata = row.LayoutMetadata,
            CandidatesJson = CandidatesJson(row.Candidates),
            Features = row.Features,
            Mask = row.Mask,
            DelayWeight = row.DelayWeight,
            EnergyWeight = row.EnergyWeight,
            Decided = row.Decided,
            RanAt = row.RanAt,
            FallbackFrom = row.FallbackFrom,
            DelaySeconds = row.DelaySeconds,
            QueueSeconds = row.QueueSeconds,
            TransferSeconds = row.TransferSeconds,
            ExecSeconds = row.ExecSeconds,
            ComputeJoules = row.ComputeJoules,
            ComputeProvenance = row.ComputeProvenance,
            RadioJoules = row.RadioJoules,
            RadioProvenance = row.RadioProvenance,
            Outcome = row.Outcome,
            StatusCode = row.StatusCode,
        });
    }

    /// <summary>
    /// Writes one row per item of <paramref name="items"/> in one transaction. The values are bound
    /// straight to the prepared INSERT (SQLite copies them): no row object, boxed value or UTF-8
    /// array per row, so <paramref name="valuesOf"/> may return spans over buffers it reuses.
    /// </summary>
    /// <exception cref="SqliteException">The write failed (disk full, I/O error, busy beyond the timeout).</exception>
    internal void Insert<T>(IReadOnlyList<T> items, DecisionRowValuesOf<T> valuesOf)
    {
        if (items.Count == 0)
        {
            return;
        }

        var insert = InsertStatement();
        using var transaction = _connection.BeginTransaction();
        var layoutIds = new Dictionary<string, long>(_layoutIds, StringComparer.Ordinal);
        // The statement's pointer is used directly (SqliteNative); the reference added here keeps it
        // valid for the batch.
        var added = false;
        try
        {
            insert.DangerousAddRef(ref added);
            var statement = insert.DangerousGetHandle();
            for (var i = 0; i < items.Count; i++)
            {
                var row = valuesOf(items[i]);
                Bind(statement, row, LayoutId(row.Layout, row.LayoutMetadata, transaction, layoutIds));
                var rc = SqliteNative.Step(statement);
                SqliteNative.Reset(statement);
                if (rc != raw.SQLITE_DONE)
                {
                    SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
                }
            }
        }
        catch
        {
            Array.Clear(_bound);
            throw;
        }
        finally
        {
            if (added)
            {
                insert.DangerousRelease();
            }
        }

        transaction.Commit();
        // Layout ids become known only once their insert committed.
        foreach (var (name, id) in layoutIds)
        {
            _layoutIds[name] = id;
        }
    }

    private void Bind(IntPtr statement, in DecisionRowValues row, long layoutId)
    {
        ReadOnlySpan<byte> features;
        ReadOnlySpan<byte> maskBytes;
        int? featureCount;
        if (row.Stored)
        {
            features = row.StoredFeatureBytes;
            maskBytes = row.MaskBytes;
            featureCount = row.StoredFeatureCount;
        }
        else
        {
            var mask = row.Mask;
            featureCount = StoredFeatures(row.Features, mask, ref _scratchFeatures, out var featureBytes);
            if (_scratchMask.Length < mask.Length)
            {
                _scratchMask = new byte[mask.Length];
            }

            WriteMask(mask, _scratchMask);
            features = _scratchFeatures.AsSpan(0, featureBytes);
            maskBytes = _scratchMask.AsSpan(0, mask.Length);
        }

        // Parameters in the order of InsertSql ($ts is 1). SQLite keeps a statement's bindings
        // across resets, so a value equal to the previous row's is not bound again (model, layout,
        // candidates, placements, provenances, outcome and status repeat from row to row).
        BindInt64(statement, 1, ToMicroseconds(row.Timestamp));
        BindText(statement, 2, row.Model);
        BindInt64(statement, 3, row.InputBytes);
        BindInt64(statement, 4, layoutId);
        BindText(statement, 5, row.CandidatesJson);
        BindBlob(statement, 6, features);
        BindBlob(statement, 7, maskBytes);
        BindDouble(statement, 8, row.DelayWeight);
        BindDouble(statement, 9, row.EnergyWeight);
        BindText(statement, 10, row.Decided);
        BindText(statement, 11, row.RanAt);
        BindText(statement, 12, row.FallbackFrom);
        BindDouble(statement, 13, row.DelaySeconds);
        BindDouble(statement, 14, row.QueueSeconds);
        BindDouble(statement, 15, row.TransferSeconds);
        BindDouble(statement, 16, row.ExecSeconds);
        BindDouble(statement, 17, row.ComputeJoules);
        BindText(statement, 18, row.ComputeProvenance);
        BindDouble(statement, 19, row.RadioJoules);
        BindText(statement, 20, row.RadioProvenance);
        BindText(statement, 21, row.Outcome);
        BindInt64(statement, 22, row.StatusCode);
        if (featureCount is { } f)
        {
            BindInt64(statement, 23, f);
        }
        else
        {
            BindText(statement, 23, null);
        }
    }

    private void BindInt64(IntPtr statement, int index, long value)
    {
        if (_bound[index].Kind != BoundKind.Number || _bound[index].Bits != value)
        {
            _bound[index] = default;
            Check(SqliteNative.BindInt64(statement, index, value));
            _bound[index] = new(BoundKind.Number, value, null);
        }
    }

    private void BindDouble(IntPtr statement, int index, double value)
    {
        var bits = BitConverter.DoubleToInt64Bits(value);
        if (_bound[index].Kind != BoundKind.Real || _bound[index].Bits != bits)
        {
            _bound[index] = default;
            Check(SqliteNative.BindDouble(statement, index, value));
            _bound[index] = new(BoundKind.Real, bits, null);
        }
    }

    // UTF-8 through a reused buffer (SQLite copies the bytes: SQLITE_TRANSIENT); null is NULL.
    private void BindText(IntPtr statement, int index, string? value)
    {
        if (_bound[index].Kind == BoundKind.Text && string.Equals(_bound[index].Text, value, StringComparison.Ordinal))
        {
            return;
        }

        _bound[index] = default;
        if (value is null)
        {
            Check(SqliteNative.BindNull(statement, index));
        }
        else
        {
            var most = System.Text.Encoding.UTF8.GetMaxByteCount(value.Length);
            if (_scratchText.Length < most)
            {
                _scratchText = new byte[Math.Max(most, _scratchText.Length * 2)];
            }

            var length = System.Text.Encoding.UTF8.GetBytes(value, _scratchText);
            Check(SqliteNative.BindText(statement, index, _scratchText.AsSpan(0, length)));
        }

        _bound[index] = new(BoundKind.Text, 0, value);
    }

    private void BindBlob(IntPtr statement, int index, ReadOnlySpan<byte> value) =>
        Check(SqliteNative.BindBlob(statement, index, value));

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
        }
    }

    private enum BoundKind
    {
        None,
        Number,
        Real,
        Text,
    }

    private readonly record struct Bound(BoundKind Kind, long Bits, string? Text);

    // The INSERT, prepared once per connection on SQLite's own API (Microsoft.Data.Sqlite's command
    // boxed every value, made a UTF-8 array per text value and looked each parameter up by name per row).
    private sqlite3_stmt InsertStatement()
    {
        if (_insert is null)
        {
            Check(raw.sqlite3_prepare_v2(_connection.Handle, InsertSql, out var statement));
            _insert = statement;
        }

        return _insert;
    }

    // Consecutive rows almost always have the same candidates: their JSON is made once.
    private string CandidatesJson(IReadOnlyList<string> candidates)
    {
        if (_lastCandidates is null || !_lastCandidates.SequenceEqual(candidates, StringComparer.Ordinal))
        {
            _lastCandidatesJson = JsonSerializer.Serialize(candidates, DecisionJson.Default.IReadOnlyListString);
            _lastCandidates = [.. candidates];
        }

        return _lastCandidatesJson;
    }

    /// <summary>
    /// The <c>features</c> value of a row and its <c>feature_count</c>: the present rows only with F
    /// when every absent row is all <see cref="EdgeAgent.Core.Observation.ObservationEncoder.AbsentValue"/>
    /// (as the encoder writes them), else the whole [S, F] and null.
    /// </summary>
    /// <param name="features">[S, F] row-major.</param>
    /// <param name="mask">[S].</param>
    /// <param name="buffer">Receives the bytes (grown when too small; reused across rows).</param>
    /// <param name="length">Bytes written to <paramref name="buffer"/>.</param>
    /// <returns>F when only the present rows were written, else null.</returns>
    internal static int? StoredFeatures(ReadOnlySpan<float> features, ReadOnlySpan<float> mask, ref byte[] buffer, out int length)
    {
        var stored = StoredFeatureCount(features, mask, out length);
        if (buffer.Length < length)
        {
            buffer = new byte[Math.Max(length, buffer.Length * 2)];
        }

        WriteStoredFeatures(features, mask, stored, buffer);
        return stored;
    }

    /// <summary>
    /// The <c>feature_count</c> of a row (F when only the present rows are stored, null for the whole
    /// [S, F]) and the length in bytes of its <c>features</c> value.
    /// </summary>
    internal static int? StoredFeatureCount(ReadOnlySpan<float> features, ReadOnlySpan<float> mask, out int length)
    {
        const int AbsentBits = unchecked((int)0xBF80_0000); // ObservationEncoder.AbsentValue (-1f)
        System.Diagnostics.Debug.Assert(BitConverter.SingleToInt32Bits(EdgeAgent.Core.Observation.ObservationEncoder.AbsentValue) == AbsentBits);
        var s = mask.Length;
        int? stored = null;
        var f = s == 0 ? 0 : features.Length / s;
        var present = 0;
        if (s > 0 && features.Length % s == 0)
        {
            stored = f;
            for (var i = 0; i < s; i++)
            {
                if (mask[i] > 0)
                {
                    present++;
                }
                // Compared as bits: IndexOfAnyExcept on floats is not vectorized (a comparer call per
                // value, perf 16:04); -1 has one bit pattern, so the result is the same.
                else if (System.Runtime.InteropServices.MemoryMarshal.Cast<float, int>(features.Slice(i * f, f)).IndexOfAnyExcept(AbsentBits) >= 0)
                {
                    stored = null;
                    break;
                }
            }
        }

        length = (stored is null ? features.Length : present * f) * sizeof(float);
        return stored;
    }

    /// <summary>Writes the <c>features</c> value of a row whose <c>feature_count</c> is <paramref name="stored"/> (see <see cref="StoredFeatureCount"/>).</summary>
    internal static void WriteStoredFeatures(ReadOnlySpan<float> features, ReadOnlySpan<float> mask, int? stored, Span<byte> destination)
    {
        if (stored is not { } f)
        {
            WriteFloats(features, destination);
            return;
        }

        var at = 0;
        for (var i = 0; i < mask.Length; i++)
        {
            if (mask[i] > 0)
            {
                WriteFloats(features.Slice(i * f, f), destination[at..]);
                at += f * sizeof(float);
            }
        }
    }

    /// <summary>The <c>mask</c> value: one byte per row, 1 present, 0 absent.</summary>
    internal static void WriteMask(ReadOnlySpan<float> mask, Span<byte> destination)
    {
        for (var i = 0; i < mask.Length; i++)
        {
            destination[i] = mask[i] > 0 ? (byte)1 : (byte)0;
        }
    }

    // The [S, F] features of a stored value: present rows expanded back in mask order, absent rows all AbsentValue.
    private static float[] ExpandFeatures(byte[] stored, float[] mask, int featureCount)
    {
        var features = new float[mask.Length * featureCount];
        features.AsSpan().Fill(EdgeAgent.Core.Observation.ObservationEncoder.AbsentValue);
        var at = 0;
        for (var i = 0; i < mask.Length && at + (featureCount * sizeof(float)) <= stored.Length; i++)
        {
            if (mask[i] > 0)
            {
                var row = features.AsSpan(i * featureCount, featureCount);
                for (var k = 0; k < featureCount; k++)
                {
                    row[k] = BinaryPrimitives.ReadSingleLittleEndian(stored.AsSpan(at + (k * sizeof(float))));
                }

                at += featureCount * sizeof(float);
            }
        }

        return features;
    }

    private long LayoutId(string name, string metadata, SqliteTransaction transaction, Dictionary<string, long> known)
    {
        if (known.TryGetValue(name, out var id))
        {
            return id;
        }

        using (var select = _connection.CreateCommand())
        {
            select.Transaction = transaction;
            select.CommandText = "SELECT id FROM layouts WHERE name = $name;";
            select.Parameters.AddWithValue("$name", name);
            if (select.ExecuteScalar() is long existing)
            {
                known[name] = existing;
                return existing;
            }
        }

        using var insert = _connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "INSERT INTO layouts (name, metadata) VALUES ($name, $metadata) RETURNING id;";
        insert.Parameters.AddWithValue("$name", name);
        insert.Parameters.AddWithValue("$metadata", metadata);
        id = (long)insert.ExecuteScalar()!;
        known[name] = id;
        return id;
    }

    /// <summary>Layout names and their stored descriptions (JSON objects of the layout's metadata).</summary>
    public IReadOnlyDictionary<string, string> Layouts()
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT name, metadata FROM layouts;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            result[reader.GetString(0)] = reader.GetString(1);
        }

        return result;
    }

    /// <summary>Rows kept.</summary>
    public long Count() => ScalarLong("SELECT count(*) FROM decisions;");

    /// <summary>Bytes of the pages in use (the file less its free pages; the WAL is not counted).</summary>
    public long UsedBytes() =>
        (ScalarLong("PRAGMA page_count;") - ScalarLong("PRAGMA freelist_count;")) * ScalarLong("PRAGMA page_size;");

    /// <summary>
    /// Deletes the oldest rows until the rows are younger than <paramref name="maxAge"/> at
    /// <paramref name="now"/>, at most <paramref name="maxRows"/> (0: no limit) remain and the used
    /// size is at most <paramref name="maxBytes"/>; freed pages go back to the file system.
    /// </summary>
    /// <returns>Rows deleted.</returns>
    public long Prune(DateTimeOffset now, TimeSpan maxAge, long maxBytes, long maxRows)
    {
        long deleted = 0;
        // Rows are inserted as their requests finish, so ids follow time: every row before the first
        // one at or after the cutoff (in id order) is older than it, and finding that row reads only
        // the rows deleted and one more (no index on ts_us since schema 3). A row older than a newer
        // one before it (the clock set back) waits until the newer one is old enough.
        var byAge = Statement(
            "DELETE FROM decisions WHERE id < coalesce((SELECT id FROM decisions WHERE ts_us >= $cutoff ORDER BY id LIMIT 1), (SELECT max(id) + 1 FROM decisions));",
            "$cutoff");
        byAge.Parameters[0].Value = ToMicroseconds(now - maxAge);
        deleted += byAge.ExecuteNonQuery();

        if (maxRows > 0)
        {
            var excess = Count() - maxRows;
            if (excess > 0)
            {
                deleted += DeleteOldest(excess);
            }
        }

        // Deleted pages first go to the free list; size by the pages in use. A few rounds absorb the
        // b-tree's own overhead on small limits.
        for (var round = 0; round < 8; round++)
        {
            var used = UsedBytes();
            if (used <= maxBytes)
            {
                break;
            }

            var rows = Count();
            if (rows == 0)
            {
                break;
            }

            var fraction = 1.0 - (0.9 * maxBytes / used);
            deleted += DeleteOldest(Math.Max(1, (long)Math.Ceiling(rows * fraction)));
        }

        if (deleted > 0)
        {
            Execute("PRAGMA incremental_vacuum;");
        }

        return deleted;
    }

    private long DeleteOldest(long count)
    {
        var command = Statement("DELETE FROM decisions WHERE id IN (SELECT id FROM decisions ORDER BY id LIMIT $n);", "$n");
        command.Parameters[0].Value = count;
        return command.ExecuteNonQuery();
    }

    /// <summary>Rows at or after <paramref name="since"/> (all when null), oldest first.</summary>
    /// <exception cref="DecisionDatabaseException">A page turned out to be corrupt while reading.</exception>
    public IEnumerable<DecisionRow> Read(DateTimeOffset? since = null)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT {Columns}{(_version >= 2 ? "d.feature_count" : "NULL")} FROM decisions d JOIN layouts l ON l.id = d.layout_id WHERE d.ts_us >= $since ORDER BY d.id;";
        command.Parameters.AddWithValue("$since", since is { } s ? ToMicroseconds(s) : long.MinValue);
        SqliteDataReader reader;
        try
        {
            reader = command.ExecuteReader();
        }
        catch (SqliteException ex)
        {
            throw Classify(FilePath, ex);
        }

        using (reader)
        {
            while (true)
            {
                DecisionRow row;
                try
                {
                    if (!reader.Read())
                    {
                        yield break;
                    }

                    row = ReadRow(reader);
                }
                catch (SqliteException ex)
                {
                    throw Classify(FilePath, ex);
                }

                yield return row;
            }
        }
    }

    private static DecisionRow ReadRow(SqliteDataReader r)
    {
        var mask = BytesToMask((byte[])r.GetValue(7));
        var stored = (byte[])r.GetValue(6);
        return ReadRow(r, mask, r.IsDBNull(24) ? BytesToFloats(stored) : ExpandFeatures(stored, mask, r.GetInt32(24)));
    }

    private static DecisionRow ReadRow(SqliteDataReader r, float[] mask, float[] features) => new()
    {
        Id = r.GetInt64(0),
        Timestamp = FromMicroseconds(r.GetInt64(1)),
        Model = r.GetString(2),
        InputBytes = r.GetInt64(3),
        Layout = r.GetString(4),
        Candidates = JsonSerializer.Deserialize(r.GetString(5), DecisionJson.Default.IReadOnlyListString) ?? [],
        Features = features,
        Mask = mask,
        DelayWeight = r.GetDouble(8),
        EnergyWeight = r.GetDouble(9),
        Decided = r.GetString(10),
        RanAt = r.GetString(11),
        FallbackFrom = r.IsDBNull(12) ? null : r.GetString(12),
        DelaySeconds = r.GetDouble(13),
        QueueSeconds = r.GetDouble(14),
        TransferSeconds = r.GetDouble(15),
        ExecSeconds = r.GetDouble(16),
        ComputeJoules = r.GetDouble(17),
        ComputeProvenance = r.GetString(18),
        RadioJoules = r.GetDouble(19),
        RadioProvenance = r.GetString(20),
        Outcome = r.GetString(21),
        StatusCode = r.GetInt32(22),
        LayoutMetadata = r.GetString(23),
    };

    /// <summary>
    /// Renames <paramref name="path"/> (and its -wal and -shm files) to
    /// <c>PATH.corrupt-yyyyMMddTHHmmssZ</c> so a fresh database can start; returns the new name.
    /// </summary>
    /// <exception cref="IOException">The file could not be renamed.</exception>
    public static string MoveAside(string path, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var stamp = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var target = $"{path}.corrupt-{stamp}";
        for (var n = 2; File.Exists(target); n++)
        {
            target = string.Create(CultureInfo.InvariantCulture, $"{path}.corrupt-{stamp}-{n}");
        }

        File.Move(path, target);
        foreach (var suffix in new[] { "-wal", "-shm" })
        {
            if (File.Exists(path + suffix))
            {
                File.Move(path + suffix, target + suffix);
            }
        }

        return target;
    }

    /// <summary>Microseconds since the Unix epoch (UTC), the <c>ts_us</c> column.</summary>
    public static long ToMicroseconds(DateTimeOffset timestamp) => (timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <summary>The timestamp of a <c>ts_us</c> value (UTC).</summary>
    public static DateTimeOffset FromMicroseconds(long microseconds) => DateTimeOffset.UnixEpoch.AddTicks(microseconds * 10);

    /// <summary>float32 little-endian bytes, the <c>features</c> column.</summary>
    public static byte[] FloatsToBytes(ReadOnlySpan<float> values)
    {
        var bytes = new byte[values.Length * sizeof(float)];
        WriteFloats(values, bytes);
        return bytes;
    }

    private static void WriteFloats(ReadOnlySpan<float> values, Span<byte> bytes)
    {
        if (BitConverter.IsLittleEndian)
        {
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(values).CopyTo(bytes);
            return;
        }

        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes[(i * sizeof(float))..], values[i]);
        }
    }

    /// <summary>The floats of a <c>features</c> value.</summary>
    public static float[] BytesToFloats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / sizeof(float)];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * sizeof(float))..]);
        }

        return values;
    }

    private static float[] BytesToMask(byte[] bytes) => [.. bytes.Select(b => b != 0 ? 1f : 0f)];

    private void Execute(string sql, SqliteTransaction? transaction = null)
    {
        using var command = _connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private object? Scalar(string sql) => Statement(sql).ExecuteScalar();

    // A statement outside any transaction, prepared on first use and kept until Dispose.
    private SqliteCommand Statement(string sql, string? parameter = null)
    {
        if (!_statements.TryGetValue(sql, out var command))
        {
            command = _connection.CreateCommand();
            command.CommandText = sql;
            if (parameter is not null)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = parameter });
            }

            _statements[sql] = command;
        }

        return command;
    }

    private long ScalarLong(string sql) => Scalar(sql) is long value ? value : 0;

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _insert?.Dispose();
        _insert = null;
        foreach (var command in _statements.Values)
        {
            command.Dispose();
        }

        _statements.Clear();
        _connection.Dispose();
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(IReadOnlyList<string>))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class DecisionJson : System.Text.Json.Serialization.JsonSerializerContext;
