using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The modelled energy this device adds, above idle, to serve one task (joules), from the
/// per-device power table of <see cref="EnergyModelOptions"/>. With a power sensor, EdgeAgent.Hardware's
/// MeasuredEnergyEstimator wraps this model and charges local work the measured power instead;
/// offloads, and local work while nothing is measured, keep this model's figures. The formula is
/// Core's <see cref="DevicePowerTable"/> (shared with the simulator):
/// <code>
/// local:   (busy W - idle W) * exec seconds
/// offload: radio W * transfer seconds + wait W * wait seconds
/// </code>
/// The defaults describe a Jetson Orin Nano on Wi-Fi (about 5 W idle, 10 W busy, 2 W extra for
/// the radio while sending, nothing extra while waiting for the reply).
/// </summary>
public sealed class DeviceEnergyModel(EnergyModelOptions options) : IEnergyEstimator
{
    /// <summary>The options as Core's power table (read on every call: the options object may be rebound).</summary>
    public DevicePowerTable Table => new(options.IdleWatts, options.BusyWatts, options.RadioWatts, options.WaitWatts);

    /// <inheritdoc />
    public double LocalJoules(double execSeconds, string variant) => Table.LocalJoules(execSeconds);

    /// <inheritdoc />
    public double OffloadJoules(long uploadBytes, long downloadBytes, double transferSeconds, double waitSeconds) =>
        Table.OffloadJoules(transferSeconds, waitSeconds);
}
