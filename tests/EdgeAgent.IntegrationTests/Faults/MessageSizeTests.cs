using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Peer;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13: the documented cap (Serving:MaxRequestBytes) is the real one end to end. Valid
/// requests between Kestrel's default 30,000,000-byte body limit and the 64 MiB cap got UNKNOWN.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class MessageSizeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ModelInfer_RequestAboveKestrelDefaultBodyLimitUnderCap_Ok()
    {
        using var repo = TempRepository.Standard();
        await using var app = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root }, PeerFixture.Quiet).WaitAsync(Timeout);
        using var channel = GrpcChannel.ForAddress(app.GetTcpAddress(), new GrpcChannelOptions { MaxSendMessageSize = 128 << 20, MaxReceiveMessageSize = 128 << 20 });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var response = await client.ModelInferAsync(Identity(rows: 32_000_000 / 12 + 1)).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal(32_000_004, response.RawOutputContents[0].Length);
    }

    [Fact]
    public async Task ModelInfer_OverCapAndOverTransportLimit_BothResourceExhaustedNamingTheLimit()
    {
        using var repo = TempRepository.Standard();
        await using var app = await PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = repo.Root, Extra = new Dictionary<string, string?> { ["Serving:MaxRequestBytes"] = (1 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture) } },
            PeerFixture.Quiet).WaitAsync(Timeout);
        using var channel = GrpcChannel.ForAddress(app.GetTcpAddress(), new GrpcChannelOptions { MaxSendMessageSize = 16 << 20 });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var overCap = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(Identity(rows: (3 << 20) / 24)).ResponseAsync).WaitAsync(Timeout);
        var overTransport = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(Identity(rows: (3 << 20) / 12)).ResponseAsync).WaitAsync(Timeout);

        Assert.Equal(StatusCode.ResourceExhausted, overCap.StatusCode);
        Assert.Contains("Serving:MaxRequestBytes", overCap.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, overTransport.StatusCode);
    }

    private static ModelInferRequest Identity(int rows)
    {
        var request = new ModelInferRequest { ModelName = "id_float" };
        request.Inputs.Add(MalformedRequests.Input("x", "FP32", [rows, 3], null));
        request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(new byte[rows * 12]));
        return request;
    }
}
