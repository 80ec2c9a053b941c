using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Evaluation;

public sealed class AgentBaselinesTests
{
    [Fact]
    public void EstimateGreedy_SimulatorStates_ChoosesTheCheapestRowOfTheAgentCostFeatures()
    {
        // The non-clairvoyant greedy ranks rows by the cost the agent cost features compute in the
        // policy graph (so at w_delay = 0 it is the greedy end's choice).
        var env = new AgentVecEnv(AgentContextRange.Train, count: 8, seed: 31);
        int n = env.Count, s = env.MaxServers, f = env.FeatureCount;
        var cost = AgentCostFeatures.For(env.Layout);
        var servers = new float[n * s * f];
        var mask = new float[n * s];
        var pref = new float[n * 2];
        var actions = new int[n];
        float[] rT = new float[n], rE = new float[n];
        var done = new bool[n];
        var random = new Random(3);
        var checkedRows = 0;
        for (var t = 0; t < 150; t++)
        {
            for (var i = 0; i < n; i++)
            {
                env.SetPreference(i, t % 5 == 0 ? 0 : random.NextDouble());
            }

            env.Observe(servers, mask, pref);
            new EstimateGreedyPolicy().Act(env, servers, mask, pref, actions);
            for (var i = 0; i < n; i++)
            {
                var present = Enumerable.Range(0, s).Where(r => mask[(i * s) + r] > 0.5f).ToArray();
                if (present.Length == 0)
                {
                    continue;
                }

                // The present rows packed, widened by the three cost columns, as the graph sees them.
                var width = f + 3;
                var rows = new float[present.Length * width];
                for (var j = 0; j < present.Length; j++)
                {
                    servers.AsSpan(((i * s) + present[j]) * f, f).CopyTo(rows.AsSpan(j * width, f));
                }

                cost.Write(rows, width, f, 0, present.Length, pref[i * 2], pref[(i * 2) + 1]);
                var cheapest = Enumerable.Range(0, present.Length).Where(j => rows[(j * width) + f + 2] == 1f).Select(j => present[j]).ToArray();
                Assert.Contains(actions[i], cheapest);
                checkedRows++;
            }

            env.Step(actions, rT, rE, done);
        }

        Assert.True(checkedRows > 1000, $"only {checkedRows} decisions checked");
    }

    [Theory]
    [InlineData("rtt-0.2ms")]
    [InlineData("rtt-300ms")]
    [InlineData("bw-1mbit")]
    [InlineData("bw-1000mbit")]
    [InlineData("speed-0.25x")]
    [InlineData("speed-20x")]
    [InlineData("no-noise")]
    public void AgentContexts_RangeEnds_DrawContextsPinnedAtThatEnd(string name)
    {
        Assert.Contains(name, AgentContexts.Names);
        var (range, description) = AgentContexts.Get(name);
        Assert.False(string.IsNullOrWhiteSpace(description));
        var rng = new SimRandom(7);
        var context = new AgentContext();
        var peers = 0;
        for (var k = 0; k < 50; k++)
        {
            range.Draw(ref rng, context);
            context.Validate();
            Assert.True(AgentContextRange.Train.Contains(context, out var why), $"{name}: outside the training ranges ({why})");
            for (var p = 0; p < context.PeerCount; p++)
            {
                var peer = context.Peers[p];
                peers++;
                switch (name)
                {
                    case "rtt-0.2ms": Assert.Equal(0.0002, peer.RoundTripSeconds, 12); break;
                    case "rtt-300ms": Assert.Equal(0.3, peer.RoundTripSeconds, 12); break;
                    case "bw-1mbit": Assert.Equal(1e6, peer.UplinkBitsPerSecond, 3); Assert.Equal(1e6, peer.DownlinkBitsPerSecond, 3); break;
                    case "bw-1000mbit": Assert.Equal(1e9, peer.UplinkBitsPerSecond, 0); Assert.Equal(1e9, peer.DownlinkBitsPerSecond, 0); break;
                    case "speed-0.25x": Assert.Equal(0.25, peer.Speed, 12); break;
                    case "speed-20x": Assert.Equal(20, peer.Speed, 10); break;
                    case "no-noise": Assert.Equal(0, peer.BackgroundUtilisation); break;
                }
            }

            if (name == "no-noise")
            {
                Assert.Equal(0, context.ExecJitterSigma);
            }
        }

        Assert.True(peers > 0);
    }

    [Fact]
    public void AgentContexts_TrainEnds_PinsOneQuantityAtAnEndInAboutHalfTheEpisodes()
    {
        var (range, _) = AgentContexts.Get("train-ends");
        var rng = new SimRandom(11);
        var context = new AgentContext();
        var ends = new HashSet<string>();
        var pinned = 0;
        const int draws = 2000;
        for (var k = 0; k < draws; k++)
        {
            range.Draw(ref rng, context);
            context.Validate();
            Assert.True(AgentContextRange.Train.Contains(context, out var why), $"outside the training ranges ({why})");
            var found = new List<string>();
            if (context.PeerCount is 0 or AgentContext.MaxPeers)
            {
                found.Add("peers-" + context.PeerCount);
            }

            if (context.PeerCount > 1)
            {
                bool All(Func<AgentPeerProfile, bool> test)
                {
                    for (var p = 0; p < context.PeerCount; p++)
                    {
                        if (!test(context.Peers[p]))
                        {
                            return false;
                        }
                    }

                    return true;
                }

                if (All(p => p.RoundTripSeconds == 0.0002)) { found.Add("rtt-0.2ms"); }
                if (All(p => p.RoundTripSeconds == 0.3)) { found.Add("rtt-300ms"); }
                if (All(p => p.UplinkBitsPerSecond == 1e6 && p.DownlinkBitsPerSecond == 1e6)) { found.Add("bw-1mbit"); }
                if (All(p => p.UplinkBitsPerSecond == 1e9 && p.DownlinkBitsPerSecond == 1e9)) { found.Add("bw-1000mbit"); }
                if (All(p => p.Speed == 0.25)) { found.Add("speed-0.25x"); }
                if (All(p => p.Speed == 20)) { found.Add("speed-20x"); }
            }

            ends.UnionWith(found);
            pinned += found.Count > 0 ? 1 : 0;
        }

        Assert.Equal(["bw-1000mbit", "bw-1mbit", "peers-0", "peers-8", "rtt-0.2ms", "rtt-300ms", "speed-0.25x", "speed-20x"], ends.Order());

        // Half the episodes pin a quantity; a peer count drawn at 0 or 8 (2 of 9) also counts as an end.
        Assert.InRange(pinned / (double)draws, 0.45, 0.70);
    }

    [Fact]
    public void AgentContexts_TrainEndsWithoutPinning_DrawsExactlyTheTrainingContexts()
    {
        // EndsProbability 0 consumes no random numbers: the default ranges' episodes (and every
        // figure measured on them) are unchanged.
        var a = new SimRandom(5);
        var b = new SimRandom(5);
        var ca = new AgentContext();
        var cb = new AgentContext();
        var zero = AgentContextRange.Train with { EndsProbability = 0 };
        for (var k = 0; k < 200; k++)
        {
            AgentContextRange.Train.Draw(ref a, ca);
            zero.Draw(ref b, cb);
            Assert.Equal(ca.PeerCount, cb.PeerCount);
            Assert.Equal(ca.JobsPerSecond, cb.JobsPerSecond);
            for (var p = 0; p < ca.PeerCount; p++)
            {
                Assert.Equal(ca.Peers[p].Speed, cb.Peers[p].Speed);
                Assert.Equal(ca.Peers[p].RoundTripSeconds, cb.Peers[p].RoundTripSeconds);
            }
        }

        Assert.Equal(a.NextDouble(), b.NextDouble());
    }

    [Fact]
    public void ExpectedMarginalCost_IsTheExactCostWithExpectedTimes()
    {
        // Without jitter and background load (realised times = expected times) it is the exact cost
        // (its FIFO schedule on expected times rebuilds the executors' own); with them it differs
        // in some states, leaves the environment's own (clairvoyant) exact cost unchanged, and
        // greedy-expected picks the row of least expected exact cost.
        foreach (var noise in new[] { false, true })
        {
            var range = noise ? AgentContextRange.Train with { ExecJitterSigmaMax = 0.5 } : AgentContexts.Get("no-noise").Range;
            // (no-noise still has bursts, pipelines, deadlines, 0-8 peers and 1-8 slots per executor)
            var env = new AgentVecEnv(range, count: 8, seed: 41);
            int n = env.Count, s = env.MaxServers;
            var actions = new int[n];
            float[] rT = new float[n], rE = new float[n];
            var done = new bool[n];
            var random = new Random(5);
            var differ = 0;
            var compared = 0;
            for (var t = 0; t < 120; t++)
            {
                for (var i = 0; i < n; i++)
                {
                    env.SetPreference(i, random.NextDouble());
                    for (var r = 0; r < s; r++)
                    {
                        if (!env.IsPresent(i, r))
                        {
                            continue;
                        }

                        env.MarginalCost(i, r, out var d0, out var e0);
                        env.ExpectedMarginalCost(i, r, out var d1, out var e1);
                        env.MarginalCost(i, r, out var d2, out var e2);
                        Assert.Equal(d0, d2);
                        Assert.Equal(e0, e2);
                        compared++;
                        if (!noise)
                        {
                            Assert.Equal(d0, d1, 12);
                            Assert.Equal(e0, e1, 12);
                        }
                        else if (Math.Abs(d0 - d1) > 1e-9 * Math.Max(1, d0))
                        {
                            differ++;
                        }
                    }

                    var choice = ExpectedGreedyPolicy.Choose(env, i);
                    Assert.True(env.IsPresent(i, choice));
                    env.ExpectedMarginalCost(i, choice, out var dc, out var ec);
                    var best = env.ScalarisedCost(env.DelayWeight(i), dc, ec);
                    for (var r = 0; r < s; r++)
                    {
                        if (env.IsPresent(i, r))
                        {
                            env.ExpectedMarginalCost(i, r, out var d, out var e);
                            Assert.True(best <= env.ScalarisedCost(env.DelayWeight(i), d, e) + 1e-12);
                        }
                    }

                    actions[i] = random.Next(2) == 0 ? choice : GreedyPolicy.Choose(env, i);
                }

                env.Step(actions, rT, rE, done);
            }

            Assert.True(compared > 1000, $"only {compared} rows compared");
            if (noise)
            {
                Assert.True(differ > compared / 10, $"the task's jitter changed the cost of only {differ} of {compared} rows");
            }
        }
    }

    [Theory]
    [InlineData("demo-slow-links", 0.030, 20e6, 2.0, 0.150, 10e6, 3.0)]
    [InlineData("demo-near-edge", 0.002, 500e6, 1.2, 0.080, 100e6, 3.0)]
    [InlineData("demo-fast-cloud", 0.010, 100e6, 1.2, 0.030, 400e6, 3.0)]
    public void AgentContexts_LiveLinkProfiles_AreTheDemoWithThoseLinks(string name, double edgeRtt, double edgeBandwidth, double edgeSpeed, double cloudRtt, double cloudBandwidth, double cloudSpeed)
    {
        var (range, _) = AgentContexts.Get(name);
        var rng = new SimRandom(1);
        var context = new AgentContext();
        range.Draw(ref rng, context);
        var demo = AgentContext.Demo();

        Assert.Equal(demo.PeerCount, context.PeerCount);
        Assert.Equal(demo.JobsPerSecond, context.JobsPerSecond);
        Assert.Equal((edgeRtt, edgeBandwidth, edgeBandwidth, edgeSpeed), (context.Peers[0].RoundTripSeconds, context.Peers[0].UplinkBitsPerSecond, context.Peers[0].DownlinkBitsPerSecond, context.Peers[0].Speed));
        Assert.Equal((cloudRtt, cloudBandwidth, cloudBandwidth, cloudSpeed), (context.Peers[1].RoundTripSeconds, context.Peers[1].UplinkBitsPerSecond, context.Peers[1].DownlinkBitsPerSecond, context.Peers[1].Speed));
        Assert.True(AgentContextRange.Train.Contains(context, out var why), why);
    }
}
