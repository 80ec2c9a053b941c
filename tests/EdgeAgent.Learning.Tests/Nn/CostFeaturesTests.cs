using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Tests.Nn;

public sealed class CostFeaturesTests
{
    private static readonly MecParameters Gmorl = MecParameters.Gmorl;

    private static CostFeatures ForGmorl(FeatureLayout layout) => Gmorl.CostFeaturesFor(layout);

    [Fact]
    public void Write_HandBuiltServers_GivesTheClosedFormCostGapAndDelayShare()
    {
        // Rows: [ghz, mbit, upload, hist0 (0-1 Mbit), hist1 (1-2 Mbit), hist2 (>= 2 Mbit)].
        var cost = new CostFeatures(0, 1, 2, 3, 3, 1, 1000, 5e-31, 0.01, 0.01, 50);
        float[] rows =
        [
            2, 1.5f, 0.004f, 1, 2, 0, 0, 0, 0,
            4, 1.5f, 0.002f, 0, 0, 3, 0, 0, 0,
            2, 1.5f, 0.001f, 0, 0, 0, 0, 0, 0,
        ];
        const float Wd = 0.3f, We = 0.7f;

        cost.Write(rows, 9, 6, 0, 3, Wd, We);

        // delay = upload + (L + 2 * sum count * min(middle, L)) * cycles/bit / f; energy = kappa eta f^2 L + p_off upload.
        double Cost(double ghz, double upload, double work, out double delayCost)
        {
            var delay = upload + ((1.5e6 + (2 * work * 1e6)) * 1000 / (ghz * 1e9));
            var energy = (5e-31 * 1000 * ghz * ghz * 1e18 * 1.5e6) + (0.01 * upload);
            delayCost = 0.3 * 0.01 * delay;
            return delayCost + (0.7 * 50 * energy);
        }

        double[] costs = [Cost(2, 0.004, (1 * 0.5) + (2 * 1.5), out var d0), Cost(4, 0.002, 3 * 1.5, out var d1), Cost(2, 0.001, 0, out var d2)];
        double[] delayCosts = [d0, d1, d2];
        var min = costs.Min();
        for (var r = 0; r < 3; r++)
        {
            Assert.Equal(Math.Log((costs[r] / min) - 1 + (1.0 + CostFeatures.GapShift)), rows[(r * 9) + 6], 3);
            Assert.Equal(Math.Log((delayCosts[r] / costs[r]) + 1e-6), rows[(r * 9) + 7], 3);
            Assert.Equal(r == 2 ? 1f : 0f, rows[(r * 9) + 8]);
        }

        Assert.Equal(MathF.Log(1f + CostFeatures.GapShift), rows[(2 * 9) + 6]); // the idle server is the cheapest: gap exactly ln of the offset (1.0014e-5)
    }

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.01, 0.99)]
    [InlineData(0.5, 0.93)]
    [InlineData(0.95, 0.93)]
    public void CheapestByGap_OnSimulatorStates_AgreesWithGreedysExactMarginalCost(double delayWeight, double minimumAgreement)
    {
        // At w_delay = 0 the estimate is exact (energy has no queueing term); elsewhere it estimates
        // the delay from the histogram (bin middles, no uploads in flight), so it agrees mostly.
        var env = new MecVecEnv(Gmorl, ContextRange.Test, count: 16, seed: 21);
        var cost = ForGmorl(env.Layout);
        int n = env.Count, s = env.MaxServers, f = env.FeatureCount;
        var servers = new float[n * s * f];
        var mask = new float[n * s];
        var preference = new float[n * 2];
        var actions = new int[n];
        var rewardT = new float[n];
        var rewardE = new float[n];
        var done = new bool[n];
        var row = new float[s * (f + CostFeatures.Count)];
        int agree = 0, decisions = 0;
        for (var i = 0; i < n; i++)
        {
            env.SetPreference(i, delayWeight);
        }

        for (var t = 0; t < 300; t++)
        {
            env.Observe(servers, mask, preference);
            for (var i = 0; i < n; i++)
            {
                var present = env.PresentServers(i);
                for (var j = 0; j < present; j++)
                {
                    servers.AsSpan(((i * s) + j) * f, f).CopyTo(row.AsSpan(j * (f + CostFeatures.Count), f));
                }

                cost.Write(row, f + CostFeatures.Count, f, 0, present, preference[2 * i], preference[(2 * i) + 1]);
                var cheapest = Enumerable.Range(0, present).MinBy(j => row[(j * (f + CostFeatures.Count)) + f]);
                Assert.Equal(1f, row[(cheapest * (f + CostFeatures.Count)) + f + 2]);
                actions[i] = GreedyPolicy.Choose(env, i);
                if (env.TaskBits(i) > 0)
                {
                    decisions++;
                    agree += cheapest == actions[i] ? 1 : 0;
                }
            }

            env.Step(actions, rewardT, rewardE, done);
        }

        var agreement = (double)agree / decisions;
        Assert.True(agreement >= minimumAgreement, $"the estimate's cheapest server is greedy's in {agreement:P2} of {decisions} decisions at w_delay = {delayWeight}");
    }

    [Fact]
    public void DescribeThenParse_RoundTrips_MalformedIsRefusedNamingThePart()
    {
        var cost = ForGmorl(FeatureLayout.Gmorl());

        Assert.Equal(cost, CostFeatures.Parse(cost.Describe()));
        var missing = Assert.Throws<FormatException>(() => CostFeatures.Parse("ghz:1;mbit:3"));
        Assert.Contains("lacks", missing.Message, StringComparison.Ordinal);
        var twice = Assert.Throws<FormatException>(() => CostFeatures.Parse(cost.Describe() + ";ghz:2"));
        Assert.Contains("twice", twice.Message, StringComparison.Ordinal);
        var text = Assert.Throws<FormatException>(() => CostFeatures.Parse(cost.Describe().Replace("cycles:1000", "cycles:many", StringComparison.Ordinal)));
        Assert.Contains("many", text.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void For_LayoutWithTheDeviceItself_IsRefused_OutOfRowColumnsAreRefused()
    {
        var local = new FeatureLayout("gmorl-local", 4, [FeatureKind.Bias, FeatureKind.ComputeGhz, FeatureKind.TaskMbit, FeatureKind.UploadSeconds, FeatureKind.IsLocal], 4, 1e6);
        var e = Assert.Throws<ArgumentException>(() => CostFeatures.For(local, 1000, 5e-31, 0.01, 0.01, 50));
        Assert.Contains("IsLocal", e.Message, StringComparison.Ordinal);

        var noUpload = new FeatureLayout("x", 4, [FeatureKind.ComputeGhz, FeatureKind.TaskMbit], 4, 1e6);
        Assert.Contains("UploadSeconds", Assert.Throws<ArgumentException>(() => CostFeatures.For(noUpload, 1000, 5e-31, 0.01, 0.01, 50)).Message, StringComparison.Ordinal);

        var outside = new CostFeatures(0, 1, 2, 3, 60, 1, 1000, 5e-31, 0.01, 0.01, 50);
        Assert.Contains("histogram", Assert.Throws<ArgumentException>(() => outside.Validate(10)).Message, StringComparison.Ordinal);
    }
}
