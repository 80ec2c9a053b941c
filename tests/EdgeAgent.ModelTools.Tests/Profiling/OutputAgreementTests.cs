using EdgeAgent.ModelTools.Profiling;

namespace EdgeAgent.ModelTools.Tests.Profiling;

public sealed class OutputAgreementTests
{
    [Fact]
    public void OutputAgreement_ScaledOutputs_HaveCosineOneAndAgreeingArgmax()
    {
        var agreement = new OutputAgreement();
        agreement.Add([1, 2, 3, 3, 2, 1], [2, 4, 6, 6, 4, 2], classCount: 3);

        Assert.Equal(1.0, agreement.MeanCosine, 10);
        Assert.Equal(1.0, agreement.Top1Agreement);
    }

    [Fact]
    public void OutputAgreement_OrthogonalAndSwappedRows_CountsEach()
    {
        var agreement = new OutputAgreement();
        agreement.Add([1, 0, 0, 1], [0, 1, 0, 1], classCount: 2);
        agreement.Add([1, 0], [1, 0]);

        Assert.Equal(2, agreement.Samples);
        Assert.Equal(0.5, agreement.MinCosine, 10);
        Assert.Equal((0.5 + 1) / 2, agreement.MeanCosine, 10);
        Assert.Equal(0.5, agreement.Top1Agreement);
    }

    [Fact]
    public void OutputAgreement_LengthMismatch_Throws()
    {
        Assert.Throws<ArgumentException>(() => new OutputAgreement().Add([1, 2], [1]));
    }
}
