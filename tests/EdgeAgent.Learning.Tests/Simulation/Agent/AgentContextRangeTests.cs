using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Simulation.Agent;

public sealed class AgentContextRangeTests
{
    [Fact]
    public void Draw_Train_EveryContextValidAndInsideTheStatedRanges()
    {
        var range = AgentContextRange.Train;
        var c = new AgentContext();
        var rng = new SimRandom(17);
        var peers = new bool[AgentContext.MaxPeers + 1];
        double minRtt = 1, maxRtt = 0, minSpeed = 100, maxSpeed = 0, minLoad = 100, maxLoad = 0;
        for (var k = 0; k < 2000; k++)
        {
            range.Draw(ref rng, c);
            c.Validate();
            Assert.True(range.Contains(c, out var why), why);
            peers[c.PeerCount] = true;
            for (var p = 0; p < c.PeerCount; p++)
            {
                minRtt = Math.Min(minRtt, c.Peers[p].RoundTripSeconds);
                maxRtt = Math.Max(maxRtt, c.Peers[p].RoundTripSeconds);
                minSpeed = Math.Min(minSpeed, c.Peers[p].Speed);
                maxSpeed = Math.Max(maxSpeed, c.Peers[p].Speed);
            }

            var load = AgentContextRange.OfferedLoad(c);
            minLoad = Math.Min(minLoad, load);
            maxLoad = Math.Max(maxLoad, load);
        }

        Assert.All(peers, Assert.True); // 0 to 8 peers all occur
        Assert.InRange(minRtt, 0.0002, 0.0005);
        Assert.InRange(maxRtt, 0.2, 0.3);
        Assert.InRange(minSpeed, 0.25, 0.3);
        Assert.InRange(maxSpeed, 15, 20);
        Assert.InRange(minLoad, 0.02, 0.03);
        Assert.InRange(maxLoad, 2.5, 3);
    }

    [Theory]
    [InlineData("no-peers", 0, 0)]
    [InlineData("many-peers", 7, 8)]
    [InlineData("slow-links", 1, 8)]
    [InlineData("fast-links", 1, 8)]
    [InlineData("overload", 0, 8)]
    [InlineData("demo", 2, 2)]
    public void Named_EvaluationRanges_DrawValidContextsInsideTheTrainingRanges(string name, int peersMin, int peersMax)
    {
        var range = AgentContextRange.Named(name);
        var c = new AgentContext();
        var rng = new SimRandom(3);
        for (var k = 0; k < 300; k++)
        {
            range.Draw(ref rng, c);
            c.Validate();
            Assert.True(AgentContextRange.Train.Contains(c, out var why), why);
            Assert.InRange(c.PeerCount, peersMin, peersMax);
        }
    }

    [Fact]
    public void Draw_DemoWorlds_TheDemosBoardAndPipelineWithDrawnPeersInsideTheTrainingRanges()
    {
        var range = AgentContextRange.Train with { DemoWorldProbability = 0.3 };
        var demo = AgentContext.Demo();
        var c = new AgentContext();
        var rng = new SimRandom(23);
        var worlds = 0;
        for (var k = 0; k < 2000; k++)
        {
            range.Draw(ref rng, c);
            c.Validate();
            Assert.True(AgentContextRange.Train.Contains(c, out var why), why);
            if (c.ModelCount == 3 && c.WorkloadCount == 1 && c.Power == demo.Power && c.Models[1].RequestBytes == demo.Models[1].RequestBytes)
            {
                worlds++;
                Assert.InRange(c.PeerCount, 1, 3);
                Assert.InRange(c.Models[0].ExecFp32 / demo.Models[0].ExecFp32, 0.7, 1.4);
                Assert.InRange(c.JobsPerSecond, 1, 4);
                Assert.All(c.Peers.Take(c.PeerCount), p => Assert.Equal(0b111, p.ServedModels));
            }
        }

        // About 30 % demo worlds (a drawn context matches the demo's device and byte sizes only by being one).
        Assert.InRange(worlds, 500, 700);
    }

    [Fact]
    public void Draw_DemoWorldProbabilityZero_DrawsTheTrainingRangesUnchanged()
    {
        var a = new AgentContext();
        var b = new AgentContext();
        var ra = new SimRandom(5);
        var rb = new SimRandom(5);
        for (var k = 0; k < 200; k++)
        {
            AgentContextRange.Train.Draw(ref ra, a);
            (AgentContextRange.Train with { DemoWorldProbability = 0 }).Draw(ref rb, b);
            Assert.Equal(a.JobsPerSecond, b.JobsPerSecond);
            Assert.Equal(a.PeerCount, b.PeerCount);
        }
    }

    [Fact]
    public void Named_Unknown_ThrowsListingTheNames()
    {
        var ex = Assert.Throws<ArgumentException>(() => AgentContextRange.Named("moon"));
        Assert.Contains("'moon'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("slow-links", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Contains_DemoContext_IsInsideTheTrainingRanges()
    {
        var demo = AgentContext.Demo();
        demo.Validate();
        Assert.True(AgentContextRange.Train.Contains(demo, out var why), why);
        Assert.Equal(0.252, AgentContextRange.OfferedLoad(demo), 3); // 2 jobs/s x (30 ms + 1.5 lines x (5 + 59) ms)
    }

    [Fact]
    public void Contains_LinkOutsideRanges_NamesIt()
    {
        var c = AgentContext.Demo();
        c.Peers[1] = c.Peers[1] with { RoundTripSeconds = 2 };
        Assert.False(AgentContextRange.Train.Contains(c, out var why));
        Assert.Contains("cloud round trip", why, StringComparison.Ordinal);
    }

    [Fact]
    public void Fixed_InvalidContext_ThrowsNamingTheField()
    {
        var c = AgentContext.Demo();
        c.Peers[0] = c.Peers[0] with { Concurrency = 0 };
        var ex = Assert.Throws<ArgumentException>(() => AgentContextRange.Fixed(c));
        Assert.Contains("peer 0 concurrency", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GreedyPolicy_ChoosesTheExactCheapestRowAndItsRewardIsThatCost()
    {
        var env = new AgentVecEnv(AgentContextRange.Train, 4, seed: 21, autoReset: true, stepsPerEpisode: 50);
        var rng = new SimRandom(8);
        for (var t = 0; t < 300; t++)
        {
            for (var i = 0; i < env.Count; i++)
            {
                var w = rng.NextDouble();
                env.SetPreference(i, w);
                var best = double.PositiveInfinity;
                for (var r = 0; r < env.MaxServers; r++)
                {
                    if (env.IsPresent(i, r))
                    {
                        env.MarginalCost(i, r, out var d, out var e);
                        best = Math.Min(best, (w * d) + ((1 - w) * e));
                    }
                }

                var g = GreedyPolicy.Choose(env, i);
                env.MarginalCost(i, g, out var gd, out var ge);
                Assert.Equal(best, (w * gd) + ((1 - w) * ge));
                env.Step(i, g, out var rd, out var re);
                Assert.Equal(gd, rd);
                Assert.Equal(ge, re);
            }
        }
    }

    [Fact]
    public void Decide_CoreHeuristic_ChoosesAPresentRowAtTheEnvPreference()
    {
        var env = new AgentVecEnv(AgentContextRange.Fixed(AgentContext.Demo()), 1, seed: 2, autoReset: false, stepsPerEpisode: 60);
        var heuristic = new HeuristicPolicy();
        env.SetPreference(0, 1.0);
        var offloaded = 0;
        for (var t = 0; t < 60; t++)
        {
            var row = env.Decide(0, heuristic);
            Assert.True(env.IsPresent(0, row));
            offloaded += row >= LocalVariants.Count ? 1 : 0;
            env.Step(0, row, out _, out _);
        }

        // At the delay end the demo's heuristic offloads the 176 ms detections to the 2.4x/3x peers.
        Assert.True(offloaded > 0);
        Assert.Equal(-1, env.RowOf(0, Placement.Peer("nowhere")));
    }
}
