using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Hardware.Energy;

/// <summary>Sampling and attribution settings of the energy meter; bound from <c>EdgeAgent:Hardware:Energy</c>.</summary>
public sealed class EnergyMeterOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "EdgeAgent:Hardware:Energy";

    /// <summary>Samples per second of the power source.</summary>
    [Range(1.0, 1000.0, ErrorMessage = "EdgeAgent:Hardware:Energy:SampleRateHz must be between 1 and 1000 samples per second.")]
    public double SampleRateHz { get; set; } = 50.0;

    /// <summary>
    /// Idle power of this machine in watts; tasks are charged power above it. Null tracks it: a
    /// moving average of the power while no task runs (time constant <see cref="IdleTrackingSeconds"/>).
    /// </summary>
    [Range(0.0, 10_000.0, ErrorMessage = "EdgeAgent:Hardware:Energy:IdleWatts must be between 0 and 10000 W.")]
    public double? IdleWatts { get; set; }

    /// <summary>Time constant of the idle tracker, in seconds.</summary>
    [Range(0.1, 3600.0, ErrorMessage = "EdgeAgent:Hardware:Energy:IdleTrackingSeconds must be between 0.1 and 3600 s.")]
    public double IdleTrackingSeconds { get; set; } = 10.0;

    /// <summary>
    /// Every this many samples all rails are read (for the per-rail gauge and <c>hw watch</c>); the
    /// samples in between read only what the total needs. 1 reads every rail every time.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "EdgeAgent:Hardware:Energy:RailRefreshEvery must be between 1 and 10000 samples.")]
    public int RailRefreshEvery { get; set; } = 10;

    /// <summary>
    /// Timer slack of the sampling thread on Linux, in microseconds: how late the kernel may wake it
    /// so one wake-up can serve several timers. Samples are timestamped when taken, so slack delays
    /// sampling instants by at most this much but does not bias the integration. Null keeps the
    /// kernel default (50 us).
    /// </summary>
    [Range(0, 100_000, ErrorMessage = "EdgeAgent:Hardware:Energy:TimerSlackMicroseconds must be between 0 and 100000 us.")]
    public int? TimerSlackMicroseconds { get; set; }

    /// <summary>Timer slack as a duration, or null for the kernel default.</summary>
    public TimeSpan? TimerSlack => TimerSlackMicroseconds is { } us ? TimeSpan.FromMicroseconds(us) : null;

    /// <summary>Sampling period.</summary>
    public TimeSpan Period => TimeSpan.FromSeconds(1.0 / SampleRateHz);
}
