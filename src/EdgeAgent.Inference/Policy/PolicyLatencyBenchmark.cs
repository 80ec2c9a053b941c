// A benchmark: it measures wall time, which the request path may not (src/BannedSymbols.RequestPath.txt).
#pragma warning disable RS0030
using System.Diagnostics;
using System.Globalization;

namespace EdgeAgent.Inference.Policy;

/// <summary>Latency distribution of one measured operation, microseconds.</summary>
public readonly record struct LatencySummary(string Name, int Count, double MeanUs, double P50Us, double P99Us, double MaxUs)
{
    /// <summary>One line for a report.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name,-28} n={Count} mean={MeanUs,8:0.0} us  p50={P50Us,8:0.0} us  p99={P99Us,8:0.0} us  max={MaxUs,9:0.0} us");
}

/// <summary>
/// Measures one decision of an <see cref="OnnxPolicy"/> on encoded observations (copy in, ORT
/// run over the present rows, argmax), against a baseline measured in the same run: copying the
/// observation and taking the argmax of a fixed logits vector (everything but the network).
/// Observations are random but well formed: E present servers (E drawn from 1..S, or fixed) with
/// features in the simulator's ranges, the rest absent.
/// </summary>
public static class PolicyLatencyBenchmark
{
    /// <summary>Runs <paramref name="decisions"/> timed decisions after <paramref name="warmup"/> untimed ones.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="decisions">Timed decisions (at least 100).</param>
    /// <param name="warmup">Untimed decisions first.</param>
    /// <param name="seed">Seed of the observations.</param>
    /// <param name="present">Present servers in every observation, 1..S; 0 draws it uniformly from 1..S per observation.</param>
    public static (LatencySummary Policy, LatencySummary Baseline) Run(OnnxPolicy policy, int decisions, int warmup, int seed, int present = 0)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(decisions, 100);
        var s = policy.Layout.MaxServers;
        ArgumentOutOfRangeException.ThrowIfNegative(present);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(present, s);
        var f = policy.Layout.FeatureCount;
        var random = new Random(seed);
        const int Pool = 64;
        var servers = new float[Pool][];
        var masks = new float[Pool][];
        var prefs = new float[Pool][];
        for (var k = 0; k < Pool; k++)
        {
            servers[k] = new float[s * f];
            masks[k] = new float[s];
            var count = present > 0 ? present : 1 + random.Next(s);
            for (var i = 0; i < s; i++)
            {
                var row = servers[k].AsSpan(i * f, f);
                if (i < count)
                {
                    masks[k][i] = 1;
                    for (var j = 0; j < f; j++)
                    {
                        row[j] = j < 8 ? (float)(random.NextDouble() * 5) : random.Next(3);
                    }
                }
                else
                {
                    row.Fill(-1f);
                }
            }

            var w = (float)random.NextDouble();
            prefs[k] = [w, 1 - w];
        }

        for (var i = 0; i < warmup; i++)
        {
            policy.Decide(servers[i % Pool], masks[i % Pool], prefs[i % Pool]);
        }

        var timings = new double[decisions];
        var baseline = new double[decisions];
        var scratchServers = new float[s * f];
        var scratchMask = new float[s];
        var scratchPref = new float[2];
        var fixedLogits = new float[s];
        for (var i = 0; i < s; i++)
        {
            fixedLogits[i] = (float)random.NextDouble();
        }

        var sink = 0;
        for (var i = 0; i < decisions; i++)
        {
            var k = i % Pool;
            var t0 = Stopwatch.GetTimestamp();
            sink += policy.Decide(servers[k], masks[k], prefs[k]);
            var t1 = Stopwatch.GetTimestamp();
            servers[k].CopyTo(scratchServers, 0);
            masks[k].CopyTo(scratchMask, 0);
            prefs[k].CopyTo(scratchPref, 0);
            var best = -1;
            for (var j = 0; j < s; j++)
            {
                if (scratchMask[j] > 0.5f && (best < 0 || fixedLogits[j] > fixedLogits[best]))
                {
                    best = j;
                }
            }

            sink += best;
            var t2 = Stopwatch.GetTimestamp();
            timings[i] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
            baseline[i] = (t2 - t1) * 1e6 / Stopwatch.Frequency;
        }

        GC.KeepAlive(sink);
        var name = present > 0 ? $"policy decision (S={s}, {present} present)" : $"policy decision (S={s}, 1..{s} present)";
        return (Summarise(name, timings), Summarise("baseline (copy + argmax)", baseline));
    }

    private static LatencySummary Summarise(string name, double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        double Percentile(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new LatencySummary(name, sorted.Length, sorted.Average(), Percentile(0.5), Percentile(0.99), sorted[^1]);
    }
}
