namespace EdgeAgent.Core.Offloading.Policies;

/// <summary>
/// The transparent completion-time model the heuristic and the peer policy share. For a task of
/// <c>b</c> input bytes on candidate <c>s</c>:
/// <code>
/// T(s) = wait(s) + b * 8 / uplink(s) + rtt(s) + exec(s)
/// wait(s) = 0                                  when executing + queued &lt; concurrency (a free slot)
///         = residualWork(s) / concurrency(s)   otherwise (the backlog drains over all slots)
/// </code>
/// The upload term is 0 for local candidates (infinite uplink) and for peers whose uplink is
/// unknown-infinite; rtt is 0 for local candidates.
/// </summary>
public static class CompletionEstimate
{
    /// <summary>Estimated seconds until the task's result is back on this device.</summary>
    public static double Seconds(TaskObservation task, ServerObservation server)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(server);
        return QueueWaitSeconds(server) + UploadSeconds(task.InputBytes, server) + Math.Max(0.0, server.RoundTripSeconds) + Math.Max(0.0, server.ExpectedExecSeconds);
    }

    /// <summary>Expected wait before the task starts executing on the candidate.</summary>
    public static double QueueWaitSeconds(ServerObservation server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var concurrency = Math.Max(1, server.MaxConcurrency);
        if (server.Executing + server.Queued < concurrency)
        {
            return 0.0;
        }

        return Math.Max(0.0, server.ResidualWorkSeconds) / concurrency;
    }

    /// <summary>Seconds to send <paramref name="bytes"/> over the candidate's uplink (0 when it is infinite).</summary>
    public static double UploadSeconds(long bytes, ServerObservation server)
    {
        ArgumentNullException.ThrowIfNull(server);
        var uplink = server.UplinkBitsPerSecond;
        if (double.IsPositiveInfinity(uplink) || bytes <= 0)
        {
            return 0.0;
        }

        return uplink > 0.0 ? bytes * 8.0 / uplink : double.PositiveInfinity;
    }
}
