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
/// time, so drift across rounds cancels). The A/A controls compare, in every round, a setting's
/// blocks with its other blocks, and the placebo both settings' blocks with their other blocks, by
/// the same split (<see cref="Side"/>: with two blocks of a setting the first against the second,
/// with four its 1st and 4th against its 2nd and 3rd), measured and resampled the same way. In rounds
/// of four "on" and four "off" blocks in the order on off off on off on on off, the on / off
/// comparison and the placebo both have sides whose blocks average the same position in the round,
/// so a drift that is linear within a round cancels in both.
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
    /// The A/A control of one setting: in each round its blocks split by <see cref="Side"/> (two
    /// blocks: the first against the second; four: the 1st and 4th against the 2nd and 3rd), the same
    /// statistic and interval as <see cref="OnOverOff"/>. Rounds with fewer than two blocks of the
    /// setting, and blocks beyond the split, are left out.
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
            side[i] = Side(position, count[blocks[i].Round]);
        }

        return Ratio(blocks, side, confidence, resamples, seed);
    }

    /// <summary>
    /// The placebo control with the same shape as <see cref="OnOverOff"/>: in each round the blocks
    /// of both settings split by <see cref="Side"/> (two of each: the first "on" and the first "off"
    /// block against the second "on" and the second "off"; four of each: every setting's 1st and 4th
    /// against its 2nd and 3rd), so both sides hold as many blocks of each setting and the setting's
    /// effect cancels; its interval is what the on / off interval would be with no effect, so the
    /// benchmark resolves a difference of X when this interval lies inside 1 +- X. Rounds without two
    /// blocks of each setting, and blocks beyond the split, are left out.
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
            side[i] = Side(position, counts[key]);
        }

        return Ratio(blocks, side, confidence, resamples, seed);
    }

    /// <summary>
    /// The drift within rounds: in each round the second half of its blocks (numerator, in measuring
    /// order) against the first half, the same statistic and interval as <see cref="OnOverOff"/>.
    /// Only rounds whose halves hold as many blocks of each setting count (so the setting's effect
    /// cancels; in the order on off off on off on on off each half holds two of each).
    /// </summary>
    /// <param name="blocks">The measured blocks, in measuring order.</param>
    /// <param name="confidence">Coverage of the interval.</param>
    /// <param name="resamples">Bootstrap resamples.</param>
    /// <param name="seed">Seed of the resampling.</param>
    public static RatioInterval SecondHalf(IReadOnlyList<MeasuredBlock> blocks, double confidence = 0.95, int resamples = 4000, int seed = 15)
    {
        ArgumentNullException.ThrowIfNull(blocks);
        var side = new int[blocks.Count];
        foreach (var round in Enumerable.Range(0, blocks.Count).GroupBy(i => blocks[i].Round))
        {
            var indices = round.ToArray();
            var half = indices.Length / 2;
            var balanced = indices.Length % 2 == 0
                && indices.Take(half).Count(i => blocks[i].On) == indices.Skip(half).Count(i => blocks[i].On);
            for (var k = 0; k < indices.Length; k++)
            {
                side[indices[k]] = !balanced ? -1 : k < half ? 0 : 1;
            }
        }

        return Ratio(blocks, side, confidence, resamples, seed);
    }

    /// <summary>
    /// Where a setting's block goes in the A/A and placebo controls: 1 = numerator, 0 = denominator,
    /// -1 = left out. <paramref name="position"/> is its place among the <paramref name="count"/>
    /// blocks of its setting in its round (0-based). Two blocks: the first against the second. Four
    /// or more: in each group of four the 1st and 4th against the 2nd and 3rd (an A B B A split, which
    /// cancels a drift that is linear over the group); blocks beyond the last whole group (or beyond
    /// two, with two or three) are left out.
    /// </summary>
    public static int Side(int position, int count)
    {
        var used = count >= 4 ? count - (count % 4) : Math.Min(count, 2);
        if (used < 2 || position >= used)
        {
            return -1;
        }

        return used == 2 ? (position == 0 ? 1 : 0) : (position % 4) is 0 or 3 ? 1 : 0;
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
