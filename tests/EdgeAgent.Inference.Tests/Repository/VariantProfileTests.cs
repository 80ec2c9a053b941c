using EdgeAgent.Inference.Repository;

namespace EdgeAgent.Inference.Tests.Repository;

public sealed class VariantProfileTests
{
    private static VariantCost Cost(AccuracyFigure? accuracy) => new()
    {
        File = "model.onnx",
        LatencyP50Ms = 2,
        LatencyP95Ms = 3,
        LatencyMeanMs = 2.2,
        PeakMemoryMb = 1,
        MemorySource = "test",
        EnergySource = "not measurable: test",
        Accuracy = accuracy,
    };

    private static VariantProfile Profile(params (string Variant, AccuracyFigure? Accuracy)[] variants) => new()
    {
        Model = "m",
        Version = 1,
        Device = "box",
        MeasuredAt = DateTimeOffset.UnixEpoch,
        Settings = new ProfileSettings(1, 1, false, "all", 2, 1, new Dictionary<string, long[]>()),
        PowerSource = new PowerSourceInfo("none", "none", "test"),
        Variants = variants.ToDictionary(v => v.Variant, v => Cost(v.Accuracy)),
    };

    [Fact]
    public void AccuracyDropPoints_AgreementWithFp32_IsOneMinusValueInPoints()
    {
        var profile = Profile(("fp32", null), ("int8", new AccuracyFigure("box-f1", 0.985, "pages-16", 16, "fp32")));

        Assert.Equal(1.5, profile.AccuracyDropPoints("int8")!.Value, 9);
        Assert.Equal(0.0, profile.AccuracyDropPoints("fp32"));
    }

    [Fact]
    public void AccuracyDropPoints_GroundTruth_IsDifferenceToFp32OnSameMetricAndDataset()
    {
        var profile = Profile(
            ("fp32", new AccuracyFigure("char-accuracy", 0.95, "lines-500", 500, "ground-truth")),
            ("int8", new AccuracyFigure("char-accuracy", 0.942, "lines-500", 500, "ground-truth")),
            ("fp16", new AccuracyFigure("char-accuracy", 0.951, "lines-500", 500, "ground-truth")),
            ("mixed-1", new AccuracyFigure("char-accuracy", 0.9, "other-lines", 500, "ground-truth")));

        Assert.Equal(0.8, profile.AccuracyDropPoints("int8")!.Value, 9);
        Assert.Equal(0.0, profile.AccuracyDropPoints("fp16"));
        Assert.Null(profile.AccuracyDropPoints("mixed-1"));
    }

    [Fact]
    public void AccuracyDropPoints_NoFigureOrNoVariant_IsUnknown()
    {
        var profile = Profile(("fp32", null), ("int8", null), ("fp16", new AccuracyFigure("char-accuracy", 0.9, "lines", 5, "ground-truth")));

        Assert.Null(profile.AccuracyDropPoints("int8"));
        Assert.Null(profile.AccuracyDropPoints("fp16"));
        Assert.Null(profile.AccuracyDropPoints("int4"));
    }
}
