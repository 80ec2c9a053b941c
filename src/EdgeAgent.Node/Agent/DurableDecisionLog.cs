using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.Json;
using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Agent;

/// <summary>What the durable decision log is doing.</summary>
public enum DurableDecisionLogState
{
    /// <summary>Switched off (DecisionLog:Enabled = false, at start or by a configuration reload).</summary>
    Off,

    /// <summary>Configured, the writer not yet running.</summary>
    Starting,

    /// <summary>Writing rows.</summary>
    Writing,

    /// <summary>Stopped after a failure (read-only directory, full disk, newer schema); requests are still served.</summary>
    Stopped,
}

/// <summary>
/// The durable decision log: an <see cref="IDecisionObserver"/> of the <see cref="DecisionLog"/> that
/// puts each record on a bounded queue on the request's thread (its reference only; never blocking:
/// when the queue is full the record is dropped and counted), and a writer thread of its own that
/// encodes a batch's observations in one loop (the agent's <see cref="FeatureLayout"/>, through the
/// shared <see cref="ObservationEncoder"/>) and writes the rows in one transaction to a
/// <see cref="DecisionDatabase"/>, applying retention after a batch at most once a second and when
/// the log closes. A corrupt
/// file is moved aside with one warning and a new one started; any other failure to open or write
/// (permissions, a full disk, a newer schema) stops logging with one warning and the metric
/// <c>edgeagent.decision_log.failures</c>, never serving. DecisionLog:Enabled is also applied when the
/// configuration is reloaded (<see cref="SetEnabled"/>): false pauses the log (no record is queued,
/// what is queued is still written, the file stays open), true resumes it (opening the file if the
/// agent started with the log off); the other settings are read at start.
/// </summary>
public sealed partial class DurableDecisionLog : IDecisionObserver, IHostedService, IAsyncDisposable
{
    private static readonly ConcurrentDictionary<int, (ObservationEncoder Encoder, string Name, string Metadata)> Encoders = new();

    private readonly DecisionLogOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<string, string?>? _environment;
    private readonly object _gate = new();
    private readonly IDisposable? _reload;
    private RowQueue? _queue;
    private bool _enabled;
    private bool _started;
    private bool _disposed;
    private readonly CancellationTokenSource _abort = new();
    private readonly Counter<long> _writtenCounter;
    private readonly Counter<long> _droppedCounter;
    private readonly Counter<long> _failureCounter;
    private Task? _loop;
    private long _written;
    private long _dropped;
    private long _pruned;
    private int _state;
    private string? _problem;

    /// <summary>Creates the log; nothing is opened until <see cref="StartAsync"/>.</summary>
    /// <param name="options">The DecisionLog settings.</param>
    /// <param name="time">Clock of retention by age, file names of moved-aside files and the flush wait.</param>
    /// <param name="meterFactory">Creates the instruments (meter "EdgeAgent.Agent").</param>
    /// <param name="logger">Warnings when logging stops or a file is moved aside.</param>
    /// <param name="environment">Reads environment variables for the default path (null: the process environment).</param>
    public DurableDecisionLog(IOptions<DecisionLogOptions> options, TimeProvider time, IMeterFactory meterFactory, ILogger<DurableDecisionLog> logger, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(meterFactory);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Value;
        _time = time;
        _logger = logger;
        _environment = environment;
        var meter = meterFactory.Create(AgentMetrics.MeterName);
        _writtenCounter = meter.CreateCounter<long>("edgeagent.decision_log.written", "{row}", "Rows written to the durable decision log.");
        _droppedCounter = meter.CreateCounter<long>("edgeagent.decision_log.dropped", "{record}", "Records the durable decision log did not write (reason: queue_full, stopped, busy, invalid).");
        _failureCounter = meter.CreateCounter<long>("edgeagent.decision_log.failures", "{failure}", "Failures that stopped the durable decision log or replaced its file (kind: corrupt, unavailable, newer_schema, foreign, write).");
        meter.CreateObservableGauge("edgeagent.decision_log.active", () => State == DurableDecisionLogState.Writing ? 1 : 0, "1", "1 while the durable decision log writes rows.");
        _state = (int)DurableDecisionLogState.Starting;
        if (_options.Enabled)
        {
            CreateQueue();
            _enabled = true;
        }
    }

    /// <summary>
    /// As the other constructor, with DecisionLog:Enabled followed on every configuration reload
    /// (<see cref="SetEnabled"/>); the other settings are those at start.
    /// </summary>
    /// <param name="options">The DecisionLog settings and their reloads.</param>
    /// <param name="time">Clock of retention by age, file names of moved-aside files and the flush wait.</param>
    /// <param name="meterFactory">Creates the instruments (meter "EdgeAgent.Agent").</param>
    /// <param name="logger">Warnings when logging stops or a file is moved aside.</param>
    /// <param name="environment">Reads environment variables for the default path (null: the process environment).</param>
    public DurableDecisionLog(IOptionsMonitor<DecisionLogOptions> options, TimeProvider time, IMeterFactory meterFactory, ILogger<DurableDecisionLog> logger, Func<string, string?>? environment = null)
        : this(Options.Create((options ?? throw new ArgumentNullException(nameof(options))).CurrentValue), time, meterFactory, logger, environment)
    {
        _reload = options.OnChange((changed, name) =>
        {
            if (name is null || name == Options.DefaultName)
            {
                SetEnabled(changed.Enabled);
            }
        });
    }

    /// <summary>The database file, or null while the log has been off since start.</summary>
    public string? FilePath { get; private set; }

    /// <summary>True while records are taken (DecisionLog:Enabled, at start or as last reloaded).</summary>
    public bool Enabled => Volatile.Read(ref _enabled);

    /// <summary>What the log is doing.</summary>
    public DurableDecisionLogState State
    {
        get
        {
            var state = (DurableDecisionLogState)Volatile.Read(ref _state);
            return state != DurableDecisionLogState.Stopped && !Enabled ? DurableDecisionLogState.Off : state;
        }
    }

    /// <summary>Why logging stopped (one line), or null.</summary>
    public string? Problem => Volatile.Read(ref _problem);

    /// <summary>Rows written since start.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records not written (queue full, logging stopped, database busy).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Rows deleted by retention since start.</summary>
    public long Pruned => Interlocked.Read(ref _pruned);

    /// <summary>Records waiting for the writer.</summary>
    public int Pending => Volatile.Read(ref _queue)?.Count ?? 0;

    /// <inheritdoc />
    public void OnDecision(DecisionRecord record)
    {
        // Off or paused: nothing is queued (the queue exists whenever _enabled has been true).
        if (!Volatile.Read(ref _enabled))
        {
            return;
        }

        if (Volatile.Read(ref _state) == (int)DurableDecisionLogState.Stopped)
        {
            Drop(1, "stopped");
            return;
        }

        // Only the record's reference is queued here: the writer encodes a whole batch in one loop,
        // where the encoder's code and tables stay in cache. Encoded on the request thread (5 December
        // afternoon to evening) the same work cost about 2.8 us per request in perf of the benchmark's
        // agent against about 0.3 us in a tight loop: between two requests the request path's own code
        // had evicted the encoder's (perf, 5 December 21:17).
        if (!Volatile.Read(ref _queue)!.TryAdd(record, _time))
        {
            Drop(1, "queue_full");
        }
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _started = true;
            if (!_enabled)
            {
                Log.Off(_logger);
                return Task.CompletedTask;
            }

            StartWriter();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Switches the log on or off while the agent runs (a configuration reload of DecisionLog:Enabled
    /// calls it). Off pauses: records are no longer queued, those already queued are still written
    /// within the flush interval, and the database stays open. On resumes, opening the database
    /// first if the log has been off since start (the path and the other settings are those at start).
    /// A log stopped by a failure stays stopped. Logs one line when the setting changes.
    /// </summary>
    public void SetEnabled(bool enabled)
    {
        lock (_gate)
        {
            if (_disposed || enabled == _enabled)
            {
                return;
            }

            if (!enabled)
            {
                Volatile.Write(ref _enabled, false);
                Log.Paused(_logger, Pending);
                return;
            }

            if (_queue is null)
            {
                CreateQueue();
            }

            Volatile.Write(ref _enabled, true);
            if (_started)
            {
                StartWriter();
            }

            Log.Resumed(_logger, FilePath!);
        }
    }

    // The path and the bounded queue (once: a resumed log writes to the same file through the same queue).
    private void CreateQueue()
    {
        FilePath = _options.ResolvePath(_environment);
        Volatile.Write(ref _queue, new RowQueue(_options.QueueCapacity));
    }

    // The writer runs on a thread of its own: it blocks in SQLite's I/O, and waiting for a batch
    // in the kernel takes no timer thread or thread-pool hop per batch (they were about a tenth of
    // the writer's CPU in a harness at 4,000 rows/s, 5 December).
    private void StartWriter()
    {
        if (_loop is not null)
        {
            return;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = _queue!;
        var token = _abort.Token;
        _loop = done.Task;
        new Thread(() =>
        {
            try
            {
                Run(queue, token);
                done.TrySetResult();
            }
#pragma warning disable CA1031 // The writer's failure goes to whoever awaits it (DisposeAsync).
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = "decision-log writer",
        }.Start();
    }

    /// <summary>
    /// Does nothing: requests still finishing while the node drains are recorded after the hosted
    /// services stop, so the queue is written out when the host disposes the log (<see cref="DisposeAsync"/>).
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Waits until every record queued before the call has been written or dropped (tests, shutdown).</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        while (_queue is not null && _loop is not null && !_loop.IsCompleted && (_queue.Count > 0 || Volatile.Read(ref _inBatch) != 0))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(5), cancellationToken).ConfigureAwait(false);
        }
    }

    private int _inBatch;

    // Retention runs after a batch at most this often (and when the log closes): its statements cost
    // about 0.1 ms, as much as 30-40 rows, and nothing needs it after every batch.
    private static readonly TimeSpan PruneInterval = TimeSpan.FromSeconds(1);

    private void Run(RowQueue queue, CancellationToken cancellationToken)
    {
        var database = Open(FilePath!);
        if (database is null)
        {
            Drain(queue, cancellationToken);
            return;
        }

        Volatile.Write(ref _state, (int)DurableDecisionLogState.Writing);
        Log.Writing(_logger, database.FilePath, _options.MaxSizeMegabytes, _options.MaxAge);
        var busyWarned = false;
        long? lastPrune = null;
        RecordBuffer? taken = null;
        var rows = new RowBuffer();
        try
        {
            while (queue.Wait(cancellationToken))
            {
                // Gather for half the flush interval after the oldest queued record arrived (not after
                // this loop noticed it: records that came while the last batch was written have waited
                // already), so a record is durable within one flush interval of its request's reply
                // as long as writing a batch takes less than the other half.
                var (count, oldest) = queue.Peek();
                if (_options.FlushInterval > TimeSpan.Zero && count < _options.BatchSize && !queue.IsCompleted
                    && _options.FlushInterval / 2 - _time.GetElapsedTime(oldest) is { } wait && wait > TimeSpan.Zero)
                {
                    queue.Delay(wait, _time, cancellationToken);
                }

                Volatile.Write(ref _inBatch, 1);
                taken = queue.Take();
                Prepare(taken, rows);
                for (var start = 0; start < rows.Count; start += _options.BatchSize)
                {
                    var n = Math.Min(_options.BatchSize, rows.Count - start);
                    try
                    {
                        database.Insert(new ArraySegment<PreparedRow>(rows.Rows, start, n), static row => row.Values());
                        Interlocked.Add(ref _written, n);
                        _writtenCounter.Add(n);
                        busyWarned = false;
                    }
                    catch (SqliteException ex) when (DecisionDatabase.IsBusy(ex))
                    {
                        // Another connection held the file longer than the busy timeout: lose this batch, keep logging.
                        Drop(n, "busy");
                        if (!busyWarned)
                        {
                            Log.Busy(_logger, database.FilePath, n);
                            busyWarned = true;
                        }
                    }
                    catch (SqliteException ex)
                    {
                        // This batch and the rest taken with it are lost.
                        Drop(rows.Count - start, "stopped");
                        database = Recover(database, ex);
                        break;
                    }
                }

                rows.Reset();
                queue.Done(taken);
                taken = null;
                if (database is not null && (lastPrune is not { } last || _time.GetElapsedTime(last) >= PruneInterval || queue.IsCompleted))
                {
                    lastPrune = _time.GetTimestamp();
                    try
                    {
                        Prune(database);
                    }
                    catch (SqliteException ex)
                    {
                        database = Recover(database, ex);
                    }
                }

                Volatile.Write(ref _inBatch, 0);
                if (database is null)
                {
                    Drain(queue, cancellationToken);
                    return;
                }
            }

            // Closing: retention once more, so the file closes within its limits.
            try
            {
                Prune(database);
            }
            catch (SqliteException)
            {
                // The next start applies retention after its first batch.
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown ran out of time: what is still queued is lost.
        }
        finally
        {
            Drop((taken?.Count ?? 0) + queue.Count, "stopped");
            if (taken is not null)
            {
                queue.Done(taken);
            }

            rows.Reset();

            Volatile.Write(ref _inBatch, 0);
            database?.Dispose();
        }
    }

    // The rows of the records taken, encoded here in one loop (a record that cannot be encoded is
    // dropped and counted; logging must never fail a request, nor stop for one bad record).
    private void Prepare(RecordBuffer taken, RowBuffer rows)
    {
        var records = taken.Records;
        for (var i = 0; i < taken.Count; i++)
        {
            PreparedRow row;
            try
            {
                row = PreparedRow.Of(records[i]);
            }
#pragma warning disable CA1031 // A record that cannot be encoded is dropped and counted; the rest of the batch is written.
            catch (Exception)
#pragma warning restore CA1031
            {
                Drop(1, "invalid");
                continue;
            }

            rows.Add(ref row);
        }
    }

    // Retention; a busy file is left for the next time.
    private void Prune(DecisionDatabase database)
    {
        try
        {
            Interlocked.Add(ref _pruned, database.Prune(_time.GetUtcNow(), _options.MaxAge, _options.MaxSizeBytes, _options.MaxRows));
        }
        catch (SqliteException ex) when (DecisionDatabase.IsBusy(ex))
        {
            // Retention runs again after a later batch.
        }
    }

    // After a failed write: a corrupt file is replaced by a new one (returned); anything else stops logging (null).
    private DecisionDatabase? Recover(DecisionDatabase database, SqliteException exception)
    {
        var problem = DecisionDatabase.Classify(database.FilePath, exception);
        database.Dispose();
        if (problem.Problem == DecisionDatabaseProblem.Corrupt)
        {
            return Replace(problem);
        }

        StopLogging("write", problem.Message);
        return null;
    }

    private DecisionDatabase? Open(string path)
    {
        try
        {
            return DecisionDatabase.OpenForWriting(path);
        }
        catch (DecisionDatabaseException ex) when (ex.Problem == DecisionDatabaseProblem.Corrupt)
        {
            return Replace(ex);
        }
        catch (DecisionDatabaseException ex)
        {
            StopLogging(ex.Problem switch
            {
                DecisionDatabaseProblem.NewerSchema => "newer_schema",
                DecisionDatabaseProblem.Foreign => "foreign",
                _ => "unavailable",
            }, ex.Message);
            return null;
        }
    }

    // A corrupt file is renamed with a timestamp and a new one started (once; a second failure stops logging).
    private DecisionDatabase? Replace(DecisionDatabaseException corrupt)
    {
        _failureCounter.Add(1, new KeyValuePair<string, object?>("kind", "corrupt"));
        var path = FilePath!;
        try
        {
            var aside = DecisionDatabase.MoveAside(path, _time.GetUtcNow());
            Log.MovedAside(_logger, corrupt.Message, aside);
            return DecisionDatabase.OpenForWriting(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DecisionDatabaseException)
        {
            StopLogging("unavailable", $"{corrupt.Message} Moving it aside and starting a new one failed: {ex.Message}");
            return null;
        }
    }

    private void StopLogging(string kind, string message)
    {
        Volatile.Write(ref _problem, message);
        Volatile.Write(ref _state, (int)DurableDecisionLogState.Stopped);
        _failureCounter.Add(1, new KeyValuePair<string, object?>("kind", kind));
        Log.Stopped(_logger, message);
    }

    private void Drain(RowQueue queue, CancellationToken cancellationToken)
    {
        try
        {
            while (queue.Wait(cancellationToken))
            {
                var taken = queue.Take();
                Drop(taken.Count, "stopped");
                queue.Done(taken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutdown.
        }
    }

    private void Drop(int count, string reason)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref _dropped, count);
        _droppedCounter.Add(count, new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary>
    /// The row of <paramref name="record"/>: its observation encoded in the agent's layout
    /// (<see cref="LearnedPolicy.AgentLayout"/>, or the same layout with more peer rows when the
    /// observation has more candidates than it holds).
    /// </summary>
    public static DecisionRow ToRow(DecisionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var servers = record.Observation.Servers;
        var (encoder, name, metadata) = EncoderFor(servers.Count);
        var features = new float[encoder.MaxServers * encoder.FeatureCount];
        var mask = new float[encoder.MaxServers];
        Span<float> preference = stackalloc float[2];
        encoder.Encode(record.Observation, record.Preference, features, mask, preference);
        return new DecisionRow
        {
            Timestamp = record.Timestamp,
            Model = record.Model,
            InputBytes = record.InputBytes,
            Layout = name,
            LayoutMetadata = metadata,
            Candidates = [.. servers.Select(s => s.Placement.ToString())],
            Features = features,
            Mask = mask,
            DelayWeight = record.Preference.DelayWeight,
            EnergyWeight = record.Preference.EnergyWeight,
            Decided = record.Decided.ToString(),
            RanAt = record.RanAt.ToString(),
            FallbackFrom = record.FallbackFrom,
            DelaySeconds = record.DelaySeconds,
            QueueSeconds = record.QueueSeconds,
            TransferSeconds = record.TransferSeconds,
            ExecSeconds = record.ExecSeconds,
            ComputeJoules = record.Energy.Compute.Joules,
            ComputeProvenance = ProvenanceName(record.Energy.Compute.Provenance),
            RadioJoules = record.Energy.Radio.Joules,
            RadioProvenance = ProvenanceName(record.Energy.Radio.Provenance),
            Outcome = record.Success ? "ok" : "error",
            StatusCode = record.StatusCode,
        };
    }

    // The encoder, layout name and layout description for an observation of `servers` candidates:
    // the agent's layout, or the same layout with more peer rows when it holds more candidates.
    private static (ObservationEncoder Encoder, string Name, string Metadata) EncoderFor(int servers) =>
        Encoders.GetOrAdd(Math.Max(LearnedPolicy.AgentLayout.MaxServers, servers), static s =>
        {
            var layout = s == LearnedPolicy.AgentLayout.MaxServers ? LearnedPolicy.AgentLayout : FeatureLayout.Agent(maxPeers: s - 3, ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true);
            var md = layout.ToMetadata();
            var version = md.TryGetValue(FeatureLayout.MetadataPrefix + "version", out var v) ? v : "?";
            return (new ObservationEncoder(layout), string.Create(CultureInfo.InvariantCulture, $"{layout.Profile}-v{version}-s{layout.MaxServers}-f{layout.FeatureCount}"),
                JsonSerializer.Serialize(new Dictionary<string, string>(md, StringComparer.Ordinal), DecisionJson.Default.DictionaryStringString));
        });

    /// <summary>
    /// A record's row as the writer binds it, made on the writer's thread by <see cref="Of"/> for a
    /// whole batch before it is bound: the same values as <see cref="ToRow"/>, with the observation
    /// in its stored form (present feature rows and mask as bytes, copied into the writer's
    /// <see cref="RowBuffer"/> by <see cref="CopyObservation"/>), the candidates' JSON and the
    /// placements' names shared while they repeat. A struct held in the buffer's array: nothing is
    /// allocated per row.
    /// </summary>
    private struct PreparedRow
    {
        private const int MaxNames = 1024;

        // Placement names (shared by every thread; bounded).
        private static readonly ConcurrentDictionary<Placement, string> Names = new();
        private static int _names;

        // Per thread (the writer's): the encoder's output buffers and the last candidates and their JSON.
        [ThreadStatic]
        private static float[]? t_features;

        [ThreadStatic]
        private static float[]? t_mask;

        [ThreadStatic]
        private static Placement[]? t_candidates;

        [ThreadStatic]
        private static string? t_candidatesJson;

        private DateTimeOffset _timestamp;
        private string _model;
        private long _inputBytes;
        private string _layout;
        private string _layoutMetadata;
        private string _candidatesJson;
        private byte[] _bytes;
        private int _offset;
        private int _featureBytes;
        private int _maskLength;
        private int? _featureCount;
        private double _delayWeight;
        private double _energyWeight;
        private string _decided;
        private string _ranAt;
        private string? _fallbackFrom;
        private double _delaySeconds;
        private double _queueSeconds;
        private double _transferSeconds;
        private double _execSeconds;
        private double _computeJoules;
        private string _computeProvenance;
        private double _radioJoules;
        private string _radioProvenance;
        private bool _success;
        private int _statusCode;

        /// <summary>Bytes of the stored observation (features, then the mask).</summary>
        public readonly int ObservationLength => _featureBytes + _maskLength;

        /// <summary>
        /// The row of <paramref name="record"/>; its observation is encoded into this thread's buffers
        /// and copied by <see cref="CopyObservation"/>, which must follow on the same thread before the
        /// next call.
        /// </summary>
        public static PreparedRow Of(DecisionRecord record)
        {
            var servers = record.Observation.Servers;
            var (encoder, name, metadata) = EncoderFor(servers.Count);
            var size = encoder.MaxServers * encoder.FeatureCount;
            var features = t_features;
            var mask = t_mask;
            if (features is null || mask is null || features.Length != size || mask.Length != encoder.MaxServers)
            {
                t_features = features = new float[size];
                t_mask = mask = new float[encoder.MaxServers];
            }

            Span<float> preference = stackalloc float[2];
            encoder.Encode(record.Observation, record.Preference, features, mask, preference);
            var featureCount = DecisionDatabase.StoredFeatureCount(features, mask, out var featureBytes);
            var energy = record.Energy;
            return new PreparedRow
            {
                _timestamp = record.Timestamp,
                _model = record.Model,
                _inputBytes = record.InputBytes,
                _layout = name,
                _layoutMetadata = metadata,
                _candidatesJson = CandidatesJson(servers),
                _bytes = [],
                _featureBytes = featureBytes,
                _maskLength = mask.Length,
                _featureCount = featureCount,
                _delayWeight = record.Preference.DelayWeight,
                _energyWeight = record.Preference.EnergyWeight,
                _decided = Name(record.Decided),
                _ranAt = Name(record.RanAt),
                _fallbackFrom = record.FallbackFrom,
                _delaySeconds = record.DelaySeconds,
                _queueSeconds = record.QueueSeconds,
                _transferSeconds = record.TransferSeconds,
                _execSeconds = record.ExecSeconds,
                _computeJoules = energy.Compute.Joules,
                _computeProvenance = ProvenanceName(energy.Compute.Provenance),
                _radioJoules = energy.Radio.Joules,
                _radioProvenance = ProvenanceName(energy.Radio.Provenance),
                _success = record.Success,
                _statusCode = record.StatusCode,
            };
        }

        /// <summary>Writes the observation encoded by <see cref="Of"/> on this thread (present feature rows, then the mask) to <paramref name="destination"/> at <paramref name="offset"/>, and refers to it there.</summary>
        public void CopyObservation(byte[] destination, int offset)
        {
            var features = t_features!;
            var mask = t_mask!;
            DecisionDatabase.WriteStoredFeatures(features, mask, _featureCount, destination.AsSpan(offset, _featureBytes));
            DecisionDatabase.WriteMask(mask, destination.AsSpan(offset + _featureBytes, _maskLength));
            _bytes = destination;
            _offset = offset;
        }

        public readonly DecisionRowValues Values() => new()
        {
            Timestamp = _timestamp,
            Model = _model,
            InputBytes = _inputBytes,
            Layout = _layout,
            LayoutMetadata = _layoutMetadata,
            CandidatesJson = _candidatesJson,
            Stored = true,
            StoredFeatureBytes = _bytes.AsSpan(_offset, _featureBytes),
            StoredFeatureCount = _featureCount,
            MaskBytes = _bytes.AsSpan(_offset + _featureBytes, _maskLength),
            DelayWeight = _delayWeight,
            EnergyWeight = _energyWeight,
            Decided = _decided,
            RanAt = _ranAt,
            FallbackFrom = _fallbackFrom,
            DelaySeconds = _delaySeconds,
            QueueSeconds = _queueSeconds,
            TransferSeconds = _transferSeconds,
            ExecSeconds = _execSeconds,
            ComputeJoules = _computeJoules,
            ComputeProvenance = _computeProvenance,
            RadioJoules = _radioJoules,
            RadioProvenance = _radioProvenance,
            Outcome = _success ? "ok" : "error",
            StatusCode = _statusCode,
        };

        private static string Name(Placement placement)
        {
            if (Names.TryGetValue(placement, out var name))
            {
                return name;
            }

            name = placement.ToString();
            if (Volatile.Read(ref _names) < MaxNames && Names.TryAdd(placement, name))
            {
                Interlocked.Increment(ref _names);
            }

            return name;
        }

        // Consecutive observations almost always hold the same candidates: their JSON is made once per thread.
        private static string CandidatesJson(IReadOnlyList<ServerObservation> servers)
        {
            var last = t_candidates;
            var same = last is not null && t_candidatesJson is not null && servers.Count == last.Length;
            for (var i = 0; same && i < servers.Count; i++)
            {
                same = servers[i].Placement == last![i];
            }

            if (!same)
            {
                last = [.. servers.Select(s => s.Placement)];
                t_candidatesJson = JsonSerializer.Serialize<IReadOnlyList<string>>([.. last.Select(p => p.ToString())], DecisionJson.Default.IReadOnlyListString);
                t_candidates = last;
            }

            return t_candidatesJson!;
        }
    }

    private static string ProvenanceName(EnergyProvenance provenance) => provenance switch
    {
        EnergyProvenance.Measured => "measured",
        EnergyProvenance.Reported => "reported",
        _ => "modelled",
    };

    /// <summary>The whole milliseconds of <paramref name="left"/> (truncated; 0 when under one; at most <see cref="int.MaxValue"/>): what the writer's timed <see cref="Monitor.Wait(object, int)"/> waits of a gather's remainder.</summary>
    internal static int WholeMilliseconds(TimeSpan left) =>
        left <= TimeSpan.Zero ? 0 : (int)Math.Min(int.MaxValue, Math.Floor(left.TotalMilliseconds));

    /// <summary>How long <see cref="DisposeAsync"/> waits for the queue to be written before dropping the rest.</summary>
    public static TimeSpan DrainTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <summary>Writes what is queued (for at most <see cref="DrainTimeout"/>), then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        RowQueue? queue;
        lock (_gate)
        {
            _disposed = true;
            queue = _queue;
        }

        _reload?.Dispose();
        queue?.Complete();
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(DrainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await _abort.CancelAsync().ConfigureAwait(false);
                await _loop.ConfigureAwait(false);
            }
        }

        _abort.Dispose();
    }

    /// <summary>
    /// Records waiting for the writer, in two <see cref="RecordBuffer"/>s: request threads add a
    /// record's reference to one under a lock (nothing allocated once the buffers have grown to a
    /// batch; the record itself is the in-memory log's), the writer takes it whole by swapping the two.
    /// The writer is woken (<see cref="Monitor.Pulse"/>) when a record arrives in an empty queue, once
    /// per batch. Bounded: a record beyond the capacity (records waiting plus those the writer has
    /// taken) is refused.
    /// </summary>
    private sealed class RowQueue(int capacity)
    {
        private readonly object _gate = new();
        private RecordBuffer _front = new();
        private RecordBuffer _back = new();
        private bool _writerWaits;
        private bool _completed;

        // Rows the writer has taken and not yet finished: they count against the capacity too.
        private int _taken;

        /// <summary>Rows waiting (not those the writer has taken).</summary>
        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _front.Count;
                }
            }
        }

        /// <summary>True once <see cref="Complete"/> was called.</summary>
        public bool IsCompleted => Volatile.Read(ref _completed);

        /// <summary>Adds <paramref name="record"/>; false when the queue is full or completed.</summary>
        public bool TryAdd(DecisionRecord record, TimeProvider time)
        {
            lock (_gate)
            {
                var front = _front;
                if (_completed || front.Count + _taken >= capacity)
                {
                    return false;
                }

                front.Add(record);
                if (front.Count == 1)
                {
                    front.OldestQueuedAt = time.GetTimestamp();
                    if (_writerWaits)
                    {
                        Monitor.Pulse(_gate);
                    }
                }
            }

            return true;
        }

        /// <summary>Blocks until a row is queued; false once the queue is completed and empty.</summary>
        public bool Wait(CancellationToken cancellationToken)
        {
            using var wake = cancellationToken.Register(PulseAll);
            lock (_gate)
            {
                while (_front.Count == 0)
                {
                    if (_completed)
                    {
                        return false;
                    }

                    cancellationToken.ThrowIfCancellationRequested();
                    _writerWaits = true;
                    Monitor.Wait(_gate);
                    _writerWaits = false;
                }

                return true;
            }
        }

        /// <summary>
        /// Blocks for <paramref name="wait"/> on <paramref name="time"/>, or until the queue is completed
        /// or <paramref name="cancellationToken"/> is cancelled (then throws). The system clock waits in
        /// the kernel; another clock (tests' fake one) through a timer of its own.
        /// </summary>
        public void Delay(TimeSpan wait, TimeProvider time, CancellationToken cancellationToken)
        {
            using var wake = cancellationToken.Register(PulseAll);
            var fired = false;
            using var timer = ReferenceEquals(time, TimeProvider.System) ? null : time.CreateTimer(_ =>
            {
                lock (_gate)
                {
                    fired = true;
                    Monitor.PulseAll(_gate);
                }
            }, null, wait, Timeout.InfiniteTimeSpan);
            var start = time.GetTimestamp();
            lock (_gate)
            {
                while (!_completed && !fired)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (timer is null)
                    {
                        // Monitor.Wait takes whole milliseconds, truncated: a remainder under one
                        // returned at once, again and again until it had passed, a spin of up to 1 ms
                        // per batch that took and released this lock each time (a quarter of the
                        // writer's samples in perf of bench decision-log, 21:25 UTC 5 December). The
                        // gather ends instead, up to 1 ms early (never later).
                        var milliseconds = WholeMilliseconds(wait - time.GetElapsedTime(start));
                        if (milliseconds <= 0)
                        {
                            return;
                        }

                        _writerWaits = true;
                        Monitor.Wait(_gate, milliseconds);
                        _writerWaits = false;
                    }
                    else
                    {
                        _writerWaits = true;
                        Monitor.Wait(_gate);
                        _writerWaits = false;
                    }
                }
            }
        }

        private void PulseAll()
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>Rows waiting and when the oldest of them was queued (TimeProvider timestamp).</summary>
        public (int Count, long OldestQueuedAt) Peek()
        {
            lock (_gate)
            {
                return (_front.Count, _front.OldestQueuedAt);
            }
        }

        /// <summary>Takes every waiting record; the caller hands the buffer back (<see cref="Done"/>) before taking again.</summary>
        public RecordBuffer Take()
        {
            lock (_gate)
            {
                (_front, _back) = (_back, _front);
                _taken = _back.Count;
                return _back;
            }
        }

        /// <summary>The records taken last are written or dropped: their buffer is emptied for reuse.</summary>
        public void Done(RecordBuffer records)
        {
            records.Reset();
            lock (_gate)
            {
                _taken = 0;
            }
        }

        /// <summary>No more rows are taken; the writer finishes what is queued.</summary>
        public void Complete()
        {
            lock (_gate)
            {
                Volatile.Write(ref _completed, true);
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Queued records (references) and when the oldest of them was queued.</summary>
    private sealed class RecordBuffer
    {
        public DecisionRecord[] Records = new DecisionRecord[64];

        public int Count;

        public long OldestQueuedAt;

        public void Add(DecisionRecord record)
        {
            if (Count == Records.Length)
            {
                Array.Resize(ref Records, Records.Length * 2);
            }

            Records[Count++] = record;
        }

        // Forgets the records; keeps the array.
        public void Reset()
        {
            Array.Clear(Records, 0, Count);
            Count = 0;
        }
    }

    /// <summary>
    /// The writer's prepared rows of a batch and their observations' bytes. A row refers to the byte
    /// array it was copied into; when the array is full a larger one is started (the rows already in the old one keep it), so
    /// after a few batches one array holds a whole batch and is reused.
    /// </summary>
    private sealed class RowBuffer
    {
        public PreparedRow[] Rows = new PreparedRow[64];

        public int Count;

        private byte[] _bytes = new byte[16 * 1024];
        private int _used;

        public void Add(ref PreparedRow row)
        {
            var length = row.ObservationLength;
            if (_bytes.Length - _used < length)
            {
                _bytes = new byte[Math.Max(_bytes.Length * 2, length)];
                _used = 0;
            }

            row.CopyObservation(_bytes, _used);
            _used += length;
            if (Count == Rows.Length)
            {
                Array.Resize(ref Rows, Rows.Length * 2);
            }

            Rows[Count++] = row;
        }

        // Forgets the rows (and the strings they refer to); keeps the arrays.
        public void Reset()
        {
            Array.Clear(Rows, 0, Count);
            Count = 0;
            _used = 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2060, Level = LogLevel.Information, Message = "Decision log: writing one row per request to {Path} (keeping at most {MaxMegabytes} MiB and {MaxAge}).")]
        public static partial void Writing(ILogger logger, string path, double maxMegabytes, TimeSpan maxAge);

        [LoggerMessage(EventId = 2061, Level = LogLevel.Information, Message = "Decision log: off (DecisionLog:Enabled = false); only the in-memory log for status is kept.")]
        public static partial void Off(ILogger logger);

        [LoggerMessage(EventId = 2062, Level = LogLevel.Warning, Message = "{Problem} Moved it to {Aside} and started a new decision log.")]
        public static partial void MovedAside(ILogger logger, string problem, string aside);

        [LoggerMessage(EventId = 2063, Level = LogLevel.Warning, Message = "Decision log stopped; requests are still served: {Problem}")]
        public static partial void Stopped(ILogger logger, string problem);

        [LoggerMessage(EventId = 2065, Level = LogLevel.Information, Message = "Decision log paused (DecisionLog:Enabled = false reloaded); {Queued} queued records are still written.")]
        public static partial void Paused(ILogger logger, int queued);

        [LoggerMessage(EventId = 2066, Level = LogLevel.Information, Message = "Decision log resumed (DecisionLog:Enabled = true reloaded), writing to {Path}.")]
        public static partial void Resumed(ILogger logger, string path);

        [LoggerMessage(EventId = 2064, Level = LogLevel.Warning, Message = "Decision log {Path} was locked by another process beyond the busy timeout; {Rows} rows were not written (logging goes on).")]
        public static partial void Busy(ILogger logger, string path, int rows);
    }
}
