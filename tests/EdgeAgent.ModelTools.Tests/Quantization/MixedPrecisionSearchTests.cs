using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.Onnx;
using EdgeAgent.Onnx.Proto;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.ModelTools.Tests.Quantization;

public class MixedPrecisionSearchTests
{
    internal static ModelProto ThreeConvs(Random r) => new GraphBuilder("convs")
        .Opset(13)
        .Input("x", DataType.Float, 1, 4, 8, 8)
        .Initializer("w1", QuantTestModels.Random(r, 8 * 4 * 9), 8, 4, 3, 3)
        .Initializer("w2", QuantTestModels.Random(r, 8 * 8 * 9), 8, 8, 3, 3)
        .Initializer("w3", QuantTestModels.Random(r, 4 * 8), 4, 8, 1, 1)
        .Node("Conv", ["x", "w1"], ["c1"], a => a.Ints("pads", 1, 1, 1, 1), name: "conv1")
        .Node("Relu", ["c1"], ["r1"], name: "relu1")
        .Node("Conv", ["r1", "w2"], ["c2"], a => a.Ints("pads", 1, 1, 1, 1), name: "conv2")
        .Node("Relu", ["c2"], ["r2"], name: "relu2")
        .Node("Conv", ["r2", "w3"], ["y"], name: "conv3")
        .Output("y", DataType.Float, 1, 4, 8, 8)
        .Build();

    [Fact]
    public void Blocks_WeightedNodeStartsBlockFollowersJoin()
    {
        var blocks = MixedPrecisionSearch.Blocks(ThreeConvs(new Random(1)), new QdqOptions());

        Assert.Equal(["conv1", "conv2", "conv3"], blocks.Select(b => b.Block));
        Assert.Equal(["conv1", "relu1"], blocks[0].Nodes);
    }

    [Fact]
    public void Run_SmallModel_WritesVariantsReportAndPlot()
    {
        string folder = Path.Combine(Path.GetTempPath(), "edgeagent-search-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string modelPath = Path.Combine(folder, "model.onnx");
            OnnxModelFile.Save(ThreeConvs(new Random(2)), modelPath);
            var options = new QuantizeOptions { Dataset = new SyntheticCalibrationDataset(4), Qdq = new QdqOptions { PerChannel = true } };
            var search = new SearchOptions { MaxDrop = 1.0, SensitivitySamples = 2, EvaluationSamples = 2, TimingRuns = 3, Warmup = 1, IntraOpThreads = 1 };

            var result = MixedPrecisionSearch.Run(modelPath, Path.Combine(folder, "out"), options, search, taskAccuracy: null);

            Assert.Equal(3, result.Sensitivities.Count);
            Assert.Equal(["fp32", "int8", "mixed-1", "mixed-2"], result.Points.Select(p => p.Variant));
            Assert.All(result.Points, p => Assert.InRange(p.OutputCosine, 0.9, 1.0 + 1e-9));
            Assert.True(File.Exists(Path.Combine(folder, "out", "model.int8.onnx")));
            Assert.True(File.Exists(Path.Combine(folder, "out", "model.mixed-2.onnx")));
            Assert.Contains("| int8 |", File.ReadAllText(result.ReportPath), StringComparison.Ordinal);
            var png = File.ReadAllBytes(result.PlotPath);
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, png[..4]);
            Assert.Contains(result.Points, p => p.OnFront);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Run_TightDrop_DeletesVariantsBeyondIt()
    {
        string folder = Path.Combine(Path.GetTempPath(), "edgeagent-search-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            string modelPath = Path.Combine(folder, "model.onnx");
            OnnxModelFile.Save(ThreeConvs(new Random(3)), modelPath);
            var options = new QuantizeOptions { Dataset = new SyntheticCalibrationDataset(4) };
            var search = new SearchOptions { MaxDrop = 0, SensitivitySamples = 1, EvaluationSamples = 2, TimingRuns = 3, Warmup = 1, MaxCandidates = 1, IntraOpThreads = 1 };

            var result = MixedPrecisionSearch.Run(modelPath, Path.Combine(folder, "out"), options, search, taskAccuracy: null);

            var int8 = result.Points.Single(p => p.Variant == "int8");
            Assert.False(int8.Written);
            Assert.False(File.Exists(Path.Combine(folder, "out", "model.int8.onnx")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
