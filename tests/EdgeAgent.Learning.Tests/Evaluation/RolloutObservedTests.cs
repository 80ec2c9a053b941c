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
        var walk = new CopyWalk(contexts, seed: 43);
        var (source, scratch) = (walk.Source, walk.Scratch);
        var random = new Random(7);
        var moved = 0;
        for (var t = 0; t < 120; t++)
        {
            walk.ObserveAll();
            for (var i = 0; i < source.Count; i++)
            {
                if (!source.HasTask(i))
                {
                    continue;
                }

                scratch.CopyState(0, source, i);
                scratch.Reseed(0, (ulong)random.NextInt64());
                scratch.RedrawUnobserved(0);
                walk.AssertCopyObservesAsSource(i);

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
                walk.Actions[i] = random.NextDouble() < 0.5 ? row : RandomPresent(source, i, random);
            }

            walk.Step();
        }

        Assert.True(moved > 0, "the redrawn futures never changed the next decision's time");
    }

    [Theory]
    [InlineData("train")]
    [InlineData("demo-fast-cloud")]
    public void RedrawRemaining_AfterCopyAndReseed_LeavesTheObservationUnchangedAndMovesTheSchedule(string contexts)
    {
        // The realised remaining times and a page's lines in detection are not in the observation: redrawing them
        // leaves the encoded observation as it was, and does change when runs finish.
        var walk = new CopyWalk(contexts, seed: 53);
        var (source, scratch) = (walk.Source, walk.Scratch);
        var random = new Random(11);
        var moved = 0;
        for (var t = 0; t < 150; t++)
        {
            walk.ObserveAll();
            for (var i = 0; i < source.Count; i++)
            {
                if (!source.HasTask(i))
                {
                    continue;
                }

                scratch.CopyState(0, source, i);
                var before = Enumerable.Range(0, source.MaxServers - 2).SelectMany(q => scratch.Runs(0, q)).Select(r => r.Finish).ToArray();
                scratch.Reseed(0, (ulong)random.NextInt64());
                scratch.RedrawUnobserved(0);
                scratch.RedrawRemaining(0);
                walk.AssertCopyObservesAsSource(i);
                var after = Enumerable.Range(0, source.MaxServers - 2).SelectMany(q => scratch.Runs(0, q)).Select(r => r.Finish).ToArray();
                Assert.Equal(before.Length, after.Length);
                moved += before.Where((x, k) => x > scratch.Now(0) && x != after[k]).Count();
                walk.Actions[i] = random.NextDouble() < 0.5 ? source.FirstPresent(i) : RandomPresent(source, i, random);
            }

            walk.Step();
        }

        Assert.True(moved > 0, "no unfinished run's finish was redrawn");
    }

    [Fact]
    public void RedrawRemaining_NoJitterNoBackground_RebuildsTheSameSchedule()
    {
        // With every run taking its expected time and no background load there is nothing to redraw: the rebuilt
        // FIFO schedules, follow-ups and answers are Admit's own, so the copy's next steps cost exactly the same.
        var context = AgentContext.Demo();
        context.ExecJitterSigma = 0;
        context.Workloads[0].LinesMin = context.Workloads[0].LinesMax = 2; // certain lines: nothing of a page in detection to redraw
        var source = new AgentVecEnv(AgentContextRange.Fixed(context), count: 3, seed: 57);
        var plain = (AgentVecEnv)source.CreateLike(1, 58, autoReset: false);
        var redrawn = (AgentVecEnv)source.CreateLike(1, 58, autoReset: false);
        var actions = new int[source.Count];
        float[] rT = new float[source.Count], rE = new float[source.Count];
        var done = new bool[source.Count];
        var random = new Random(13);
        var compared = 0;
        for (var t = 0; t < 120; t++)
        {
            for (var i = 0; i < source.Count; i++)
            {
                var seed = (ulong)random.NextInt64();
                plain.CopyState(0, source, i);
                plain.Reseed(0, seed);
                plain.RedrawUnobserved(0);
                redrawn.CopyState(0, source, i);
                redrawn.Reseed(0, seed);
                redrawn.RedrawUnobserved(0);
                var runsBefore = Enumerable.Range(0, source.MaxServers - 2).SelectMany(q => redrawn.Runs(0, q)).ToArray();
                var pendingBefore = redrawn.Pending(0);
                redrawn.RedrawRemaining(0);
                Assert.Equal(runsBefore, Enumerable.Range(0, source.MaxServers - 2).SelectMany(q => redrawn.Runs(0, q)).ToArray());
                Assert.Equal(pendingBefore, redrawn.Pending(0));
                for (var k = 0; k < 12; k++)
                {
                    var row = k % 3 == 0 ? plain.FirstPresent(0) : RandomPresent(plain, 0, random);
                    var endA = plain.Step(0, row, out var dA, out var eA);
                    var endB = redrawn.Step(0, row, out var dB, out var eB);
                    Assert.Equal(dA, dB);
                    Assert.Equal(eA, eB);
                    Assert.Equal(plain.Now(0), redrawn.Now(0));
                    compared++;
                    if (endA || endB)
                    {
                        Assert.Equal(endA, endB);
                        break;
                    }
                }

                actions[i] = random.NextDouble() < 0.6 ? source.FirstPresent(i) : RandomPresent(source, i, random);
            }

            source.Step(actions, rT, rE, done);
        }

        Assert.True(compared > 500, $"only {compared} steps compared");
    }

    [Fact]
    public void RedrawRemaining_FollowUpsMoveWithTheirRunAndQueuedTimesFollowTheExpected()
    {
        var source = new AgentVecEnv(AgentContexts.Get("demo-fast-cloud").Range, count: 4, seed: 59);
        var scratch = (AgentVecEnv)source.CreateLike(1, 60, autoReset: false);
        var actions = new int[source.Count];
        float[] rT = new float[source.Count], rE = new float[source.Count];
        var done = new bool[source.Count];
        var random = new Random(17);
        var followUps = 0;
        double ratioSum = 0, realisedSum = 0;
        var queued = 0;
        for (var t = 0; t < 150; t++)
        {
            for (var i = 0; i < source.Count; i++)
            {
                scratch.CopyState(0, source, i);
                var now = scratch.Now(0);
                var runsBefore = Enumerable.Range(0, source.MaxServers - 2).SelectMany(q => scratch.Runs(0, q).Select((r, k) => (q, k, r))).Where(x => x.r.Rec >= 0 && x.r.Finish > now).ToArray();
                var pendingBefore = scratch.Pending(0);
                scratch.Reseed(0, (ulong)random.NextInt64());
                scratch.RedrawUnobserved(0);
                scratch.RedrawRemaining(0);
                var pendingAfter = scratch.Pending(0);
                foreach (var (q, k, r) in runsBefore)
                {
                    var a = scratch.Runs(0, q)[k];
                    Assert.Equal(r.Rec, a.Rec);
                    Assert.True(a.Finish > now, "a run still running or queued finished before now");
                    Assert.True(a.Start >= Math.Min(r.Start, now) && a.Start >= r.Arrival, "a run started before its arrival");
                    Assert.Equal(r.Completion - r.Finish, a.Completion - a.Finish, 9);
                    if (r.Start > now)
                    {
                        // Queued: a fresh duration around its expected time (jitter mean 1), whatever it realised.
                        ratioSum += (a.Finish - a.Start) / r.Expected;
                        realisedSum += (r.Finish - r.Start) / r.Expected;
                        queued++;
                    }

                    // Its follow-up stages (pending at its completion) are pending at its new completion.
                    var stagesAtOld = pendingBefore.Count(p => p.Rec == r.Rec && p.Time == r.Completion);
                    if (stagesAtOld > 0 && pendingAfter.Length == pendingBefore.Length)
                    {
                        Assert.Equal(stagesAtOld, pendingAfter.Count(p => p.Rec == r.Rec && p.Time == a.Completion));
                        followUps++;
                    }
                }

                actions[i] = random.NextDouble() < 0.5 ? source.FirstPresent(i) : RandomPresent(source, i, random);
            }

            source.Step(actions, rT, rE, done);
        }

        Assert.True(followUps > 20, $"only {followUps} runs with follow-ups checked");
        Assert.True(queued > 100, $"only {queued} queued runs");
        Assert.InRange(ratioSum / queued, 0.97, 1.03);
        Assert.NotEqual(realisedSum, ratioSum);
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

    /// <summary>
    /// A source environment walked step by step and a one-environment scratch that copies one of its
    /// environments: what the redraw tests share (the buffers, and the check that the copy's encoded
    /// observation and mask are the source's).
    /// </summary>
    private sealed class CopyWalk
    {
        private readonly float[] _all, _mask, _pref, _one, _oneMask, _onePref, _rT, _rE;
        private readonly bool[] _done;

        public CopyWalk(string contexts, int seed)
        {
            Source = new AgentVecEnv(AgentContexts.Get(contexts).Range, count: 4, seed: (ulong)seed, layout: EdgeAgent.Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true));
            Scratch = (AgentVecEnv)Source.CreateLike(1, (ulong)seed + 1, autoReset: false);
            int s = Source.MaxServers, f = Source.FeatureCount;
            _all = new float[Source.Count * s * f];
            _mask = new float[Source.Count * s];
            _pref = new float[Source.Count * 2];
            _one = new float[s * f];
            _oneMask = new float[s];
            _onePref = new float[2];
            Actions = new int[Source.Count];
            _rT = new float[Source.Count];
            _rE = new float[Source.Count];
            _done = new bool[Source.Count];
        }

        public AgentVecEnv Source { get; }

        public AgentVecEnv Scratch { get; }

        public int[] Actions { get; }

        public void ObserveAll() => Source.Observe(_all, _mask, _pref);

        public void AssertCopyObservesAsSource(int i)
        {
            int s = Source.MaxServers, f = Source.FeatureCount;
            Scratch.Observe(0, _one, _oneMask, _onePref);
            Assert.Equal(_all.AsSpan(i * s * f, s * f).ToArray(), _one);
            Assert.Equal(_mask.AsSpan(i * s, s).ToArray(), _oneMask);
        }

        public void Step() => Source.Step(Actions, _rT, _rE, _done);
    }

    private static int RandomPresent(AgentVecEnv env, int i, Random random)
    {
        var present = Enumerable.Range(0, env.MaxServers).Where(r => env.IsPresent(i, r)).ToArray();
        return present[random.Next(present.Length)];
    }
}
