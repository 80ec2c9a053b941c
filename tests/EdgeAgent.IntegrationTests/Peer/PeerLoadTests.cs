using System.Runtime.InteropServices;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeAgent.IntegrationTests.Peer;

public sealed class PeerLoadTests
{
    private static readonly TimeSpan Timeout = PeerFixture.Timeout;

    [Fact]
    public async Task WatchLoad_RealQueue_ReportsQueuedRunningAndRefusesWhenFull()
    {
        // One slot, one queue place, and a 100x emulated slow-down of a large batch (16 MB, several
        // seconds emulated) so requests stay in the executor until the test cancels them; with a
        // 1 MB batch the held request finished early once on a quiet machine and the queue had room.
        await using var peer = new AsyncFixture(PeerFixture.Create(s => s with
        {
            MaxConcurrency = 1,
            QueueCapacity = 1,
            ComputeSpeedFactor = 0.01,
            NodeName = "slow",
            Extra = new Dictionary<string, string?> { ["Execution:IntraOpThreads"] = "1" },
        }));
        await peer.Fixture.InitializeAsync();
        var infer = new GRPCInferenceService.GRPCInferenceServiceClient(peer.Fixture.Channel);
        var load = new PeerService.PeerServiceClient(peer.Fixture.Channel);
        await infer.ModelInferAsync(Chain(1)).ResponseAsync.WaitAsync(Timeout);

        using var held = new CancellationTokenSource();
        var running = infer.ModelInferAsync(Chain(HeldBatch), cancellationToken: held.Token).ResponseAsync;
        using var watch = load.WatchLoad(new WatchLoadRequest { IntervalMs = 20 }, cancellationToken: held.Token);
        await NextReport(watch, r => r.Running == 1);
        var queued = infer.ModelInferAsync(Chain(1), cancellationToken: held.Token).ResponseAsync;
        var busy = await NextReport(watch, r => r.Running == 1 && r.Queued == 1);
        Assert.False(running.IsCompleted, "the held request finished before the queue was full");

        var refused = await Assert.ThrowsAsync<RpcException>(() => infer.ModelInferAsync(Chain(1)).ResponseAsync).WaitAsync(Timeout);

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("Execution:QueueCapacity=1", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(2u, (uint)busy.ResidualWorkHistogram.Sum(c => (long)c));
        Assert.True(busy.TotalResidualWorkMs > 0);
        Assert.Equal(1u, busy.MaxConcurrency);
        Assert.Equal(1u, busy.QueueCapacity);
        var chain = Assert.Single(busy.Models, m => m.Name == "chain");
        Assert.Equal(1ul, chain.Completed);
        Assert.True(chain.MeanExecMs > 0);

        var capabilities = await load.GetCapabilitiesAsync(new GetCapabilitiesRequest()).ResponseAsync.WaitAsync(Timeout);
        Assert.Equal("slow", capabilities.NodeName);
        Assert.Equal(0.01, capabilities.ComputeSpeedFactor);
        Assert.Contains(capabilities.Models, m => m.Name == "add_neg" && m.Versions.Single() == "1" && m.Platform == "onnx_onnxv1");

        await held.CancelAsync();
        await Assert.ThrowsAsync<RpcException>(() => running).WaitAsync(Timeout);
        await Assert.ThrowsAsync<RpcException>(() => queued).WaitAsync(Timeout);
        using var after = load.WatchLoad(new WatchLoadRequest { IntervalMs = 20 });
        var idle = await NextReport(after, r => r.Running == 0 && r.Queued == 0);
        Assert.Equal(0.0, idle.TotalResidualWorkMs);
    }

    [Fact]
    public async Task ModelInfer_OverConcurrentCallLimit_ResourceExhaustedNamingTheSetting()
    {
        // One inference call admitted and none waiting: while a slowed-down call runs, every other
        // call of the inference service is refused before its body is read.
        await using var peer = new AsyncFixture(PeerFixture.Create(s => s with
        {
            ComputeSpeedFactor = 0.01,
            Extra = new Dictionary<string, string?>
            {
                ["Execution:IntraOpThreads"] = "1",
                ["Serving:MaxConcurrentRequests"] = "1",
                ["Serving:MaxWaitingRequests"] = "0",
            },
        }));
        await peer.Fixture.InitializeAsync();
        var infer = new GRPCInferenceService.GRPCInferenceServiceClient(peer.Fixture.Channel);
        var load = new PeerService.PeerServiceClient(peer.Fixture.Channel);
        using var held = new CancellationTokenSource();
        var admitted = infer.ModelInferAsync(Chain(HeldBatch), cancellationToken: held.Token).ResponseAsync;
        using var watch = load.WatchLoad(new WatchLoadRequest { IntervalMs = 20 }, cancellationToken: held.Token);
        await NextReport(watch, r => r.Running == 1);

        var refused = await Assert.ThrowsAsync<RpcException>(() => infer.ModelInferAsync(Chain(1)).ResponseAsync).WaitAsync(Timeout);

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Contains("Serving:MaxConcurrentRequests", refused.Status.Detail, StringComparison.Ordinal);
        await held.CancelAsync();
        await Assert.ThrowsAsync<RpcException>(() => admitted).WaitAsync(Timeout);

        // The permit comes back once the cancelled call has left the server.
        using var deadline = new CancellationTokenSource(Timeout);
        while (true)
        {
            try
            {
                var live = await infer.ServerLiveAsync(new ServerLiveRequest(), cancellationToken: deadline.Token).ResponseAsync;
                Assert.True(live.Live);
                break;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.ResourceExhausted)
            {
                await Task.Delay(20, deadline.Token);
            }
        }
    }

    /// <summary>Rows of the request a test holds in the executor: 65536 x 64 floats (16 MB).</summary>
    private const int HeldBatch = 65536;

    private static ModelInferRequest Chain(int batch)
    {
        var request = new ModelInferRequest { ModelName = "chain" };
        request.Inputs.Add(MalformedRequests.Input("x", "FP32", [batch, 64], null));
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(new float[batch * 64].AsSpan())));
        return request;
    }

    private static async Task<LoadReport> NextReport(AsyncServerStreamingCall<LoadReport> call, Func<LoadReport, bool> condition)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (await call.ResponseStream.MoveNext(cts.Token))
        {
            if (condition(call.ResponseStream.Current))
            {
                return call.ResponseStream.Current;
            }
        }

        throw new InvalidOperationException("The load stream ended before the expected report.");
    }

    private sealed class AsyncFixture(PeerFixture fixture) : IAsyncDisposable
    {
        public PeerFixture Fixture { get; } = fixture;

        public async ValueTask DisposeAsync() => await Fixture.DisposeAsync();
    }
}
