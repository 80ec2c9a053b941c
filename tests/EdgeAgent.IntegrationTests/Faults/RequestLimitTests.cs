using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.IntegrationTests.Peer;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13: output amplification (a 131 KB request grew a peer to 3 GB), unbounded request
/// parameters (50,000 entries, 8 MB strings, forwarded to peers) and unbounded WatchLoad streams
/// (500 cost half a core). Each limit answers with its status and names its setting.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class RequestLimitTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ModelInfer_OutputThatBroadcastsOverLimit_ResourceExhaustedNamingTheSetting()
    {
        using var repo = new TempRepository()
            .Add("bcast", 1, AmplifyingModels.Broadcast(namedOutput: true))
            .Add("bcast_unknown", 1, AmplifyingModels.Broadcast(namedOutput: false));
        await using var app = await PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = repo.Root, Extra = new Dictionary<string, string?> { ["Execution:MaxOutputBytes"] = "1048576" } },
            PeerFixture.Quiet).WaitAsync(Bound);
        using var channel = GrpcChannel.ForAddress(app.GetTcpAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        // 2 x 32 KB of input ask for a 1 GB output ([8192,1] + [1,32768]).
        var known = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(Broadcast("bcast", 8192, 32768)).ResponseAsync).WaitAsync(Bound);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(Broadcast("bcast_unknown", 1024, 1024)).ResponseAsync).WaitAsync(Bound);
        var small = await client.ModelInferAsync(Broadcast("bcast", 16, 16)).ResponseAsync.WaitAsync(Bound);

        Assert.Equal(StatusCode.ResourceExhausted, known.StatusCode);
        Assert.Contains("refused before running", known.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("[8192,32768]", known.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Execution:MaxOutputBytes", known.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.ResourceExhausted, unknown.StatusCode);
        Assert.Contains("Execution:MaxOutputBytes", unknown.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(16 * 16 * 4, small.RawOutputContents[0].Length);
    }

    [Theory]
    [InlineData("count", "Serving:MaxParameters")]
    [InlineData("key", "Serving:MaxNameLength")]
    [InlineData("value", "Serving:MaxParameterStringLength")]
    [InlineData("input name", "Serving:MaxNameLength")]
    public async Task ModelInfer_ParametersOverLimit_ResourceExhaustedNamingTheSetting(string what, string setting)
    {
        using var repo = TempRepository.Standard();
        await using var app = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root }, PeerFixture.Quiet).WaitAsync(Bound);
        using var channel = GrpcChannel.ForAddress(app.GetTcpAddress(), new GrpcChannelOptions { MaxSendMessageSize = 64 << 20 });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var request = MalformedRequests.Typed();
        switch (what)
        {
            case "count":
                for (var i = 0; i < 50_000; i++)
                {
                    request.Parameters["p" + i] = new InferParameter { Int64Param = i };
                }

                break;
            case "key":
                request.Inputs[0].Parameters[new string('k', 10_000)] = new InferParameter { BoolParam = true };
                break;
            case "value":
                request.Parameters["big"] = new InferParameter { StringParam = new string('v', 8 << 20) };
                break;
            default:
                request.Inputs[0].Name = new string('n', 1 << 20);
                break;
        }

        var error = await Assert.ThrowsAsync<RpcException>(() => client.ModelInferAsync(request).ResponseAsync).WaitAsync(Bound);

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Contains(setting, error.Status.Detail, StringComparison.Ordinal);
        Assert.True(error.Status.Detail.Length < 400, $"the message is {error.Status.Detail.Length} characters long");
    }

    [Fact]
    public async Task WatchLoad_MoreStreamsThanThePerClientLimit_ResourceExhaustedAndOthersKeepStreaming()
    {
        using var repo = TempRepository.Standard();
        await using var app = await PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = repo.Root, Extra = new Dictionary<string, string?> { ["Peer:MaxLoadStreamsPerClient"] = "3" } },
            PeerFixture.Quiet).WaitAsync(Bound);
        using var channel = GrpcChannel.ForAddress(app.GetTcpAddress());
        var client = new PeerService.PeerServiceClient(channel);
        using var cancel = new CancellationTokenSource();
        var open = new List<AsyncServerStreamingCall<LoadReport>>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                var call = client.WatchLoad(new WatchLoadRequest { IntervalMs = 100 }, cancellationToken: cancel.Token);
                Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Bound));
                open.Add(call);
            }

            using var refused = client.WatchLoad(new WatchLoadRequest { IntervalMs = 100 });
            var error = await Assert.ThrowsAsync<RpcException>(() => refused.ResponseStream.MoveNext(CancellationToken.None)).WaitAsync(Bound);

            Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
            Assert.Contains("Peer:MaxLoadStreamsPerClient", error.Status.Detail, StringComparison.Ordinal);
            Assert.True(await open[0].ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Bound));

            // A closed stream frees its slot.
            open[0].Dispose();
            open.RemoveAt(0);
            await AssertEventuallyAsync(async () =>
            {
                using var again = client.WatchLoad(new WatchLoadRequest { IntervalMs = 100 });
                try
                {
                    return await again.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(Bound);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    return false;
                }
            });
        }
        finally
        {
            await cancel.CancelAsync();
            foreach (var call in open)
            {
                call.Dispose();
            }
        }
    }

    private static async Task AssertEventuallyAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold in time");
            await Task.Delay(50);
        }
    }

    private static ModelInferRequest Broadcast(string model, int n, int m)
    {
        var request = new ModelInferRequest { ModelName = model };
        request.Inputs.Add(MalformedRequests.Input("a", "FP32", [n, 1], null));
        request.Inputs.Add(MalformedRequests.Input("b", "FP32", [1, m], null));
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[n * 4]));
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[m * 4]));
        return request;
    }
}
