namespace EdgeAgent.Demo.Benchmarks;

/// <summary>One measured block of an A/B benchmark: requests to one process with a setting on or off.</summary>
/// <param name="Round">The round it belongs to (every round holds as many blocks of each setting).</param>
/// <param name="On">True for the setting under test (B), false for the baseline (A).</param>
/// <param name="Requests">Requests in the block.</param>
/// <param name="Value">What the block measured in total (CPU nanoseconds, or a latency sum): compared per request.</param>
public readonly record struct MeasuredBlock(int Round, bool On, int Requests, double Value);

/// <summary>A ratio with its bootstrap interval.</summary>
/// <param name="Ratio">The point estimate.</param>
/// <param name="Low">Lower end of the interval.</param>
/// <param name="High">Upper end of the interval.</param>
/// <param name="Pairs">Units resampled (rounds).</param>
public readonly record struct RatioInterval(double Ratio, double Low, double High, int Pairs);

/// <summary>
/// The statistics of an interleaved A/B benchmark: blocks of requests to the same process with a
/// setting on and off, in rounds that each hold the same number of blocks of both in a shuffled
/// order. The ratio is (sum of on values / on requests) / (sum of off values / off requests); its
/// interval comes from resampling whole rounds with replacement (a round's blocks are adjacent in
/// time, so drift within a round cancels). The A/A controls compare, in every round, the first
/// block of a setting with the second one of the same setting, measured and resampled the same way.
/// </summary>
public static class BlockComparison
{
    /// <summary>On against off: the ratio of value per request, with a percentile bootstrap interval over rounds.</summary>
    /// <param name="blocks">The measured blocks.</param>
    /// <param name="confidence">Coverage of the interval (0.95: 2.5 % to 97.5 %).</param>
    /// <param name="resamples">Bootstrap resamples.</param>
    /// <param name="seed">Seed of the resampling.</param>
    public static RatioInterval OnOverOff(IReadOnlyList<MeasuredBlock> blocks, double confidence = 0.95, int resamples = 4000, int seed = 15)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        return Ratio(blocks, [.. blocks.Select(b => b.On ? 1 : 0)], confidence, resamples, seed);
    }

    /// <summary>
    /// The A/A control of one setting: in each round its first block (numerator) against its second
    /// (denominator), the same statistic and interval as <see cref="OnOverOff"/>. Other blocks of
    /// the setting, and rounds with fewer than two of them, are left out.
    /// </summary>
    /// <param name="blocks">The measured blocks, in measuring order.</param>
    /// <param name="on">The setting compared with itself.</param>
    /// <param name="confidence">Coverage of the interval.</param>
    /// <param name="resamples">Bootstrap resamples.</param>
    /// <param name="seed">Seed of the resampling.</param>
    public static RatioInterval SameSetting(IReadOnlyList<MeasuredBlock> blocks, bool on, double confidence = 0.95, int resamples = 4000, int seed = 15)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var count = blocks.Where(b => b.On == on).GroupBy(b => b.Round).ToDictionary(g => g.Key, g => g.Count());
        var seen = new Dictionary<int, int>();
        var side = new int[blocks.Count];
        for (var i = 0; i < blocks.Count; i++)
        {
            side[i] = -1;
            if (blocks[i].On != on || count[blocks[i].Round] < 2)
            {
                continue;
            }

            var position = seen.GetValueOrDefault(blocks[i].Round);
            seen[blocks[i].Round] = position + 1;
            side[i] = position switch { 0 => 1, 1 => 0, _ => -1 };
        }

        return Ratio(blocks, side, confidence, resamples, seed);
    }

    /// <summary>
    /// The placebo control with the same shape as <see cref="OnOverOff"/>: in each round the first
    /// "on" and the first "off" block (numerator) against the second "on" and the second "off" block
    /// (denominator), so both sides hold as many blocks of each setting and the setting's effect
    /// cancels; its interval is what the on / off interval would be with no effect, so the benchmark
    /// resolves a difference of X when this interval lies inside 1 +- X. Rounds without two blocks of
    /// each setting, and further blocks, are left out.
    /// </summary>
    /// <param name="blocks">The measured blocks, in measuring order.</param>
    /// <param name="confidence">Coverage of the interval.</param>
    /// <param name="resamples">Bootstrap resamples.</param>
    /// <param name="seed">Seed of the resampling.</param>
    public static RatioInterval Placebo(IReadOnlyList<MeasuredBlock> blocks, double confidence = 0.95, int resamples = 4000, int seed = 15)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var counts = blocks.GroupBy(b => (b.Round, b.On)).ToDictionary(g => g.Key, g => g.Count());
        var seen = new Dictionary<(int, bool), int>();
        var side = new int[blocks.Count];
        for (var i = 0; i < blocks.Count; i++)
        {
            side[i] = -1;
            var round = blocks[i].Round;
            if (counts.GetValueOrDefault((round, true)) < 2 || counts.GetValueOrDefault((round, false)) < 2)
            {
                continue;
            }

            var key = (round, blocks[i].On);
            var position = seen.GetValueOrDefault(key);
            seen[key] = position + 1;
            side[i] = position switch { 0 => 1, 1 => 0, _ => -1 };
        }

        return Ratio(blocks, side, confidence, resamples, seed);
    }

    // side[i]: 1 = numerator, 0 = denominator, -1 = left out.
    private static RatioInterval Ratio(IReadOnlyList<MeasuredBlock> blocks, int[] side, double confidence, int resamples, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(confidence, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(confidence, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 1);
        // Per round: (numerator value, numerator requests, denominator value, denominator requests).
        var rounds = new Dictionary<int, double[]>();
        for (var i = 0; i < blocks.Count; i++)
        {
            if (side[i] < 0)
            {
                continue;
            }

            if (!rounds.TryGetValue(blocks[i].Round, out var sums))
            {
                rounds[blocks[i].Round] = sums = new double[4];
            }

            var at = side[i] == 1 ? 0 : 2;
            sums[at] += blocks[i].Value;
            sums[at + 1] += blocks[i].Requests;
        }

        var units = rounds.Values.Where(s => s[1] > 0 && s[3] > 0).ToArray();
        if (units.Length == 0)
        {
            return new RatioInterval(double.NaN, double.NaN, double.NaN, 0);
        }

        static double Of(IEnumerable<double[]> picked)
        {
            double a = 0, an = 0, b = 0, bn = 0;
            foreach (var s in picked)
            {
                (a, an, b, bn) = (a + s[0], an + s[1], b + s[2], bn + s[3]);
            }

            return a / an / (b / bn);
        }

        var point = Of(units);
        var random = new Random(seed);
        var draws = new double[resamples];
        var pick = new double[units.Length][];
        for (var r = 0; r < resamples; r++)
        {
            for (var k = 0; k < units.Length; k++)
            {
                pick[k] = units[random.Next(units.Length)];
            }

            draws[r] = Of(pick);
        }

        Array.Sort(draws);
        var tail = (1 - confidence) / 2;
        return new RatioInterval(point, Quantile(draws, tail), Quantile(draws, 1 - tail), units.Length);
    }

    // Linear interpolation between order statistics of a sorted array.
    private static double Quantile(double[] sorted, double q)
    {
        var at = q * (sorted.Length - 1);
        var low = (int)Math.Floor(at);
        var high = Math.Min(low + 1, sorted.Length - 1);
        return sorted[low] + ((at - low) * (sorted[high] - sorted[low]));
    }
}
