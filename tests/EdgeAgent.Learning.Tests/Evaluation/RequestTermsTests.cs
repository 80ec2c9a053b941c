using EdgeAgent.Learning.Evaluation;

namespace EdgeAgent.Learning.Tests.Evaluation;

public sealed class RequestTermsTests
{
    [Fact]
    public void Of_TwoModels_OffloadedShareOfEachModel()
    {
        var terms = RequestTerms.Of(
        [
            ("det", "peer:edge", 0.05, 0, 0.03, 0.02, 0.1, 0),
            ("det", "local", 0.04, 0, 0, 0.04, 0.2, 0.2),
            ("rec", "local", 0.08, 0, 0, 0.08, 0.4, 0.4),
            ("rec", "local", 0.08, 0, 0, 0.08, 0.4, 0.4),
        ]);

        Assert.Equal(0.5, terms.OffloadedByModel["det"], 12);
        Assert.Equal(0.0, terms.OffloadedByModel["rec"], 12);
        Assert.Equal(0.25, terms.OffloadedShare, 12);
        Assert.Equal(0.25, terms.ComputeJoules, 12);
    }

    [Fact]
    public void Mean_TwoPredictions_EveryTermAndShareAveragedRequestsSummed()
    {
        var all = RequestTerms.Of([("rec", "peer:edge", 0.10, 0.01, 0.06, 0.03, 0.2, 0)]).WithProbes(0.02);
        var none = RequestTerms.Of([("rec", "local", 0.08, 0, 0, 0.08, 0.4, 0.4)]);

        var mean = RequestTerms.Mean([all, none]);

        Assert.Equal(2, mean.Requests);
        Assert.Equal(0.09, mean.DelaySeconds, 12);
        Assert.Equal(0.005, mean.QueueSeconds, 12);
        Assert.Equal(0.03, mean.TransferSeconds, 12);
        Assert.Equal(0.055, mean.ExecSeconds, 12);
        Assert.Equal(0.31, mean.EnergyJoules, 12);
        Assert.Equal(0.2, mean.ComputeJoules, 12);
        Assert.Equal(0.01, mean.ProbeJoules, 12);
        Assert.Equal(0.5, mean.Placements["local"], 12);
        Assert.Equal(0.5, mean.OffloadedByModel["rec"], 12);
        Assert.Same(none, RequestTerms.Mean([none]));
        Assert.Throws<ArgumentOutOfRangeException>(() => RequestTerms.Mean([]));
    }
}
