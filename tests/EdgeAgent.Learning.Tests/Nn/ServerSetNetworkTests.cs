using EdgeAgent.Learning.Nn;

namespace EdgeAgent.Learning.Tests.Nn;

public sealed class ServerSetNetworkTests
{
    private const int Batch = 3;
    private const int Rows = 5;
    private static readonly float[] Mask = [1, 1, 0, 1, 0, /**/ 1, 1, 1, 1, 1, /**/ 1, 0, 0, 0, 0];

    private static (float[] Servers, float[] Preference) Inputs(Random random, int features)
    {
        var servers = GradientCheck.RandomArray(random, Batch * Rows * features);
        for (var r = 0; r < Batch * Rows; r++)
        {
            if (Mask[r] == 0)
            {
                Array.Fill(servers, -1f, r * features, features);
            }
        }

        float[] preference = [0.2f, 0.8f, 0.9f, 0.1f, 0.5f, 0.5f];
        return (servers, preference);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    public void Backward_EveryParameter_MatchesFiniteDifferences(int seed)
    {
        var random = new Random(seed);
        var shape = new ServerSetShape(Features: 6, Hidden: 8, EncoderBlocks: 1, HeadBlocks: 1);
        var network = new ServerSetNetwork(shape, random, outputScale: 1.0);
        var (servers, preference) = Inputs(random, 6);
        CheckEveryParameter(network, servers, preference, random);
    }

    [Theory]
    [InlineData(21)]
    [InlineData(22)]
    public void Backward_WithCostFeaturesAndGreedyEnd_MatchesFiniteDifferences(int seed)
    {
        // Gates 0.4, 1 and 0 (w_delay 0.2, 0.9, 0): the blend and its zero-gradient end.
        var random = new Random(seed);
        var shape = new ServerSetShape(Features: 7, Hidden: 8, Cost: GreedyTestCost, GreedyBelow: 0.5f);
        var network = new ServerSetNetwork(shape, random, outputScale: 1.0);
        var servers = CostInputs(random);
        float[] preference = [0.2f, 0.8f, 0.9f, 0.1f, 0f, 1f];
        CheckEveryParameter(network, servers, preference, random);
    }

    /// <summary>Checks every parameter's gradient of a random linear function of the present outputs against finite differences.</summary>
    private static void CheckEveryParameter(ServerSetNetwork network, float[] servers, float[] preference, Random random)
    {
        var c = GradientCheck.RandomArray(random, Batch * Rows);
        var ws = network.CreateWorkspace(Batch, Rows);
        var output = new float[Batch * Rows];
        double Loss()
        {
            network.Forward(servers, Mask, preference, Batch, ws, output);
            double sum = 0;
            for (var i = 0; i < output.Length; i++)
            {
                sum += Mask[i] * output[i] * c[i];
            }

            return sum;
        }

        Loss();
        ParameterSet.ZeroGradients(network.Parameters);
        network.Backward(ws, c);

        foreach (var p in network.Parameters)
        {
            GradientCheck.Check(p.Name, p.Value, p.Gradient, Loss, random, samples: 25, eps: 1e-3f, tolerance: 3e-2);
        }
    }

    private static readonly CostFeatures GreedyTestCost = new(0, 1, 2, 3, 4, 1, 1000, 5e-31, 0.01, 0.01, 50);

    /// <summary>Rows of 7 features the cost features read as a system: GHz, Mbit, upload seconds and a 4-bin histogram.</summary>
    private static float[] CostInputs(Random random)
    {
        const int Features = 7;
        var (servers, _) = Inputs(random, Features);
        for (var r = 0; r < Batch * Rows; r++)
        {
            if (Mask[r] > 0)
            {
                servers[(r * Features) + 0] = 1f + (float)random.NextDouble();
                servers[(r * Features) + 1] = 1f + (9f * (float)random.NextDouble());
                servers[(r * Features) + 2] = 0.01f + (float)random.NextDouble();
                for (var k = 3; k < Features; k++)
                {
                    servers[(r * Features) + k] = random.Next(3);
                }
            }
        }

        return servers;
    }

    [Fact]
    public void Forward_GreedyEnd_IsMinusTheGapAtZero_TheNetworkFromGreedyBelow_AndTheBlendBetween()
    {
        const int Features = 7;
        var random = new Random(23);
        var servers = CostInputs(random);

        var plain = new ServerSetNetwork(new ServerSetShape(Features, Hidden: 16, Cost: GreedyTestCost), new Random(5), outputScale: 1.0);
        var greedy = new ServerSetNetwork(plain.Shape with { GreedyBelow = 0.1f }, new Random(5), outputScale: 1.0);
        float[] preference = [0f, 1f, 0.04f, 0.96f, 0.25f, 0.75f];
        var network = new float[Batch * Rows];
        var blended = new float[Batch * Rows];
        plain.Forward(servers, Mask, preference, Batch, plain.CreateWorkspace(Batch, Rows), network);
        greedy.Forward(servers, Mask, preference, Batch, greedy.CreateWorkspace(Batch, Rows), blended);

        // The gap column as the cost features write it, sample by sample over the present rows.
        var width = Features + 2 + CostFeatures.Count;
        for (var b = 0; b < Batch; b++)
        {
            var present = Enumerable.Range(0, Rows).Where(j => Mask[(b * Rows) + j] > 0).ToArray();
            var rows = new float[present.Length * width];
            for (var k = 0; k < present.Length; k++)
            {
                servers.AsSpan(((b * Rows) + present[k]) * Features, Features).CopyTo(rows.AsSpan(k * width));
            }

            GreedyTestCost.Write(rows, width, Features + 2, 0, present.Length, preference[2 * b], preference[(2 * b) + 1]);
            var gate = b switch { 0 => 0f, 1 => 0.4f, _ => 1f };
            for (var k = 0; k < present.Length; k++)
            {
                var i = (b * Rows) + present[k];
                var gap = rows[(k * width) + Features + 2];
                Assert.Equal((gate * network[i]) + ((gate - 1) * gap), blended[i], 4);
            }

            if (b == 0)
            {
                var chosen = present.MaxBy(j => blended[(b * Rows) + j]);
                var cheapest = present[Enumerable.Range(0, present.Length).MinBy(k => rows[(k * width) + Features + 2])];
                Assert.Equal(cheapest, chosen);
            }
        }
    }

    [Fact]
    public void Shape_GreedyBelowWithoutCostFeaturesOrOutOfRange_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new ServerSetNetwork(new ServerSetShape(7, GreedyBelow: 0.01f), new Random(1)));
        Assert.Contains("no cost features", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => new ServerSetNetwork(new ServerSetShape(7, Cost: GreedyTestCost, GreedyBelow: 1.5f), new Random(1)));
        Assert.Contains("GreedyBelow must be in [0, 1)", e.Message, StringComparison.Ordinal);
        var f = Assert.Throws<FormatException>(() => ServerSetShape.Parse("serverset-v1 features=68 hidden=64 encoder_blocks=1 head_blocks=1 slope=0.01 greedy_below=low"));
        Assert.Contains("greedy_below 'low'", f.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serverset-v1 features=6% hidden=8 encoder_blocks=1 head_blocks=1 slope=0.01", "features '6%' in the network description")]
    [InlineData("serverset-v1 features=68 hidden=-8 encoder_blocks=1 head_blocks=1 slope=0.01", "hidden '-8' in the network description")]
    [InlineData("serverset-v1 features=68 hidden=8 encoder_blocks=99999999999 head_blocks=1 slope=0.01", "encoder_blocks '99999999999'")]
    [InlineData("serverset-v1 features=68 hidden=8 encoder_blocks=1 head_blocks=1 slope=NaN", "slope 'NaN' in the network description")]
    [InlineData("serverset-v1 features=68 hidden=8 hidden=9 head_blocks=1 slope=0.01", "'hidden' appears twice")]
    public void Parse_DamagedDescription_FormatExceptionNamingTheField(string text, string expected)
    {
        // A checkpoint or policy file whose metadata was damaged: one line naming the field, not .NET's "input string was not in a correct format".
        var e = Assert.Throws<FormatException>(() => ServerSetShape.Parse(text));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_PermutedServers_PermutesOutputs(bool cost)
    {
        var random = new Random(12);
        const int Features = 7;
        var costFeatures = cost ? new CostFeatures(0, 1, 2, 3, 4, 1, 1000, 5e-31, 0.01, 0.01, 50) : null;
        var network = new ServerSetNetwork(new ServerSetShape(Features, Hidden: 16, Cost: costFeatures), random, outputScale: 1.0);
        var (servers, preference) = Inputs(random, Features);
        int[] permutation = [3, 0, 4, 1, 2];
        var permutedServers = new float[servers.Length];
        var permutedMask = new float[Mask.Length];
        for (var b = 0; b < Batch; b++)
        {
            for (var s = 0; s < Rows; s++)
            {
                var from = (b * Rows) + permutation[s];
                Array.Copy(servers, from * Features, permutedServers, ((b * Rows) + s) * Features, Features);
                permutedMask[(b * Rows) + s] = Mask[from];
            }
        }

        var ws = network.CreateWorkspace(Batch, Rows);
        var output = new float[Batch * Rows];
        var permutedOutput = new float[Batch * Rows];

        network.Forward(servers, Mask, preference, Batch, ws, output);
        network.Forward(permutedServers, permutedMask, preference, Batch, ws, permutedOutput);

        for (var b = 0; b < Batch; b++)
        {
            for (var s = 0; s < Rows; s++)
            {
                if (permutedMask[(b * Rows) + s] > 0)
                {
                    Assert.Equal(output[(b * Rows) + permutation[s]], permutedOutput[(b * Rows) + s], 4);
                }
            }
        }
    }

    [Fact]
    public void Forward_AbsentRowContents_DoNotChangePresentOutputs()
    {
        var random = new Random(13);
        var network = new ServerSetNetwork(new ServerSetShape(4, Hidden: 8), random, outputScale: 1.0);
        var (servers, preference) = Inputs(random, 4);
        var ws = network.CreateWorkspace(Batch, Rows);
        var a = new float[Batch * Rows];
        var b = new float[Batch * Rows];
        network.Forward(servers, Mask, preference, Batch, ws, a);
        Array.Fill(servers, 37f, 2 * 4, 4); // row 2 of sample 0 is absent

        network.Forward(servers, Mask, preference, Batch, ws, b);

        for (var i = 0; i < a.Length; i++)
        {
            if (Mask[i] > 0)
            {
                Assert.Equal(a[i], b[i], 5);
            }
        }
    }

    [Fact]
    public void Forward_FewerRowsThanWorkspaceMaximum_Works()
    {
        var random = new Random(14);
        var network = new ServerSetNetwork(new ServerSetShape(4, Hidden: 8), random);
        var ws = network.CreateWorkspace(2, 2);
        var output = new float[4];
        network.Forward(GradientCheck.RandomArray(random, 16), [1, 1, 1, 0], [0.5f, 0.5f, 1f, 0f], 1, ws, output);
        Assert.True(float.IsFinite(output[0]) && float.IsFinite(output[1]));
    }

    [Fact]
    public void DefaultShape_AtGmorlLayout_StaysUnderQuarterMillionFloats()
    {
        var network = new ServerSetNetwork(new ServerSetShape(Features: 67, Hidden: 96), new Random(1));
        Assert.True(3 * network.ParameterCount <= 250_000, $"three networks need {3 * network.ParameterCount} floats");
    }

    [Theory]
    [InlineData(PreferenceEncoding.Linear)]
    [InlineData(PreferenceEncoding.Log)]
    public void Shape_DescribeThenParse_RoundTrips(PreferenceEncoding preference)
    {
        var shape = new ServerSetShape(68, Hidden: 64, EncoderBlocks: 1, HeadBlocks: 2, Slope: 0.02f, Preference: preference);
        var withCost = shape with { Cost = new CostFeatures(1, 3, 7, 8, 60, 1, 1000, 5e-31, 0.01, 0.01, 50) };

        Assert.Equal(withCost, ServerSetShape.Parse(withCost.Describe()));
        var greedy = withCost with { GreedyBelow = 0.01f };
        Assert.Contains(" greedy_below=0.01", greedy.Describe(), StringComparison.Ordinal);
        Assert.Equal(greedy, ServerSetShape.Parse(greedy.Describe()));
        Assert.Equal(73, withCost.InputWidth - (preference == PreferenceEncoding.Log ? 2 : 0));
        Assert.Equal(shape, ServerSetShape.Parse(shape.Describe()));
    }

    [Fact]
    public void Shape_DescriptionWithoutPreferenceKey_ReadsAsLinear_UnknownEncodingIsRefused()
    {
        Assert.Equal(PreferenceEncoding.Linear, ServerSetShape.Parse("serverset-v1 features=68 hidden=64 encoder_blocks=1 head_blocks=1 slope=0.01").Preference);
        var e = Assert.Throws<FormatException>(() => ServerSetShape.Parse("serverset-v1 features=68 hidden=64 encoder_blocks=1 head_blocks=1 slope=0.01 preference=cubic"));
        Assert.Contains("cubic", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EncodePreference_Log_AppendsLogarithmsThatSeparateSmallWeights()
    {
        var shape = new ServerSetShape(3, Preference: PreferenceEncoding.Log);
        var a = new float[4];
        var b = new float[4];

        shape.EncodePreference(0f, 1f, a);
        shape.EncodePreference(0.02f, 0.98f, b);

        Assert.Equal(7, shape.InputWidth);
        Assert.Equal([0f, 1f, MathF.Log(0.01f), MathF.Log(1.01f)], a);
        Assert.True(b[2] - a[2] > 1f); // ln(0.03) - ln(0.01) = 1.1, against 0.02 in the raw weight
    }
}
