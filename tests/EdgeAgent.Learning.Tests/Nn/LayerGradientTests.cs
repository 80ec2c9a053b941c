using EdgeAgent.Learning.Nn;

namespace EdgeAgent.Learning.Tests.Nn;

public sealed class LayerGradientTests
{
    [Theory]
    [InlineData(7, 13, 19)]
    [InlineData(9, 69, 64)]
    [InlineData(5, 16, 1)]
    [InlineData(1, 3, 40)]
    public void Linear_Backward_MatchesFiniteDifferences(int rows, int inputs, int outputs)
    {
        var random = new Random(1);
        var layer = new Linear("l", inputs, outputs, random);
        layer.Bias!.InitUniform(random, 0.5);
        var x = GradientCheck.RandomArray(random, rows * inputs);
        var c = GradientCheck.RandomArray(random, rows * outputs);
        var y = new float[rows * outputs];
        double Loss()
        {
            layer.Forward(x, rows, y);
            return GradientCheck.Dot(y, c, y.Length);
        }

        var dx = new float[rows * inputs];
        layer.Forward(x, rows, y);
        layer.Backward(x, c, rows, dx);

        GradientCheck.Check("weight", layer.Weight.Value, layer.Weight.Gradient, Loss, random);
        GradientCheck.Check("bias", layer.Bias.Value, layer.Bias.Gradient, Loss, random);
        GradientCheck.Check("input", x, dx, Loss, random);
    }

    [Fact]
    public void Linear_Forward_MatchesNaiveProductOnLargeBatch()
    {
        var random = new Random(2);
        const int Rows = 301, Inputs = 37, Outputs = 53;
        var layer = new Linear("l", Inputs, Outputs, random);
        layer.Bias!.InitUniform(random, 1);
        var x = GradientCheck.RandomArray(random, Rows * Inputs);
        var y = new float[Rows * Outputs];

        layer.Forward(x, Rows, y);

        for (var r = 0; r < Rows; r++)
        {
            for (var o = 0; o < Outputs; o++)
            {
                double expected = layer.Bias.Value[o];
                for (var k = 0; k < Inputs; k++)
                {
                    expected += (double)x[(r * Inputs) + k] * layer.Weight.Value[(k * Outputs) + o];
                }

                Assert.True(Math.Abs(expected - y[(r * Outputs) + o]) < 1e-4, $"row {r} column {o}");
            }
        }
    }

    [Fact]
    public void Linear_BackwardTwice_AccumulatesGradients()
    {
        var random = new Random(3);
        var layer = new Linear("l", 4, 3, random);
        var x = GradientCheck.RandomArray(random, 8);
        var dy = GradientCheck.RandomArray(random, 6);
        layer.Backward(x, dy, 2, null);
        var once = (float[])layer.Weight.Gradient.Clone();

        layer.Backward(x, dy, 2, null);

        for (var i = 0; i < once.Length; i++)
        {
            Assert.Equal(2 * once[i], layer.Weight.Gradient[i], 5);
        }
    }

    [Theory]
    [InlineData(0.01f)]
    [InlineData(0f)]
    public void LeakyRelu_Backward_MatchesFiniteDifferences(float slope)
    {
        var random = new Random(4);
        var x = GradientCheck.RandomArray(random, 37);
        var c = GradientCheck.RandomArray(random, 37);
        var y = new float[37];
        double Loss()
        {
            Activations.LeakyRelu(x, y, slope);
            return GradientCheck.Dot(y, c, 37);
        }

        Loss();
        var dx = new float[37];
        Activations.LeakyReluBackward(y, c, dx, slope);

        GradientCheck.Check("input", x, dx, Loss, random, eps: 1e-3f);
    }

    [Fact]
    public void LeakyRelu_Forward_ScalesNegativesOnly()
    {
        var y = new float[3];
        Activations.LeakyRelu([-2f, 0f, 3f], y, 0.1f);
        Assert.Equal([-0.2f, 0f, 3f], y);
    }

    [Fact]
    public void ResidualBlock_Backward_MatchesFiniteDifferences()
    {
        var random = new Random(5);
        const int Rows = 6, Width = 11;
        var block = new ResidualBlock("b", Width, 0.01f, random);
        var x = GradientCheck.RandomArray(random, Rows * Width);
        var c = GradientCheck.RandomArray(random, Rows * Width);
        var hidden = new float[Rows * Width];
        var y = new float[Rows * Width];
        double Loss()
        {
            block.Forward(x, Rows, hidden, y);
            return GradientCheck.Dot(y, c, y.Length);
        }

        Loss();
        var dx = new float[Rows * Width];
        var scratch = new float[Rows * Width];
        block.Backward(x, hidden, c, Rows, dx, scratch);

        foreach (var p in block.Parameters)
        {
            GradientCheck.Check(p.Name, p.Value, p.Gradient, Loss, random, eps: 1e-3f);
        }

        GradientCheck.Check("input", x, dx, Loss, random, eps: 1e-3f);
    }

    [Fact]
    public void MaskedPooling_Backward_MatchesFiniteDifferences()
    {
        var random = new Random(6);
        const int Batch = 3, Rows = 5, Width = 9;
        var h = GradientCheck.RandomArray(random, Batch * Rows * Width);
        float[] mask = [1, 0, 1, 1, 0, /**/ 1, 1, 1, 1, 1, /**/ 0, 0, 1, 0, 0];
        var cMean = GradientCheck.RandomArray(random, Batch * Width);
        var cMax = GradientCheck.RandomArray(random, Batch * Width);
        var mean = new float[Batch * Width];
        var max = new float[Batch * Width];
        var arg = new int[Batch * Width];
        double Loss()
        {
            MaskedPooling.Forward(h, mask, Batch, Rows, Width, mean, max, arg);
            return GradientCheck.Dot(mean, cMean, mean.Length) + GradientCheck.Dot(max, cMax, max.Length);
        }

        Loss();
        var dh = new float[h.Length];
        MaskedPooling.Backward(mask, Batch, Rows, Width, cMean, cMax, arg, dh);

        GradientCheck.Check("input", h, dh, Loss, random, samples: h.Length, eps: 1e-3f);
        for (var r = 0; r < Batch * Rows; r++)
        {
            if (mask[r] == 0)
            {
                Assert.All(dh.AsSpan(r * Width, Width).ToArray(), g => Assert.Equal(0f, g));
            }
        }
    }

    [Fact]
    public void MaskedPooling_Forward_IgnoresAbsentRows()
    {
        float[] h = [1, 100, 3, -100];
        float[] mask = [1, 0, 1, 0];
        var mean = new float[1];
        var max = new float[1];
        var arg = new int[1];

        MaskedPooling.Forward(h, mask, 1, 4, 1, mean, max, arg);

        Assert.Equal(2f, mean[0]);
        Assert.Equal(3f, max[0]);
        Assert.Equal(2, arg[0]);
    }
}
