using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Learning.Export;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Tests.Export;

public sealed class PolicyExporterTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("policy-export-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static ServerSetNetwork RandomActor(FeatureLayout layout, int seed, int encoderBlocks = 1, int headBlocks = 1, PreferenceEncoding preference = PreferenceEncoding.Linear, bool cost = false, float greedyBelow = 0f) =>
        new(new ServerSetShape(layout.FeatureCount, Hidden: 16, EncoderBlocks: encoderBlocks, HeadBlocks: headBlocks, Preference: preference,
            Cost: cost ? MecParameters.Gmorl.CostFeaturesFor(layout) : null, GreedyBelow: greedyBelow), new Random(seed), outputScale: 1.0);

    private string Export(ServerSetNetwork actor, FeatureLayout layout)
    {
        var path = Path.Combine(_directory, "policy.onnx");
        PolicyExporter.Save(actor, layout, path, new Dictionary<string, string> { ["edgeagent.training.command"] = "test" });
        return path;
    }

    [Theory]
    [InlineData(1, 1, PreferenceEncoding.Linear, false)]
    [InlineData(0, 2, PreferenceEncoding.Linear, false)]
    [InlineData(1, 1, PreferenceEncoding.Log, false)]
    [InlineData(1, 1, PreferenceEncoding.Linear, true)]
    [InlineData(1, 1, PreferenceEncoding.Log, true)]
    [InlineData(1, 1, PreferenceEncoding.Log, true, 0.3f)]
    [InlineData(0, 2, PreferenceEncoding.Linear, true, 0.05f)]
    public void OnnxRuntime_OnSimulatorObservations_MatchesManagedForwardWithin1e4(int encoderBlocks, int headBlocks, PreferenceEncoding preference, bool cost, float greedyBelow = 0f)
    {
        var parameters = MecParameters.Gmorl;
        var env = new MecVecEnv(parameters, ContextRange.Test, count: 24, seed: 5);
        var random = new Random(3);
        var actions = new int[24];
        var rT = new float[24];
        var rE = new float[24];
        var done = new bool[24];
        for (var i = 0; i < 24; i++)
        {
            env.SetPreference(i, i / 23.0);
        }

        for (var t = 0; t < 30; t++)
        {
            for (var i = 0; i < 24; i++)
            {
                actions[i] = random.Next(env.PresentServers(i));
            }

            env.Step(actions, rT, rE, done);
        }

        int n = env.Count, s = env.MaxServers, f = env.FeatureCount;
        var servers = new float[n * s * f];
        var mask = new float[n * s];
        var pref = new float[n * 2];
        env.Observe(servers, mask, pref);
        var actor = RandomActor(env.Layout, 7, encoderBlocks, headBlocks, preference, cost, greedyBelow);
        var managed = new float[n * s];
        actor.Forward(servers, mask, pref, n, actor.CreateWorkspace(n, s), managed);

        using var batch = new OnnxPolicyBatch(OnnxPolicySession.Open(Export(actor, env.Layout), env.Layout));
        var onnx = new float[n * s];
        batch.Logits(servers, mask, pref, n, onnx);

        for (var k = 0; k < n * s; k++)
        {
            if (mask[k] > 0.5f)
            {
                Assert.True(Math.Abs(managed[k] - onnx[k]) <= 1e-4 * Math.Max(1, Math.Abs(managed[k])), $"logit {k}: managed {managed[k]}, ONNX Runtime {onnx[k]}");
            }
            else
            {
                Assert.Equal(float.NegativeInfinity, onnx[k]);
            }
        }
    }

    [Fact]
    public void GreedyEnd_AtEnergyOnly_ThroughOnnxRuntime_ChoosesGreedysServerInEverySimulatorDecision()
    {
        // At w_delay = 0 greedy is optimal; a random network with the greedy end must still choose it.
        var env = new MecVecEnv(MecParameters.Gmorl, ContextRange.Test, count: 16, seed: 31);
        int n = env.Count, s = env.MaxServers, f = env.FeatureCount;
        var actor = RandomActor(env.Layout, 11, cost: true, greedyBelow: 0.01f);
        using var batch = new OnnxPolicyBatch(OnnxPolicySession.Open(Export(actor, env.Layout), env.Layout));
        var servers = new float[n * s * f];
        var mask = new float[n * s];
        var preference = new float[n * 2];
        var logits = new float[n * s];
        var actions = new int[n];
        var rewardT = new float[n];
        var rewardE = new float[n];
        var done = new bool[n];
        for (var i = 0; i < n; i++)
        {
            env.SetPreference(i, 0);
        }

        var decisions = 0;
        for (var t = 0; t < 200; t++)
        {
            env.Observe(servers, mask, preference);
            batch.Logits(servers, mask, preference, n, logits);
            for (var i = 0; i < n; i++)
            {
                var chosen = Enumerable.Range(0, s).MaxBy(j => logits[(i * s) + j]);
                actions[i] = EdgeAgent.Learning.Sac.GreedyTeacher.Choose(env, i, 0);
                if (env.TaskBits(i) > 0)
                {
                    decisions++;
                    Assert.Equal(actions[i], chosen);
                }
            }

            env.Step(actions, rewardT, rewardE, done);
        }

        Assert.True(decisions > 1000, $"only {decisions} decisions");
    }

    [Fact]
    public void GreedyEnd_FromGreedyBelowUp_GivesBitForBitTheLogitsOfTheExportWithoutIt()
    {
        var env = new MecVecEnv(MecParameters.Gmorl, ContextRange.Test, count: 24, seed: 6);
        int n = env.Count, s = env.MaxServers, f = env.FeatureCount;
        for (var i = 0; i < n; i++)
        {
            env.SetPreference(i, 0.05 + (0.95 * i / (n - 1)));
        }

        var actions = new int[n];
        var done = new bool[n];
        for (var t = 0; t < 40; t++)
        {
            for (var i = 0; i < n; i++)
            {
                actions[i] = t % env.PresentServers(i);
            }

            env.Step(actions, new float[n], new float[n], done);
        }

        var servers = new float[n * s * f];
        var mask = new float[n * s];
        var preference = new float[n * 2];
        env.Observe(servers, mask, preference);
        var greedy = RandomActor(env.Layout, 12, cost: true, greedyBelow: 0.05f);
        var plain = new ServerSetNetwork(greedy.Shape with { GreedyBelow = 0 }, new Random(1));
        ParameterSet.CopyValues(greedy.Parameters, plain.Parameters);
        var withEnd = new float[n * s];
        var without = new float[n * s];
        var greedyPath = Path.Combine(_directory, "greedy.onnx");
        PolicyExporter.Save(greedy, env.Layout, greedyPath);
        using (var batch = new OnnxPolicyBatch(OnnxPolicySession.Open(greedyPath, env.Layout)))
        {
            batch.Logits(servers, mask, preference, n, withEnd);
        }

        using (var batch = new OnnxPolicyBatch(OnnxPolicySession.Open(Export(plain, env.Layout), env.Layout)))
        {
            batch.Logits(servers, mask, preference, n, without);
        }

        Assert.Equal(without, withEnd);
    }

    [Fact]
    public void Save_MetadataProps_RecordLayoutAndArchitecture()
    {
        var layout = FeatureLayout.Gmorl();
        var actor = RandomActor(layout, 1);
        using var session = OnnxPolicySession.Open(Export(actor, layout), layout);

        Assert.Equal(layout, FeatureLayout.FromMetadata(session.Metadata));
        Assert.Equal(actor.Shape.Describe(), session.Metadata[PolicyExporter.ArchitectureKey]);
        Assert.Contains("Mbit", session.Metadata[FeatureLayout.MetadataPrefix + "columns"], StringComparison.Ordinal);
        Assert.Equal("test", session.Metadata["edgeagent.training.command"]);
    }

    [Fact]
    public void Open_OtherLayout_IsRefusedWithBothLayoutsNamed()
    {
        var layout = FeatureLayout.Gmorl(maxEdges: 10);
        var path = Export(RandomActor(layout, 1), layout);
        var other = FeatureLayout.Gmorl(maxEdges: 6);

        var e = Assert.Throws<PolicyFileException>(() => OnnxPolicySession.Open(path, other));

        Assert.Contains("another observation layout", e.Message, StringComparison.Ordinal);
        Assert.Contains("S=11", e.Message, StringComparison.Ordinal);
        Assert.Contains("S=7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_NotAnOnnxFile_SaysOnnxRuntimeCouldNotLoadIt()
    {
        var path = Path.Combine(_directory, "junk.onnx");
        File.WriteAllText(path, "not a model");
        var e = Assert.Throws<PolicyFileException>(() => OnnxPolicySession.Open(path, FeatureLayout.Gmorl()));
        Assert.Contains("could not be loaded", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_MissingFile_SaysSo()
    {
        var e = Assert.Throws<PolicyFileException>(() => OnnxPolicySession.Open(Path.Combine(_directory, "none.onnx"), null));
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_LayoutWithOtherFeatureCount_Throws()
    {
        var actor = new ServerSetNetwork(new ServerSetShape(5, Hidden: 8), new Random(1));
        Assert.Throws<ArgumentException>(() => PolicyExporter.Build(actor, FeatureLayout.Gmorl()));
    }

    [Fact]
    public void Decide_LiveObservation_ChoosesTheArgmaxOfAvailableServersOnly()
    {
        var layout = FeatureLayout.Gmorl();
        var actor = RandomActor(layout, 9);
        using var policy = OnnxPolicy.Load(Export(actor, layout), layout);
        ServerObservation Server(string name, ServerKind kind, bool available, double speed) => new()
        {
            Placement = Placement.Peer(name),
            Kind = kind,
            Available = available,
            UplinkBitsPerSecond = 5e8,
            ComputeSpeed = speed,
            Executing = 1,
        };
        var observation = new OffloadObservation(
            new TaskObservation("ocr", 2_000_000, null),
            [Server("cloud", ServerKind.Cloud, true, 2), Server("edge-a", ServerKind.Edge, false, 1), Server("edge-b", ServerKind.Edge, true, 1)]);

        var encoder = new ObservationEncoder(layout);
        var servers = new float[layout.MaxServers * layout.FeatureCount];
        var mask = new float[layout.MaxServers];
        var pref = new float[2];
        encoder.Encode(observation, new Preference(0.7), servers, mask, pref);
        var logits = new float[layout.MaxServers];
        actor.Forward(servers, mask, pref, 1, actor.CreateWorkspace(1, layout.MaxServers), logits);
        var expected = logits[0] >= logits[2] ? "cloud" : "edge-b";

        var placement = policy.Decide(observation, new Preference(0.7));

        Assert.Equal(Placement.Peer(expected), placement);
        Assert.Equal("learned", policy.Name);
    }
    [Fact]
    public void Decide_PresentServersAnywhereInTheRows_EqualsTheArgmaxOfTheFullBatchRun()
    {
        // OnnxPolicy runs the network on the present rows only (packed to the front); the choice must
        // be the one of the full [1, S, F] run, wherever the present rows are and however many.
        var env = new MecVecEnv(MecParameters.Gmorl, ContextRange.Test, count: 1, seed: 11);
        var layout = env.Layout;
        var actor = RandomActor(layout, 4, cost: true);
        var path = Export(actor, layout);
        using var policy = OnnxPolicy.Load(path, layout);
        using var batch = new OnnxPolicyBatch(OnnxPolicySession.Open(path, layout));
        int s = layout.MaxServers, f = layout.FeatureCount;
        var servers = new float[s * f];
        var mask = new float[s];
        var pref = new float[2];
        var logits = new float[s];
        var random = new Random(2);
        var rT = new float[1];
        var rE = new float[1];
        var done = new bool[1];
        for (var t = 0; t < 200; t++)
        {
            env.SetPreference(0, random.NextDouble());
            env.Observe(servers, mask, pref);

            // Move the present rows to random places and mark them so.
            var present = env.PresentServers(0);
            var places = Enumerable.Range(0, s).OrderBy(_ => random.Next()).Take(present).Order().ToArray();
            var moved = Enumerable.Repeat(-1f, s * f).ToArray();
            var movedMask = new float[s];
            for (var j = 0; j < present; j++)
            {
                servers.AsSpan(j * f, f).CopyTo(moved.AsSpan(places[j] * f, f));
                movedMask[places[j]] = 1;
            }

            batch.Logits(moved, movedMask, pref, 1, logits);
            var expected = Enumerable.Range(0, s).Where(i => movedMask[i] > 0.5f).MaxBy(i => logits[i]);

            Assert.Equal(expected, policy.Decide(moved, movedMask, pref));
            env.Step([random.Next(present)], rT, rE, done);
        }

        Assert.Equal(-1, policy.Decide(new float[s * f], new float[s], pref));
        var wrong = Assert.Throws<ArgumentException>(() => policy.Decide(new float[(s * f) - 1], new float[s], pref));
        Assert.Contains($"S * F = {s * f}", wrong.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => policy.Decide(new float[s * f], new float[s + 1], pref));
        Assert.Throws<ArgumentException>(() => policy.Decide(new float[s * f], new float[s], new float[3]));
    }
    [Theory]
    [InlineData(0f)]
    [InlineData(7.5f)]
    public void Logits_AbsentRowsHoldingOtherFiniteValues_AreTheSameForPresentRows(float fill)
    {
        // The contract: absent rows hold finite values (the encoder writes -1) and never change
        // present rows' logits; the export's mean pool relies on the first, OnnxPolicy on the second.
        var env = new MecVecEnv(MecParameters.Gmorl, ContextRange.Test, count: 16, seed: 21);
        for (var i = 0; i < 16; i++)
        {
            env.SetPreference(i, i / 15.0);
        }

        int n = env.Count, s = env.MaxServers, f = env.FeatureCount;
        var servers = new float[n * s * f];
        var mask = new float[n * s];
        var pref = new float[n * 2];
        env.Observe(servers, mask, pref);
        var actor = RandomActor(env.Layout, 5, cost: true);
        using var batch = new OnnxPolicyBatch(OnnxPolicySession.Open(Export(actor, env.Layout), env.Layout));
        var expected = new float[n * s];
        batch.Logits(servers, mask, pref, n, expected);

        var refilled = (float[])servers.Clone();
        for (var k = 0; k < n * s; k++)
        {
            if (mask[k] < 0.5f)
            {
                refilled.AsSpan(k * f, f).Fill(fill);
            }
        }

        var actual = new float[n * s];
        batch.Logits(refilled, mask, pref, n, actual);

        Assert.Contains(mask, m => m < 0.5f);
        for (var k = 0; k < n * s; k++)
        {
            Assert.True(mask[k] > 0.5f ? Math.Abs(expected[k] - actual[k]) <= 1e-5 * Math.Max(1, Math.Abs(expected[k])) : float.IsNegativeInfinity(actual[k]),
                $"logit {k} (mask {mask[k]}): {expected[k]} with -1 rows, {actual[k]} with {fill} rows");
        }
    }
}
