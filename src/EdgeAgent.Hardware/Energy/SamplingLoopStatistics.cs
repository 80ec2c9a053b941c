namespace EdgeAgent.Hardware.Energy;

/// <summary>What one run of the meter's sampling loop cost the loop's own thread.</summary>
/// <param name="Sleeper">How the thread slept between samples.</param>
/// <param name="TimerSlack">Timer slack set on the thread, or null when left at the system default.</param>
/// <param name="Samples">Successful samples taken by the loop.</param>
/// <param name="SkippedDeadlines">Grid points skipped because the loop was late.</param>
/// <param name="ThreadCpuTime">CPU time of the sampling thread during the loop (CLOCK_THREAD_CPUTIME_ID), null where not readable.</param>
/// <param name="AllocatedBytes">Managed bytes the sampling thread allocated during the loop.</param>
internal sealed record SamplingLoopStatistics(
    string Sleeper,
    TimeSpan? TimerSlack,
    long Samples,
    long SkippedDeadlines,
    TimeSpan? ThreadCpuTime,
    long AllocatedBytes);
