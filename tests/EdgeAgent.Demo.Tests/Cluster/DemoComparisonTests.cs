using EdgeAgent.Core.Pareto;
using EdgeAgent.Demo.Cluster;

namespace EdgeAgent.Demo.Tests.Cluster;

public sealed class DemoComparisonTests
{
    private static DemoSnapshot Snapshot(int items, double p50Ms, params (string Placement, int Requests)[] rows) =>
        new([.. rows.Select(r => new PlacementRow(r.Placement, r.Requests, 1, 2, 1, 0))], items, 0, 0.95, items, p50Ms, p50Ms * 2, null);

    [Fact]
    public void TryParseContext_PeersWithLinkAndSpeed_GivesProfilesInCpuFractions()
    {
        Assert.True(DemoProfiles.TryParseContext("edge:rtt=10ms,bw=20mbit,speed=1.5; cloud:rtt=120,bw=5,speed=3", out var peers, out var error), error);

        Assert.Equal(["edge", "cloud"], peers.Select(p => p.Name));
        Assert.Equal(TimeSpan.FromMilliseconds(10), peers[0].RoundTrip);
        Assert.Equal(20e6, peers[0].BandwidthBitsPerSecond);
        Assert.Equal(1.5, peers[0].SpeedVersusBoard, 9);
        Assert.Equal(1.0, peers[1].ComputeSpeedFactor, 9);
    }

    [Fact]
    public void TryParseContext_Default_IsTheDemosPeers()
    {
        Assert.True(DemoProfiles.TryParseContext("default", out var peers, out _));

        Assert.Equal([DemoProfiles.Edge.PeerSpec(new Uri("http://h")), DemoProfiles.Cloud.PeerSpec(new Uri("http://h"))], peers.Select(p => p.PeerSpec(new Uri("http://h"))));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("edge rtt=5ms", "does not start with a peer name")]
    [InlineData("edge:rtt=5ms,bw=10mbit", "needs rtt in [0, 10000] ms, bw in (0, 100000] Mbit/s and speed > 0")]
    [InlineData("edge:rtt=5ms,bw=10mbit,speed=4", "faster than this CPU")]
    [InlineData("edge:rtt=5ms,bw=10mbit,speed=1,jitter=3", "has setting 'jitter=3'")]
    [InlineData("edge:rtt=fast,bw=10mbit,speed=1", "is not a number")]
    [InlineData("edge:rtt=5,bw=1,speed=1;edge:rtt=5,bw=1,speed=1", "each once")]
    public void TryParseContext_BadSpec_FailsNamingTheProblem(string spec, string expected)
    {
        Assert.False(DemoProfiles.TryParseContext(spec, out _, out var error));

        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2.0, 5, 10)]
    [InlineData(2.0, 4, 8)]
    [InlineData(0.2, 5, DemoComparison.MinWarmUpItems)]
    [InlineData(2.0, 60, DemoComparison.MaxWarmUpItems)]
    public void WarmUpItems_RateAndDuration_TheItemsOfOneRunWithinBounds(double rate, int seconds, int expected)
    {
        var comparison = new DemoComparison(new DemoSettings { Rate = rate, Duration = TimeSpan.FromSeconds(seconds) }, ["learned"], [0.5], [[DemoProfiles.Edge]]);

        Assert.Equal(expected, comparison.WarmUpItems);
    }

    [Fact]
    public void EvenPreferences_Eleven_AreTenthsFromZeroToOne()
    {
        Assert.Equal([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1], DemoComparison.EvenPreferences(11, 0.5));
        Assert.Equal([0.95], DemoComparison.EvenPreferences(1, 0.95));
    }

    [Fact]
    public void RunOrder_TwoPoliciesElevenWeightsTwoContexts_EveryRunOnceAndEachPolicyFirstAboutHalfTheTime()
    {
        var comparison = new DemoComparison(new DemoSettings(), ["learned", "heuristic"], DemoComparison.EvenPreferences(11, 0.5), [[DemoProfiles.Edge], [DemoProfiles.Edge]]);
        var order = comparison.RunOrder().ToList();

        Assert.Equal(2 * 11 * 2, order.Count);
        Assert.Equal(order.Count, order.Distinct().Count());
        for (var c = 0; c < 2; c++)
        {
            var firsts = order.Where(r => r.Context == c).Chunk(2).Select(pair =>
            {
                Assert.Equal(pair[0].Preference, pair[1].Preference);
                return pair[0].Policy;
            }).ToList();
            Assert.Equal(6, firsts.Count(p => p == "learned"));
            Assert.Equal(5, firsts.Count(p => p == "heuristic"));
        }

        Assert.Equal(("learned", "heuristic"), (order[0].Policy, order[1].Policy));
        Assert.Equal(("heuristic", "learned"), (order[2].Policy, order[3].Policy));
    }

    [Fact]
    public void HypervolumeOf_MeasuredPoints_UsesTheContextsCommonReference()
    {
        var comparison = new DemoComparison(new DemoSettings(), ["learned", "heuristic"], [0, 1], [[DemoProfiles.Edge]]);
        // learned: (0.2 s, 2 J/item) and (0.1 s, 4 J/item); heuristic: (0.3 s, 3 J/item) and (0.2 s, 5 J/item).
        comparison.Results.Add(new DemoRunResult("learned", 0, 0, Snapshot(10, 200, ("peer:edge", 20)), 20, 0));
        comparison.Results.Add(new DemoRunResult("learned", 1, 0, Snapshot(10, 100, ("local", 20)), 40, 0));
        comparison.Results.Add(new DemoRunResult("heuristic", 0, 0, Snapshot(10, 300, ("peer:edge", 20)), 30, 0));
        comparison.Results.Add(new DemoRunResult("heuristic", 1, 0, Snapshot(10, 200, ("local", 20)), 50, 2));

        var reference = comparison.ReferencePoint(0);

        Assert.Equal(new ObjectivePoint(1.1 * 0.3, 1.1 * 5), reference);
        Assert.Equal(Hypervolume.Compute([new(0.2, 2), new(0.1, 4)], reference), comparison.HypervolumeOf("learned", 0), 12);
        Assert.True(comparison.HypervolumeOf("learned", 0) > comparison.HypervolumeOf("heuristic", 0));
        var text = comparison.Format();
        Assert.Contains("requests local", text, StringComparison.Ordinal);
        Assert.Contains("device energy J/item", text, StringComparison.Ordinal);
        Assert.Contains("hypervolume of the measured", text, StringComparison.Ordinal);
        Assert.Contains("late arrivals", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SavePlots_TwoContexts_WritesOnePngEach()
    {
        var dir = Directory.CreateTempSubdirectory("edgeagent-compare-").FullName;
        try
        {
            var comparison = new DemoComparison(new DemoSettings(), ["learned"], [0.5], [[DemoProfiles.Edge], [DemoProfiles.Cloud]]);
            comparison.Results.Add(new DemoRunResult("learned", 0.5, 0, Snapshot(10, 200, ("local", 20)), 20, 0));
            comparison.Results.Add(new DemoRunResult("learned", 0.5, 1, Snapshot(10, 300, ("local", 20)), 30, 0));

            var files = comparison.SavePlots(Path.Combine(dir, "cmp.png"));

            Assert.Equal([Path.Combine(dir, "cmp.png"), Path.Combine(dir, "cmp-2.png")], files);
            Assert.All(files, f => Assert.True(new FileInfo(f).Length > 1000));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void RunOrderWithRepeats_ThreeRepeats_EveryCellThreeTimesWeightsReversedInOddRepeats()
    {
        var comparison = new DemoComparison(new DemoSettings(), ["learned", "heuristic"], [0, 0.5, 1], [[DemoProfiles.Edge]], repeats: 3);
        var order = comparison.RunOrderWithRepeats().ToList();

        Assert.Equal(3 * 3 * 2, order.Count);
        Assert.All(order.GroupBy(r => (r.Preference, r.Policy)), g => Assert.Equal([0, 1, 2], g.Select(r => r.Repeat)));
        Assert.Equal([0, 0.5, 1], order.Where(r => r.Repeat == 0).Select(r => r.Preference).Distinct());
        Assert.Equal([1, 0.5, 0], order.Where(r => r.Repeat == 1).Select(r => r.Preference).Distinct());
        // At one weight the first policy alternates between repeats.
        Assert.NotEqual(order.First(r => r.Repeat == 0 && r.Preference == 0.5).Policy, order.First(r => r.Repeat == 1 && r.Preference == 0.5).Policy);
        Assert.Equal(comparison.RunOrderWithRepeats().Select(r => (r.Context, r.Preference, r.Policy)), comparison.RunOrder());
    }

    [Fact]
    public void Pooled_RunsWithItemDelays_MedianOfAllItemsAndEnergyOverAllItems()
    {
        var a = new DemoRunResult("learned", 0, 0, Snapshot(2, 999, ("local", 4)), 3, 0) { ItemSeconds = [0.1, 0.3] };
        var b = new DemoRunResult("learned", 0, 0, Snapshot(3, 999, ("local", 6)), 1, 0) { Repeat = 1, ItemSeconds = [0.2, 0.4, 0.5] };

        var point = DemoComparison.Pooled([a, b]);

        Assert.Equal(new ObjectivePoint(0.3, 4.0 / 5), point);
        Assert.Null(DemoComparison.Pooled([]));
        // Without item delays the runs' medians are averaged.
        Assert.Equal(0.5, DemoComparison.Pooled([a with { ItemSeconds = [] }, b with { ItemSeconds = [], Snapshot = Snapshot(3, 1, ("local", 6)) }])!.Value.Delay, 12);
    }

    [Fact]
    public void HypervolumeRatio_Repeats_PointEstimateInsideTheBootstrapInterval()
    {
        var comparison = new DemoComparison(new DemoSettings(), ["learned", "heuristic"], [0, 1], [[DemoProfiles.Edge]], repeats: 2) { BootstrapResamples = 500 };
        void Add(string policy, double w, int repeat, double delay, double joules) =>
            comparison.Results.Add(new DemoRunResult(policy, w, 0, Snapshot(1, delay * 1000, ("local", 3)), joules, 0) { Repeat = repeat, ItemSeconds = [delay] });
        Add("learned", 0, 0, 0.20, 2.0);
        Add("learned", 0, 1, 0.22, 2.4);
        Add("learned", 1, 0, 0.10, 4.0);
        Add("learned", 1, 1, 0.11, 4.2);
        Add("heuristic", 0, 0, 0.30, 3.0);
        Add("heuristic", 0, 1, 0.26, 2.6);
        Add("heuristic", 1, 0, 0.20, 5.0);
        Add("heuristic", 1, 1, 0.18, 5.4);

        var (ratio, low, high, share) = comparison.HypervolumeRatio("learned", "heuristic", 0);

        var reference = comparison.ReferencePoint(0);
        // The pooled points' worst (heuristic: nearest-rank median 0.26 s of 0.30 and 0.26 s at w 0; (5.0 + 5.4) / 2 J at w 1), not the worst run's.
        Assert.Equal(new ObjectivePoint(1.1 * 0.26, 1.1 * 5.2), reference);
        var learned = Hypervolume.Compute([DemoComparison.Pooled(comparison.Cell(0, "learned", 0))!.Value, DemoComparison.Pooled(comparison.Cell(0, "learned", 1))!.Value], reference);
        Assert.Equal(learned / comparison.HypervolumeOf("heuristic", 0), ratio, 12);
        Assert.True(low <= ratio && ratio <= high, $"{low} <= {ratio} <= {high}");
        Assert.True(low < high);
        // The learned points dominate the heuristic's in every resample.
        Assert.Equal(1.0, share);
        Assert.Contains("bootstrap over the repeats", comparison.Format(), StringComparison.Ordinal);
        Assert.Contains("J/item, runs' range", comparison.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void HypervolumeRatio_OneRunPerCell_NoInterval()
    {
        var comparison = new DemoComparison(new DemoSettings(), ["learned", "heuristic"], [0, 1], [[DemoProfiles.Edge]]);
        comparison.Results.Add(new DemoRunResult("learned", 0, 0, Snapshot(10, 200, ("peer:edge", 20)), 20, 0));
        comparison.Results.Add(new DemoRunResult("heuristic", 0, 0, Snapshot(10, 300, ("peer:edge", 20)), 30, 0));

        var (ratio, low, _, _) = comparison.HypervolumeRatio("learned", "heuristic", 0);

        Assert.True(ratio > 1);
        Assert.True(double.IsNaN(low));
        Assert.Contains("no interval", comparison.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void SaveRunsCsv_Runs_OneRowEachWithPlacementColumns()
    {
        var dir = Directory.CreateTempSubdirectory("edgeagent-runs-").FullName;
        try
        {
            var comparison = new DemoComparison(new DemoSettings(), ["learned"], [0.5], [[DemoProfiles.Edge]]);
            comparison.Results.Add(new DemoRunResult("learned", 0.5, 0, Snapshot(10, 200, ("local", 20), ("peer:edge", 4)), 20, 1) { ProbeJoules = 0.25, ExecProbeJoules = 0.125 });
            var file = Path.Combine(dir, "runs.csv");

            comparison.SaveRunsCsv(file);

            var lines = File.ReadAllLines(file);
            Assert.Equal(2, lines.Length);
            Assert.EndsWith(",late_arrivals,probe_joules,exec_probe_joules,character_accuracy,item_ms,requests_local,requests_peer_edge", lines[0], StringComparison.Ordinal);
            Assert.Equal("1,1,0.5,learned,10,0,200,400,20,2,20,4,1,0.25,0.125,0.95,,20,4", lines[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LoadRunsCsv_SavedRuns_GiveTheSamePointsAndRepeatsShifted()
    {
        var dir = Directory.CreateTempSubdirectory("edgeagent-runs-").FullName;
        try
        {
            var comparison = new DemoComparison(new DemoSettings(), ["learned", "heuristic"], [0, 1], [[DemoProfiles.Edge, DemoProfiles.Cloud]]);
            comparison.Results.Add(new DemoRunResult("learned", 0, 0, Snapshot(3, 200, ("peer:edge", 9)), 0.6, 0) { ItemSeconds = [0.1, 0.2, 0.3], ProbeJoules = 0.05, ExecProbeJoules = 0.02 });
            comparison.Results.Add(new DemoRunResult("heuristic", 1, 0, Snapshot(2, 150, ("local", 5), ("peer:cloud", 1)), 1.2, 2) { Repeat = 1, ItemSeconds = [0.125, 0.175] });
            var file = Path.Combine(dir, "runs.csv");
            comparison.SaveRunsCsv(file);

            var runs = DemoComparison.LoadRunsCsv(file, repeatOffset: 2);

            Assert.Equal(2, runs.Count);
            Assert.Equal(("learned", 0.0, 0, 2), (runs[0].Policy, runs[0].Preference, runs[0].Context, runs[0].Repeat));
            Assert.Equal([0.1, 0.2, 0.3], runs[0].ItemSeconds);
            Assert.Equal(0.05, runs[0].ProbeJoules, 9);
            Assert.Equal(0.02, runs[0].ExecProbeJoules, 9);
            Assert.Equal(9, runs[0].RequestsAt("peer:edge"));
            Assert.Equal(3, runs[1].Repeat);
            Assert.Equal(2, runs[1].LateArrivals);
            Assert.Equal(5, runs[1].RequestsAt("local"));
            Assert.Equal(1, runs[1].RequestsAt("peer:cloud"));
            Assert.Equal(comparison.Results[1].Point, runs[1].Point);
            Assert.Equal(DemoComparison.Pooled([comparison.Results[0]]), DemoComparison.Pooled([runs[0]]));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LoadRunsCsv_MissingColumn_FailsNamingFileAndColumn()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "context,repeat,w_delay,policy\n1,1,0,learned\n");

            var e = Assert.Throws<FormatException>(() => DemoComparison.LoadRunsCsv(file));

            Assert.Contains(file, e.Message, StringComparison.Ordinal);
            Assert.Contains("no column 'items'", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
