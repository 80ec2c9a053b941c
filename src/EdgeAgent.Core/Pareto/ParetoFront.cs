namespace EdgeAgent.Core.Pareto;

/// <summary>Non-dominated filtering of objective points (both objectives minimised).</summary>
public static class ParetoFront
{
    /// <summary>
    /// The non-dominated subset of <paramref name="points"/>, sorted by delay ascending (so energy
    /// descending), duplicates kept once. Points with NaN are ignored.
    /// </summary>
    public static IReadOnlyList<ObjectivePoint> NonDominated(IEnumerable<ObjectivePoint> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var sorted = points.Where(p => !double.IsNaN(p.Delay) && !double.IsNaN(p.Energy))
            .OrderBy(p => p.Delay).ThenBy(p => p.Energy).ToList();
        var front = new List<ObjectivePoint>();
        var bestEnergy = double.PositiveInfinity;
        foreach (var p in sorted)
        {
            // Sorted by delay, then energy: a point survives iff its energy beats every earlier point's.
            if (p.Energy < bestEnergy)
            {
                front.Add(p);
                bestEnergy = p.Energy;
            }
        }

        return front;
    }

    /// <summary>Componentwise best (ideal) point of all points of all fronts.</summary>
    /// <exception cref="ArgumentException">No points.</exception>
    public static ObjectivePoint Ideal(IEnumerable<IEnumerable<ObjectivePoint>> fronts) => Combine(fronts, Math.Min);

    /// <summary>Componentwise worst point of all points of all fronts (GMORL's hypervolume reference point).</summary>
    /// <exception cref="ArgumentException">No points.</exception>
    public static ObjectivePoint Worst(IEnumerable<IEnumerable<ObjectivePoint>> fronts) => Combine(fronts, Math.Max);

    private static ObjectivePoint Combine(IEnumerable<IEnumerable<ObjectivePoint>> fronts, Func<double, double, double> pick)
    {
        ArgumentNullException.ThrowIfNull(fronts);
        ObjectivePoint? acc = null;
        foreach (var p in fronts.SelectMany(f => f))
        {
            acc = acc is { } a ? new ObjectivePoint(pick(a.Delay, p.Delay), pick(a.Energy, p.Energy)) : p;
        }

        return acc ?? throw new ArgumentException("At least one point is needed.", nameof(fronts));
    }
}
