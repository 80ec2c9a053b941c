using System.Text;
using EdgeAgent.ModelTools.Profiling;
using EdgeAgent.ModelTools.Quantization;
using EdgeAgent.ModelTools.Tests.Quantization;
using EdgeAgent.Onnx;

namespace EdgeAgent.ModelTools.Tests.Profiling;

public class OperatorProfilerTests
{
    private static MemoryStream Json(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Summarise_ThreeRunsKeepLastTwo_AveragesKernelTimePerOpTypeAndNode()
    {
        // Run 1 (warm-up) is slow; runs 2 and 3 are kept. Durations in microseconds.
        var profile = Json("""
            [
              {"cat":"Session","name":"session_initialization","ts":0,"dur":50},
              {"cat":"Session","name":"model_run","ts":100,"dur":1000},
              {"cat":"Node","name":"conv_kernel_time","ts":110,"dur":900,"args":{"op_name":"QLinearConv"}},
              {"cat":"Session","name":"model_run","ts":2000,"dur":500},
              {"cat":"Node","name":"conv_fence_before","ts":2005,"dur":0,"args":{"op_name":"QLinearConv"}},
              {"cat":"Node","name":"conv_kernel_time","ts":2010,"dur":300,"args":{"op_name":"QLinearConv"}},
              {"cat":"Node","name":"add_kernel_time","ts":2320,"dur":100,"args":{"op_name":"QLinearAdd"}},
              {"cat":"Session","name":"model_run","ts":3000,"dur":700},
              {"cat":"Node","name":"conv_kernel_time","ts":3010,"dur":500,"args":{"op_name":"QLinearConv"}},
              {"cat":"Node","name":"add_kernel_time","ts":3520,"dur":100,"args":{"op_name":"QLinearAdd"}}
            ]
            """);

        var (runMs, kernelMs, opTypes, nodes) = OperatorProfiler.Summarise(profile, runs: 2);

        Assert.Equal(0.6, runMs, 6);
        Assert.Equal(0.5, kernelMs, 6);
        Assert.Equal(["QLinearConv", "QLinearAdd"], opTypes.Select(o => o.OpType));
        Assert.Equal(0.4, opTypes[0].MsPerRun, 6);
        Assert.Equal(0.8, opTypes[0].Share, 6);
        Assert.Equal(1, opTypes[0].Nodes);
        Assert.Equal(("conv", 0.4), (nodes[0].Node, Math.Round(nodes[0].MsPerRun, 6)));
    }

    [Fact]
    public void Summarise_NotATraceArray_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => OperatorProfiler.Summarise(Json("""{"traceEvents":[]}"""), 1));
        Assert.Throws<InvalidDataException>(() => OperatorProfiler.Summarise(Json("[]"), 1));
    }

    [Fact]
    public void Profile_QuantizedModel_ReportsIntegerKernelsAndWritesProfileAndOptimisedGraph()
    {
        string folder = Path.Combine(Path.GetTempPath(), "edgeagent-ops-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var model = MixedPrecisionSearchTests.ThreeConvs(new Random(1));
            var options = new QuantizeOptions { Dataset = new SyntheticCalibrationDataset(4), Qdq = new QdqOptions { PerChannel = true } };
            var (quantized, _, _, _) = ModelQuantizer.Quantize(model, options);
            string path = Path.Combine(folder, "model.int8.onnx");
            OnnxModelFile.Save(quantized, path);

            var profile = OperatorProfiler.Profile(path, new OperatorProfileOptions { IntraOpThreads = 1, Warmup = 1, Runs = 2, OutputDirectory = folder });

            Assert.Contains(profile.OpTypes, o => o.OpType == "QLinearConv" && o.Nodes == 3);
            Assert.Equal(3, profile.OptimizedGraphOps["com.microsoft.QLinearConv"]);
            Assert.Equal(folder, Path.GetDirectoryName(profile.ProfileFile));
            Assert.True(File.Exists(profile.ProfileFile));
            Assert.True(File.Exists(profile.OptimizedModelFile));
            Assert.InRange(profile.OpTypes.Sum(o => o.Share), 0.999, 1.001);
            Assert.Contains("QLinearConv", profile.Format(), StringComparison.Ordinal);
            Assert.Contains("QLinearConv", OperatorProfile.Compare([("a", profile), ("b", profile)]), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Profile_MissingModel_ThrowsNamingPath()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => OperatorProfiler.Profile("/nonexistent/model.onnx", new OperatorProfileOptions()));

        Assert.Contains("/nonexistent/model.onnx", ex.Message, StringComparison.Ordinal);
    }
}
