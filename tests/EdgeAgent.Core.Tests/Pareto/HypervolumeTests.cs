using EdgeAgent.Core.Pareto;

namespace EdgeAgent.Core.Tests.Pareto;

public sealed class HypervolumeTests
{
    private static readonly ObjectivePoint Ref = new(10, 10);

    [Fact]
    public void Compute_SinglePoint_IsRectangle() =>
        Assert.Equal(6.0 * 8.0, Hypervolume.Compute([new(4, 2)], Ref), 12);

    [Fact]
    public void Compute_Staircase_MatchesHandComputed()
    {
        // Points (2,8), (5,4), (8,1) under (10,10): 8*2 + 5*4 + 2*3 = 16 + 20 + 6 = 42.
        Assert.Equal(42.0, Hypervolume.Compute([new(8, 1), new(2, 8), new(5, 4)], Ref), 12);
    }

    [Fact]
    public void Compute_PointsNotStrictlyBetterThanReference_AddNothing()
    {
        Assert.Equal(0.0, Hypervolume.Compute([new(10, 1), new(1, 10), new(12, 12)], Ref));
        Assert.Equal(0.0, Hypervolume.Compute([], Ref));
    }

    [Fact]
    public void Compute_DominatedPointsAddNothing_Property()
    {
        var rng = new Random(1);
        for (var trial = 0; trial < 200; trial++)
        {
            var pts = RandomPoints(rng, rng.Next(1, 12));
            var hv = Hypervolume.Compute(pts, Ref);
            var anchor = pts[rng.Next(pts.Count)];
            var dominated = new ObjectivePoint(anchor.Delay + (rng.NextDouble() * 2), anchor.Energy + (rng.NextDouble() * 2));
            Assert.Equal(hv, Hypervolume.Compute([.. pts, dominated], Ref), 9);
            Assert.Equal(hv, Hypervolume.Compute(ParetoFront.NonDominated(pts), Ref), 9);
        }
    }

    [Fact]
    public void Compute_AddingAPoint_NeverDecreases_Property()
    {
        var rng = new Random(2);
        for (var trial = 0; trial < 200; trial++)
        {
            var pts = RandomPoints(rng, rng.Next(0, 10));
            var extra = new ObjectivePoint(rng.NextDouble() * 10, rng.NextDouble() * 10);
            Assert.True(Hypervolume.Compute([.. pts, extra], Ref) >= Hypervolume.Compute(pts, Ref) - 1e-12);
        }
    }

    [Fact]
    public void Compute_EqualsGridArea_Property()
    {
        // Independent check: count cells of a fine grid dominated by some point.
        var rng = new Random(3);
        for (var trial = 0; trial < 20; trial++)
        {
            var pts = Enumerable.Range(0, rng.Next(1, 6)).Select(_ => new ObjectivePoint(rng.Next(0, 10), rng.Next(0, 10))).ToList();
            var cells = 0;
            for (var x = 0; x < 10; x++)
            {
                for (var y = 0; y < 10; y++)
                {
                    if (pts.Any(p => p.Delay <= x && p.Energy <= y))
                    {
                        cells++;
                    }
                }
            }

            Assert.Equal(cells, Hypervolume.Compute(pts, Ref), 9);
        }
    }

    [Fact]
    public void Normalised_IdealPointAlone_Is121Hundredths()
    {
        var ideal = new ObjectivePoint(100, 5);
        var worst = new ObjectivePoint(300, 9);
        Assert.Equal(1.21, Hypervolume.Normalised([ideal], ideal, worst), 12);
        Assert.Equal(0.1 * 0.1, Hypervolume.Normalised([worst], ideal, worst), 12);
    }

    [Fact]
    public void NonDominated_RemovesDominatedAndSortsByDelay()
    {
        var front = ParetoFront.NonDominated([new(5, 5), new(1, 9), new(6, 6), new(9, 1), new(5, 5), new(2, 9)]);
        Assert.Equal([new ObjectivePoint(1, 9), new ObjectivePoint(5, 5), new ObjectivePoint(9, 1)], front);
    }

    [Fact]
    public void IdealAndWorst_AreComponentwise()
    {
        IEnumerable<ObjectivePoint>[] fronts = [[new(1, 9), new(5, 5)], [new(9, 1)]];
        Assert.Equal(new ObjectivePoint(1, 1), ParetoFront.Ideal(fronts));
        Assert.Equal(new ObjectivePoint(9, 9), ParetoFront.Worst(fronts));
    }

    [Fact]
    public void ExpectedUtility_HandComputed()
    {
        var ideal = new ObjectivePoint(0, 0);
        var worst = new ObjectivePoint(1, 1);
        // Points (0,1) and (1,0): at w = 0 energy-only picks (1,0) -> 1; at w = 1 picks (0,1) -> 1; at 0.5 -> 0.5.
        var eu = ExpectedUtility.Compute([new(0, 1), new(1, 0)], [0, 0.5, 1], ideal, worst);
        Assert.Equal((1 + 0.5 + 1) / 3.0, eu, 12);
        Assert.Equal(1.0, ExpectedUtility.Compute([new(0, 0)], [0, 0.5, 1], ideal, worst), 12);
    }

    [Fact]
    public void UniformGrid_101_HasHundredthSteps()
    {
        var grid = ExpectedUtility.UniformGrid(101);
        Assert.Equal(101, grid.Count);
        Assert.Equal(0.37, grid[37], 12);
        Assert.Equal(1.0, grid[100]);
    }

    private static List<ObjectivePoint> RandomPoints(Random rng, int n) =>
        [.. Enumerable.Range(0, n).Select(_ => new ObjectivePoint(rng.NextDouble() * 10, rng.NextDouble() * 10))];
}
