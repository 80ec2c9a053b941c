using System.Text.Json.Serialization;

namespace EdgeAgent.Learning.Simulation.Agent.Calibration;

/// <summary>
/// An empirical distribution: count, mean and the quantiles at 0, 5, 10, ..., 100 % (21 values,
/// linear interpolation between order statistics), enough to compare, plot and sample from it.
/// </summary>
public sealed record Distribution
{
    /// <summary>Number of quantiles stored (every 5 %).</summary>
    public const int QuantileCount = 21;

    /// <summary>Number of samples.</summary>
    public int Count { get; init; }

    /// <summary>Arithmetic mean.</summary>
    public double Mean { get; init; }

    /// <summary>Quantiles at 0, 0.05, ..., 1.</summary>
    public IReadOnlyList<double> Quantiles { get; init; } = [];

    /// <summary>The median.</summary>
    [JsonIgnore]
    public double Median => Quantile(0.5);

    /// <summary>The distribution of <paramref name="values"/> (finite ones), or null when there are none.</summary>
    public static Distribution? Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var q = new double[QuantileCount];
        for (var i = 0; i < QuantileCount; i++)
        {
            q[i] = Interpolate(sorted, i / (double)(QuantileCount - 1));
        }

        return new Distribution { Count = sorted.Length, Mean = sorted.Average(), Quantiles = q };
    }

    /// <summary>The <paramref name="p"/>-quantile (0 to 1), interpolated between the stored ones.</summary>
    /// <exception cref="InvalidOperationException">The distribution holds no quantiles (a malformed file).</exception>
    public double Quantile(double p)
    {
        if (Quantiles.Count != QuantileCount)
        {
            throw new InvalidOperationException($"A distribution needs {QuantileCount} quantiles; this one has {Quantiles.Count}.");
        }

        var x = Math.Clamp(p, 0, 1) * (QuantileCount - 1);
        var lo = (int)Math.Floor(x);
        var hi = Math.Min(lo + 1, QuantileCount - 1);
        return Quantiles[lo] + ((x - lo) * (Quantiles[hi] - Quantiles[lo]));
    }

    /// <summary>The <paramref name="p"/>-quantile of ascending <paramref name="sorted"/> (linear between order statistics).</summary>
    public static double Interpolate(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var x = Math.Clamp(p, 0, 1) * (sorted.Count - 1);
        var lo = (int)Math.Floor(x);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + ((x - lo) * (sorted[hi] - sorted[lo]));
    }
}
