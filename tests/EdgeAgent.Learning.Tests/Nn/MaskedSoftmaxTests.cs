using EdgeAgent.Learning.Nn;

namespace EdgeAgent.Learning.Tests.Nn;

public sealed class MaskedSoftmaxTests
{
    private static readonly float[] Mask = [1, 0, 1, 1, /**/ 0, 0, 1, 0];

    [Fact]
    public void Forward_PresentEntries_SumToOneAndAbsentAreZero()
    {
        float[] logits = [2, 50, -1, 0.5f, /**/ 9, 9, -3, 9];
        var p = new float[8];
        var lp = new float[8];

        MaskedSoftmax.Forward(logits, Mask, 2, 4, p, lp);

        Assert.Equal(1.0, p[0] + p[2] + p[3], 5);
        Assert.Equal(0f, p[1]);
        Assert.Equal(0f, lp[1]);
        Assert.Equal(1f, p[6], 6);
        Assert.Equal(0f, lp[6], 6);
        Assert.Equal(0f, p[4] + p[5] + p[7]);
        for (var i = 0; i < 8; i++)
        {
            if (Mask[i] > 0)
            {
                Assert.Equal(Math.Log(p[i]), lp[i], 4);
            }
        }
    }

    [Fact]
    public void Forward_ShiftOfLogits_LeavesProbabilitiesUnchanged()
    {
        float[] logits = [2, 0, -1, 0.5f, 0, 0, 1, 0];
        float[] shifted = [.. logits.Select(z => z + 1000f)];
        var p1 = new float[8];
        var p2 = new float[8];
        var lp = new float[8];

        MaskedSoftmax.Forward(logits, Mask, 2, 4, p1, lp);
        MaskedSoftmax.Forward(shifted, Mask, 2, 4, p2, lp);

        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(p1[i], p2[i], 4);
        }
    }

    [Fact]
    public void Forward_AllAbsentRow_GivesZerosNotNaN()
    {
        var p = new float[2];
        var lp = new float[2];
        MaskedSoftmax.Forward([1f, 2f], [0f, 0f], 1, 2, p, lp);
        Assert.Equal([0f, 0f], p);
        Assert.Equal([0f, 0f], lp);
    }

    [Fact]
    public void Backward_MatchesFiniteDifferences()
    {
        var random = new Random(7);
        var logits = GradientCheck.RandomArray(random, 8, 2);
        var cp = GradientCheck.RandomArray(random, 8);
        var cl = GradientCheck.RandomArray(random, 8);
        var p = new float[8];
        var lp = new float[8];
        double Loss()
        {
            MaskedSoftmax.Forward(logits, Mask, 2, 4, p, lp);
            return GradientCheck.Dot(p, cp, 8) + GradientCheck.Dot(lp, cl, 8);
        }

        Loss();
        var dz = new float[8];
        MaskedSoftmax.Backward(p, Mask, cp, cl, 2, 4, dz);

        GradientCheck.Check("logits", logits, dz, Loss, random, eps: 1e-3f);
        Assert.Equal(0f, dz[1]);
    }
}
