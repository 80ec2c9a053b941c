using EdgeAgent.Inference.Repository;
using EdgeAgent.ModelTools.Profiling;
using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.ModelTools.Tests.Quantization;
using EdgeAgent.Onnx;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.ModelTools.Tests.Profiling;

public class ModelProfilerTests
{
    private sealed class CountingPower(bool cumulative) : IPowerProbe
    {
        private double _joules;

        public string Name => "fake";

        public bool Measured => true;

        public string Description => "test power source";

        public bool TryRead(out double watts, out double? cumulativeJoules)
        {
            watts = 5;
            _joules += 2;
            cumulativeJoules = cumulative ? _joules : null;
            return true;
        }
    }

    private static (string Folder, ModelVersionFiles Version) Repository()
    {
        string root = Path.Combine(Path.GetTempPath(), "edgeagent-profile-" + Guid.NewGuid().ToString("N"));
        string versionFolder = Path.Combine(root, "convs", "1");
        Directory.CreateDirectory(versionFolder);
        var model = MixedPrecisionSearchTests.ThreeConvs(new Random(1));
        OnnxModelFile.Save(model, Path.Combine(versionFolder, "model.onnx"));
        OnnxModelFile.Save(Fp16Converter.Convert(model), Path.Combine(versionFolder, "model.fp16.onnx"));
        var repository = ModelRepository.Open(root);
        return (root, repository.Latest.Single());
    }

    [Fact]
    public void Profile_TwoVariants_WritesReadableFileWithEveryFigure()
    {
        var (root, version) = Repository();
        try
        {
            var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
            var options = new ProfileOptions { IntraOpThreads = 1, Runs = 4, Warmup = 1, Device = "testbox" };

            var profile = ModelProfiler.Profile(version, options, new CountingPower(cumulative: true), (variant, _) => new AccuracyFigure("cosine", variant == "fp32" ? 1 : 0.99, "synthetic-2", 2, "fp32"), time);
            string path = VariantProfile.PathFor(version.Directory, "testbox");
            profile.Write(path);
            var read = VariantProfile.Read(path);

            Assert.Equal(["fp16", "fp32"], read.Variants.Keys.Order());
            Assert.Equal("convs", read.Model);
            Assert.Equal(time.GetUtcNow(), read.MeasuredAt);
            var fp32 = read.Variants["fp32"];
            Assert.True(fp32.LatencyP50Ms > 0 && fp32.LatencyP95Ms >= fp32.LatencyP50Ms);
            // Cumulative counter advanced 2 J per reading, one reading per run.
            Assert.Equal(2.0, fp32.EnergyJPerInference!.Value, 6);
            Assert.Contains("measured", fp32.EnergySource, StringComparison.Ordinal);
            Assert.Equal(0.99, read.Variants["fp16"].Accuracy!.Value);
            Assert.Equal("measured", read.PowerSource.Kind);
            Assert.Contains("\"latency_p50_ms\"", File.ReadAllText(path), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Profile_NoPowerSource_SaysNotMeasurable()
    {
        var (root, version) = Repository();
        try
        {
            var profile = ModelProfiler.Profile(version, new ProfileOptions { IntraOpThreads = 1, Runs = 2, Warmup = 0 }, null, null, TimeProvider.System);

            Assert.All(profile.Variants.Values, v =>
            {
                Assert.Null(v.EnergyJPerInference);
                Assert.StartsWith("not measurable", v.EnergySource, StringComparison.Ordinal);
                Assert.Null(v.Accuracy);
            });
            Assert.Equal("none", profile.PowerSource.Kind);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Read_WrongSchemaOrBrokenJson_NamesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), "edgeagent-profile-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            File.WriteAllText(path, "{ not json");
            Assert.Contains(path, Assert.Throws<InvalidDataException>(() => VariantProfile.Read(path)).Message, StringComparison.Ordinal);

            File.WriteAllText(path, "{\"schema\": \"other/9\", \"model\": \"m\", \"version\": 1, \"device\": \"d\", \"measured_at\": \"2026-01-01T00:00:00Z\", \"settings\": null, \"power_source\": null, \"variants\": {}}");
            Assert.Contains("other/9", Assert.Throws<InvalidDataException>(() => VariantProfile.Read(path)).Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LatencyStats_NearestRankPercentiles()
    {
        var stats = LatencyStats.From([5, 1, 4, 2, 3, 10, 6, 7, 8, 9]);

        Assert.Equal(5, stats.P50);
        Assert.Equal(10, stats.P95);
        Assert.Equal(5.5, stats.Mean);
    }
}
