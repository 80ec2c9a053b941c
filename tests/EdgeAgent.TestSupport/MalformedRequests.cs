using System.Runtime.InteropServices;
using EdgeAgent.Contracts.Inference;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeAgent.TestModels;

/// <summary>One malformed request and the status and message fragment it must get.</summary>
public sealed record MalformedCase(string Name, Func<ModelInferRequest> Build, StatusCode Code, string Fragment)
{
    public override string ToString() => Name;
}

/// <summary>
/// Every malformed-request case the serving core must refuse, against the standard test repository
/// (add_neg: a, b FP32 [-1,4]; outputs sum, neg) with Serving:MaxRequestBytes = <see cref="CapBytes"/>.
/// Shared by the validator unit tests and the over-the-wire integration tests.
/// </summary>
public static class MalformedRequests
{
    public const long CapBytes = 64 * 1024;

    public static IEnumerable<MalformedCase> All()
    {
        yield return new("unknown model", () => Typed("nope"), StatusCode.NotFound, "'nope' is not served");
        yield return new("unknown version", () => With(Typed(), r => r.ModelVersion = "7"), StatusCode.NotFound, "version '7' is not served");
        yield return new("empty model name", () => Typed(""), StatusCode.InvalidArgument, "names no model");
        yield return new("wrong datatype", () => With(Typed(), r => r.Inputs[0].Datatype = "FP64"), StatusCode.InvalidArgument, "Input 'a' has datatype FP64 but the model expects FP32");
        yield return new("unknown datatype", () => With(Typed(), r => r.Inputs[0].Datatype = "FLOAT"), StatusCode.InvalidArgument, "'FLOAT', which is not a protocol datatype");
        yield return new("wrong rank", () => With(Typed(), r => { r.Inputs[0].Shape.Clear(); r.Inputs[0].Shape.Add(4); }), StatusCode.InvalidArgument, "Input 'a' has shape [4] of rank 1 but the model expects rank 2");
        yield return new("wrong fixed dimension", () => Raw(aShape: [1, 5], aBytes: 20), StatusCode.InvalidArgument, "Input 'a' has shape [1,5] but the model expects [-1,4] (dimension 1 must be 4)");
        yield return new("negative dimension", () => With(Typed(), r => r.Inputs[1].Shape[0] = -1), StatusCode.InvalidArgument, "Input 'b' has shape [-1,4]: dimension 0 is -1");
        yield return new("shape overflow", () => With(Typed(), r => r.Inputs[0].Shape[0] = 1L << 62), StatusCode.InvalidArgument, "whose size overflows");
        yield return new("raw byte count", () => Raw(aBytes: 15), StatusCode.InvalidArgument, "Input 'a': raw_input_contents[0] has 15 bytes but shape [1,4] of FP32 needs 16 bytes");
        yield return new("typed element count", () => With(Typed(), r => r.Inputs[1].Contents.Fp32Contents.RemoveAt(0)), StatusCode.InvalidArgument, "Input 'b': fp32_contents has 3 elements but its shape needs 4");
        yield return new("typed wrong field", () => With(Typed(), r => { r.Inputs[0].Contents.Fp32Contents.Clear(); r.Inputs[0].Contents.IntContents.Add([1, 2, 3, 4]); }), StatusCode.InvalidArgument, "Input 'a' is FP32 but carries data in int_contents");
        yield return new("typed without data", () => With(Typed(), r => r.Inputs[0].Contents = null), StatusCode.InvalidArgument, "Input 'a' carries no data");
        yield return new("raw and typed mixed", () => With(Raw(), r => r.Inputs[1].Contents = new InferTensorContents { Fp32Contents = { 1, 2, 3, 4 } }), StatusCode.InvalidArgument, "Input 'b' sets typed contents while the request also uses raw_input_contents");
        yield return new("raw count", () => With(Raw(), r => r.RawInputContents.RemoveAt(1)), StatusCode.InvalidArgument, "2 inputs but 1 raw_input_contents");
        yield return new("missing input", () => With(Typed(), r => r.Inputs.RemoveAt(1)), StatusCode.InvalidArgument, "Input 'b' (FP32 [-1,4]) is missing");
        yield return new("duplicate input", () => With(Typed(), r => r.Inputs.Add(r.Inputs[0].Clone())), StatusCode.InvalidArgument, "Input 'a' appears more than once");
        yield return new("unknown input", () => With(Typed(), r => r.Inputs[1].Name = "c"), StatusCode.InvalidArgument, "Input 'c' is not an input of model 'add_neg'");
        yield return new("unnamed input", () => With(Typed(), r => r.Inputs[1].Name = ""), StatusCode.InvalidArgument, "Input 1 has no name");
        yield return new("unknown output", () => With(Typed(), r => r.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "prod" })), StatusCode.InvalidArgument, "Requested output 'prod' is not an output of model 'add_neg'");
        yield return new("duplicate output", () => With(Typed(), r => { r.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "sum" }); r.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "sum" }); }), StatusCode.InvalidArgument, "Output 'sum' is requested more than once");
        yield return new("over size cap", () => Raw(aShape: [3000, 4], aBytes: 48000, bShape: [3000, 4], bBytes: 48000), StatusCode.ResourceExhausted, "over the cap of 65536 bytes (Serving:MaxRequestBytes)");
        yield return new("followed not a bool", () => With(Typed(), r => r.Parameters["edgeagent.followed"] = new InferParameter { StringParam = "true" }), StatusCode.InvalidArgument, "Parameter 'edgeagent.followed' must be a bool (true when a later request of the same page waits for this one's answer), not a string");
        yield return new("followed empty", () => With(Typed(), r => r.Parameters["edgeagent.followed"] = new InferParameter()), StatusCode.InvalidArgument, "Parameter 'edgeagent.followed' must be a bool");
        yield return new("batch_after negative", () => With(Typed(), r => r.Parameters["edgeagent.batch_after"] = new InferParameter { Int64Param = -1 }), StatusCode.InvalidArgument, "Parameter 'edgeagent.batch_after' must be at least 0");
        yield return new("batch_after not a count", () => With(Typed(), r => r.Parameters["edgeagent.batch_after"] = new InferParameter { DoubleParam = 2.5 }), StatusCode.InvalidArgument, "Parameter 'edgeagent.batch_after' must be an int64 or uint64");
        yield return new("fp16 typed", () => IdentityTyped("id_float16", "FP16", c => c.Fp32Contents.Add([1, 2, 3])), StatusCode.InvalidArgument, "FP16, which can only travel in raw_input_contents");
    }

    /// <summary>Typed add_neg request, a and b of shape [1,4].</summary>
    public static ModelInferRequest Typed(string model = "add_neg")
    {
        var request = new ModelInferRequest { ModelName = model, Id = "t1" };
        request.Inputs.Add(Input("a", "FP32", [1, 4], new InferTensorContents { Fp32Contents = { 1, 2, 3, 4 } }));
        request.Inputs.Add(Input("b", "FP32", [1, 4], new InferTensorContents { Fp32Contents = { 10, 20, 30, 40 } }));
        return request;
    }

    /// <summary>Raw add_neg request with the given shapes and byte counts.</summary>
    public static ModelInferRequest Raw(long[]? aShape = null, int aBytes = 16, long[]? bShape = null, int bBytes = 16)
    {
        var request = new ModelInferRequest { ModelName = "add_neg", Id = "r1" };
        request.Inputs.Add(Input("a", "FP32", aShape ?? [1, 4], null));
        request.Inputs.Add(Input("b", "FP32", bShape ?? [1, 4], null));
        request.RawInputContents.Add(ByteString.CopyFrom(Floats(aBytes / 4, 1f), 0, aBytes));
        request.RawInputContents.Add(ByteString.CopyFrom(Floats(bBytes / 4, 10f), 0, bBytes));
        return request;
    }

    /// <summary>A typed request to an identity model with shape [1,3].</summary>
    public static ModelInferRequest IdentityTyped(string model, string datatype, Action<InferTensorContents> fill)
    {
        var contents = new InferTensorContents();
        fill(contents);
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(Input("x", datatype, [1, 3], contents));
        return request;
    }

    public static ModelInferRequest.Types.InferInputTensor Input(string name, string datatype, long[] shape, InferTensorContents? contents)
    {
        var input = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype, Contents = contents };
        input.Shape.Add(shape);
        return input;
    }

    private static byte[] Floats(int count, float scale)
    {
        var values = Enumerable.Range(1, count).Select(i => i * scale).ToArray();
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        return bytes.Length == 0 ? new byte[4] : bytes.Concat(new byte[4]).ToArray();
    }

    private static ModelInferRequest With(ModelInferRequest request, Action<ModelInferRequest> change)
    {
        change(request);
        return request;
    }
}
