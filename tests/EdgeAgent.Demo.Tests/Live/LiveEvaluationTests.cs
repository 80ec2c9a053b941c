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
    public void RunOrder_Passes_ForwardThenBackward_AnEvenNumberPutsEveryPreferenceAtTheSweepsMiddleOnAverage()
    {
        double[] preferences = [0, 0.5, 1];
        Assert.Equal(new double[] { 0, 0.5, 1 }, LiveEvaluation.RunOrder(preferences, 1));
        Assert.Equal(new double[] { 0, 0.5, 1, 1, 0.5, 0 }, LiveEvaluation.RunOrder(preferences, 2));
        Assert.Equal(new double[] { 0, 0.5, 1, 1, 0.5, 0, 0, 0.5, 1 }, LiveEvaluation.RunOrder(preferences, 3));

        // With an even number of passes each preference's runs sit symmetrically about the middle of the
        // sweep, so a drift linear in time adds the same to every preference's pooled point.
        var eleven = Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray();
        foreach (var passes in new[] { 2, 4 })
        {
            var order = LiveEvaluation.RunOrder(eleven, passes);
            Assert.Equal(11 * passes, order.Count);
            foreach (var w in eleven)
            {
                var slots = order.Select((p, i) => (p, i)).Where(x => x.p == w).Select(x => (double)x.i).ToArray();
                Assert.Equal(passes, slots.Length);
                Assert.Equal((order.Count - 1) / 2.0, slots.Average(), 12);
            }
        }
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

    [Fact]
    public void Explain_TransferGap_NamesEachPeersShareLiveAndSimulated_LargestDifferenceFirst_WithTheLiveShareSd()
    {
        // The 6 items/s sweep's w_delay 0.2: as many offloads live and simulated, more of them to the far cloud live.
        var live = new Learning.Evaluation.RequestTerms
        {
            Requests = 449, DelaySeconds = 0.0933, TransferSeconds = 0.0474, ExecSeconds = 0.040,
            EnergyJoules = 0.1102, ComputeJoules = 0.0997,
            Placements = new Dictionary<string, double> { ["local"] = 0.551, ["peer:cloud"] = 0.139, ["peer:edge"] = 0.310 },
        };
        var sim = live with
        {
            DelaySeconds = 0.0829, TransferSeconds = 0.0391,
            Placements = new Dictionary<string, double> { ["local"] = 0.544, ["peer:cloud"] = 0.112, ["peer:edge"] = 0.344 },
        };
        var point = new LivePoint(0.2, live, sim);
        var report = new LiveEvaluationReport { Tolerance = 0.10, Points = [point] };

        var why = LiveEvaluation.Explain(point, report);

        Assert.Equal("transfer -8.3 ms; share of requests live / simulated: peer:edge 31.0 % / 34.4 % (live sd 2.2 points), peer:cloud 13.9 % / 11.2 % (live sd 1.6 points)", why);
        Assert.Null(LiveEvaluation.Explain(new LivePoint(0.2, live, live), report));
    }

    [Theory]
    [InlineData(16, 2)]
    [InlineData(10, 1)]
    [InlineData(1, 1)]
    [InlineData(64, 7)]
    public void EpisodesPerLevel_ATenthAtLeastOne(int episodes, int expected) =>
        Assert.Equal(expected, LiveEvaluation.EpisodesPerLevel(episodes));
}
