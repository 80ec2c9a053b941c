using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Policy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The learned policy as the agent runs it (Agent:Policy = learned): an <see cref="OnnxPolicy"/>
/// over Agent:PolicyFile, reloaded when the file changes. The file is checked at start (a file
/// that cannot be loaded, or whose observation layout is not the one the agent produces, throws
/// <see cref="PolicyFileException"/>, which stops start-up with one line). The file is watched
/// (a <see cref="FileSystemWatcher"/>, plus a poll every Agent:PolicyReloadInterval through the
/// <see cref="TimeProvider"/> for file systems that miss events); a changed file is loaded beside
/// the running policy and swapped in atomically. A decision that started on the old policy finishes
/// on it (its session is disposed only after that decision leaves it); a file that fails to load
/// keeps the running policy and logs one warning saying why. Candidates that are unavailable are
/// absent rows (masked); variants over the accuracy bound never reach the observation.
/// </summary>
public sealed partial class LearnedPolicy : IOffloadPolicy, IDisposable
{
    private readonly FeatureLayout _expected;
    private readonly OnnxPolicyOptions _runner;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _reloadGate = new();
    private readonly ITimer? _poll;
    private readonly ITimer _debounce;
    private readonly FileSystemWatcher? _watcher;
    private OnnxPolicy _current;
    private FileStamp _loadedStamp;
    private FileStamp? _failedStamp;
    private long _reloads;
    private DateTimeOffset _loadedAt;
    private bool _disposed;

    /// <summary>Loads <paramref name="path"/> and starts watching it.</summary>
    /// <param name="path">The policy file.</param>
    /// <param name="expected">The observation layout the agent produces; a file with another layout is refused.</param>
    /// <param name="runner">ONNX Runtime settings of the decision session.</param>
    /// <param name="reloadInterval">How often the file is polled for changes; zero or negative disables polling (the watcher still runs).</param>
    /// <param name="time">The clock of the poll and of the watcher's debounce.</param>
    /// <param name="logger">Reloads and refused reloads are logged here.</param>
    /// <param name="watch">False turns the file watcher off (polling only).</param>
    /// <exception cref="PolicyFileException">The file is missing, unreadable or of another layout; the message names the file and what differs.</exception>
    public LearnedPolicy(string path, FeatureLayout expected, OnnxPolicyOptions? runner, TimeSpan reloadInterval, TimeProvider time, ILogger? logger = null, bool watch = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(time);
        FilePath = Path.GetFullPath(path);
        _expected = expected;
        _runner = runner ?? new OnnxPolicyOptions();
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        _loadedStamp = FileStamp.Of(FilePath);
        _current = OnnxPolicy.Load(FilePath, expected, _runner);
        _loadedAt = time.GetUtcNow();
        _debounce = time.CreateTimer(_ => CheckForChange(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (reloadInterval > TimeSpan.Zero)
        {
            _poll = time.CreateTimer(_ => CheckForChange(), null, reloadInterval, reloadInterval);
        }

        if (watch && Path.GetDirectoryName(FilePath) is { } directory && Directory.Exists(directory))
        {
            try
            {
                _watcher = new FileSystemWatcher(directory, Path.GetFileName(FilePath))
                {
                    NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
                };
                _watcher.Changed += OnFileEvent;
                _watcher.Created += OnFileEvent;
                _watcher.Renamed += OnFileEvent;
                _watcher.EnableRaisingEvents = true;
            }
            catch (Exception ex) when (ex is IOException or PlatformNotSupportedException or UnauthorizedAccessException or ArgumentException)
            {
                // Out of inotify watches, or a file system without notifications: the poll covers it.
                _watcher?.Dispose();
                _watcher = null;
                Log.WatchUnavailable(_logger, FilePath, ex.Message);
            }
        }

        Log.Loaded(_logger, FilePath, _current.Layout.Profile, _current.Layout.MaxServers, _current.Layout.FeatureCount);
    }

    /// <summary>The name Agent:Policy selects it by.</summary>
    public const string PolicyName = "learned";

    /// <summary>
    /// The observation layout the agent produces (<see cref="ClusterView"/> through the shared encoder:
    /// the own-traffic layout with the own request rate, the own followed requests in flight and the own
    /// requests of the same fan-out decided right after, F = 45): a policy file must record this one or one
    /// of a subset of its features (the 44-, 43-, 42- and 41-column own-traffic and 37-column agent layouts
    /// of earlier files), which is encoded as the file records it.
    /// </summary>
    public static FeatureLayout AgentLayout { get; } = FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true);

    /// <summary>How long the watcher waits after a file event before loading (writes usually come in bursts).</summary>
    public static TimeSpan WatchDebounce { get; } = TimeSpan.FromMilliseconds(200);

    /// <inheritdoc />
    public string Name => PolicyName;

    /// <summary>The policy file (full path).</summary>
    public string FilePath { get; }

    /// <summary>The running policy's observation layout.</summary>
    public FeatureLayout Layout => Volatile.Read(ref _current).Layout;

    /// <summary>The simulator profile the running policy was trained on (from its layout).</summary>
    public string TrainingProfile => Layout.Profile;

    /// <summary>Successful reloads since start.</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>When the running policy was loaded.</summary>
    public DateTimeOffset LoadedAt
    {
        get
        {
            lock (_reloadGate)
            {
                return _loadedAt;
            }
        }
    }

    /// <summary>The running policy (for benchmarks and tests; it may be swapped out at any time).</summary>
    public OnnxPolicy Current => Volatile.Read(ref _current);

    /// <inheritdoc />
    /// <remarks>
    /// Allocation-free: the encoder writes into the policy's pinned buffers and ONNX Runtime runs
    /// through a prepared binding. With no candidate available it places locally on the default variant.
    /// </remarks>
    public Placement Decide(OffloadObservation observation, Preference preference)
    {
        ArgumentNullException.ThrowIfNull(observation);
        while (true)
        {
            // A policy retired between this read and its lock says so; its successor is already published.
            var policy = Volatile.Read(ref _current);
            if (policy.TryDecide(observation, preference, out var placement, out var anyPresent))
            {
                return anyPresent ? placement : Placement.Local();
            }

            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        }
    }

    /// <summary>
    /// Loads the file when it changed since the last load or the last refused attempt, and swaps it
    /// in. Called by the poll timer and the watcher; safe to call from tests.
    /// </summary>
    /// <returns>True when a new policy was swapped in.</returns>
    public bool CheckForChange()
    {
        lock (_reloadGate)
        {
            if (_disposed)
            {
                return false;
            }

            FileStamp stamp;
            try
            {
                stamp = FileStamp.Of(FilePath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stamp = FileStamp.Missing;
            }

            if (stamp == _loadedStamp || stamp == _failedStamp)
            {
                return false;
            }

            OnnxPolicy next;
            try
            {
                next = OnnxPolicy.Load(FilePath, _expected, _runner);
            }
            catch (PolicyFileException ex)
            {
                _failedStamp = stamp;
                Log.ReloadRefused(_logger, FilePath, ex.Message);
                return false;
            }

            var old = Interlocked.Exchange(ref _current, next);
            _loadedStamp = stamp;
            _failedStamp = null;
            _loadedAt = _time.GetUtcNow();
            Interlocked.Increment(ref _reloads);

            // Waits for a decision in flight on the old policy, then frees its session.
            old.Dispose();
            Log.Reloaded(_logger, FilePath, next.Layout.Profile);
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_reloadGate)
        {
            if (_disposed)
            {
                return;
            }

            Volatile.Write(ref _disposed, true);
        }

        _watcher?.Dispose();
        _poll?.Dispose();
        _debounce.Dispose();
        Volatile.Read(ref _current).Dispose();
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        try
        {
            _debounce.Change(WatchDebounce, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>What identifies one version of the file: its size and last write time.</summary>
    private readonly record struct FileStamp(long Length, DateTime LastWriteUtc)
    {
        public static FileStamp Missing { get; } = new(-1, DateTime.MinValue);

        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return info.Exists ? new FileStamp(info.Length, info.LastWriteTimeUtc) : Missing;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2050, Level = LogLevel.Information, Message = "Learned policy loaded from {Path}: profile {Profile}, S = {MaxServers}, F = {Features}.")]
        public static partial void Loaded(ILogger logger, string path, string profile, int maxServers, int features);

        [LoggerMessage(EventId = 2051, Level = LogLevel.Information, Message = "Learned policy reloaded from {Path} (profile {Profile}); decisions now use it.")]
        public static partial void Reloaded(ILogger logger, string path, string profile);

        [LoggerMessage(EventId = 2052, Level = LogLevel.Warning, Message = "Policy file {Path} changed but was not loaded; the running policy stays: {Reason}")]
        public static partial void ReloadRefused(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 2053, Level = LogLevel.Warning, Message = "Policy file {Path} cannot be watched ({Reason}); changes are found by polling only.")]
        public static partial void WatchUnavailable(ILogger logger, string path, string reason);
    }
}
