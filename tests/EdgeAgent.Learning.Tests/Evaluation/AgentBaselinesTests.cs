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

    [Theory]
    [InlineData("demo-slow-links", 0.030, 20e6, 2.0, 0.150, 10e6, 3.0)]
    [InlineData("demo-near-edge", 0.002, 500e6, 1.2, 0.080, 100e6, 3.0)]
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
