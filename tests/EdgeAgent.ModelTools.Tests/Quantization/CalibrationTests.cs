using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Tests.Quantization;

public class CalibrationTests
{
    private sealed class FixedDataset(params float[][] samples) : ICalibrationDataset
    {
        public string Name => "fixed";

        public IEnumerable<IReadOnlyDictionary<string, InputTensor>> Samples(IReadOnlyList<ModelInput> inputs) =>
            samples.Select(s => (IReadOnlyDictionary<string, InputTensor>)new Dictionary<string, InputTensor> { ["x"] = new InputTensor(s, [s.Length]) });
    }

    private static ModelProto Doubler(int n) => new GraphBuilder("doubler")
        .Opset(13)
        .Input("x", DataType.Float, n)
        .Initializer("two", [2f])
        .Node("Mul", ["x", "two"], ["y"])
        .Output("y", DataType.Float, n)
        .Build();

    [Fact]
    public void Collect_MinMax_IsMinOfMinimaAndMaxOfMaxima()
    {
        var data = new FixedDataset([1f, -3f, 2f], [0.5f, 4f, -1f]);

        var ranges = Calibrator.Collect(Doubler(3), ["x", "y"], data, [new ModelInput("x", [3])], new CalibrationOptions());

        Assert.Equal(new TensorRange(-3f, 4f), ranges["x"]);
        Assert.Equal(new TensorRange(-6f, 8f), ranges["y"]);
    }

    [Fact]
    public void Collect_PercentileAndEntropy_CutARareOutlier()
    {
        var random = new Random(1);
        var values = Enumerable.Range(0, 20000).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        values[123] = 100f;
        var data = new FixedDataset(values);
        var inputs = new[] { new ModelInput("x", [values.Length]) };

        var percentile = Calibrator.Collect(Doubler(values.Length), ["x"], data, inputs, new CalibrationOptions { Method = CalibrationMethod.Percentile, Percentile = 99.9 });
        var entropy = Calibrator.Collect(Doubler(values.Length), ["x"], data, inputs, new CalibrationOptions { Method = CalibrationMethod.Entropy });

        Assert.InRange(percentile["x"].Max, 0.9f, 1.2f);
        Assert.InRange(percentile["x"].Min, -1.2f, -0.9f);
        Assert.True(entropy["x"].Max < 50f, $"entropy max {entropy["x"].Max}");
        Assert.True(entropy["x"].Max >= 0.5f, $"entropy max {entropy["x"].Max}");
    }

    [Fact]
    public void Percentile_HistogramThreshold_IsLeftEdgeOfCrossingBin()
    {
        // 10 bins over [0, 10]: 90 values in bin 0, 10 in bin 9. 90 % is reached in bin 0.
        var histogram = new long[10];
        histogram[0] = 90;
        histogram[9] = 10;

        var (min, max) = HistogramThresholds.Percentile(histogram, 10f, 95);

        Assert.Equal(9f, max);
        Assert.Equal(-9f, min);
    }

    [Fact]
    public void Collect_EmptyDataset_Throws()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            Calibrator.Collect(Doubler(3), ["y"], new FixedDataset(), [new ModelInput("x", [3])], new CalibrationOptions()));

        Assert.Contains("no samples", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Synthetic_MatchesInputShapeAndRepeatsWithSeed()
    {
        var inputs = new[] { new ModelInput("x", [1, 3, 4, 4]) };

        var a = new SyntheticCalibrationDataset(2, seed: 5).Samples(inputs).ToList();
        var b = new SyntheticCalibrationDataset(2, seed: 5).Samples(inputs).ToList();

        Assert.Equal(2, a.Count);
        Assert.Equal(48, a[0]["x"].Data.Length);
        Assert.Equal(a[1]["x"].Data, b[1]["x"].Data);
    }

    [Fact]
    public void Folder_NpyFiles_RoundTripAndWrongShapeIsNamed()
    {
        string folder = Path.Combine(Path.GetTempPath(), "edgeagent-calib-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            FolderCalibrationDataset.WriteNpy(Path.Combine(folder, "a.npy"), [1f, 2f, 3f, 4f], [1, 4]);
            var input = new ModelInput("x", [1, 4]);

            var samples = new FolderCalibrationDataset(folder).Samples([input]).ToList();
            Assert.Equal([1f, 2f, 3f, 4f], samples.Single()["x"].Data);

            FolderCalibrationDataset.WriteNpy(Path.Combine(folder, "b.npy"), [1f, 2f], [2]);
            var e = Assert.Throws<InvalidDataException>(() => new FolderCalibrationDataset(folder).Samples([input]).ToList());
            Assert.Contains("b.npy", e.Message, StringComparison.Ordinal);

            File.WriteAllText(Path.Combine(folder, "c.npy"), "not numpy");
            Assert.Throws<InvalidDataException>(() => FolderCalibrationDataset.ReadTensor(Path.Combine(folder, "c.npy"), input));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void ResolveInputs_DynamicDims_NeedShapeUnlessBatch()
    {
        var model = new GraphBuilder()
            .Input("x", DataType.Float, "batch", 3, "h", "w")
            .Node("Relu", ["x"], ["y"])
            .Output("y", DataType.Float, "batch", 3, "h", "w")
            .Build();

        var e = Assert.Throws<ArgumentException>(() => ModelPreparation.ResolveInputs(model));
        Assert.Contains("--input-shape", e.Message, StringComparison.Ordinal);

        var resolved = ModelPreparation.ResolveInputs(model, new Dictionary<string, long[]> { [""] = [1, 3, 8, 8] });
        Assert.Equal([1L, 3, 8, 8], resolved[0].Shape);

        Assert.Throws<ArgumentException>(() => ModelPreparation.ResolveInputs(model, new Dictionary<string, long[]> { ["x"] = [1, 4, 8, 8] }));
    }
}
