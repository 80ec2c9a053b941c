using System.Text;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.Node.Client;
using EdgeAgent.Node.Serving;

namespace EdgeAgent.Node.Tests.Client;

public sealed class InferInputsTests
{
    private static ModelMetadataResponse AddNeg()
    {
        var metadata = new ModelMetadataResponse { Name = "add_neg" };
        foreach (var name in new[] { "a", "b" })
        {
            var input = new ModelMetadataResponse.Types.TensorMetadata { Name = name, Datatype = "FP32" };
            input.Shape.Add([-1, 4]);
            metadata.Inputs.Add(input);
        }

        return metadata;
    }

    [Fact]
    public void Random_SameSeed_SameValuesAndVariableDimsOne()
    {
        var first = InferInputs.Random(AddNeg(), new Dictionary<string, long[]>(), seed: 3);
        var second = InferInputs.Random(AddNeg(), new Dictionary<string, long[]>(), seed: 3);

        Assert.Equal([1L, 4], first[0].Shape);
        Assert.Equal(16, first[0].Data.Length);
        Assert.Equal(first[0].Data, second[0].Data);
        Assert.Equal(first[1].Data, second[1].Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ToRequest_Followed_SetsTheAgentsBoolParameterOnlyWhenAsked(bool followed)
    {
        var tensors = InferInputs.Random(AddNeg(), new Dictionary<string, long[]>(), seed: 1);

        var request = InferInputs.ToRequest("add_neg", "1", tensors, followed);

        Assert.Equal(followed, RequestParameters.IsFollowed(request));
        Assert.Equal(followed ? 1 : 0, request.Parameters.Count);
        Assert.Null(RequestParameters.Problem(request));
        Assert.Equal(["a", "b"], request.Inputs.Select(input => input.Name));
        Assert.Equal(2, request.RawInputContents.Count);
    }

    [Fact]
    public void Random_ShapeNotFittingMetadata_NamesShapeOption()
    {
        var ex = Assert.Throws<InferInputException>(() => InferInputs.Random(AddNeg(), new Dictionary<string, long[]> { ["a"] = [2, 5] }, 1));
        Assert.Contains("--shape: [2,5] does not fit input 'a' of shape [-1,4]", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1x3x640x640", "", new long[] { 1, 3, 640, 640 })]
    [InlineData("images=2x4", "images", new long[] { 2, 4 })]
    public void ParseShape_Valid_NameAndDims(string text, string name, long[] dims)
    {
        var parsed = InferInputs.ParseShape(text);
        Assert.Equal(name, parsed.Key);
        Assert.Equal(dims, parsed.Value);
    }

    [Theory]
    [InlineData("1x0")]
    [InlineData("a=")]
    [InlineData("1x-3")]
    [InlineData("three")]
    public void ParseShape_Invalid_Throws(string text) =>
        Assert.Contains("--shape:", Assert.Throws<InferInputException>(() => InferInputs.ParseShape(text)).Message, StringComparison.Ordinal);

    [Fact]
    public void ParseJson_NestedData_FlattensRowMajor()
    {
        var tensors = InferInputs.ParseJson("""{"inputs": [{"name": "a", "shape": [2, 4], "datatype": "FP32", "data": [[1, 2, 3, 4], [5, 6, 7, 8]]}]}""", "f.json", AddNeg());

        var tensor = Assert.Single(tensors);
        Assert.Equal(TensorDataType.Fp32, tensor.DataType);
        Assert.Equal([1f, 2, 3, 4, 5, 6, 7, 8], System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.Data).ToArray());
    }

    [Theory]
    [InlineData("not json", "is not valid JSON")]
    [InlineData("""{"x": 1}""", "needs an object with an \"inputs\" array")]
    [InlineData("""{"inputs": [{"name": "c", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3, 4]}]}""", "is named 'c'; model 'add_neg' has inputs a, b")]
    [InlineData("""{"inputs": [{"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1, 2, 3]}]}""", "has 3 values; shape [1,4] needs 4")]
    [InlineData("""{"inputs": [{"name": "a", "shape": [1, 4], "datatype": "INT32", "data": [1, 2, 3, 4]}]}""", "holds INT32; input 'a' is FP32")]
    [InlineData("""{"inputs": [{"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [1, "x", 3, 4]}]}""", "data[1] is \"x\", not a number")]
    [InlineData("""{"inputs": [{"name": "a", "shape": [1, -4], "datatype": "FP32", "data": []}]}""", "has shape entry -4")]
    [InlineData("""{"inputs": [{"name": "a"}]}""", "needs \"name\" (string), \"shape\" (array)")]
    public void ParseJson_Invalid_OneMessageNamingTheProblem(string json, string expected)
    {
        var ex = Assert.Throws<InferInputException>(() => InferInputs.ParseJson(json, "f.json", AddNeg()));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("--tensor: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ParseJson_IntegerOutOfRange_Rejected()
    {
        var metadata = new ModelMetadataResponse { Name = "m" };
        metadata.Inputs.Add(new ModelMetadataResponse.Types.TensorMetadata { Name = "x", Datatype = "UINT8", Shape = { 2 } });

        var ex = Assert.Throws<InferInputException>(() => InferInputs.ParseJson("""{"inputs": [{"name": "x", "shape": [2], "datatype": "UINT8", "data": [1, 300]}]}""", "f.json", metadata));

        Assert.Contains("data[1] is 300, out of range for UINT8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImageLayoutOf_ModelWithoutImageInput_SaysUseTensor()
    {
        var ex = Assert.Throws<InferInputException>(() => InferInputs.ImageLayoutOf(AddNeg()));
        Assert.Contains("--image: model 'add_neg' does not take one image", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class NpyFileTests
{
    private static byte[] Npy(string header, byte[] data)
    {
        var text = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 11) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0]);
        bytes.AddRange(BitConverter.GetBytes((ushort)text.Length));
        bytes.AddRange(Encoding.Latin1.GetBytes(text));
        bytes.AddRange(data);
        return [.. bytes];
    }

    [Fact]
    public void Parse_Int64Matrix_ShapeTypeAndBytes()
    {
        var data = new long[] { 1, -2, 3, 4, 5, 6 }.SelectMany(BitConverter.GetBytes).ToArray();

        var tensor = NpyFile.Parse(Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 3), }", data), "x.npy", "x");

        Assert.Equal(TensorDataType.Int64, tensor.DataType);
        Assert.Equal([2L, 3], tensor.Shape);
        Assert.Equal(data, tensor.Data);
    }

    [Fact]
    public void Parse_Scalar_EmptyShape()
    {
        var tensor = NpyFile.Parse(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(2.5f)), "x.npy", "x");
        Assert.Empty(tensor.Shape);
    }

    [Theory]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8, "element type '>f4'")]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8, "Fortran order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8, "needs 12 data bytes, the file has 8")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }", 8, "lacks 'descr', 'fortran_order' or 'shape'")]
    public void Parse_Unusable_NamesTheProblem(string header, int dataBytes, string expected)
    {
        var ex = Assert.Throws<InferInputException>(() => NpyFile.Parse(Npy(header, new byte[dataBytes]), "x.npy", "x"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("--tensor: 'x.npy' is not a usable .npy file: ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotNpy_SaysMagic()
    {
        var ex = Assert.Throws<InferInputException>(() => NpyFile.Parse("hello world, not numpy"u8.ToArray(), "x.npy", "x"));
        Assert.Contains("magic", ex.Message, StringComparison.Ordinal);
    }
}

public sealed class InferResultTextTests
{
    [Fact]
    public void Format_PlainOipResponse_SaysPlacementNotReported()
    {
        var response = new ModelInferResponse { ModelName = "m", ModelVersion = "1" };
        response.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "INT64", Shape = { 3 }, Contents = new InferTensorContents { Int64Contents = { 5, -1, 2 } } });

        var text = InferResultText.Format(response, TimeSpan.FromMilliseconds(1.5));

        Assert.Contains("placement   not reported", text, StringComparison.Ordinal);
        Assert.Contains("round trip  1.5 ms", text, StringComparison.Ordinal);
        Assert.Contains("output      y INT64 [3] n=3 min=-1 max=5 mean=2 values=[5, -1, 2]", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_AgentResponse_PrintsPlacementQueueExecAndFallback()
    {
        var response = new ModelInferResponse { ModelName = "m" };
        response.Parameters["edgeagent.placement"] = new InferParameter { StringParam = "local" };
        response.Parameters["edgeagent.queue_ms"] = new InferParameter { DoubleParam = 0.25 };
        response.Parameters["edgeagent.exec_ms"] = new InferParameter { DoubleParam = 3.125 };
        response.Parameters["edgeagent.fallback_from"] = new InferParameter { StringParam = "cloud" };
        response.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "FP16", Shape = { 2 } });
        response.RawOutputContents.Add(Google.Protobuf.ByteString.CopyFrom([.. BitConverter.GetBytes((Half)1.5), .. BitConverter.GetBytes((Half)(-2))]));

        var text = InferResultText.Format(response, TimeSpan.FromMilliseconds(4));

        Assert.Contains("placement   local (fell back from peer cloud)", text, StringComparison.Ordinal);
        Assert.Contains("queue ms    0.25", text, StringComparison.Ordinal);
        Assert.Contains("exec ms     3.125", text, StringComparison.Ordinal);
        Assert.Contains("output      y FP16 [2] n=2 min=-2 max=1.5 mean=-0.25 values=[1.5, -2]", text, StringComparison.Ordinal);
    }
}
