using EdgeAgent.Learning.Nn;
using EdgeAgent.Learning.Sac;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Sac;

public sealed class SacTrainerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sac-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static readonly SacOptions Small = new()
    {
        Environments = 4,
        BatchSize = 16,
        ReplayCapacity = 400,
        WarmupTransitions = 64,
        Hidden = 8,
        BehaviourCloningUpdates = 10,
    };

    private static TrainingSettings Settings(string? checkpoint, long steps) => new()
    {
        Parameters = MecParameters.Gmorl with { MaxEdges = 4 },
        Contexts = ContextRange.Fixed(3, 4e9, 2e9),
        MaxEnvironmentSteps = steps,
        Seed = 3,
        CheckpointPath = checkpoint,
        ProbeInterval = TimeSpan.Zero,
        ProgressInterval = TimeSpan.Zero,
    };

    [Fact]
    public void Run_SmokeTraining_ClonesThenTrainsWithFiniteLosses()
    {
        var trainer = new SacTrainer(Small, Settings(null, 400), TimeProvider.System);
        var reports = new List<TrainingProgress>();

        trainer.Run(reports.Add, CancellationToken.None);

        Assert.Equal(400, trainer.EnvironmentSteps);
        Assert.True(trainer.Agent.Updates > Small.BehaviourCloningUpdates, $"only {trainer.Agent.Updates} updates");
        Assert.Contains(reports, r => r.Cloning);
        Assert.Contains(reports, r => !r.Cloning);
        var last = reports[^1].Last;
        Assert.True(double.IsFinite(last.CriticLoss) && double.IsFinite(last.ActorLoss) && double.IsFinite(last.Entropy));
        Assert.All(trainer.Agent.Actor.Parameters, p => Assert.All(p.Value, v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void Run_RolloutTeacherWithDaggerAndRegulariser_TrainsWithFiniteLosses()
    {
        var options = Small with { Teacher = TeacherKind.Rollout, RolloutHorizon = 3, RolloutFutures = 2, CloningStudentProbability = 0.5, TeacherWeight = 1 };
        var trainer = new SacTrainer(options, Settings(null, 400), TimeProvider.System);
        var reports = new List<TrainingProgress>();

        trainer.Run(reports.Add, CancellationToken.None);

        Assert.Contains(reports, r => r.Cloning);
        Assert.Contains(reports, r => !r.Cloning);
        var last = reports[^1].Last;
        Assert.True(double.IsFinite(last.CriticLoss) && double.IsFinite(last.ActorLoss) && double.IsFinite(last.Entropy));
        Assert.All(trainer.Agent.Actor.Parameters, p => Assert.All(p.Value, v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void Run_FixedPreference_TrainsAndProbesOnlyThatPreference()
    {
        var trainer = new SacTrainer(Small, Settings(null, 200) with { FixedDelayWeight = 0.9 }, TimeProvider.System);

        trainer.Run(null, CancellationToken.None);
        var probe = trainer.Probe();

        Assert.True(trainer.Agent.Updates > 0);
        var point = Assert.Single(probe);
        Assert.Equal(0.9, point.DelayWeight);
        Assert.True(point.PolicyCost > 0 && point.GreedyCost > 0);
    }

    [Fact]
    public void Probe_Gmorl_CoversTheBendPreferencesWithoutGreedyExpected()
    {
        var trainer = new SacTrainer(Small, Settings(null, 8), TimeProvider.System);

        var probe = trainer.Probe();

        Assert.Equal([0.1, 0.2, 0.3, 0.5, 0.85, 0.9, 0.95, 1.0], probe.Select(p => p.DelayWeight));
        Assert.All(probe, p => Assert.True(p.GreedyCost > 0 && double.IsNaN(p.ExpectedCost) && double.IsNaN(p.ExpectedRatio)));
        Assert.DoesNotContain("/", probe[0].Describe(), StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_AgentProfile_AlsoComparesWithGreedyExpected()
    {
        var env = new AgentVecEnv(AgentContextRange.Fixed(AgentContext.Demo()), count: 4, seed: 5, layout: Core.Observation.FeatureLayout.Agent(ownTraffic: true));
        var settings = Settings(null, 8) with { Environment = env, ProbeEpisodes = 2 };
        var trainer = new SacTrainer(Small, settings, TimeProvider.System);

        var probe = trainer.Probe();

        Assert.Equal(8, probe.Count);
        Assert.All(probe, p =>
        {
            Assert.True(p.GreedyCost > 0 && p.ExpectedCost > 0, $"w={p.DelayWeight}: greedy {p.GreedyCost}, greedy-expected {p.ExpectedCost}");
            Assert.Equal(p.PolicyCost / p.ExpectedCost, p.ExpectedRatio, 12);
            Assert.Matches(@"^w=[0-9.]+:[0-9.]+/[0-9.]+$", p.Describe());
        });
    }

    [Fact]
    public void Constructor_FixedPreferenceOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SacTrainer(Small, Settings(null, 8) with { FixedDelayWeight = 1.5 }, TimeProvider.System));
    }

    [Fact]
    public void LoadCheckpoint_AfterSave_RestoresWeightsAndCounters()
    {
        var path = Path.Combine(_directory, "run.ckpt");
        var first = new SacTrainer(Small, Settings(path, 200), TimeProvider.System);
        first.Run(null, CancellationToken.None);
        var second = new SacTrainer(Small, Settings(path, 400), TimeProvider.System);

        second.LoadCheckpoint(path);

        Assert.Equal(first.EnvironmentSteps, second.EnvironmentSteps);
        Assert.Equal(first.Agent.Updates, second.Agent.Updates);
        Assert.Equal(first.Agent.LogTemperature, second.Agent.LogTemperature, 5);
        for (var i = 0; i < first.Agent.Critic2.Parameters.Count; i++)
        {
            Assert.Equal(first.Agent.Critic2.Parameters[i].Value, second.Agent.Critic2.Parameters[i].Value);
        }

        second.Run(null, CancellationToken.None);
        Assert.Equal(400, second.EnvironmentSteps);
    }

    [Fact]
    public void LoadCheckpoint_OtherArchitecture_NamesBoth()
    {
        var path = Path.Combine(_directory, "run.ckpt");
        new SacTrainer(Small, Settings(path, 8), TimeProvider.System).Run(null, CancellationToken.None);
        var wider = new SacTrainer(Small with { Hidden = 12 }, Settings(null, 8), TimeProvider.System);

        var e = Assert.Throws<InvalidDataException>(() => wider.LoadCheckpoint(path));

        Assert.Contains("hidden=8", e.Message, StringComparison.Ordinal);
        Assert.Contains("hidden=12", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PreferenceEncoding.Linear, false, PreferenceEncoding.Log, false, "log preference columns")]
    [InlineData(PreferenceEncoding.Linear, false, PreferenceEncoding.Linear, true, "cost-feature columns")]
    [InlineData(PreferenceEncoding.Linear, true, PreferenceEncoding.Log, true, "log preference columns")]
    [InlineData(PreferenceEncoding.Log, false, PreferenceEncoding.Log, true, "cost-feature columns")]
    [InlineData(PreferenceEncoding.Linear, false, PreferenceEncoding.Log, true, "log preference columns and cost-feature columns")]
    public void LoadCheckpoint_IntoWiderInput_WidensWithZerosAndComputesTheSameLogits(
        PreferenceEncoding storedPreference, bool storedCost, PreferenceEncoding preference, bool cost, string added)
    {
        var path = Path.Combine(_directory, "run.ckpt");
        var narrow = new SacTrainer(Small with { PreferenceEncoding = storedPreference, UseCostFeatures = storedCost }, Settings(path, 200), TimeProvider.System);
        narrow.Run(null, CancellationToken.None);
        var wide = new SacTrainer(Small with { PreferenceEncoding = preference, UseCostFeatures = cost }, Settings(null, 400), TimeProvider.System);

        wide.LoadCheckpoint(path);

        Assert.Equal($"input layers widened with {added} (new weights start at zero)", wide.Adapted);
        Assert.Equal(narrow.Agent.Updates, wide.Agent.Updates);
        var (servers, mask, prefs, n, s) = Observations(narrow.Agent.Actor.Shape.Features);
        foreach (var (a, b) in new[] { (narrow.Agent.Actor, wide.Agent.Actor), (narrow.Agent.Critic1, wide.Agent.Critic1), (narrow.Agent.Target2, wide.Agent.Target2) })
        {
            var before = new float[n * s];
            var after = new float[n * s];
            a.Forward(servers, mask, prefs, n, a.CreateWorkspace(n, s), before);
            b.Forward(servers, mask, prefs, n, b.CreateWorkspace(n, s), after);
            Assert.Equal(before, after);
        }

        var weights = wide.Agent.Actor.Input.Weight.Value;
        var zeroRows = Enumerable.Range(0, wide.Agent.Actor.Shape.InputWidth).Where(r => weights.AsSpan(r * 8, 8).ToArray().All(w => w == 0f)).ToArray();
        Assert.Equal(wide.Agent.Actor.Shape.InputWidth - narrow.Agent.Actor.Shape.InputWidth, zeroRows.Length);
        wide.Run(null, CancellationToken.None);
        Assert.Equal(400, wide.EnvironmentSteps);
        Assert.All(zeroRows, r => Assert.Contains(weights.AsSpan(r * 8, 8).ToArray(), w => w != 0f));
    }

    [Fact]
    public void LoadCheckpoint_WithGreedyEnd_KeepsEveryWeightAndChangesTheActorOnlyBelowIt()
    {
        var path = Path.Combine(_directory, "run.ckpt");
        var stored = new SacTrainer(Small with { UseCostFeatures = true }, Settings(path, 200), TimeProvider.System);
        stored.Run(null, CancellationToken.None);
        var greedy = new SacTrainer(Small with { UseCostFeatures = true, GreedyBelow = 0.01f }, Settings(null, 200), TimeProvider.System);

        greedy.LoadCheckpoint(path);

        Assert.Equal("actor greedy below w_delay 0.01", greedy.Adapted);
        Assert.Equal(0.01f, greedy.Agent.Actor.Shape.GreedyBelow);
        Assert.Equal(0f, greedy.Agent.Critic1.Shape.GreedyBelow);
        for (var i = 0; i < stored.Agent.Actor.Parameters.Count; i++)
        {
            Assert.Equal(stored.Agent.Actor.Parameters[i].Value, greedy.Agent.Actor.Parameters[i].Value);
        }

        var (servers, mask, prefs, n, s) = Observations(stored.Agent.Actor.Shape.Features);
        var before = new float[n * s];
        var after = new float[n * s];
        stored.Agent.Actor.Forward(servers, mask, prefs, n, stored.Agent.Actor.CreateWorkspace(n, s), before);
        greedy.Agent.Actor.Forward(servers, mask, prefs, n, greedy.Agent.Actor.CreateWorkspace(n, s), after);
        Assert.Equal(before.AsSpan(s), after.AsSpan(s)); // samples 1.. have w_delay >= 0.01
        Assert.NotEqual(before.AsSpan(0, s - 1).ToArray(), after.AsSpan(0, s - 1).ToArray()); // sample 0 has w_delay = 0

        // Resuming the greedy checkpoint without the option removes the blend again.
        var greedyPath = Path.Combine(_directory, "greedy.ckpt");
        greedy.SaveCheckpoint(greedyPath);
        var plain = new SacTrainer(Small with { UseCostFeatures = true }, Settings(null, 200), TimeProvider.System);
        plain.LoadCheckpoint(greedyPath);
        Assert.Equal("actor's greedy end removed", plain.Adapted);
    }

    [Fact]
    public void Validate_GreedyBelowWithoutCostFeatures_NamesIt()
    {
        var e = Assert.Throws<ArgumentException>(() => (Small with { GreedyBelow = 0.01f }).Validate());
        Assert.Contains("GreedyBelow", e.Message, StringComparison.Ordinal);
        Assert.Contains("cost features", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadCheckpoint_CostFeaturesIntoNone_IsRefusedNamingBoth()
    {
        var path = Path.Combine(_directory, "run.ckpt");
        new SacTrainer(Small with { UseCostFeatures = true }, Settings(path, 8), TimeProvider.System).Run(null, CancellationToken.None);
        var plain = new SacTrainer(Small, Settings(null, 8), TimeProvider.System);

        var e = Assert.Throws<InvalidDataException>(() => plain.LoadCheckpoint(path));

        Assert.Contains("cost=ghz:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadCheckpoint_LogIntoLinearPreference_IsRefusedNamingBoth()
    {
        var path = Path.Combine(_directory, "run.ckpt");
        new SacTrainer(Small with { PreferenceEncoding = PreferenceEncoding.Log }, Settings(path, 8), TimeProvider.System).Run(null, CancellationToken.None);
        var linear = new SacTrainer(Small, Settings(null, 8), TimeProvider.System);

        var e = Assert.Throws<InvalidDataException>(() => linear.LoadCheckpoint(path));

        Assert.Contains("preference=log", e.Message, StringComparison.Ordinal);
    }

    private static (float[] Servers, float[] Mask, float[] Preference, int N, int S) Observations(int features)
    {
        const int n = 5, s = 5;
        var random = new Random(9);
        var servers = Enumerable.Range(0, n * s * features).Select(_ => (float)random.NextDouble()).ToArray();
        var mask = Enumerable.Range(0, n * s).Select(k => k % s < 4 ? 1f : 0f).ToArray();
        float[] preference = [0f, 1f, 0.01f, 0.99f, 0.5f, 0.5f, 0.93f, 0.07f, 1f, 0f];
        return (servers, mask, preference, n, s);
    }

    [Fact]
    public void Validate_OutOfRangeOption_NamesIt()
    {
        var e = Assert.Throws<ArgumentException>(() => (Small with { Gamma = 1.5 }).Validate());
        Assert.Contains("Gamma", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayBuffer_AfterWrapping_KeepsNewestStepsAndSlotsFollowEnvironments()
    {
        var buffer = new ReplayBuffer(capacity: 6, environments: 2, servers: 1, features: 1);
        for (var t = 0; t < 5; t++)
        {
            buffer.Add([t, t + 0.5f], [1, 1], [t, t], [-1, -1], [0, 0], [0, 0], [false, false], [0.5f, 0.5f]);
        }

        Assert.Equal(3, buffer.Steps);
        Assert.Equal(2, buffer.OldestStep);
        Assert.Equal(6, buffer.Count);
        var s = new float[1];
        var m = new float[1];
        buffer.CopyState(buffer.Slot(4, 1), s, m);
        Assert.Equal(4.5f, s[0]);
        buffer.CopyState(buffer.Slot(2, 0), s, m);
        Assert.Equal(2f, s[0]);
    }

    [Fact]
    public void Update_RepeatedOnOneBatch_DrivesCriticLossDown()
    {
        var random = new Random(4);
        var options = Small with { BatchSize = 8, CriticLearningRate = 3e-3 };
        var sac = new DiscreteSac(options, servers: 3, features: 2, random);
        var batch = new SacBatch(8, 3, 2);
        for (var i = 0; i < 8 * 3 * 2; i++)
        {
            batch.States[i] = (float)random.NextDouble();
            batch.NextStates[i] = (float)random.NextDouble();
        }

        Array.Fill(batch.Masks, 1f);
        Array.Fill(batch.NextMasks, 1f);
        for (var i = 0; i < 8; i++)
        {
            batch.Preferences[2 * i] = 0.5f;
            batch.Preferences[(2 * i) + 1] = 0.5f;
            batch.Actions[i] = i % 3;
            batch.TeacherActions[i] = -1;
            batch.Rewards[i] = -1f - (i % 3);
            batch.Discounts[i] = 0f;
        }

        batch.Count = 8;
        var first = sac.Update(batch, cloning: false).CriticLoss;
        SacUpdateStats last = default;
        for (var k = 0; k < 300; k++)
        {
            last = sac.Update(batch, cloning: false);
        }

        Assert.True(last.CriticLoss < first / 10, $"critic loss {first} -> {last.CriticLoss}");
        Assert.True(ParameterSet.Count(sac.Actor.Parameters) > 0);
    }

    [Fact]
    public void Run_LearningRateThatDiverges_ThrowsAtTheFirstNonFiniteLossAndWritesNoCheckpoint()
    {
        var checkpoint = Path.Combine(_directory, "diverged.ckpt");
        var options = Small with { BehaviourCloningUpdates = 0, ActorLearningRate = 1e20, CriticLearningRate = 1e20 };
        var trainer = new SacTrainer(options, Settings(checkpoint, 4000), TimeProvider.System);

        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run(null, CancellationToken.None));

        Assert.StartsWith("training diverged at update ", e.Message, StringComparison.Ordinal);
        Assert.Contains("No checkpoint was written.", e.Message, StringComparison.Ordinal);
        Assert.True(trainer.EnvironmentSteps < 4000, "the run went on after the losses stopped being finite");
        Assert.False(File.Exists(checkpoint));
    }

    [Fact]
    public void Run_ResumedRunThatDiverges_LeavesTheFiniteCheckpointAsItWas()
    {
        var checkpoint = Path.Combine(_directory, "finite.ckpt");
        new SacTrainer(Small, Settings(checkpoint, 200), TimeProvider.System).Run(null, CancellationToken.None);
        var before = File.ReadAllBytes(checkpoint);
        var options = Small with { BehaviourCloningUpdates = 0, ActorLearningRate = 1e20, CriticLearningRate = 1e20 };
        var resumed = new SacTrainer(options, Settings(checkpoint, 4000), TimeProvider.System);
        resumed.LoadCheckpoint(checkpoint);

        var e = Assert.Throws<TrainingDivergedException>(() => resumed.Run(null, CancellationToken.None));

        Assert.Contains($"{checkpoint} is as it was", e.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllBytes(checkpoint));
    }
}

