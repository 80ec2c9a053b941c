using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// Idle and fully busy power of a board, from its datasheet or a measurement elsewhere: what the
/// model power source scales by utilisation, and the idle and busy watts of the
/// <see cref="Energy.DeviceEnergyModel"/> the hardware layer stands in when the host registered none
/// (<see cref="ToPowerTable"/>).
/// </summary>
/// <param name="Name">Profile name ("jetson-orin-nano").</param>
/// <param name="IdleWatts">Power with nothing running.</param>
/// <param name="BusyWatts">Power with all cores busy.</param>
public sealed record DeviceProfile(string Name, double IdleWatts, double BusyWatts)
{
    /// <summary>Jetson Orin Nano: about 4.5-6 W idle and 10 W loaded on VDD_IN (public measurements).</summary>
    public static DeviceProfile JetsonOrinNano { get; } = new("jetson-orin-nano", 5.0, 10.0);

    /// <summary>Raspberry Pi 4: about 2.2-3 W idle and 5-6 W loaded at the USB-C input.</summary>
    public static DeviceProfile RaspberryPi4 { get; } = new("raspberry-pi-4", 2.6, 5.5);

    /// <summary>The built-in profiles by name.</summary>
    public static IReadOnlyDictionary<string, DeviceProfile> BuiltIn { get; } =
        new Dictionary<string, DeviceProfile>(StringComparer.OrdinalIgnoreCase)
        {
            [JetsonOrinNano.Name] = JetsonOrinNano,
            [RaspberryPi4.Name] = RaspberryPi4,
        };

    /// <summary>This board's idle and busy watts in a device power table, with the default radio and waiting watts.</summary>
    public DevicePowerTable ToPowerTable() => DevicePowerTable.Default with { IdleWatts = IdleWatts, BusyWatts = BusyWatts };
}
