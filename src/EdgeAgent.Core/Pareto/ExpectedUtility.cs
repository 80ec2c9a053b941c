namespace EdgeAgent.Core.Pareto;

/// <summary>
/// Expected utility of a front over a preference grid (as in MORL-Baselines, adapted to
/// minimisation): objectives are normalised to [0, 1] between the union's ideal and worst points,
/// the utility of a point under weights (w_T, 1 - w_T) is 1 - (w_T * delay' + (1 - w_T) * energy'),
/// and the expected utility is the mean over the grid of the best utility any point of the front
/// gives. In [0, 1] for points inside the box; higher is better.
/// </summary>
public static class ExpectedUtility
{
    /// <summary>The expected utility of <paramref name="points"/> over <paramref name="delayWeights"/>.</summary>
    /// <exception cref="ArgumentException">No points or no weights.</exception>
    public static double Compute(IReadOnlyList<ObjectivePoint> points, IReadOnlyList<double> delayWeights, ObjectivePoint ideal, ObjectivePoint worst)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(delayWeights);
        if (points.Count == 0 || delayWeights.Count == 0)
        {
            throw new ArgumentException("Expected utility needs at least one point and one weight.");
        }

        var normalised = points.Select(p => Hypervolume.Normalise(p, ideal, worst)).ToArray();
        var total = 0.0;
        foreach (var w in delayWeights)
        {
            var best = double.NegativeInfinity;
            foreach (var p in normalised)
            {
                best = Math.Max(best, 1.0 - ((w * p.Delay) + ((1 - w) * p.Energy)));
            }

            total += best;
        }

        return total / delayWeights.Count;
    }

    /// <summary>n uniform delay weights 0, 1/(n-1), ..., 1 (101 gives 0.00, 0.01, ..., 1.00).</summary>
    /// <exception cref="ArgumentOutOfRangeException">n below 2.</exception>
    public static IReadOnlyList<double> UniformGrid(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 2);
        return [.. Enumerable.Range(0, n).Select(i => Math.Round(i / (double)(n - 1), 12))];
    }
}
