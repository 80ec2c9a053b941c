namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// Elapsed time with the benchmark's own pauses taken out: when the process was stopped (SIGSTOP
/// by a scheduler that shares the machine, a suspended VM), the next <see cref="Tick"/> sees a gap
/// between two ticks far longer than the loop ever waits, counts it as paused and leaves it out of
/// <see cref="Active"/>. A load generator paced on <see cref="Active"/> neither fires the requests
/// it missed in one burst on resuming nor counts the paused minutes as minutes of load.
/// </summary>
public sealed class PauseClock
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _threshold;
    private readonly long _started;
    private long _lastTick;
    private TimeSpan _paused;
    private int _pauses;

    /// <summary>Starts the clock now; a gap between ticks longer than <paramref name="threshold"/> is a pause.</summary>
    public PauseClock(TimeProvider time, TimeSpan threshold)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(threshold, TimeSpan.Zero);
        _time = time;
        _threshold = threshold;
        _started = time.GetTimestamp();
        _lastTick = _started;
    }

    /// <summary>Time since the start, pauses included.</summary>
    public TimeSpan Wall => _time.GetElapsedTime(_started);

    /// <summary>Time spent in pauses so far.</summary>
    public TimeSpan Paused
    {
        get
        {
            lock (_lock)
            {
                return _paused;
            }
        }
    }

    /// <summary>Time since the start without the pauses (as of the last <see cref="Tick"/>'s view of them).</summary>
    public TimeSpan Active => Wall - Paused;

    /// <summary>How many pauses were seen.</summary>
    public int Pauses => Volatile.Read(ref _pauses);

    /// <summary>Marks that the caller ran now (any thread); returns true when a pause ended since the last tick.</summary>
    public bool Tick()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var gap = _time.GetElapsedTime(_lastTick, now);
            _lastTick = now;
            if (gap <= _threshold)
            {
                return false;
            }

            _paused += gap;
            Interlocked.Increment(ref _pauses);
            return true;
        }
    }
}
