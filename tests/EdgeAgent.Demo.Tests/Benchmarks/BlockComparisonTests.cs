using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.Demo.Tests.Benchmarks;

public sealed class BlockComparisonTests
{
    // Rounds of two "on" and two "off" blocks of 100 requests; value per request on = off * factor,
    // with a drift across rounds that both settings share.
    private static List<MeasuredBlock> Rounds(int rounds, double factor, Func<int, int, double>? noise = null)
    {
        var blocks = new List<MeasuredBlock>();
        for (var r = 0; r < rounds; r++)
        {
            var drift = 1 + (0.3 * r / rounds);
            bool[] order = r % 2 == 0 ? [true, false, false, true] : [false, true, true, false];
            for (var k = 0; k < order.Length; k++)
            {
                var perRequest = 300 * drift * (order[k] ? factor : 1) * (noise?.Invoke(r, k) ?? 1);
                blocks.Add(new MeasuredBlock(r, order[k], 100, perRequest * 100));
            }
        }

        return blocks;
    }

    [Fact]
    public void OnOverOff_NoNoise_IsTheFactorWithAPointInterval()
    {
        var ratio = BlockComparison.OnOverOff(Rounds(10, 1.03));

        Assert.Equal(1.03, ratio.Ratio, 9);
        Assert.Equal(1.03, ratio.Low, 9);
        Assert.Equal(1.03, ratio.High, 9);
        Assert.Equal(10, ratio.Pairs);
    }

    [Fact]
    public void OnOverOff_IsTheRatioOfSumsPerRequest()
    {
        MeasuredBlock[] blocks = [new(0, true, 100, 1100), new(0, false, 200, 2000), new(1, true, 300, 3000), new(1, false, 100, 900)];

        // On: 4100 / 400 = 10.25 per request; off: 2900 / 300.
        Assert.Equal(10.25 / (2900.0 / 300), BlockComparison.OnOverOff(blocks).Ratio, 9);
    }

    [Fact]
    public void OnOverOff_NoisyBlocks_IntervalHoldsThePointAndNarrowsWithMoreRounds()
    {
        var random = new Random(3);
        var noise = new double[400, 4];
        for (var r = 0; r < 400; r++)
        {
            for (var k = 0; k < 4; k++)
            {
                noise[r, k] = 1 + ((random.NextDouble() - 0.5) * 0.2);
            }
        }

        var few = BlockComparison.OnOverOff(Rounds(10, 1.02, (r, k) => noise[r, k]));
        var many = BlockComparison.OnOverOff(Rounds(400, 1.02, (r, k) => noise[r, k]));

        Assert.InRange(few.Ratio, few.Low, few.High);
        Assert.InRange(many.Ratio, many.Low, many.High);
        Assert.True(many.High - many.Low < (few.High - few.Low) / 3, $"{few} vs {many}");
        Assert.InRange(1.02, many.Low, many.High);
    }

    [Fact]
    public void SameSetting_ComparesEachRoundsFirstBlockWithItsSecond()
    {
        // The first "on" block of each round costs 10 % more than the second; "off" blocks are equal.
        var blocks = new List<MeasuredBlock>();
        for (var r = 0; r < 6; r++)
        {
            blocks.Add(new MeasuredBlock(r, true, 100, 1100));
            blocks.Add(new MeasuredBlock(r, false, 100, 1000));
            blocks.Add(new MeasuredBlock(r, true, 100, 1000));
            blocks.Add(new MeasuredBlock(r, false, 100, 1000));
        }

        Assert.Equal(1.1, BlockComparison.SameSetting(blocks, on: true).Ratio, 9);
        Assert.Equal(1.0, BlockComparison.SameSetting(blocks, on: false).Ratio, 9);
        Assert.Equal(6, BlockComparison.SameSetting(blocks, on: false).Pairs);
    }

    [Fact]
    public void SameSetting_RoundsWithOneBlockOfTheSetting_LeftOut()
    {
        MeasuredBlock[] blocks = [new(0, true, 100, 1000), new(0, false, 100, 1000), new(1, true, 100, 1200), new(1, true, 100, 1000)];

        var ratio = BlockComparison.SameSetting(blocks, on: true);

        Assert.Equal((1.2, 1), (Math.Round(ratio.Ratio, 9), ratio.Pairs));
        Assert.Equal(0, BlockComparison.SameSetting(blocks, on: false).Pairs);
        Assert.True(double.IsNaN(BlockComparison.SameSetting(blocks, on: false).Ratio));
    }

    [Fact]
    public void Placebo_FirstOnAndOffAgainstSecond_TheSettingCancels()
    {
        // "On" costs 20 % more than "off" in every round; the first block of each setting 10 % more than its second.
        var blocks = new List<MeasuredBlock>();
        for (var r = 0; r < 6; r++)
        {
            blocks.Add(new MeasuredBlock(r, true, 100, 1320));
            blocks.Add(new MeasuredBlock(r, false, 100, 1100));
            blocks.Add(new MeasuredBlock(r, false, 100, 1000));
            blocks.Add(new MeasuredBlock(r, true, 100, 1200));
        }

        var placebo = BlockComparison.Placebo(blocks);

        Assert.Equal(1.1, placebo.Ratio, 9);
        Assert.Equal(6, placebo.Pairs);
        Assert.Equal(1.2, BlockComparison.OnOverOff(blocks).Ratio, 9);
    }

    [Fact]
    public void Placebo_NoEffectNoNoise_IsOneAndRoundsWithoutTwoOfEach_LeftOut()
    {
        var blocks = Rounds(8, 1.05);
        blocks.Add(new MeasuredBlock(99, true, 100, 5000));
        blocks.Add(new MeasuredBlock(99, false, 100, 1000));

        var placebo = BlockComparison.Placebo(blocks);

        Assert.Equal((1.0, 1.0, 1.0, 8), (Math.Round(placebo.Ratio, 9), Math.Round(placebo.Low, 9), Math.Round(placebo.High, 9), placebo.Pairs));
    }

    // Rounds of eight blocks in the benchmark's order (on off off on off on on off) with a drift that
    // is linear within each round (each block costs `step` more than the one before) and restarts.
    private static List<MeasuredBlock> DriftingRounds(int rounds, double factor, double step)
    {
        var blocks = new List<MeasuredBlock>();
        for (var r = 0; r < rounds; r++)
        {
            for (var k = 0; k < DecisionLogBenchmark.RoundOrder.Count; k++)
            {
                var on = DecisionLogBenchmark.RoundOrder[k];
                blocks.Add(new MeasuredBlock(r, on, 100, 100 * ((300 * (on ? factor : 1)) + (step * k))));
            }
        }

        return blocks;
    }

    [Fact]
    public void RoundOrder_FourOfEachSetting_SamePositionSums_OneBlockOfEachAfterItsOwnSetting()
    {
        var order = DecisionLogBenchmark.RoundOrder;
        var on = Enumerable.Range(0, order.Count).Where(k => order[k]).ToArray();
        var off = Enumerable.Range(0, order.Count).Where(k => !order[k]).ToArray();

        Assert.Equal((4, 4), (on.Length, off.Length));
        Assert.Equal(on.Sum(), off.Sum());
        // Every round follows one ending "off" (the last block), so the first block follows a switch.
        Assert.False(order[^1]);
        Assert.Equal(1, on.Count(k => k > 0 && order[k - 1]));
        Assert.Equal(1, off.Count(k => k > 0 && !order[k - 1]));
    }

    [Theory]
    [InlineData(0, 2, 1)]
    [InlineData(1, 2, 0)]
    [InlineData(0, 4, 1)]
    [InlineData(1, 4, 0)]
    [InlineData(2, 4, 0)]
    [InlineData(3, 4, 1)]
    [InlineData(2, 3, -1)]
    [InlineData(0, 1, -1)]
    [InlineData(4, 5, -1)]
    [InlineData(7, 8, 1)]
    [InlineData(5, 8, 0)]
    public void Side_TwoBlocksFirstAgainstSecond_FourFirstAndFourthAgainstTheMiddle(int position, int count, int expected)
    {
        Assert.Equal(expected, BlockComparison.Side(position, count));
    }

    [Fact]
    public void EightBlockRounds_LinearDriftWithinRounds_CancelsInOnOffPlaceboAndAA_ShowsInSecondHalf()
    {
        // 3 % of a block's cost per position: a round's last block costs about 21 % more than its first.
        var blocks = DriftingRounds(10, 1.04, 9);

        Assert.Equal(1.04, BlockComparison.OnOverOff(blocks).Ratio, 2);
        var placebo = BlockComparison.Placebo(blocks);
        Assert.Equal((1.0, 10), (Math.Round(placebo.Ratio, 9), placebo.Pairs));
        Assert.True(BlockComparison.SecondHalf(blocks).Ratio > 1.1, $"{BlockComparison.SecondHalf(blocks)}");
        // The A/A splits: on at positions 1 + 7 against 4 + 6, off at 2 + 8 against 3 + 5: within one position.
        Assert.InRange(BlockComparison.SameSetting(blocks, on: true).Ratio, 0.97, 1.0);
        Assert.InRange(BlockComparison.SameSetting(blocks, on: false).Ratio, 1.0, 1.03);
    }

    [Fact]
    public void EightBlockRounds_TheOldFirstAgainstSecondSplit_WouldHaveSeenTheDrift()
    {
        // What the four-block rounds' placebo compared (each setting's first block against its second)
        // carries a linear drift whenever first blocks come earlier than second ones, as they do.
        var blocks = DriftingRounds(10, 1.0, 9).Where((b, i) => i % 8 < 4).ToList();

        Assert.True(BlockComparison.Placebo(blocks).Ratio < 0.97, $"{BlockComparison.Placebo(blocks)}");
    }

    [Fact]
    public void SecondHalf_NoDrift_IsOne_UnbalancedRounds_LeftOut()
    {
        var blocks = DriftingRounds(4, 1.2, 0);
        blocks.AddRange([new(99, true, 100, 1000), new(99, true, 100, 1000), new(99, false, 100, 1000), new(99, false, 100, 1000)]);

        var drift = BlockComparison.SecondHalf(blocks);

        Assert.Equal((1.0, 4), (Math.Round(drift.Ratio, 9), drift.Pairs));
    }
}
