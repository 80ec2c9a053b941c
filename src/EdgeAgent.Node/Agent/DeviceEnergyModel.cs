using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The energy this device adds, above idle, to serve one task (joules), from a per-device power
/// table until measured power is wired in:
/// <code>
/// local:   (busy W - idle W) * exec seconds
/// offload: radio W * transfer seconds + wait W * wait seconds
/// </code>
/// The defaults describe a Jetson Orin Nano on Wi-Fi (about 5 W idle, 10 W busy, 2 W extra for
/// the radio while sending, nothing extra while waiting for the reply).
/// </summary>
public sealed class DeviceEnergyModel(EnergyModelOptions options) : IEnergyEstimator
{
    /// <inheritdoc />
    public double LocalJoules(double execSeconds, string variant) =>
        Math.Max(0.0, options.BusyWatts - options.IdleWatts) * Math.Max(0.0, execSeconds);

    /// <inheritdoc />
    public double OffloadJoules(long uploadBytes, long downloadBytes, double transferSeconds, double waitSeconds)
    {
        var transfer = double.IsFinite(transferSeconds) ? Math.Max(0.0, transferSeconds) : 1e6;
        var wait = double.IsFinite(waitSeconds) ? Math.Max(0.0, waitSeconds) : 1e6;
        return (options.RadioWatts * transfer) + (options.WaitWatts * wait);
    }
}
