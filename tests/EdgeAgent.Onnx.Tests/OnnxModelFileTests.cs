using EdgeAgent.Onnx.Proto;
using Google.Protobuf;
using DataLocation = EdgeAgent.Onnx.Proto.TensorProto.Types.DataLocation;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Onnx.Tests;

public class OnnxModelFileTests
{
    private static ModelProto Scale(float[] weights) => new GraphBuilder("scale")
        .Opset(17)
        .Input("x", DataType.Float, weights.Length)
        .Initializer("w", weights)
        .Node("Mul", ["x", "w"], ["y"])
        .Output("y", DataType.Float, weights.Length)
        .Build();

    [Fact]
    public void SaveLoad_Embedded_RoundTripsEveryField()
    {
        using var dir = new TempFolder();
        var model = Scale([1f, 2f, 3f]);
        model.Graph.ValueInfo.Add(OnnxValues.Tensor("y", DataType.Float, [3]));

        OnnxModelFile.Save(model, dir.File("m.onnx"));
        var loaded = OnnxModelFile.Load(dir.File("m.onnx"));

        Assert.Equal(model, loaded);
        Assert.False(File.Exists(dir.File("m.onnx.data")));
    }

    [Fact]
    public void Save_WithExternalThreshold_WritesDataFileThatLoadAndOnnxRuntimeRead()
    {
        using var dir = new TempFolder();
        var weights = Enumerable.Range(0, 1000).Select(i => i * 0.5f).ToArray();
        var model = Scale(weights);

        OnnxModelFile.Save(model, dir.File("m.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1024 });

        Assert.True(new FileInfo(dir.File("m.onnx.data")).Length >= 4000);
        Assert.True(new FileInfo(dir.File("m.onnx")).Length < 1000);
        var raw = ModelProto.Parser.ParseFrom(File.ReadAllBytes(dir.File("m.onnx")));
        Assert.Equal(DataLocation.External, raw.Graph.Initializer[0].DataLocation);
        Assert.Equal(DataLocation.Default, model.Graph.Initializer[0].DataLocation);

        var loaded = OnnxModelFile.Load(dir.File("m.onnx"));
        Assert.Equal(weights, OnnxTensors.ToFloats(loaded.Graph.Initializer[0]));

        var ones = Enumerable.Repeat(1f, weights.Length).ToArray();
        Assert.Equal(weights, OrtRunner.RunFloatFromFile(dir.File("m.onnx"), "y", ("x", ones, [weights.Length])));
    }

    [Fact]
    public void Load_EmptyFile_ThrowsNamingFile()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("empty.onnx"), []);

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(dir.File("empty.onnx")));

        Assert.Contains("empty.onnx", e.Message, StringComparison.Ordinal);
        Assert.Contains("empty", e.Message[(e.Message.IndexOf(':', StringComparison.Ordinal) + 1)..], StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TruncatedFile_ThrowsNamingFile()
    {
        using var dir = new TempFolder();
        var bytes = OnnxModelFile.ToBytes(Scale(Enumerable.Range(0, 100).Select(i => (float)i).ToArray()));
        File.WriteAllBytes(dir.File("cut.onnx"), bytes[..(bytes.Length / 2)]);

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(dir.File("cut.onnx")));

        Assert.Contains("cut.onnx", e.Message, StringComparison.Ordinal);
        Assert.Equal(dir.File("cut.onnx"), e.FilePath);
    }

    [Fact]
    public void Load_TextFile_ThrowsNotOnnx()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("notes.onnx"), "this is not a model\n");

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(dir.File("notes.onnx")));

        Assert.Contains("notes.onnx", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_Throws()
    {
        using var dir = new TempFolder();

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(dir.File("absent.onnx")));

        Assert.Contains("cannot be read", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnsupportedIrVersion_ThrowsWithVersion()
    {
        var model = Scale([1f]);
        model.IrVersion = 99;

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Parse(OnnxModelFile.ToBytes(model), "m.onnx"));

        Assert.Contains("IR version 99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnsupportedOpset_ThrowsWithOpset()
    {
        var model = Scale([1f]);
        model.OpsetImport[0].Version = 99;

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Parse(OnnxModelFile.ToBytes(model), "m.onnx"));

        Assert.Contains("opset 99", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoGraph_Throws()
    {
        var model = new ModelProto { IrVersion = 8 };

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Parse(model.ToByteArray(), "m.onnx"));

        Assert.Contains("no graph", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExternalDataFileMissing_ThrowsNamingTensorAndFile()
    {
        using var dir = new TempFolder();
        OnnxModelFile.Save(Scale(new float[64]), dir.File("m.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1 });
        File.Delete(dir.File("m.onnx.data"));

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(dir.File("m.onnx")));

        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        Assert.Contains("m.onnx.data", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExternalDataTruncated_Throws()
    {
        using var dir = new TempFolder();
        OnnxModelFile.Save(Scale(new float[64]), dir.File("m.onnx"), new OnnxSaveOptions { ExternalDataThreshold = 1 });
        File.WriteAllBytes(dir.File("m.onnx.data"), new byte[10]);

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(dir.File("m.onnx")));

        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExternalLocationOutsideFolder_Throws()
    {
        using var dir = new TempFolder();
        var model = Scale([1f]);
        var w = model.Graph.Initializer[0];
        w.RawData = ByteString.Empty;
        w.DataLocation = DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "../../etc/passwd" });
        OnnxModelFile.Save(model, dir.File("m.onnx"));

        var e = Assert.Throws<OnnxFormatException>(() => OnnxModelFile.Load(dir.File("m.onnx")));

        Assert.Contains("outside the model folder", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InputsExcludingInitializers_OldStyleModel_SkipsInitializerInputs()
    {
        var model = Scale([1f, 2f]);
        model.Graph.Input.Add(OnnxValues.Tensor("w", DataType.Float, [2]));

        Assert.Equal(["x"], model.Graph.InputsExcludingInitializers().Select(v => v.Name));
        Assert.True(model.Graph.RemoveInitializer("w"));
        Assert.Equal(["x"], model.Graph.Input.Select(v => v.Name));
    }

    [Fact]
    public void Describe_ListsInputsOutputsAndOps()
    {
        var text = Scale([1f]).Describe();

        Assert.Contains("input  x: Float[1]", text, StringComparison.Ordinal);
        Assert.Contains("Mul: 1", text, StringComparison.Ordinal);
    }
}
