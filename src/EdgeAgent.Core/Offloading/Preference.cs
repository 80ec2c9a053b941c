namespace EdgeAgent.Core.Offloading;

/// <summary>
/// The operator's trade-off between delay and energy: weights (w_delay, w_energy) that sum to 1.
/// One learned policy covers every preference; the operator moves along the front at run time.
/// </summary>
public readonly record struct Preference
{
    /// <summary>Creates a preference from the weight of delay, in [0, 1].</summary>
    /// <exception cref="ArgumentOutOfRangeException">The weight is outside [0, 1] or not a number.</exception>
    public Preference(double delayWeight)
    {
        if (!(delayWeight >= 0.0 && delayWeight <= 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(delayWeight), delayWeight,
                "The delay weight must be a number in [0, 1]; the energy weight is 1 minus it.");
        }

        DelayWeight = delayWeight;
    }

    /// <summary>Weight of delay, w_T in [0, 1].</summary>
    public double DelayWeight { get; }

    /// <summary>Weight of energy, w_E = 1 - w_T.</summary>
    public double EnergyWeight => 1.0 - DelayWeight;

    /// <summary>Equal weight on delay and energy.</summary>
    public static Preference Balanced => new(0.5);

    /// <summary>The scalarised cost w_T * delay + w_E * energy of already normalised objectives.</summary>
    public double Scalarise(double delay, double energy) => (DelayWeight * delay) + (EnergyWeight * energy);

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"w_delay={DelayWeight:0.###} w_energy={EnergyWeight:0.###}");
}
