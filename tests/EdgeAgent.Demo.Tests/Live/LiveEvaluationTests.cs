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
