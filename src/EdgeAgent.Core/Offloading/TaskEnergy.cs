namespace EdgeAgent.Core.Offloading;

/// <summary>Where an energy figure comes from. Every joule EdgeAgent reports carries one of these.</summary>
public enum EnergyProvenance
{
    /// <summary>Integrated from a power sensor on this machine (INA3221, INA219, hwmon, RAPL).</summary>
    Measured,

    /// <summary>Computed from a device profile or a radio model because nothing could be measured.</summary>
    Modelled,

    /// <summary>Reported by a peer about its own work; not verified by this device.</summary>
    Reported,
}

/// <summary>An amount of energy in joules and where the figure comes from.</summary>
/// <param name="Joules">Energy in joules (non-negative).</param>
/// <param name="Provenance">Measured, modelled or reported.</param>
public readonly record struct EnergyFigure(double Joules, EnergyProvenance Provenance)
{
    /// <summary>Zero joules, labelled modelled (nothing was spent, nothing was measured).</summary>
    public static EnergyFigure Zero => new(0.0, EnergyProvenance.Modelled);

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Joules:0.####} J ({Provenance.ToString().ToLowerInvariant()})");
}

/// <summary>
/// The energy one task cost, as recorded in its outcome. <see cref="Compute"/> is this device's
/// energy above idle while the task executed locally (its share when tasks ran concurrently);
/// <see cref="Radio"/> is this device's energy to move the task's bytes to and from a peer;
/// <see cref="Peer"/> is what the peer reported for executing it, kept apart because it is not
/// spent on this device's battery.
/// </summary>
public sealed record TaskEnergy(EnergyFigure Compute, EnergyFigure Radio, EnergyFigure? Peer = null)
{
    /// <summary>No energy recorded.</summary>
    public static TaskEnergy None { get; } = new(EnergyFigure.Zero, EnergyFigure.Zero);

    /// <summary>Energy spent on this device: compute plus radio, in joules.</summary>
    public double DeviceJoules => Compute.Joules + Radio.Joules;

    /// <summary>True when any part of <see cref="DeviceJoules"/> came from a model rather than a sensor.</summary>
    public bool IsModelled =>
        (Compute.Joules > 0 && Compute.Provenance == EnergyProvenance.Modelled)
        || (Radio.Joules > 0 && Radio.Provenance == EnergyProvenance.Modelled);
}
