using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// A bounded in-memory log of the latest outcomes (oldest dropped first), for status, evaluation
/// and later fine-tuning. Thread-safe; cumulative counters survive eviction. Every added record
/// is also handed, on the request's thread, to the registered <see cref="IDecisionObserver"/>s
/// (the durable <see cref="DurableDecisionLog"/> and the GPIO panel's offload blinker are two).
/// </summary>
public sealed class DecisionLog
{
    private readonly object _gate = new();
    private readonly DecisionRecord?[] _ring;
    private long _next;
    private long _local;
    private long _offloaded;
    private long _fallback;
    private long _failed;
    private readonly IDecisionObserver[] _observers;

    /// <summary>Keeps the latest <paramref name="capacity"/> records and hands each to <paramref name="observers"/>.</summary>
    public DecisionLog(int capacity, IEnumerable<IDecisionObserver>? observers = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _ring = new DecisionRecord?[capacity];
        _observers = observers?.ToArray() ?? [];
    }

    /// <summary>Requests that ran locally as decided.</summary>
    public long LocalCount => Interlocked.Read(ref _local);

    /// <summary>Requests that ran on a peer.</summary>
    public long OffloadedCount => Interlocked.Read(ref _offloaded);

    /// <summary>Requests sent to a peer that then ran locally.</summary>
    public long FallbackCount => Interlocked.Read(ref _fallback);

    /// <summary>Requests that failed.</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>Adds one outcome.</summary>
    public void Add(DecisionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!record.Success)
        {
            Interlocked.Increment(ref _failed);
        }
        else if (record.FallbackFrom is not null)
        {
            Interlocked.Increment(ref _fallback);
        }
        else if (record.RanAt.IsLocal)
        {
            Interlocked.Increment(ref _local);
        }
        else
        {
            Interlocked.Increment(ref _offloaded);
        }

        lock (_gate)
        {
            _ring[_next % _ring.Length] = record;
            _next++;
        }

        foreach (var observer in _observers)
        {
            observer.OnDecision(record);
        }
    }

    /// <summary>Records added so far (kept or evicted): a position for <see cref="Since"/>.</summary>
    public long Added
    {
        get
        {
            lock (_gate)
            {
                return _next;
            }
        }
    }

    /// <summary>The kept records added at or after <paramref name="position"/> (an earlier <see cref="Added"/>), oldest first; records already evicted are missing.</summary>
    public IReadOnlyList<DecisionRecord> Since(long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        lock (_gate)
        {
            var first = Math.Max(position, _next - Math.Min(_next, _ring.Length));
            var result = new DecisionRecord[Math.Max(0, _next - first)];
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = _ring[(first + i) % _ring.Length]!;
            }

            return result;
        }
    }

    /// <summary>The kept records, oldest first.</summary>
    public IReadOnlyList<DecisionRecord> Snapshot()
    {
        lock (_gate)
        {
            var count = (int)Math.Min(_next, _ring.Length);
            var result = new DecisionRecord[count];
            for (var i = 0; i < count; i++)
            {
                result[i] = _ring[(_next - count + i) % _ring.Length]!;
            }

            return result;
        }
    }
}
