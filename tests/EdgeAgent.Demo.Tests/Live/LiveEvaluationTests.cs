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
    public void RunOrder_Backward_StartsAtTheDelayEnd_SoTheGreedyEndRunsLast()
    {
        double[] preferences = [0, 0.5, 1];
        Assert.Equal(new double[] { 1, 0.5, 0 }, LiveEvaluation.RunOrder(preferences, 1, backward: true));
        Assert.Equal(new double[] { 1, 0.5, 0, 0, 0.5, 1 }, LiveEvaluation.RunOrder(preferences, 2, backward: true));
        var eleven = Enumerable.Range(0, 11).Select(i => i / 10.0).ToArray();
        var order = LiveEvaluation.RunOrder(eleven, 1, backward: true);
        Assert.Equal(0.0, order[^1]);
        Assert.Equal(eleven.Reverse(), order);
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

    // One logged request over local + cloud + edge rows in the agent layout: the cloud's and the edge's
    // uplink/round-trip columns set, the edge absent when edgePresent is false.
    private static Learning.Simulation.Agent.Calibration.LoggedRequest Row(Core.Observation.FeatureLayout layout, bool edgePresent, string ranAt, string? fallbackFrom, double cloudMbit, double edgeMbit)
    {
        var f = layout.FeatureCount;
        var features = new float[3 * f];
        var up = layout.IndexOf(Core.Observation.FeatureKind.UplinkLog);
        var rtt = layout.IndexOf(Core.Observation.FeatureKind.RoundTripLog);
        features[f + up] = (float)Math.Log10(cloudMbit * 1e6);
        features[f + rtt] = (float)Math.Log10(0.300 + 1e-4);
        if (edgePresent)
        {
            features[(2 * f) + up] = (float)Math.Log10(edgeMbit * 1e6);
            features[(2 * f) + rtt] = (float)Math.Log10(0.0002 + 1e-4);
        }
        else
        {
            Array.Fill(features, -1f, 2 * f, f);
        }

        return new Learning.Simulation.Agent.Calibration.LoggedRequest
        {
            Timestamp = DateTimeOffset.UnixEpoch,
            Model = "ocr-det",
            Candidates = ["local", "peer:cloud", "peer:edge"],
            Features = features,
            Mask = [1f, 1f, edgePresent ? 1f : 0f],
            RanAt = ranAt,
            FallbackFrom = fallbackFrom,
            DelayWeight = 0.1,
        };
    }

    [Fact]
    public void PeerView_CountsAbsence_Fallbacks_AndTheLinkEstimatesSpread_OverPresentRowsOnly()
    {
        var layout = Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true);
        // Ten requests: the edge absent from four (its circuit open), two sent to the edge fell back
        // to the device (the log names the peer without "peer:"), one ran there; the cloud's estimate 100..1000 Mbit/s.
        var run = new List<Learning.Simulation.Agent.Calibration.LoggedRequest>();
        for (var i = 0; i < 10; i++)
        {
            var (ran, from) = i switch { 0 or 1 => ("local", "edge"), 2 => ("peer:edge", null), 3 => ("peer:cloud", null), _ => ("local", (string?)null) };
            run.Add(Row(layout, edgePresent: i >= 4 || i < 3, ran, from, cloudMbit: 100 * (i + 1), edgeMbit: 500));
        }

        run[3] = Row(layout, edgePresent: false, "peer:cloud", null, 400, 500);
        var views = PeerView.Of(run, layout);

        Assert.Equal(["peer:cloud", "peer:edge"], views.Keys);
        var edge = views["peer:edge"];
        Assert.Equal(10, edge.Requests);
        Assert.Equal(0.1, edge.AbsentShare, 9);
        Assert.Equal(3, edge.Decided);
        Assert.Equal(2, edge.Fallbacks);
        Assert.Equal(500, edge.UplinkMbitP50, 3);
        Assert.Equal(0.2, edge.RoundTripMsP50, 3);
        var cloud = views["peer:cloud"];
        Assert.Equal(0, cloud.AbsentShare);
        Assert.Equal(1, cloud.Decided);
        Assert.Equal(0, cloud.Fallbacks);
        Assert.Equal(100, cloud.UplinkMbitP10, 3);
        Assert.Equal(500, cloud.UplinkMbitP50, 3);
        Assert.Equal(900, cloud.UplinkMbitP90, 3);
        Assert.Equal(300, cloud.RoundTripMsP50, 3);
    }

    [Fact]
    public void Explain_NamesAPeerTheLiveAgentCouldNotUse_AndNothingWhenEveryPeerWasThere()
    {
        var layout = Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true);
        // Sweep t2 of 20:17: everything on the board at w_delay 0.1 where the prediction offloaded 86 %.
        var live = new Learning.Evaluation.RequestTerms { Requests = 62, DelaySeconds = 0.0443, ExecSeconds = 0.0428, EnergyJoules = 0.2142, ComputeJoules = 0.2142 };
        var sim = live with { DelaySeconds = 0.1858, TransferSeconds = 0.0946, EnergyJoules = 0.0286, ComputeJoules = 0.005 };
        var outage = Enumerable.Range(0, 10).Select(i => Row(layout, edgePresent: i >= 6, "local", i is 6 or 7 or 8 ? "edge" : null, 500, 500)).ToArray();
        var point = new LivePoint(0.1, live, sim) { PeerViews = PeerView.Of(outage, layout) };
        var report = new LiveEvaluationReport { Tolerance = 0.10, Points = [point] };

        var why = LiveEvaluation.Explain(point, report);

        Assert.NotNull(why);
        Assert.EndsWith("; the live agent saw peer:edge absent from 60 % of the observations, 3 of 3 sent there fell back to the device", why);
        Assert.DoesNotContain("peer:cloud", LiveEvaluation.Unavailable(point));
        var healthy = point with { PeerViews = PeerView.Of([.. Enumerable.Range(0, 10).Select(_ => Row(layout, true, "local", null, 500, 500))], layout) };
        Assert.Equal("", LiveEvaluation.Unavailable(healthy));
        Assert.DoesNotContain("live agent saw", LiveEvaluation.Explain(healthy, report));
        Assert.Contains("| w_delay | peer:cloud | peer:edge |", LiveEvaluation.Format(report with { Points = [point] }));
    }

    [Theory]
    [InlineData(16, 2)]
    [InlineData(10, 1)]
    [InlineData(1, 1)]
    [InlineData(64, 7)]
    public void EpisodesPerLevel_ATenthAtLeastOne(int episodes, int expected) =>
        Assert.Equal(expected, LiveEvaluation.EpisodesPerLevel(episodes));
}
