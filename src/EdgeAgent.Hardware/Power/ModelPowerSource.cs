using System.Diagnostics.CodeAnalysis;

namespace EdgeAgent.Hardware.Power;

/// <summary>Idle and fully busy power of a device, from its datasheet or a measurement elsewhere.</summary>
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
}

/// <summary>
/// Radio energy model of this device's network link: E = P_tx * bits_sent / uplink rate +
/// P_rx * bits_received / downlink rate, at the link's measured rates. Wi-Fi is far cheaper per bit
/// than LTE; the defaults are Wi-Fi-like and belong in configuration for a real deployment.
/// </summary>
/// <param name="TransmitWatts">Radio power while transmitting.</param>
/// <param name="ReceiveWatts">Radio power while receiving.</param>
public sealed record RadioModel(double TransmitWatts = 1.0, double ReceiveWatts = 0.6)
{
    /// <summary>Energy in joules to send and receive the given bytes at the given rates (bits per second).</summary>
    public double Joules(long bytesSent, double uplinkBitsPerSecond, long bytesReceived = 0, double downlinkBitsPerSecond = double.PositiveInfinity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesSent);
        ArgumentOutOfRangeException.ThrowIfNegative(bytesReceived);
        var send = bytesSent == 0 ? 0.0 : TransmitWatts * bytesSent * 8.0 / PositiveRate(uplinkBitsPerSecond, nameof(uplinkBitsPerSecond));
        var receive = bytesReceived == 0 ? 0.0 : ReceiveWatts * bytesReceived * 8.0 / PositiveRate(downlinkBitsPerSecond, nameof(downlinkBitsPerSecond));
        return send + receive;
    }

    private static double PositiveRate(double bitsPerSecond, string name) =>
        bitsPerSecond > 0 && !double.IsNaN(bitsPerSecond)
            ? bitsPerSecond
            : throw new ArgumentOutOfRangeException(name, bitsPerSecond, "A link rate must be a positive number of bits per second.");
}

/// <summary>
/// For machines with nothing to read: power = idle + (busy - idle) * utilisation, from a device
/// profile and a utilisation signal (whole-machine CPU utilisation by default). Every sample is
/// labelled <see cref="PowerSourceKind.Modelled"/>.
/// </summary>
public sealed class ModelPowerSource : IPowerSource
{
    private readonly Func<double> _utilisation;
    private readonly IDisposable? _ownedSignal;

    /// <summary>Models <paramref name="profile"/> driven by <paramref name="utilisation"/> (values clamped to [0, 1]).</summary>
    public ModelPowerSource(DeviceProfile profile, Func<double> utilisation)
        : this(profile, utilisation, null)
    {
    }

    private ModelPowerSource(DeviceProfile profile, Func<double> utilisation, IDisposable? ownedSignal)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(utilisation);
        if (!(profile.IdleWatts >= 0 && profile.BusyWatts >= profile.IdleWatts && double.IsFinite(profile.BusyWatts)))
        {
            throw new ArgumentException(
                $"Device profile '{profile.Name}' needs 0 <= IdleWatts <= BusyWatts (got {profile.IdleWatts} and {profile.BusyWatts}).", nameof(profile));
        }

        Profile = profile;
        _utilisation = utilisation;
        _ownedSignal = ownedSignal;
    }

    /// <summary>Models <paramref name="profile"/> from this machine's CPU utilisation in <c>proc/stat</c> under <paramref name="root"/>.</summary>
    public static ModelPowerSource FromCpuUtilisation(DeviceProfile profile, string root = "/")
    {
        var cpu = new CpuUtilisation(root);
        return new ModelPowerSource(profile, cpu.Sample, cpu);
    }

    /// <summary>The device profile in use.</summary>
    public DeviceProfile Profile { get; }

    /// <inheritdoc />
    public string Name => "model";

    /// <inheritdoc />
    public string Description =>
        FormattableString.Invariant($"modelled from profile '{Profile.Name}': {Profile.IdleWatts} W idle to {Profile.BusyWatts} W busy, scaled by CPU utilisation (nothing measured)");

    /// <inheritdoc />
    public PowerSourceKind Kind => PowerSourceKind.Modelled;

    /// <inheritdoc />
    public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
    {
        var u = _utilisation();
        u = double.IsNaN(u) ? 0.0 : Math.Clamp(u, 0.0, 1.0);
        var watts = Profile.IdleWatts + ((Profile.BusyWatts - Profile.IdleWatts) * u);
        sample = new PowerSample(watts, [new RailReading("model", watts)], PowerSourceKind.Modelled);
        return true;
    }

    /// <inheritdoc />
    public void Dispose() => _ownedSignal?.Dispose();
}
