using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Hardware.Energy;

/// <summary>
/// The device energy model: the modelled energy this device adds, above idle, to serve one task
/// (joules), from the power table of <see cref="EnergyModelOptions"/> (the agent binds it from
/// "Agent:Energy"). It is the one model of this device's energy: the agent's
/// <see cref="IEnergyEstimator"/>, wrapped by <see cref="MeasuredEnergyEstimator"/> when a power
/// source is sampled (local work is then charged the measured power; offloads, and local work while
/// nothing is measured, keep this model's figures). The formula is Core's
/// <see cref="DevicePowerTable"/> (shared with the simulator):
/// <code>
/// local:   (busy W - idle W) * exec seconds
/// offload: radio W * transfer seconds + wait W * wait seconds
/// </code>
/// The defaults describe a Jetson Orin Nano on Wi-Fi (about 5 W idle, 10 W busy, 2 W extra for
/// the radio while sending, nothing extra while waiting for the reply).
/// </summary>
public sealed class DeviceEnergyModel(EnergyModelOptions options) : IEnergyEstimator
{
    /// <summary>A model over a fixed power table.</summary>
    public DeviceEnergyModel(DevicePowerTable table)
        : this(EnergyModelOptions.From(table))
    {
    }

    /// <summary>The options as Core's power table (read on every call: the options object may be rebound).</summary>
    public DevicePowerTable Table => options.ToTable();

    /// <inheritdoc />
    public double LocalJoules(double execSeconds, string variant) => Table.LocalJoules(execSeconds);

    /// <inheritdoc />
    public double OffloadJoules(long uploadBytes, long downloadBytes, double transferSeconds, double waitSeconds) =>
        Table.OffloadJoules(transferSeconds, waitSeconds);
}

/// <summary>
/// The device power table (watts) of <see cref="DeviceEnergyModel"/>; the agent binds it from
/// section "Agent:Energy" (AgentOptions.Energy).
/// </summary>
public sealed class EnergyModelOptions
{
    /// <summary>Power of the idle device.</summary>
    public double IdleWatts { get; set; } = DevicePowerTable.Default.IdleWatts;

    /// <summary>Power while executing inference.</summary>
    public double BusyWatts { get; set; } = DevicePowerTable.Default.BusyWatts;

    /// <summary>Extra power while the radio sends or receives.</summary>
    public double RadioWatts { get; set; } = DevicePowerTable.Default.RadioWatts;

    /// <summary>Extra power while waiting for a peer's reply (radio tail), usually 0 on Wi-Fi.</summary>
    public double WaitWatts { get; set; } = DevicePowerTable.Default.WaitWatts;

    /// <summary>These settings as Core's power table.</summary>
    public DevicePowerTable ToTable() => new(IdleWatts, BusyWatts, RadioWatts, WaitWatts);

    /// <summary>Settings holding <paramref name="table"/>.</summary>
    public static EnergyModelOptions From(DevicePowerTable table) => new()
    {
        IdleWatts = table.IdleWatts,
        BusyWatts = table.BusyWatts,
        RadioWatts = table.RadioWatts,
        WaitWatts = table.WaitWatts,
    };
}
