using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Evaluation;

public sealed class RolloutObservedTests
{
    [Theory]
    [InlineData("train")]
    [InlineData("train-demo")]
    [InlineData("demo-fast-cloud")]
    public void HeuristicRow_SimulatorStates_IsTheRowCoreHeuristicDecides(string contexts)
    {
        var env = new AgentVecEnv(AgentContexts.Get(contexts).Range, count: 8, seed: 41);
        var n = env.Count;
        var actions = new int[n];
        float[] rT = new float[n], rE = new float[n];
        var done = new bool[n];
        var random = new Random(5);
        var heuristic = new HeuristicPolicy();
        var compared = 0;
        for (var t = 0; t < 300; t++)
        {
            for (var i = 0; i < n; i++)
            {
                env.SetPreference(i, random.NextDouble());
                var expected = env.Decide(i, heuristic);
                Assert.Equal(expected, env.HeuristicRow(i));
                compared++;
                // Mostly the heuristic's own choice, sometimes another present row, so queues of every kind occur.
                actions[i] = random.NextDouble() < 0.7 ? expected : RandomPresent(env, i, random);
            }

            env.Step(actions, rT, rE, done);
        }

        Assert.Equal(300 * n, compared);
    }

    [Theory]
    [InlineData("train")]
    [InlineData("demo")]
    public void RedrawUnobserved_AfterCopyAndReseed_LeavesTheObservationUnchanged(string contexts)
    {
        // What it redraws is what the observation does not carry: a copy's encoded observation stays the source's.
        var source = new AgentVecEnv(AgentContexts.Get(contexts).Range, count: 4, seed: 43, layout: EdgeAgent.Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true));
        var scratch = (AgentVecEnv)source.CreateLike(1, 44, autoReset: false);
        int s = source.MaxServers, f = source.FeatureCount;
        var all = new float[source.Count * s * f];
        var mask = new float[source.Count * s];
        var pref = new float[source.Count * 2];
        var one = new float[s * f];
        var oneMask = new float[s];
        var onePref = new float[2];
        var actions = new int[source.Count];
        float[] rT = new float[source.Count], rE = new float[source.Count];
        var done = new bool[source.Count];
        var random = new Random(7);
        var moved = 0;
        for (var t = 0; t < 120; t++)
        {
            source.Observe(all, mask, pref);
            for (var i = 0; i < source.Count; i++)
            {
                if (!source.HasTask(i))
                {
                    continue;
                }

                scratch.CopyState(0, source, i);
                scratch.Reseed(0, (ulong)random.NextInt64());
                scratch.RedrawUnobserved(0);
                scratch.Observe(0, one, oneMask, onePref);
                Assert.Equal(all.AsSpan(i * s * f, s * f).ToArray(), one);
                Assert.Equal(mask.AsSpan(i * s, s).ToArray(), oneMask);

                // The future is another draw: after one more step the copy's next decision comes at another time.
                var row = source.FirstPresent(i);
                scratch.CopyState(0, source, i);
                scratch.Step(0, row, out _, out _);
                var kept = scratch.Now(0);
                scratch.CopyState(0, source, i);
                scratch.Reseed(0, (ulong)random.NextInt64());
                scratch.RedrawUnobserved(0);
                scratch.Step(0, row, out _, out _);
                moved += scratch.Now(0) != kept ? 1 : 0;
                actions[i] = random.NextDouble() < 0.5 ? row : RandomPresent(source, i, random);
            }

            source.Step(actions, rT, rE, done);
        }

        Assert.True(moved > 0, "the redrawn futures never changed the next decision's time");
    }

    [Fact]
    public void Rollout_HeuristicAndBothContinuations_ChoosePresentRowsAndNameThemselves()
    {
        var env = new AgentVecEnv(AgentContexts.Get("demo-fast-cloud").Range, count: 2, seed: 47, autoReset: false);
        env.Reset(0, 1);
        env.Reset(1, 2);
        var servers = new float[env.Count * env.MaxServers * env.FeatureCount];
        var mask = new float[env.Count * env.MaxServers];
        var pref = new float[env.Count * 2];
        var actions = new int[env.Count];
        foreach (var (continuation, name) in new[] { (RolloutContinuation.Heuristic, "rollout k=3 x2 observed then heuristic"), (RolloutContinuation.GreedyOrHeuristic, "rollout k=3 x2 observed then greedy|heuristic") })
        {
            var rollout = new RolloutPolicy(3, 2, observedOnly: true, continuation);
            Assert.Equal(name, rollout.Name);
            rollout.Begin(env, 0.67, 9);
            env.Observe(servers, mask, pref);
            rollout.Act(env, servers, mask, pref, actions);
            for (var i = 0; i < env.Count; i++)
            {
                Assert.True(env.IsPresent(i, actions[i]));
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => new RolloutPolicy(continuation: (RolloutContinuation)4));
    }

    private static int RandomPresent(AgentVecEnv env, int i, Random random)
    {
        var present = Enumerable.Range(0, env.MaxServers).Where(r => env.IsPresent(i, r)).ToArray();
        return present[random.Next(present.Length)];
    }
}
