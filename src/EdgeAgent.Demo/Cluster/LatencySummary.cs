namespace EdgeAgent.Demo.Cluster;

/// <summary>Percentiles of a sample, by the nearest-rank method.</summary>
public static class Percentiles
{
    /// <summary>The <paramref name="percentile"/>-th percentile (0-100) of <paramref name="values"/>; NaN when empty.</summary>
    public static double Of(IReadOnlyCollection<double> values, double percentile)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
