using EdgeAgent.Demo.Live;

namespace EdgeAgent.Demo.Tests.Live;

public sealed class LiveEvaluationTests
{
    private static double Correlation(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var (ma, mb) = (a.Average(), b.Average());
        var sab = a.Zip(b, (x, y) => (x - ma) * (y - mb)).Sum();
        return sab / Math.Sqrt(a.Sum(x => (x - ma) * (x - ma)) * b.Sum(y => (y - mb) * (y - mb)));
    }

    [Fact]
    public void PerJobMixture_EachPeerItsOwnLinkLevel_TheFirstTwoCrossEveryPair_RecordUncorrelated()
    {
        // The cloud's and the edge's estimates do not move together in the log (at the energy end the
        // cheaper-looking one wins): at one level for both, the same peer won almost every context.
        var cells = (from j in Enumerable.Range(0, 10) from r in Enumerable.Range(0, 10)
                     select (Edge: LiveEvaluation.PeerLevelIndex(j, r, 0), Cloud: LiveEvaluation.PeerLevelIndex(j, r, 1), Record: LiveEvaluation.RecordLevelIndex(j, r))).ToArray();
        Assert.Equal(100, cells.Select(c => (c.Edge, c.Cloud)).Distinct().Count());
        Assert.All(cells.GroupBy(c => c.Edge), g => Assert.Equal(10, g.Select(c => c.Record).Distinct().Count()));
        Assert.InRange(Correlation([.. cells.Select(c => (double)c.Cloud)], [.. cells.Select(c => (double)c.Record)]), -0.2, 0.2);
        Assert.InRange(Correlation([.. cells.Select(c => (double)c.Edge)], [.. cells.Select(c => (double)c.Cloud)]), -0.01, 0.01);
    }

    [Fact]
    public void ObservedLevels_EverySizeWithEveryLinkLevel_RecordUncorrelatedWithBoth()
    {
        var levels = LiveEvaluation.ObservedLevels;

        Assert.Equal(100, levels.Count);
        Assert.Equal(100, levels.Select(l => (l.Size, l.Link)).Distinct().Count());
        Assert.All(LiveEvaluation.LinkEstimateLevels, p => Assert.Equal(10, levels.Count(l => l.Record == p)));
        Assert.InRange(Math.Abs(Correlation([.. levels.Select(l => l.Size)], [.. levels.Select(l => l.Record)])), 0, 1e-9);
        Assert.InRange(Math.Abs(Correlation([.. levels.Select(l => l.Link)], [.. levels.Select(l => l.Record)])), 0, 1e-9);
    }

    [Theory]
    [InlineData(16, 2)]
    [InlineData(10, 1)]
    [InlineData(1, 1)]
    [InlineData(64, 7)]
    public void EpisodesPerLevel_ATenthAtLeastOne(int episodes, int expected) =>
        Assert.Equal(expected, LiveEvaluation.EpisodesPerLevel(episodes));
}
