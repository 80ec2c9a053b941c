using System.Runtime;
using EdgeAgent.Inference.Execution;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// Gives memory back once a node goes quiet after work (issue 13: after 10,000 malformed requests
/// an agent's resident memory stayed 16 % above its level before, most of it dead large-object
/// heap: request and response buffers of 85 KB and more are collected only by a full collection,
/// which a node that has gone idle never triggers). Every second it reads how much the process
/// has allocated, plus the bytes of received messages that went into reused arrays instead of new
/// ones (<see cref="WorkBytes"/>); when at least <see cref="TrimAfterAllocatedBytes"/> were allocated since the
/// last trim and less than <see cref="QuietBytesPerSecond"/> per second for
/// <see cref="ServingOptions.IdleMemoryTrim"/>, it runs one blocking, compacting full collection
/// that decommits free memory (<see cref="GCCollectionMode.Aggressive"/>, large objects
/// compacted) and returns the C heap's free pages (glibc <c>malloc_trim</c>). A node under steady
/// load never trims (the collector's own heuristics apply); an idle one trims at most once per
/// burst of work.
/// </summary>
public sealed partial class IdleMemoryTrimmer : BackgroundService
{
    /// <summary>Allocation since the last trim below which a trim is not worth its pause.</summary>
    public const long TrimAfterAllocatedBytes = 16L << 20;

    /// <summary>Allocation rate under which the node counts as quiet (load reports and pings allocate a few KB/s).</summary>
    public const long QuietBytesPerSecond = 256L << 10;

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly TimeProvider _time;
    private readonly ILogger<IdleMemoryTrimmer> _logger;
    private readonly IdleTrimState _state;

    /// <summary>Creates the trimmer from the node's options.</summary>
    public IdleMemoryTrimmer(IOptions<ServingOptions> options, TimeProvider time, ILogger<IdleMemoryTrimmer> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = time;
        _logger = logger;
        _state = new IdleTrimState(options.Value.IdleMemoryTrim, WorkBytes);
    }

    /// <summary>
    /// The work the trimmer watches: bytes the process allocated plus bytes of received messages
    /// that went into reused arrays (<see cref="InferMessages.ReusedBytes"/>). Allocation alone read
    /// a node forwarding 4.9 MB requests through reused arrays as quiet (a few hundred KB/s): it
    /// trimmed every few seconds under load, each trim freed the reused arrays, and the next
    /// requests faulted fresh ones in (issue 17's offload hop: 17 % of the agent's CPU in trims,
    /// 355 instead of about 60 minor faults per forwarded request).
    /// </summary>
    public static long WorkBytes() => GC.GetTotalAllocatedBytes(precise: false) + InferMessages.ReusedBytes;

    /// <summary>Trims done so far.</summary>
    public int Trims { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_state.QuietFor <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(Tick, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                if (_state.Observe(_time.GetElapsedTime(0)))
                {
                    Trim();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    private void Trim()
    {
        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
        _state.Trimmed();
        Trims++;
        LogTrimmed(before, GC.GetGCMemoryInfo().TotalCommittedBytes);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Idle after work: collected and decommitted; managed heap committed {Before} -> {After} bytes.")]
    private partial void LogTrimmed(long before, long after);
}

/// <summary>
/// The decision of <see cref="IdleMemoryTrimmer"/>, apart from the clock and the collector: fed the
/// process's total allocated bytes at each observation, it says when to trim.
/// </summary>
public sealed class IdleTrimState
{
    private readonly Func<long> _allocated;
    private long _atTrim;
    private long _atLast;
    private TimeSpan _last;
    private TimeSpan _quietSince;
    private bool _started;

    /// <summary>Creates the state; <paramref name="allocated"/> reads the process's total allocated bytes.</summary>
    public IdleTrimState(TimeSpan quietFor, Func<long> allocated)
    {
        ArgumentNullException.ThrowIfNull(allocated);
        QuietFor = quietFor;
        _allocated = allocated;
    }

    /// <summary>How long the node must be quiet before a trim (zero: never).</summary>
    public TimeSpan QuietFor { get; }

    /// <summary>Takes one observation at <paramref name="now"/>; true when a trim is due now.</summary>
    public bool Observe(TimeSpan now)
    {
        var allocated = _allocated();
        if (!_started)
        {
            _started = true;
            _atTrim = allocated;
            _atLast = allocated;
            _last = now;
            _quietSince = now;
            return false;
        }

        var elapsed = now - _last;
        var rate = elapsed > TimeSpan.Zero ? (allocated - _atLast) / elapsed.TotalSeconds : double.PositiveInfinity;
        _atLast = allocated;
        _last = now;
        if (rate >= IdleMemoryTrimmer.QuietBytesPerSecond)
        {
            _quietSince = now;
            return false;
        }

        return QuietFor > TimeSpan.Zero && now - _quietSince >= QuietFor && allocated - _atTrim >= IdleMemoryTrimmer.TrimAfterAllocatedBytes;
    }

    /// <summary>Records that a trim was done: the next needs as much allocation again.</summary>
    public void Trimmed() => _atTrim = _allocated();
}
