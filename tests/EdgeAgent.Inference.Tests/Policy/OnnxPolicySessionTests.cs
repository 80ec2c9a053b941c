using EdgeAgent.Core.Observation;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Learning.Export;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Onnx;
using EdgeAgent.TestModels;
using Microsoft.ML.OnnxRuntime;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Inference.Tests.Policy;

public sealed class OnnxPolicySessionTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "edgeagent-policy-session-" + Guid.NewGuid().ToString("N"));

    public OnnxPolicySessionTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An agent-layout actor with the agent cost features and the greedy end, as the committed policy is built.</summary>
    private string AgentPolicy(int seed)
    {
        var layout = FeatureLayout.Agent();
        var shape = new ServerSetShape(layout.FeatureCount, Hidden: 16, AgentCost: AgentCostFeatures.For(layout), GreedyBelow: 0.02f);
        var path = Path.Combine(_directory, $"agent-{seed}.onnx");
        PolicyExporter.Save(new ServerSetNetwork(shape, new Random(seed)), layout, path);
        return path;
    }

    /// <summary>Plausible agent-layout rows: row 0 the fp32 variant, the rest peers; logs of times and energies in their ranges.</summary>
    private static float[] Rows(FeatureLayout layout, int rows, Random random)
    {
        var f = layout.FeatureCount;
        var x = new float[rows * f];
        for (var r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * f, f);
            for (var c = 0; c < layout.Scalars.Count; c++)
            {
                row[c] = (float)((random.NextDouble() * 4) - 3);
            }

            row[layout.IndexOf(FeatureKind.Bias)] = 1;
            row[layout.IndexOf(FeatureKind.IsLocal)] = r == 0 ? 1 : 0;
            row[layout.IndexOf(FeatureKind.IsQuantizedVariant)] = 0;
            for (var b = layout.Scalars.Count; b < f; b++)
            {
                row[b] = random.Next(3);
            }
        }

        return x;
    }

    [Fact]
    public void OpenPresentRowsSession_EveryRowCount_GivesTheLogitsOfTheFileGraphWithAMaskOfOnes()
    {
        var layout = FeatureLayout.Agent();
        using var session = OnnxPolicySession.Open(AgentPolicy(3), layout);
        var f = layout.FeatureCount;
        var random = new Random(5);
        for (var k = 1; k <= layout.MaxServers; k++)
        {
            using var specialised = session.OpenPresentRowsSession(k);
            Assert.NotNull(specialised);
            Assert.DoesNotContain(specialised.InputMetadata.Keys, name => name == "mask");
            for (var trial = 0; trial < 20; trial++)
            {
                var rows = Rows(layout, k, random);
                var w = trial == 0 ? 0f : trial == 1 ? 1f : (float)random.NextDouble() * (trial % 2 == 0 ? 0.03f : 1f);
                float[] preference = [w, 1 - w];
                var ones = Enumerable.Repeat(1f, k).ToArray();
                using var servers = OrtValue.CreateTensorValueFromMemory(rows, [1, k, f]);
                using var mask = OrtValue.CreateTensorValueFromMemory(ones, [1, k]);
                using var pref = OrtValue.CreateTensorValueFromMemory(preference, [1, 2]);
                using var full = session.Session.Run(new RunOptions(), ["servers", "mask", "preference"], [servers, mask, pref], ["logits"]);
                using var special = specialised.Run(new RunOptions(), ["servers", "preference"], [servers, pref], ["logits"]);
                var expected = full[0].GetTensorDataAsSpan<float>().ToArray();
                var actual = special[0].GetTensorDataAsSpan<float>().ToArray();
                Assert.Equal(k, actual.Length);
                for (var i = 0; i < k; i++)
                {
                    Assert.True(
                        Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])),
                        $"{k} rows, w_delay {w}: logit {i} is {actual[i]} specialised, {expected[i]} from the file's graph");
                }
            }
        }
    }

    [Fact]
    public void Load_AgentPolicy_DecidesThroughSpecialisedSessionsAsTheFileGraphDoes()
    {
        var layout = FeatureLayout.Agent();
        var path = AgentPolicy(4);
        using var specialised = OnnxPolicy.Load(path, layout);
        using var fileGraph = OnnxPolicy.Load(path, layout, new OnnxPolicyOptions { SpecializePresentRows = false });
        Assert.Equal(layout.MaxServers, specialised.SpecialisedRowCounts);
        Assert.Equal(0, fileGraph.SpecialisedRowCounts);

        int s = layout.MaxServers, f = layout.FeatureCount;
        var random = new Random(6);
        for (var t = 0; t < 300; t++)
        {
            // Present rows anywhere among the S rows, absent rows -1 as the encoder writes them.
            var present = 1 + random.Next(s);
            var rows = Rows(layout, present, random);
            var servers = Enumerable.Repeat(-1f, s * f).ToArray();
            var mask = new float[s];
            var places = Enumerable.Range(0, s).OrderBy(_ => random.Next()).Take(present).Order().ToArray();
            for (var j = 0; j < present; j++)
            {
                rows.AsSpan(j * f, f).CopyTo(servers.AsSpan(places[j] * f, f));
                mask[places[j]] = 1;
            }

            var w = (float)random.NextDouble();
            float[] preference = [w, 1 - w];
            Assert.Equal(fileGraph.Decide(servers, mask, preference), specialised.Decide(servers, mask, preference));
        }
    }

    [Fact]
    public void Load_HandBuiltPolicyOfOtherNodes_IsSpecialisedAndChoosesAsBuilt()
    {
        // Not the exporter's graph: its mask enters through Sub and Mul; specialised, the penalty is 0.
        var layout = FeatureLayout.Agent();
        var path = PolicyFiles.PreferLocal(Path.Combine(_directory, "prefer-local.onnx"), layout);
        using var policy = OnnxPolicy.Load(path, layout);
        Assert.Equal(layout.MaxServers, policy.SpecialisedRowCounts);
        int s = layout.MaxServers, f = layout.FeatureCount;
        var servers = Enumerable.Repeat(-1f, s * f).ToArray();
        var mask = new float[s];
        foreach (var (row, isLocal) in new[] { (2, 0f), (5, 1f), (7, 0f) })
        {
            servers.AsSpan(row * f, f).Clear();
            servers[(row * f) + layout.IndexOf(FeatureKind.IsLocal)] = isLocal;
            mask[row] = 1;
        }

        Assert.Equal(5, policy.Decide(servers, mask, [0.5f, 0.5f]));
    }

    [Fact]
    public void RemoveIdentityNodes_OnesAndZeros_RemovedWhereTheyPassAValueThrough()
    {
        // y = Sum(x * ones, zeros + x, x - zeros, zeros, x * twos) * ones: the output node stays.
        var model = new GraphBuilder("identities")
            .Input("x", DataType.Float, 1, 3)
            .Output("y", DataType.Float, 1, 3)
            .Initializer("ones", [1f, 1f, 1f], 1, 3)
            .Initializer("zeros", [0f, -0f, 0f], 1, 3)
            .Initializer("twos", [2f, 2f, 2f], 1, 3)
            .Node("Mul", ["x", "ones"], ["a"])
            .Node("Add", ["zeros", "x"], ["b"])
            .Node("Sub", ["x", "zeros"], ["c"])
            .Node("Sub", ["zeros", "x"], ["minus_x"])
            .Node("Mul", ["x", "twos"], ["d"])
            .Node("Sum", ["a", "b", "c", "zeros", "d", "minus_x"], ["e"])
            .Node("Mul", ["e", "ones"], ["y"])
            .Build();

        var removed = OnnxPolicySession.RemoveIdentityNodes(model.Graph);

        // Mul(x, ones), Add(zeros, x), Sub(x, zeros) go; the Sum loses its zero term; 0 - x and x * 2 stay; so does the output's node.
        Assert.Equal(4, removed);
        Assert.Equal(["Sub", "Mul", "Sum", "Mul"], model.Graph.Node.Select(n => n.OpType));
        Assert.Equal(["x", "x", "x", "d", "minus_x"], model.Graph.Node.Single(n => n.OpType == "Sum").Input);
    }

    [Fact]
    public void OpenPresentRowsSession_CommittedAgentPolicy_SameDecisionsAsTheFileGraph()
    {
        var file = Path.Combine(RepositoryRoot(), "policies", "agent-default.onnx");
        using var session = OnnxPolicySession.Open(file, null);
        var layout = session.Layout;
        var f = layout.FeatureCount;
        var random = new Random(9);
        for (var k = 1; k <= layout.MaxServers; k++)
        {
            using var specialised = session.OpenPresentRowsSession(k);
            Assert.NotNull(specialised);
            for (var trial = 0; trial < 10; trial++)
            {
                var rows = Rows(layout, k, random);
                var w = (float)random.NextDouble();
                float[] preference = [w, 1 - w];
                using var servers = OrtValue.CreateTensorValueFromMemory(rows, [1, k, f]);
                using var mask = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1f, k).ToArray(), [1, k]);
                using var pref = OrtValue.CreateTensorValueFromMemory(preference, [1, 2]);
                using var full = session.Session.Run(new RunOptions(), ["servers", "mask", "preference"], [servers, mask, pref], ["logits"]);
                using var special = specialised.Run(new RunOptions(), ["servers", "preference"], [servers, pref], ["logits"]);
                var expected = full[0].GetTensorDataAsSpan<float>().ToArray();
                var actual = special[0].GetTensorDataAsSpan<float>().ToArray();
                for (var i = 0; i < k; i++)
                {
                    Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4 * Math.Max(1, Math.Abs(expected[i])), $"{k} rows: logit {i} is {actual[i]} specialised, {expected[i]} from the file's graph");
                }
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EdgeAgent.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (EdgeAgent.sln) was not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void OpenPresentRowsSession_RowCountOutsideOneToS_Throws()
    {
        var layout = FeatureLayout.Agent();
        using var session = OnnxPolicySession.Open(AgentPolicy(5), layout);
        Assert.Throws<ArgumentOutOfRangeException>(() => session.OpenPresentRowsSession(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.OpenPresentRowsSession(layout.MaxServers + 1));
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "Infinity")]
    [InlineData(float.NegativeInfinity, "-Infinity")]
    public void Open_PolicyWithANonFiniteWeight_IsRefusedNamingTheTensorAndElement(float value, string shown)
    {
        // ONNX Runtime loads such a file; its logits would be NaN and every decision the first row.
        var path = AgentPolicy(9);
        var model = OnnxModelFile.Load(path);
        var victim = model.Graph.Initializer.Where(t => t.DataType == (int)DataType.Float).OrderByDescending(OnnxTensors.ElementCount).First();
        var values = OnnxTensors.ToFloats(victim);
        values[values.Length / 2] = value;
        var replacement = OnnxTensors.FromFloats(victim.Name, values, [.. victim.Dims]);
        model.Graph.Initializer[model.Graph.Initializer.IndexOf(victim)] = replacement;
        OnnxModelFile.Save(model, path);

        var error = Assert.Throws<PolicyFileException>(() => OnnxPolicySession.Open(path, FeatureLayout.Agent()));

        Assert.Equal($"Policy file '{path}': weight '{victim.Name}' holds {shown} at element {values.Length / 2} of {values.Length}; the file is damaged or its training diverged, and it would decide nothing sensible.", error.Message);
    }

    [Fact]
    public void Open_CommittedPolicies_AllWeightsFinite()
    {
        foreach (var file in new[] { "agent-default.onnx", "gmorl-default.onnx" })
        {
            var path = Path.Combine(RepositoryRoot(), "policies", file);
            OnnxPolicySession.CheckWeightsFinite(path, File.ReadAllBytes(path));
        }
    }

    [Fact]
    public void Open_Directory_IsRefusedSayingSo()
    {
        var error = Assert.Throws<PolicyFileException>(() => OnnxPolicySession.Open(_directory, FeatureLayout.Agent()));

        Assert.Equal($"Policy file '{_directory}' is a directory; give the policy's .onnx file.", error.Message);
    }

    [Fact]
    public void CheckWeightsFinite_HalfPrecisionWeightWithInfinity_IsRefused()
    {
        // A policy may keep weights in float16 and Cast them up; their non-finite values matter as much.
        var model = new GraphBuilder("half_weights")
            .Opset(17)
            .Input("x", DataType.Float, 1)
            .Output("y", DataType.Float, 1)
            .Initializer(OnnxTensors.FromHalves("w16", [(Half)1, Half.PositiveInfinity], 2))
            .Node("Identity", ["x"], ["y"])
            .Build();
        var path = Path.Combine(_directory, "half.onnx");

        var error = Assert.Throws<PolicyFileException>(() => OnnxPolicySession.CheckWeightsFinite(path, OnnxModelFile.ToBytes(model)));

        Assert.StartsWith($"Policy file '{path}': weight 'w16' holds Infinity at element 1 of 2;", error.Message, StringComparison.Ordinal);
    }
}
