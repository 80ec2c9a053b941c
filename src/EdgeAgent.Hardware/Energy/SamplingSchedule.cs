namespace EdgeAgent.Hardware.Energy;

/// <summary>
/// The sampling instants of a periodic loop: a fixed grid <c>start + k * period</c> on a clock's
/// timestamp scale. Deadlines are computed from the grid, never from when the loop woke up, so late
/// wake-ups do not accumulate into drift. When a sample ran so late that the next grid point has
/// already passed, the missed points are skipped (counted in <see cref="Skipped"/>) instead of
/// sampled back to back.
/// </summary>
internal struct SamplingSchedule
{
    private readonly long _period;
    private long _next;

    /// <summary>Starts the grid at <paramref name="start"/> with <paramref name="period"/> timestamp ticks between points.</summary>
    public SamplingSchedule(long start, long period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _period = period;
        _next = start;
    }

    /// <summary>The grid point the loop is waiting for (the start before the first <see cref="Next"/>).</summary>
    public readonly long Deadline => _next;

    /// <summary>Grid points skipped because the loop was still busy (or suspended) when they passed.</summary>
    public long Skipped { get; private set; }

    /// <summary>After a sample that finished at <paramref name="now"/>, the next grid point to sleep until (always after <paramref name="now"/>).</summary>
    public long Next(long now)
    {
        _next += _period;
        if (_next <= now)
        {
            var missed = ((now - _next) / _period) + 1;
            _next += missed * _period;
            Skipped += missed;
        }

        return _next;
    }
}
