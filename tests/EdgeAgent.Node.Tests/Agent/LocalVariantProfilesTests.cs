using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Profiling;
using EdgeAgent.Node.Agent;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static EdgeAgent.TestModels.TestVariantProfiles;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class LocalVariantProfilesTests : IDisposable
{
    private const string Device = "testbox";
    private readonly TempRepository _repo = new TempRepository()
        .Add("add_neg", 1, TinyOnnx.AddNeg())
        .Add("add_neg", 1, TinyOnnx.AddNeg(), "int8")
        .Add("add_neg", 1, TinyOnnx.AddNeg(), "fp16");

    public void Dispose() => _repo.Dispose();

    private static IReadOnlyList<LocalVariantCost> Map(VariantProfile profile, double maxDrop, ListLogger<LocalVariantProfiles>? logger = null) =>
        LocalVariantProfiles.Map(profile, "p.json", "add_neg", 1, ["fp16", "fp32", "int8"], "fp32", maxDrop, logger ?? new ListLogger<LocalVariantProfiles>());

    [Fact]
    public void Map_ProfiledVariants_DefaultFirstWithP50SecondsAndDrop()
    {
        var profile = Profile("add_neg", 1, "none", new Entry("fp32", 10), new Entry("int8", 4, Accuracy: Agreement(0.995)), new Entry("fp16", 8, Accuracy: Agreement(0.9999)));

        var offered = Map(profile, maxDrop: 1.0);

        Assert.Equal(["fp32", "fp16", "int8"], offered.Select(c => c.Variant));
        Assert.Equal([0.010, 0.008, 0.004], offered.Select(c => c.ExecSeconds));
        Assert.Equal(0.0, offered[0].AccuracyDropPoints);
        Assert.Equal(0.01, offered[1].AccuracyDropPoints, 9);
        Assert.Equal(0.5, offered[2].AccuracyDropPoints, 9);
        Assert.All(offered, c => Assert.Null(c.MeasuredEnergyJoules));
    }

    [Theory]
    [InlineData(1.0, new[] { "fp32", "fp16", "int8" })]
    [InlineData(0.4, new[] { "fp32", "fp16" })]
    [InlineData(0.0, new[] { "fp32", "fp16" })]
    public void Map_AccuracyBound_DropsVariantsThatLoseMore(double maxDrop, string[] expected)
    {
        // fp16 agrees exactly with fp32 (drop 0), so even a bound of 0 allows it; int8 loses 0.5 points.
        var profile = Profile("add_neg", 1, "none", new Entry("fp32", 10), new Entry("int8", 4, Accuracy: Agreement(0.995)), new Entry("fp16", 8, Accuracy: Agreement(1.0)));
        var logger = new ListLogger<LocalVariantProfiles>();

        var offered = Map(profile, maxDrop, logger);

        Assert.Equal(expected, offered.Select(c => c.Variant));
        if (maxDrop < 0.5)
        {
            Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("Variant int8 of add_neg is not offered: it loses 0.5 accuracy points, more than Agent:MaxAccuracyDropPoints", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Map_VariantWithoutAccuracyFigure_NotOfferedButFp32WithoutOneIs()
    {
        var profile = Profile("add_neg", 1, "none", new Entry("fp32", 10), new Entry("int8", 4));
        var logger = new ListLogger<LocalVariantProfiles>();

        var offered = Map(profile, double.PositiveInfinity, logger);

        Assert.Equal(["fp32"], offered.Select(c => c.Variant));
        Assert.Contains(logger.Entries, e => e.Message.Contains("int8 of add_neg is not offered: its accuracy loss against fp32 is unknown", StringComparison.Ordinal));
        Assert.Contains(logger.Entries, e => e.Message.Contains("fp16 of add_neg is not offered: the profile has no entry for it", StringComparison.Ordinal));
    }

    [Fact]
    public void Map_MeasuredPowerSource_CarriesEnergyModelledDoesNot()
    {
        var entries = new[] { new Entry("fp32", 10, Joules: 0.5), new Entry("int8", 4, Joules: 0.2, Accuracy: Agreement(0.999)) };

        var measured = Map(Profile("add_neg", 1, "measured", entries), 1.0);
        var modelled = Map(Profile("add_neg", 1, "modelled", entries), 1.0);

        Assert.Equal([0.5, 0.2], measured.Select(c => c.MeasuredEnergyJoules));
        Assert.All(modelled, c => Assert.Null(c.MeasuredEnergyJoules));
    }

    [Theory]
    [InlineData(-3.0, null, "latency_p50_ms is -3")]
    [InlineData(double.NaN, null, "latency_p50_ms is NaN")]
    [InlineData(2.0, -1.0, "energy_j_per_inference is -1")]
    public void Map_UnusableEntry_OneWarningNamingFileAndVariantAndSkipsIt(double p50, double? joules, string problem)
    {
        var profile = Profile("add_neg", 1, "measured", new Entry("fp32", 10), new Entry("int8", p50, joules, Agreement(0.999)), new Entry("fp16", 8, Accuracy: Agreement(0.999)));
        var logger = new ListLogger<LocalVariantProfiles>();

        var offered = Map(profile, 1.0, logger);

        Assert.Equal(["fp32", "fp16"], offered.Select(c => c.Variant));
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains("'p.json': variant int8 is not offered", warning, StringComparison.Ordinal);
        Assert.Contains(problem, warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_ProfileOfAnotherModel_WarnsAndOffersNothing()
    {
        var logger = new ListLogger<LocalVariantProfiles>();

        var offered = Map(Profile("ocr-det", 1, "none", new Entry("fp32", 10), new Entry("int8", 4, Accuracy: Agreement(1))), 1.0, logger);

        Assert.Empty(offered);
        Assert.Contains("describes ocr-det/1, not add_neg/1", Assert.Single(logger.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ProfileWrittenBySerializer_OffersItsVariants()
    {
        Write(_repo.Root, Device, Profile("add_neg", 1, "none", new Entry("fp32", 10), new Entry("int8", 4, Accuracy: Agreement(0.998))));
        using var catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        var logger = new ListLogger<LocalVariantProfiles>();

        var profiles = new LocalVariantProfiles(catalog, new AgentOptions { ProfileDevice = Device }, logger);

        Assert.Equal(["fp32", "int8"], profiles.For("add_neg").Select(c => c.Variant));
        Assert.Empty(profiles.For("unknown"));
        Assert.Empty(logger.Warnings);
        Assert.Contains(logger.Entries, e => e.Message.Contains("local variants offered fp32 (p50 10 ms", StringComparison.Ordinal));
    }

    [Fact]
    public void Constructor_OtherDevice_OffersNothingAndSaysNoProfile()
    {
        Write(_repo.Root, Device, Profile("add_neg", 1, "none", new Entry("fp32", 10), new Entry("int8", 4, Accuracy: Agreement(0.998))));
        using var catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        var logger = new ListLogger<LocalVariantProfiles>();

        var profiles = new LocalVariantProfiles(catalog, new AgentOptions { ProfileDevice = "jetson" }, logger);

        Assert.Empty(profiles.For("add_neg"));
        Assert.Contains(logger.Entries, e => e.Message.Contains("no profile", StringComparison.Ordinal) && e.Message.Contains(Path.Combine("profiles", "jetson.json"), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("{\"schema\": \"edgeagent.variant-profile/1\", \"model\": \"add_neg\"}")]
    [InlineData("{\"schema\": \"something-else/9\"}")]
    [InlineData("")]
    public void Constructor_MalformedProfile_OneWarningNamingFileAndNoVariantsNoThrow(string json)
    {
        var path = VariantProfile.PathFor(Path.Combine(_repo.Root, "add_neg", "1"), Device);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, json);
        using var catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });
        var logger = new ListLogger<LocalVariantProfiles>();

        var profiles = new LocalVariantProfiles(catalog, new AgentOptions { ProfileDevice = Device }, logger);

        Assert.Empty(profiles.For("add_neg"));
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains(path, warning, StringComparison.Ordinal);
        Assert.Contains("its variants are not offered", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_ProfileFromModelProfiler_IsReadAndOffered()
    {
        var version = ModelRepository.Open(_repo.Root).Latest.Single();
        var options = new ProfileOptions { IntraOpThreads = 1, Runs = 2, Warmup = 1, Device = Device, InputShapes = new Dictionary<string, long[]> { ["a"] = [1, 4], ["b"] = [1, 4] } };
        var profile = ModelProfiler.Profile(version, options, power: null, (variant, _) => Agreement(variant == "fp16" ? 0.9 : 1.0), new FakeTimeProvider());
        profile.Write(VariantProfile.PathFor(version.Directory, Device));
        using var catalog = ModelCatalog.Load(ModelRepository.Open(_repo.Root), new ExecutionOptions { IntraOpThreads = 1 });

        var offered = new LocalVariantProfiles(catalog, new AgentOptions { ProfileDevice = Device }).For("add_neg");

        // fp16 loses 10 points against the 1-point bound; fp32 and int8 are offered with their measured p50.
        Assert.Equal(["fp32", "int8"], offered.Select(c => c.Variant));
        Assert.All(offered, c => Assert.True(c.ExecSeconds > 0));
        Assert.Equal(profile.Variants["int8"].LatencyP50Ms / 1000.0, offered[1].ExecSeconds);
    }
}
