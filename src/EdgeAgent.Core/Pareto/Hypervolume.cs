namespace EdgeAgent.Core.Pareto;

/// <summary>
/// Two-objective hypervolume (both minimised): the area dominated by a point set and bounded by a
/// reference point. Hypervolumes compare only under one stated reference point.
/// </summary>
public static class Hypervolume
{
    /// <summary>Reference point of the normalised variant, in normalised units.</summary>
    public static ObjectivePoint NormalisedReference { get; } = new(1.1, 1.1);

    /// <summary>
    /// GMORL's sweep: keep points strictly better than <paramref name="reference"/>, sort by delay
    /// ascending, start with best energy = reference energy, and for each point with energy below
    /// the best add (ref delay - delay) * (best energy - energy), then lower the best energy.
    /// Dominated points add nothing.
    /// </summary>
    public static double Compute(IEnumerable<ObjectivePoint> points, ObjectivePoint reference)
    {
        ArgumentNullException.ThrowIfNull(points);
        var kept = points.Where(p => p.StrictlyBetterThan(reference)).OrderBy(p => p.Delay).ThenBy(p => p.Energy).ToList();
        var bestEnergy = reference.Energy;
        var volume = 0.0;
        foreach (var p in kept)
        {
            if (p.Energy < bestEnergy)
            {
                volume += (reference.Delay - p.Delay) * (bestEnergy - p.Energy);
                bestEnergy = p.Energy;
            }
        }

        return volume;
    }

    /// <summary>
    /// Hypervolume after scaling each objective to [0, 1] between <paramref name="ideal"/> (0) and
    /// <paramref name="worst"/> (1), with reference point (1.1, 1.1): comparable across scales;
    /// the largest possible value is 1.21.
    /// </summary>
    public static double Normalised(IEnumerable<ObjectivePoint> points, ObjectivePoint ideal, ObjectivePoint worst)
    {
        ArgumentNullException.ThrowIfNull(points);
        return Compute(points.Select(p => Normalise(p, ideal, worst)), NormalisedReference);
    }

    /// <summary>Scales a point to [0, 1] per objective between ideal and worst (a degenerate span maps to 0).</summary>
    public static ObjectivePoint Normalise(ObjectivePoint p, ObjectivePoint ideal, ObjectivePoint worst)
    {
        static double Scale(double v, double lo, double hi) => hi > lo ? (v - lo) / (hi - lo) : 0.0;
        return new ObjectivePoint(Scale(p.Delay, ideal.Delay, worst.Delay), Scale(p.Energy, ideal.Energy, worst.Energy));
    }
}
