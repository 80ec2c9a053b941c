namespace EdgeAgent.Core.Offloading.Policies;

/// <summary>
/// The transparent completion-time model the heuristic, the peer policy and the agent profile's
/// observation encoder share. For a task of <c>b</c> input bytes and <c>r</c> expected response
/// bytes on candidate <c>s</c>:
/// <code>
/// T(s) = wait(s) + b * 8 / uplink(s) + rtt(s) + exec(s) + r * 8 / downlink(s)
/// wait(s) = 0                                  when executing + queued &lt; concurrency (a free slot)
///         = residualWork(s) / concurrency(s)   otherwise (the backlog drains over all slots)
/// </code>
/// The upload and download terms are 0 for local candidates (infinite links), for links not
/// measured (infinite) and for unknown sizes (0 bytes); rtt is 0 for local candidates.
/// </summary>
public static class CompletionEstimate
{
    /// <summary>Estimated seconds until the task's result is back on this device.</summary>
    public static double Seconds(TaskObservation task, ServerObservation server)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(server);
        return Seconds(task.InputBytes, task.ExpectedResponseBytes, server.UplinkBitsPerSecond, server.DownlinkBitsPerSecond,
            server.RoundTripSeconds, server.ExpectedExecSeconds, server.Executing, server.Queued, server.MaxConcurrency, server.ResidualWorkSeconds);
    }

    /// <summary>The same estimate from raw quantities (SI units): what the simulator and the encoder call.</summary>
    public static double Seconds(long inputBytes, long responseBytes, double uplinkBitsPerSecond, double downlinkBitsPerSecond,
        double roundTripSeconds, double execSeconds, int executing, int queued, int maxConcurrency, double residualWorkSeconds) =>
        QueueWaitSeconds(executing, queued, maxConcurrency, residualWorkSeconds)
        + TransferSeconds(inputBytes, uplinkBitsPerSecond)
        + Math.Max(0.0, roundTripSeconds)
        + Math.Max(0.0, execSeconds)
        + TransferSeconds(responseBytes, downlinkBitsPerSecond);

    /// <summary>Expected wait before the task starts executing on the candidate.</summary>
    public static double QueueWaitSeconds(ServerObservation server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return QueueWaitSeconds(server.Executing, server.Queued, server.MaxConcurrency, server.ResidualWorkSeconds);
    }

    /// <summary>Expected wait from raw quantities: 0 with a free slot, else residual work / concurrency.</summary>
    public static double QueueWaitSeconds(int executing, int queued, int maxConcurrency, double residualWorkSeconds)
    {
        var concurrency = Math.Max(1, maxConcurrency);
        if (executing + queued < concurrency)
        {
            return 0.0;
        }

        return Math.Max(0.0, residualWorkSeconds) / concurrency;
    }

    /// <summary>Seconds to send <paramref name="bytes"/> over the candidate's uplink (0 when it is infinite).</summary>
    public static double UploadSeconds(long bytes, ServerObservation server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return TransferSeconds(bytes, server.UplinkBitsPerSecond);
    }

    /// <summary>
    /// Seconds the radio moves the task's bytes: upload + download (the transfer part of the
    /// device's offload energy; the rest of <see cref="Seconds(TaskObservation, ServerObservation)"/>
    /// is waiting). The agent's ClusterView and the simulator split a candidate's estimate this way:
    /// <c>OffloadJoules(transfer, Seconds - transfer)</c>.
    /// </summary>
    public static double TransferSeconds(TaskObservation task, ServerObservation server)
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(server);
        return TransferSeconds(task.InputBytes, task.ExpectedResponseBytes, server.UplinkBitsPerSecond, server.DownlinkBitsPerSecond);
    }

    /// <summary>Upload + download seconds from raw quantities (0 for infinite links or no bytes).</summary>
    public static double TransferSeconds(long requestBytes, long responseBytes, double uplinkBitsPerSecond, double downlinkBitsPerSecond) =>
        TransferSeconds(requestBytes, uplinkBitsPerSecond) + TransferSeconds(responseBytes, downlinkBitsPerSecond);

    /// <summary>Seconds to move <paramref name="bytes"/> over a link of <paramref name="bitsPerSecond"/>: 0 for an infinite link or no bytes, infinity for a dead link.</summary>
    public static double TransferSeconds(long bytes, double bitsPerSecond)
    {
        if (double.IsPositiveInfinity(bitsPerSecond) || bytes <= 0)
        {
            return 0.0;
        }

        return bitsPerSecond > 0.0 ? bytes * 8.0 / bitsPerSecond : double.PositiveInfinity;
    }
}
