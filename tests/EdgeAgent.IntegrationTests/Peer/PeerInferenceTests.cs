using System.Runtime.InteropServices;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.IntegrationTests.Peer;

public sealed class PeerInferenceTests(PeerFixture peer) : IClassFixture<PeerFixture>
{
    private static readonly TimeSpan Timeout = PeerFixture.Timeout;
    private readonly GRPCInferenceService.GRPCInferenceServiceClient _client = new(peer.Channel);

    public static TheoryData<MalformedCase> Malformed()
    {
        var data = new TheoryData<MalformedCase>();
        foreach (var c in MalformedRequests.All())
        {
            data.Add(c);
        }

        data.Add(new MalformedCase("dynamic dims that disagree", () => MalformedRequests.Raw(aShape: [2, 4], aBytes: 32, bShape: [3, 4], bBytes: 48), StatusCode.InvalidArgument, "Model 'add_neg' rejected the inputs"));
        data.Add(new MalformedCase("typed INT8 out of range", () => MalformedRequests.IdentityTyped("id_int8", "INT8", c => c.IntContents.Add([1, 300, 2])), StatusCode.InvalidArgument, "element 1 is 300, out of range for INT8"));
        return data;
    }

    [Fact]
    public async Task ServerLiveReadyAndMetadata_Peer_AnswersLikeTriton()
    {
        var live = await _client.ServerLiveAsync(new ServerLiveRequest()).ResponseAsync.WaitAsync(Timeout);
        var ready = await _client.ServerReadyAsync(new ServerReadyRequest()).ResponseAsync.WaitAsync(Timeout);
        var server = await _client.ServerMetadataAsync(new ServerMetadataRequest()).ResponseAsync.WaitAsync(Timeout);
        var modelReady = await _client.ModelReadyAsync(new ModelReadyRequest { Name = "add_neg", Version = "1" }).ResponseAsync.WaitAsync(Timeout);
        var notReady = await _client.ModelReadyAsync(new ModelReadyRequest { Name = "add_neg", Version = "2" }).ResponseAsync.WaitAsync(Timeout);
        var metadata = await _client.ModelMetadataAsync(new ModelMetadataRequest { Name = "add_neg" }).ResponseAsync.WaitAsync(Timeout);

        Assert.True(live.Live);
        Assert.True(ready.Ready);
        Assert.Equal("test-peer", server.Name);
        Assert.True(modelReady.Ready);
        Assert.False(notReady.Ready);
        Assert.Equal("onnx_onnxv1", metadata.Platform);
        Assert.Equal(["1"], metadata.Versions);
        Assert.Equal(["a", "b"], metadata.Inputs.Select(i => i.Name));
        Assert.All(metadata.Inputs, i => Assert.Equal("FP32", i.Datatype));
        Assert.Equal([-1L, 4L], metadata.Inputs[0].Shape);
        Assert.Equal(["sum", "neg"], metadata.Outputs.Select(o => o.Name));
    }

    [Fact]
    public async Task ModelMetadata_UnknownModel_NotFound()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _client.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }).ResponseAsync).WaitAsync(Timeout);

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task HealthCheck_Peer_Serving()
    {
        var health = new Health.HealthClient(peer.Channel);

        var response = await health.CheckAsync(new HealthCheckRequest()).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task ModelInfer_MalformedRequest_GetsStatusNamingTheProblem(MalformedCase malformed)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => _client.ModelInferAsync(malformed.Build()).ResponseAsync).WaitAsync(Timeout);

        Assert.Equal(malformed.Code, ex.StatusCode);
        Assert.Contains(malformed.Fragment, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ModelInfer_OverTransportLimit_ResourceExhaustedAndPeerStaysUp()
    {
        // Twice the cap is the transport limit: the message is refused before it is parsed.
        var request = MalformedRequests.Raw(aShape: [5000, 4], aBytes: 80000, bShape: [5000, 4], bBytes: 80000);

        var ex = await Assert.ThrowsAsync<RpcException>(() => _client.ModelInferAsync(request).ResponseAsync).WaitAsync(Timeout);
        var live = await _client.ServerLiveAsync(new ServerLiveRequest()).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.True(live.Live);
    }

    [Fact]
    public async Task ModelInfer_Typed_ReturnsTypedOutputsAndPlacementParameters()
    {
        var response = await _client.ModelInferAsync(MalformedRequests.Typed()).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal("add_neg", response.ModelName);
        Assert.Equal("1", response.ModelVersion);
        Assert.Equal("t1", response.Id);
        Assert.Empty(response.RawOutputContents);
        Assert.Equal([11f, 22f, 33f, 44f], response.Outputs[0].Contents.Fp32Contents);
        Assert.Equal([-1f, -2f, -3f, -4f], response.Outputs[1].Contents.Fp32Contents);
        Assert.Equal("local", response.Parameters[ResponseParameters.Placement].StringParam);
        Assert.True(response.Parameters[ResponseParameters.ExecMs].DoubleParam > 0);
        Assert.True(response.Parameters[ResponseParameters.QueueMs].DoubleParam >= 0);
    }

    [Fact]
    public async Task ModelInfer_RawWithRequestedOutput_ReturnsRawOutputOnly()
    {
        var request = MalformedRequests.Raw(aShape: [2, 4], aBytes: 32, bShape: [2, 4], bBytes: 32);
        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "sum" });

        var response = await _client.ModelInferAsync(request).ResponseAsync.WaitAsync(Timeout);

        var output = Assert.Single(response.Outputs);
        Assert.Equal("sum", output.Name);
        Assert.Equal([2L, 4L], output.Shape);
        Assert.Null(output.Contents);
        var sum = MemoryMarshal.Cast<byte, float>(response.RawOutputContents.Single().Span).ToArray();
        Assert.Equal(Enumerable.Range(1, 8).Select(i => i * 11f), sum);
    }

    [Theory]
    [InlineData("INT8", "id_int8")]
    [InlineData("UINT8", "id_uint8")]
    [InlineData("INT16", "id_int16")]
    [InlineData("UINT16", "id_uint16")]
    [InlineData("INT32", "id_int32")]
    [InlineData("UINT32", "id_uint32")]
    [InlineData("INT64", "id_int64")]
    [InlineData("UINT64", "id_uint64")]
    [InlineData("FP32", "id_float")]
    [InlineData("FP64", "id_double")]
    [InlineData("BOOL", "id_bool")]
    public async Task ModelInfer_TypedIdentity_RoundTripsEveryTypedDatatype(string datatype, string model)
    {
        var request = MalformedRequests.IdentityTyped(model, datatype, c =>
        {
            switch (datatype)
            {
                case "INT8": c.IntContents.Add([-128, 0, 127]); break;
                case "INT16": c.IntContents.Add([-32768, 5, 32767]); break;
                case "INT32": c.IntContents.Add([int.MinValue, 5, int.MaxValue]); break;
                case "UINT8": c.UintContents.Add([0u, 5u, 255u]); break;
                case "UINT16": c.UintContents.Add([0u, 5u, 65535u]); break;
                case "UINT32": c.UintContents.Add([0u, 5u, uint.MaxValue]); break;
                case "INT64": c.Int64Contents.Add([long.MinValue, -5, long.MaxValue]); break;
                case "UINT64": c.Uint64Contents.Add([0ul, 5ul, ulong.MaxValue]); break;
                case "FP32": c.Fp32Contents.Add([-1.5f, 0f, float.MaxValue]); break;
                case "FP64": c.Fp64Contents.Add([-Math.PI, 0, double.MaxValue]); break;
                case "BOOL": c.BoolContents.Add([true, false, true]); break;
            }
        });

        var response = await _client.ModelInferAsync(request).ResponseAsync.WaitAsync(Timeout);

        var output = Assert.Single(response.Outputs);
        Assert.Equal(datatype, output.Datatype);
        Assert.Equal([1L, 3L], output.Shape);
        Assert.Empty(response.RawOutputContents);
        Assert.Equal(request.Inputs[0].Contents, output.Contents);
    }

    [Theory]
    [InlineData("INT8", "id_int8", 1)]
    [InlineData("UINT16", "id_uint16", 2)]
    [InlineData("INT32", "id_int32", 4)]
    [InlineData("INT64", "id_int64", 8)]
    [InlineData("FP16", "id_float16", 2)]
    [InlineData("FP32", "id_float", 4)]
    [InlineData("FP64", "id_double", 8)]
    [InlineData("BOOL", "id_bool", 1)]
    public async Task ModelInfer_RawIdentity_ReturnsSameBytes(string datatype, string model, int size)
    {
        var bytes = Enumerable.Range(0, 3 * size).Select(i => datatype == "BOOL" ? (byte)(i % 2) : (byte)(i * 37 + 1)).ToArray();
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(MalformedRequests.Input("x", datatype, [1, 3], null));
        request.RawInputContents.Add(ByteString.CopyFrom(bytes));

        var response = await _client.ModelInferAsync(request).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(datatype, response.Outputs[0].Datatype);
        Assert.Equal(bytes, response.RawOutputContents.Single().ToByteArray());
    }

    [Fact]
    public async Task ModelInfer_Fp16OutputForTypedCaller_IsRaw()
    {
        // No FP16 typed form exists: such outputs always travel raw, whatever the request used.
        var request = new ModelInferRequest { ModelName = "id_float16" };
        request.Inputs.Add(MalformedRequests.Input("x", "FP16", [1, 3], null));
        request.RawInputContents.Add(ByteString.CopyFrom(BitConverter.GetBytes((Half)1.5).Concat(BitConverter.GetBytes((Half)(-2))).Concat(BitConverter.GetBytes((Half)0.25)).ToArray()));

        var response = await _client.ModelInferAsync(request).ResponseAsync.WaitAsync(Timeout);

        var halves = MemoryMarshal.Cast<byte, Half>(response.RawOutputContents.Single().Span).ToArray();
        Assert.Equal([(Half)1.5, (Half)(-2), (Half)0.25], halves);
    }

    [Fact]
    public async Task ModelInfer_ChainModel_WireOutputsEqualInProcessOnnxRuntime()
    {
        const int batch = 5;
        var input = Enumerable.Range(0, batch * 64).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var raw = new ModelInferRequest { ModelName = "chain" };
        raw.Inputs.Add(MalformedRequests.Input("x", "FP32", [batch, 64], null));
        raw.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(input.AsSpan())));
        var typed = new ModelInferRequest { ModelName = "chain" };
        typed.Inputs.Add(MalformedRequests.Input("x", "FP32", [batch, 64], new InferTensorContents { Fp32Contents = { input } }));

        var rawResponse = await _client.ModelInferAsync(raw).ResponseAsync.WaitAsync(Timeout);
        var typedResponse = await _client.ModelInferAsync(typed).ResponseAsync.WaitAsync(Timeout);

        float[] expected;
        using (var options = ModelCatalog.CreateSessionOptions(new ExecutionOptions { IntraOpThreads = 1 }))
        using (var session = new InferenceSession(Path.Combine(peer.Repository.Root, "chain", "1", "model.onnx"), options))
        using (var value = OrtValue.CreateTensorValueFromMemory(input, [batch, 64]))
        using (var outputs = session.Run(new RunOptions(), ["x"], [value], ["y"]))
        {
            expected = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        }

        Assert.Equal(expected, MemoryMarshal.Cast<byte, float>(rawResponse.RawOutputContents.Single().Span).ToArray());
        Assert.Equal(expected, typedResponse.Outputs[0].Contents.Fp32Contents);
        Assert.Equal([(long)batch, 64L], rawResponse.Outputs[0].Shape);
    }
}
