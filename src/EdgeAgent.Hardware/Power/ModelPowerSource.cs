using System.Diagnostics.CodeAnalysis;

namespace EdgeAgent.Hardware.Power;

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
