using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Node.Agent;

/// <summary>The outcome of one request as the dispatcher recorded it.</summary>
/// <param name="Timestamp">When the request finished (TimeProvider clock).</param>
/// <param name="Model">Requested model.</param>
/// <param name="InputBytes">Serialized request size.</param>
/// <param name="Decided">What the policy chose.</param>
/// <param name="RanAt">Where the request finally ran ("local" after a fallback).</param>
/// <param name="FallbackFrom">The peer that failed or was late, or null.</param>
/// <param name="Preference">The preference the decision used.</param>
/// <param name="DelaySeconds">Measured end-to-end delay inside the agent.</param>
/// <param name="QueueSeconds">Queue time reported by the executor that ran it.</param>
/// <param name="ExecSeconds">Execution time reported by the executor that ran it.</param>
/// <param name="Energy">This device's energy for what actually ran (compute and radio, with provenance).</param>
/// <param name="Success">False when the request failed everywhere.</param>
/// <param name="Observation">What the policy saw.</param>
public sealed record DecisionRecord(
    DateTimeOffset Timestamp,
    string Model,
    long InputBytes,
    Placement Decided,
    Placement RanAt,
    string? FallbackFrom,
    Preference Preference,
    double DelaySeconds,
    double QueueSeconds,
    double ExecSeconds,
    TaskEnergy Energy,
    bool Success,
    OffloadObservation Observation)
{
    /// <summary>
    /// Seconds the peer call that answered spent outside the peer's queue and execution (wire time
    /// including round trips: elapsed minus the peer's reported queue and exec times); 0 when the
    /// request ran locally.
    /// </summary>
    public double TransferSeconds { get; init; }

    /// <summary>The gRPC status code the caller got (0 = OK).</summary>
    public int StatusCode { get; init; }
}

/// <summary>
/// Something that receives every <see cref="DecisionRecord"/> the <see cref="DecisionLog"/> adds,
/// on the request's own thread: implementations must return at once (queue, never block or do I/O).
/// </summary>
public interface IDecisionRecordObserver
{
    /// <summary>Called once per recorded request.</summary>
    void OnDecision(DecisionRecord record);
}

/// <summary>
/// A bounded in-memory log of the latest outcomes (oldest dropped first), for status, evaluation
/// and later fine-tuning. Thread-safe; cumulative counters survive eviction. Every added record
/// is also handed to the registered <see cref="IDecisionRecordObserver"/>s (the durable
/// <see cref="DurableDecisionLog"/> is one).
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
    private readonly IDecisionRecordObserver[] _observers;

    /// <summary>Keeps the latest <paramref name="capacity"/> records and hands each to <paramref name="observers"/>.</summary>
    public DecisionLog(int capacity, IEnumerable<IDecisionRecordObserver>? observers = null)
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
