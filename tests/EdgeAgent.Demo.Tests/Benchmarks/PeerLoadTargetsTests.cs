using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.Demo.Tests.Benchmarks;

public sealed class PeerLoadTargetsTests
{
    private static PeerLoadPoint Point(string setup, int clients, double itemsPerSecond, double p99 = 100, double batch = 1) =>
        new("det", setup, clients, 100, itemsPerSecond, p99 / 2, p99, batch, 0, "");

    [Fact]
    public void Evaluate_BatchedPeer_RatiosAgainstTheBestCeilingAndTheUnbatchedPeer()
    {
        PeerLoadPoint[] points =
        [
            Point("ort batch 1", 0, 80), Point("ort batch 4", 0, 100, batch: 4), Point("ort batch 4 (again, after the peers)", 0, 90, batch: 4),
            Point("peer", 8, 70, p99: 200), Point("peer", 32, 75, p99: 600),
            Point("peer batched (max 4)", 8, 85, p99: 300, batch: 3), Point("peer batched (max 4)", 32, 95, p99: 900, batch: 4),
            Point("peer group of 4", 32, 10), Point("peer batched (max 4) group of 4", 32, 10),
        ];

        var figures = PeerLoadTargets.Evaluate(points, [8, 32]).ToList();

        Assert.Equal(3, figures.Count);
        Assert.Equal(0.95, figures[0].Value, 6);
        Assert.True(figures[0].Met);
        Assert.Equal(95.0 / 75, figures[1].Value, 6);
        Assert.True(figures[1].Met);
        Assert.Equal(1.5, figures[2].Value, 6);
        Assert.True(figures[2].Met);
    }

    [Fact]
    public void Evaluate_BatchedSlowerThanUnbatched_NotMet()
    {
        PeerLoadPoint[] points = [Point("ort batch 1", 0, 100), Point("peer", 32, 80), Point("peer batched (max 2)", 32, 70, batch: 2)];

        var figures = PeerLoadTargets.Evaluate(points, [32]).ToList();

        Assert.False(figures[0].Met);
        Assert.False(figures[1].Met);
    }

    [Fact]
    public void Evaluate_Group_SpreadWithinTenPercentAndKilledMemberLosesNothing()
    {
        PeerLoadPoint[] points =
        [
            Point("peer group of 4", 32, 10) with { MemberRequests = [100, 105, 95, 100] },
            Point("peer group of 4, member 0 killed halfway", 32, 10) with { MemberRequests = [40, 120, 100, 100], MemberKilled = true },
        ];

        var figures = PeerLoadTargets.Evaluate(points, [32]).ToList();

        Assert.Equal(3, figures.Count);
        Assert.Equal(0.05, figures[0].Value, 6);
        Assert.True(figures[0].Met);
        Assert.Equal((120 - (320.0 / 3)) / (320.0 / 3), figures[1].Value, 6);
        Assert.False(figures[1].Met);
        Assert.Equal(0, figures[2].Value);
        Assert.True(figures[2].Met);
    }

    [Fact]
    public void Evaluate_GroupLostRequests_NotMet()
    {
        PeerLoadPoint[] points = [new PeerLoadPoint("det", "peer group of 4, member 0 killed halfway", 32, 100, 10, 1, 2, 1, 3, "") { MemberRequests = [10, 50, 50, 50], MemberKilled = true }];

        var figures = PeerLoadTargets.Evaluate(points, [32]).ToList();

        Assert.True(figures[0].Met);
        Assert.Equal(3, figures[1].Value);
        Assert.False(figures[1].Met);
    }

    [Fact]
    public void Evaluate_CpuPerItemMeasured_RatioOfCeilingToPeer()
    {
        PeerLoadPoint[] points =
        [
            Point("ort batch 2", 0, 20, batch: 2) with { CpuMsPerItem = 90 },
            Point("peer batched (max 2)", 32, 8, batch: 2) with { CpuMsPerItem = 120 },
        ];

        var figures = PeerLoadTargets.Evaluate(points, [32]).ToList();

        Assert.Equal(2, figures.Count);
        Assert.Equal(0.4, figures[0].Value, 6);
        Assert.Contains("CPU ms per item", figures[1].Name.Figure, StringComparison.Ordinal);
        Assert.Equal(0.75, figures[1].Value, 6);
        Assert.False(figures[1].Met);
    }
}
