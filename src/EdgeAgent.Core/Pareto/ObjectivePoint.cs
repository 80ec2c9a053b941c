using System.Globalization;

namespace EdgeAgent.Core.Pareto;

/// <summary>A point in objective space, both objectives minimised: delay (seconds) and energy (joules), or their normalised values.</summary>
public readonly record struct ObjectivePoint(double Delay, double Energy)
{
    /// <summary>True when this point is no worse in both objectives and strictly better in one.</summary>
    public bool Dominates(ObjectivePoint other) =>
        Delay <= other.Delay && Energy <= other.Energy && (Delay < other.Delay || Energy < other.Energy);

    /// <summary>True when this point is strictly better than <paramref name="reference"/> in both objectives.</summary>
    public bool StrictlyBetterThan(ObjectivePoint reference) => Delay < reference.Delay && Energy < reference.Energy;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"(delay {Delay:0.####}, energy {Energy:0.####})");
}
