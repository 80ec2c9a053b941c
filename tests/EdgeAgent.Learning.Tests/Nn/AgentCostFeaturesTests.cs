using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Learning.Export;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Nn;

public sealed class AgentCostFeaturesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("agent-cost-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // Environments stepped with random present rows for a while, so queues, peers and models vary.
    private static AgentVecEnv SteppedEnv(int count, ulong seed, int steps)
    {
        var env = new AgentVecEnv(AgentContextRange.Train, count, seed);
        var random = new Random((int)seed);
        var actions = new int[count];
        var rT = new float[count];
        var rE = new float[count];
        var done = new bool[count];
        for (var i = 0; i < count; i++)
        {
            env.SetPreference(i, random.NextDouble());
        }

        for (var t = 0; t < steps; t++)
        {
            for (var i = 0; i < count; i++)
            {
                var present = Enumerable.Range(0, env.MaxServers).Where(r => env.IsPresent(i, r)).ToArray();
                actions[i] = present[random.Next(present.Length)];
            }

            env.Step(actions, rT, rE, done);
        }

        return env;
    }

    [Fact]
    public void Write_OnSimulatorSituations_MatchesTheScalarisedEstimateFromTheRawQuantities()
    {
        // Reference in double from the live observation's SI quantities: c = w (d + 1e-4) / (t_ref + 1e-4)
        // + (1 - w) (e + 1e-6) / (e_ref + 1e-6), t_ref and e_ref the fp32 device row's time and energy.
        var layout = FeatureLayout.Agent();
        var cost = AgentCostFeatures.For(layout);
        var encoder = new ObservationEncoder(layout);
        int s = layout.MaxServers, f = layout.FeatureCount, width = f + 3;
        var checkedRows = 0;
        var random = new Random(4);
        foreach (var seed in new ulong[] { 3, 9 })
        {
            var env = SteppedEnv(16, seed, 40);
            for (var i = 0; i < env.Count; i++)
            {
                var observation = env.CurrentObservation(i);
                var w = random.Next(4) == 0 ? 0.0 : random.NextDouble();
                var servers = new float[s * f];
                var mask = new float[s];
                var preference = new float[2];
                encoder.Encode(observation, new Preference(w), servers, mask, preference);
                var fp32 = observation.Servers[0];
                Assert.True(fp32.Available && fp32.Kind == ServerKind.Local, "row 0 is the device's fp32 variant");
                var task = new TaskState(observation.Task.InputBytes, observation.Task.ExpectedResponseBytes,
                    observation.Task.Deadline is { } d ? d.TotalSeconds : double.PositiveInfinity);
                var present = Enumerable.Range(0, s).Where(r => mask[r] > 0.5f).ToArray();
                var input = new float[present.Length * width];
                for (var k = 0; k < present.Length; k++)
                {
                    servers.AsSpan(present[k] * f, f).CopyTo(input.AsSpan(k * width, f));
                }

                cost.Write(input, width, f, 0, present.Length, preference[0], preference[1]);
                var reference = present.Select(r =>
                {
                    var candidate = ObservationEncoder.ToCandidate(observation.Servers[r], default);
                    var delay = ObservationEncoder.EstimateDelaySeconds(task, candidate);
                    return (w * (delay + 1e-4) / (fp32.ExpectedExecSeconds + 1e-4))
                        + ((1 - w) * (observation.Servers[r].EstimatedEnergyJoules + 1e-6) / (fp32.EstimatedEnergyJoules + 1e-6));
                }).ToArray();
                var min = reference.Min();
                for (var k = 0; k < present.Length; k++)
                {
                    var expectedGap = Math.Log((reference[k] / min) - 1 + 1e-5);
                    var gap = input[(k * width) + f];
                    var tolerance = reference[k] / min - 1 < 1e-3 ? 0.2 : 1e-3 * Math.Max(1, Math.Abs(expectedGap));
                    Assert.True(Math.Abs(gap - expectedGap) <= tolerance, $"seed {seed} env {i} row {present[k]} w {w}: gap {gap}, reference {expectedGap}");
                    var expectedShare = Math.Log((w * (ObservationEncoder.EstimateDelaySeconds(task, ObservationEncoder.ToCandidate(observation.Servers[present[k]], default)) + 1e-4)
                        / (fp32.ExpectedExecSeconds + 1e-4) / reference[k]) + 1e-6);
                    Assert.True(Math.Abs(input[(k * width) + f + 1] - expectedShare) <= 1e-3 * Math.Max(1, Math.Abs(expectedShare)),
                        $"seed {seed} env {i} row {present[k]} w {w}: share {input[(k * width) + f + 1]}, reference {expectedShare}");
                    checkedRows++;
                }

                // The flag marks the estimate's cheapest row (ties within float rounding aside).
                var flagged = Enumerable.Range(0, present.Length).Where(k => input[(k * width) + f + 2] == 1f).ToArray();
                Assert.NotEmpty(flagged);
                Assert.All(flagged, k => Assert.True(reference[k] / min - 1 < 1e-5, $"flagged row {present[k]} costs {reference[k] / min - 1:E2} above the cheapest"));
            }
        }

        Assert.True(checkedRows > 100, $"only {checkedRows} rows checked");
    }

    [Fact]
    public void For_ALayoutWithoutTheEstimates_IsRefusedNamingTheColumn()
    {
        var e = Assert.Throws<ArgumentException>(() => AgentCostFeatures.For(FeatureLayout.Gmorl()));
        Assert.Contains("DelayEstimateLog", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DescribeParse_RoundTrips_InTheShape()
    {
        var shape = new ServerSetShape(37, Hidden: 8, AgentCost: AgentCostFeatures.For(FeatureLayout.Agent()), GreedyBelow: 0.02f);
        Assert.Equal(shape, ServerSetShape.Parse(shape.Describe()));
        Assert.Throws<ArgumentException>(() => new ServerSetNetwork(shape with { Cost = new CostFeatures(0, 1, 2, 3, 4, 1, 1000, 5e-31, 0.01, 0.01, 50) }, new Random(1)));
    }

    private static ServerSetNetwork RandomActor(int seed, bool cost, float greedyBelow, int encoderBlocks = 1, int headBlocks = 1, PreferenceEncoding preference = PreferenceEncoding.Linear)
    {
        var layout = FeatureLayout.Agent();
        return new ServerSetNetwork(new ServerSetShape(layout.FeatureCount, Hidden: 16, EncoderBlocks: encoderBlocks, HeadBlocks: headBlocks, Preference: preference,
            AgentCost: cost ? AgentCostFeatures.For(layout) : null, GreedyBelow: greedyBelow), new Random(seed), outputScale: 1.0);
    }

    private string Export(ServerSetNetwork actor, string name = "policy.onnx")
    {
        var path = Path.Combine(_directory, name);
        PolicyExporter.Save(actor, FeatureLayout.Agent(), path);
        return path;
    }

    private static (float[] Servers, float[] Mask, float[] Preference) Observe(AgentVecEnv env, Func<int, double> weight)
    {
        int n = env.Count, s = env.MaxServers, f = env.FeatureCount;
        for (var i = 0; i < n; i++)
        {
            env.SetPreference(i, weight(i));
        }

        var servers = new float[n * s * f];
        var mask = new float[n * s];
        var preference = new float[n * 2];
        env.Observe(servers, mask, preference);
        return (servers, mask, preference);
    }

    [Theory]
    [InlineData(false, 0f, 1, 1)]
    [InlineData(true, 0f, 1, 1)]
    [InlineData(true, 0.05f, 1, 1)]
    [InlineData(true, 0.05f, 0, 2)]
    public void OnnxRuntime_OnAgentSimulatorObservations_MatchesManagedForwardWithin1e4(bool cost, float greedyBelow, int encoderBlocks, int headBlocks)
    {
        var env = SteppedEnv(24, 5, 30);
        var (servers, mask, preference) = Observe(env, i => i % 6 == 0 ? 0 : i / 23.0);
        int n = env.Count, s = env.MaxServers;
        var actor = RandomActor(7, cost, greedyBelow, encoderBlocks, headBlocks);
        var managed = new float[n * s];
        actor.Forward(servers, mask, preference, n, actor.CreateWorkspace(n, s), managed);
        using var batch = new OnnxPolicyBatch(OnnxPolicySession.Open(Export(actor), env.Layout));
        var onnx = new float[n * s];
        batch.Logits(servers, mask, preference, n, onnx);
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
    public void GreedyEnd_AtEnergyOnly_ThroughOnnxRuntime_ChoosesTheLowestEstimatedEnergyRow()
    {
        var env = SteppedEnv(32, 17, 25);
        int n = env.Count, s = env.MaxServers, f = env.FeatureCount;
        var energyColumn = env.Layout.IndexOf(FeatureKind.EnergyLog);
        var actor = RandomActor(11, cost: true, greedyBelow: 0.02f);
        using var batch = new OnnxPolicyBatch(OnnxPolicySession.Open(Export(actor), env.Layout));
        var logits = new float[n * s];
        var actions = new int[n];
        var rT = new float[n];
        var rE = new float[n];
        var done = new bool[n];
        var decisions = 0;
        for (var t = 0; t < 40; t++)
        {
            var (servers, mask, preference) = Observe(env, _ => 0);
            batch.Logits(servers, mask, preference, n, logits);
            for (var i = 0; i < n; i++)
            {
                var present = Enumerable.Range(0, s).Where(r => mask[(i * s) + r] > 0.5f).ToArray();
                var chosen = present.MaxBy(r => logits[(i * s) + r]);
                var lowest = present.Min(r => servers[(((i * s) + r) * f) + energyColumn]);
                Assert.Equal(lowest, servers[(((i * s) + chosen) * f) + energyColumn]);
                actions[i] = chosen;
                decisions++;
            }

            env.Step(actions, rT, rE, done);
        }

        Assert.True(decisions >= 1000, $"only {decisions} decisions");
    }

    [Theory]
    [InlineData(false, 0f, 1, 1, PreferenceEncoding.Linear)]
    [InlineData(true, 0.02f, 1, 1, PreferenceEncoding.Linear)]
    [InlineData(true, 0f, 0, 2, PreferenceEncoding.Log)]
    [InlineData(false, 0f, 2, 0, PreferenceEncoding.Linear)]
    public void ReadActor_OfAnExportedActor_DecidesAsTheOriginal(bool cost, float greedyBelow, int encoderBlocks, int headBlocks, PreferenceEncoding preference)
    {
        var env = SteppedEnv(24, 21, 20);
        var (servers, mask, prefs) = Observe(env, i => i / 23.0);
        int n = env.Count, s = env.MaxServers;
        var actor = RandomActor(13, cost, greedyBelow, encoderBlocks, headBlocks, preference);
        var read = PolicyImporter.ReadActor(Export(actor));
        Assert.Equal(actor.Shape, read.Shape);
        var expected = new float[n * s];
        var actual = new float[n * s];
        actor.Forward(servers, mask, prefs, n, actor.CreateWorkspace(n, s), expected);
        read.Forward(servers, mask, prefs, n, read.CreateWorkspace(n, s), actual);
        for (var k = 0; k < n * s; k++)
        {
            if (mask[k] > 0.5f)
            {
                Assert.True(Math.Abs(expected[k] - actual[k]) <= 1e-4 * Math.Max(1, Math.Abs(expected[k])), $"logit {k}: original {expected[k]}, read back {actual[k]}");
            }
        }
    }

    [Fact]
    public void ReadActor_OfAFileWithoutArchitecture_SaysSo()
    {
        var path = Path.Combine(_directory, "not-a-policy.onnx");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => PolicyImporter.ReadActor(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
