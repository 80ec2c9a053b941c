namespace EdgeAgent.Core.Offloading;

/// <summary>
/// The device-energy formula the agent and the simulator share: the energy this device adds, above
/// idle, to serve one task (joules), from a power table (watts).
/// <code>
/// local:   the variant's measured joules per inference when a sensor measured them,
///          else (busy W - idle W) * exec seconds
/// offload: radio W * transfer seconds + wait W * wait seconds
///          (transfer = time the radio sends and receives the task's bytes; wait = the rest of the
///           delay: queueing, round trip and execution on the peer)
/// </code>
/// A non-finite transfer or wait (a dead link) counts as 1e6 s so the figure stays finite and loses.
/// </summary>
/// <param name="IdleWatts">Power of the idle device.</param>
/// <param name="BusyWatts">Power while executing inference.</param>
/// <param name="RadioWatts">Extra power while the radio sends or receives.</param>
/// <param name="WaitWatts">Extra power while waiting for a peer's reply (radio tail), usually 0 on Wi-Fi.</param>
public readonly record struct DevicePowerTable(double IdleWatts, double BusyWatts, double RadioWatts, double WaitWatts)
{
    /// <summary>Seconds a non-finite time counts as.</summary>
    public const double NonFiniteSeconds = 1e6;

    /// <summary>The agent's default table: a Jetson Orin Nano on Wi-Fi (5 W idle, 10 W busy, 2 W radio, 0 W waiting).</summary>
    public static DevicePowerTable Default => new(5.0, 10.0, 2.0, 0.0);

    /// <summary>Power above idle while executing, watts (never negative).</summary>
    public double ActiveWatts => Math.Max(0.0, BusyWatts - IdleWatts);

    /// <summary>Energy to execute locally for <paramref name="execSeconds"/>: (busy - idle) * time.</summary>
    public double LocalJoules(double execSeconds) => ActiveWatts * Math.Max(0.0, execSeconds);

    /// <summary>Energy to execute locally: the variant's measured joules when known, else (busy - idle) * time.</summary>
    public double LocalJoules(double execSeconds, double? measuredJoules) =>
        measuredJoules is { } measured ? Math.Max(0.0, measured) : LocalJoules(execSeconds);

    /// <summary>Energy to offload: radio power for the transfers plus waiting power for the rest of the delay.</summary>
    public double OffloadJoules(double transferSeconds, double waitSeconds)
    {
        var transfer = double.IsFinite(transferSeconds) ? Math.Max(0.0, transferSeconds) : NonFiniteSeconds;
        var wait = double.IsFinite(waitSeconds) ? Math.Max(0.0, waitSeconds) : NonFiniteSeconds;
        return (RadioWatts * transfer) + (WaitWatts * wait);
    }
}
