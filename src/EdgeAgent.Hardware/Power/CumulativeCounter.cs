namespace EdgeAgent.Hardware.Power;

/// <summary>
/// Turns a hardware counter that only grows and wraps to zero at a known range (RAPL
/// <c>energy_uj</c> wraps at <c>max_energy_range_uj</c>) into a running total that keeps growing.
/// </summary>
public sealed class CumulativeCounter
{
    private long _last;
    private bool _primed;

    /// <summary>Creates a counter that wraps at <paramref name="range"/> (0 when the range is unknown: a drop is then a reset).</summary>
    public CumulativeCounter(long range)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(range);
        Range = range;
    }

    /// <summary>Value at which the hardware counter wraps back to zero; 0 when unknown.</summary>
    public long Range { get; }

    /// <summary>Sum of all increments seen since the first update.</summary>
    public long Total { get; private set; }

    /// <summary>
    /// Records a raw counter value and returns the increment since the previous one (0 for the
    /// first). A value below the previous one is a wrap when the range is known (increment =
    /// range - previous + value), otherwise a reset of the counter (increment = value).
    /// </summary>
    public long Update(long raw)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(raw);
        if (!_primed)
        {
            _primed = true;
            _last = raw;
            return 0;
        }

        long delta;
        if (raw >= _last)
        {
            delta = raw - _last;
        }
        else if (Range > 0 && _last <= Range)
        {
            delta = Range - _last + raw;
        }
        else
        {
            delta = raw;
        }

        _last = raw;
        Total += delta;
        return delta;
    }
}
