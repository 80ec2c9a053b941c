using EdgeAgent.Learning.Nn;

namespace EdgeAgent.Learning.Tests.Nn;

public sealed class OptimiserTests
{
    [Fact]
    public void Adam_OnQuadratic_ConvergesToMinimum()
    {
        var p = new Parameter("p", 3);
        p.Value[0] = 5; p.Value[1] = -3; p.Value[2] = 1;
        float[] target = [1, 2, -1];
        var adam = new Adam([p], 0.05);

        for (var step = 0; step < 2000; step++)
        {
            for (var i = 0; i < 3; i++)
            {
                p.Gradient[i] = 2 * (p.Value[i] - target[i]);
            }

            adam.Step();
        }

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(target[i], p.Value[i], 2);
        }
    }

    [Fact]
    public void Adam_FirstStep_MovesEachWeightByLearningRate()
    {
        var p = new Parameter("p", 2);
        p.Gradient[0] = 100; p.Gradient[1] = -0.001f;
        new Adam([p], 0.01).Step();
        Assert.Equal(-0.01f, p.Value[0], 5);
        Assert.Equal(0.01f, p.Value[1], 4);
    }

    [Fact]
    public void ClipGradientNorm_AboveMaximum_ScalesToMaximumAndReturnsOriginalNorm()
    {
        var a = new Parameter("a", 1);
        var b = new Parameter("b", 1);
        a.Gradient[0] = 3; b.Gradient[0] = 4;

        var norm = ParameterSet.ClipGradientNorm([a, b], 1.0);

        Assert.Equal(5.0, norm, 6);
        Assert.Equal(1.0, ParameterSet.GradientNorm([a, b]), 5);
        Assert.Equal(0.6f, a.Gradient[0], 5);
    }

    [Fact]
    public void ClipGradientNorm_BelowMaximum_LeavesGradients()
    {
        var a = new Parameter("a", 2);
        a.Gradient[0] = 0.3f;
        ParameterSet.ClipGradientNorm([a], 1.0);
        Assert.Equal(0.3f, a.Gradient[0]);
    }

    [Fact]
    public void SoftUpdate_MovesTargetByTau()
    {
        var s = new Parameter("w", 1);
        var t = new Parameter("w", 1);
        s.Value[0] = 10;
        ParameterSet.SoftUpdate([s], [t], 0.1f);
        Assert.Equal(1f, t.Value[0], 5);
    }
}
