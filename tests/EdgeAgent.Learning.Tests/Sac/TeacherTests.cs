using EdgeAgent.Learning.Nn;
using EdgeAgent.Learning.Sac;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Tests.Sac;

public sealed class TeacherTests
{
    private static MecVecEnv Environments(int count, ulong seed)
    {
        var env = new MecVecEnv(MecParameters.Gmorl with { MaxEdges = 4 }, ContextRange.Fixed(4, 4e9, 2e9), count, seed);
        for (var i = 0; i < count; i++)
        {
            env.SetPreference(i, 0.9 + (0.1 * i / Math.Max(1, count - 1)));
        }

        return env;
    }

    /// <summary>Steps every environment with greedy actions so servers hold queued work.</summary>
    private static void Warm(MecVecEnv env, int steps)
    {
        var n = 8;
        var actions = new int[n];
        var delay = new float[n];
        var energy = new float[n];
        var done = new bool[n];
        var greedy = new GreedyTeacher();
        for (var k = 0; k < steps; k++)
        {
            greedy.Label(env, actions);
            env.Step(actions, delay, energy, done);
        }
    }

    [Fact]
    public void RolloutTeacher_HorizonZero_AgreesWithGreedy()
    {
        // With no look-ahead the rollout's cost of a placement is the drained total of what is placed
        // so far, which differs between candidates exactly by the greedy marginal cost.
        var env = Environments(8, 11);
        var rollout = new RolloutTeacher(env, horizon: 0, futures: 1, seed: 5);
        var greedy = new GreedyTeacher();
        var a = new int[8];
        var b = new int[8];
        int agree = 0, total = 0;
        for (var round = 0; round < 40; round++)
        {
            Warm(env, 3);
            rollout.Label(env, a);
            greedy.Label(env, b);
            for (var i = 0; i < a.Length; i++)
            {
                if (env.TaskBits(i) > 0)
                {
                    total++;
                    agree += a[i] == b[i] ? 1 : 0;
                }
            }
        }

        Assert.True(total > 200, $"only {total} labelled tasks");
        Assert.True(agree >= total * 0.98, $"rollout(k=0) agreed with greedy on {agree} of {total} tasks");
    }

    [Fact]
    public void RolloutTeacher_Labels_ArePresentServers()
    {
        var env = Environments(8, 12);
        var rollout = new RolloutTeacher(env, horizon: 5, futures: 2, seed: 6);
        var labels = new int[8];
        Warm(env, 10);

        rollout.Label(env, labels);

        for (var i = 0; i < labels.Length; i++)
        {
            Assert.InRange(labels[i], 0, env.PresentServers(i) - 1);
        }
    }

    [Fact]
    public void Update_TeacherWeight_PullsTheActorTowardTheLabels()
    {
        // The same batch and initial weights with and without the regulariser: the teacher's
        // cross-entropy must raise the labelled actions' probability.
        const int s = 5, f = 15, b = 32;
        var batch = new SacBatch(b, s, f);
        var random = new Random(4);
        for (var i = 0; i < b * s * f; i++)
        {
            batch.States[i] = (float)random.NextDouble();
            batch.NextStates[i] = (float)random.NextDouble();
        }

        Array.Fill(batch.Masks, 1f);
        Array.Fill(batch.NextMasks, 1f);
        for (var i = 0; i < b; i++)
        {
            batch.Preferences[2 * i] = 0.9f;
            batch.Preferences[(2 * i) + 1] = 0.1f;
            batch.Actions[i] = random.Next(s);
            batch.TeacherActions[i] = (i % 2 == 0) ? 2 : -1; // half the samples carry a label
            batch.Rewards[i] = (float)-random.NextDouble();
            batch.Discounts[i] = 0.9f;
        }

        batch.Count = b;
        double LabelProbability(double weight)
        {
            var options = new SacOptions { Hidden = 8, BatchSize = b, TeacherWeight = weight, BehaviourCloningUpdates = 0, ActorLearningRate = 3e-3 };
            var agent = new DiscreteSac(options, s, f, new Random(9));
            for (var k = 0; k < 100; k++)
            {
                agent.Update(batch, cloning: false);
            }

            var actions = new int[b];
            var logits = new float[b * s];
            var ws = agent.Actor.CreateWorkspace(b, s);
            agent.Actor.Forward(batch.States, batch.Masks, batch.Preferences, b, ws, logits);
            double p = 0;
            for (var i = 0; i < b; i += 2)
            {
                var row = logits.AsSpan(i * s, s);
                var max = row.ToArray().Max();
                var sum = row.ToArray().Sum(v => Math.Exp(v - max));
                p += Math.Exp(row[2] - max) / sum;
            }

            return p / (b / 2);
        }

        var without = LabelProbability(0);
        var with = LabelProbability(5);

        Assert.True(with > without + 0.2, $"P(teacher label) with the regulariser {with:0.000}, without {without:0.000}");
    }

    [Theory]
    [InlineData(nameof(SacOptions.TeacherWeight))]
    [InlineData(nameof(SacOptions.RolloutFutures))]
    [InlineData(nameof(SacOptions.CloningStudentProbability))]
    [InlineData(nameof(SacOptions.LowFocusProbability))]
    public void Validate_TeacherOptionOutOfRange_NamesTheOption(string name)
    {
        var options = name switch
        {
            nameof(SacOptions.TeacherWeight) => new SacOptions { TeacherWeight = -1 },
            nameof(SacOptions.RolloutFutures) => new SacOptions { RolloutFutures = 0 },
            nameof(SacOptions.CloningStudentProbability) => new SacOptions { CloningStudentProbability = 1.5 },
            _ => new SacOptions { LowFocusProbability = 0.6 },
        };

        var e = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DrawDelayWeight_LowFocus_PutsTheConfiguredShareNearZero()
    {
        var options = new SacOptions { FocusProbability = 0.5, LowFocusProbability = 0.2, LowFocusDelayWeightMax = 0.1 };
        var random = new Random(3);
        var draws = Enumerable.Range(0, 20_000).Select(_ => options.DrawDelayWeight(random)).ToArray();

        var low = draws.Count(w => w < 0.1) / (double)draws.Length;
        var high = draws.Count(w => w >= 0.8) / (double)draws.Length;

        Assert.InRange(low, 0.2 + (0.3 * 0.1) - 0.015, 0.2 + (0.3 * 0.1) + 0.015);
        Assert.InRange(high, 0.5 + (0.3 * 0.2) - 0.015, 0.5 + (0.3 * 0.2) + 0.015);
        Assert.All(draws, w => Assert.InRange(w, 0, 1));
    }

    [Fact]
    public void DrawDelayWeight_FocusMin_PutsTheFocusedShareAboveIt()
    {
        var options = new SacOptions { FocusProbability = 0.3, FocusDelayWeightMin = 0.55, LowFocusProbability = 0.3 };
        var random = new Random(5);
        var draws = Enumerable.Range(0, 20_000).Select(_ => options.DrawDelayWeight(random)).ToArray();

        var band = draws.Count(w => w is >= 0.55 and < 0.8) / (double)draws.Length;

        // 0.3 of the draws uniform on [0.55, 1] (0.25 / 0.45 of them in the band) + 0.4 uniform on [0, 1] (0.25 of them).
        var expected = (0.3 * 0.25 / 0.45) + (0.4 * 0.25);
        Assert.InRange(band, expected - 0.015, expected + 0.015);
        Assert.All(draws, w => Assert.InRange(w, 0, 1));
    }

    [Fact]
    public void DrawDelayWeight_Endpoints_PutsTheConfiguredShareOnExactlyZeroAndOne()
    {
        var options = new SacOptions { EndpointProbability = 0.1 };
        var random = new Random(4);
        var draws = Enumerable.Range(0, 20_000).Select(_ => options.DrawDelayWeight(random)).ToArray();

        Assert.InRange(draws.Count(w => w == 0) / (double)draws.Length, 0.05 - 0.01, 0.05 + 0.01);
        Assert.InRange(draws.Count(w => w == 1) / (double)draws.Length, 0.05 - 0.01, 0.05 + 0.01);
        var plain = new SacOptions();
        Assert.DoesNotContain(Enumerable.Range(0, 20_000).Select(_ => plain.DrawDelayWeight(random)), w => w is 0 or 1);
    }
}
