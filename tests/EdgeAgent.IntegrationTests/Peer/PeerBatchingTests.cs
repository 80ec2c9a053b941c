using System.Runtime.InteropServices;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.IntegrationTests.Peer;

/// <summary>
/// Dynamic batching through a real peer on 127.0.0.1: concurrent clients (each its own connection)
/// are served in shared ONNX Runtime runs, and each gets exactly the output an unbatched peer gives it.
/// </summary>
public sealed class PeerBatchingTests : IAsyncLifetime
{
    private const int Clients = 8;
    private static readonly TimeSpan Timeout = PeerFixture.Timeout;
    private readonly TempRepository _plain = new TempRepository().Add("chain", 1, TinyOnnx.MatMulChain(8));
    private readonly TempRepository _batched = new TempRepository().Add("chain", 1, TinyOnnx.MatMulChain(8));
    private WebApplication _plainPeer = null!;
    private WebApplication _batchedPeer = null!;

    public async Task InitializeAsync()
    {
        // The delay is the longest allowed: a batch runs when its 8 requests have all arrived (or a second later).
        File.WriteAllText(Path.Combine(_batched.Root, "chain", ModelConfig.FileName), """{ "max_batch_size": 8, "dynamic_batching": { "max_queue_delay_microseconds": 1000000 } }""");
        var extra = new Dictionary<string, string?> { ["Execution:IntraOpThreads"] = "1" };
        _plainPeer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = _plain.Root, Extra = extra }, PeerFixture.Quiet).WaitAsync(Timeout);
        _batchedPeer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = _batched.Root, Extra = extra }, PeerFixture.Quiet).WaitAsync(Timeout);
    }

    public async Task DisposeAsync()
    {
        await _plainPeer.DisposeAsync();
        await _batchedPeer.DisposeAsync();
        _plain.Dispose();
        _batched.Dispose();
    }

    [Fact]
    public async Task ModelInfer_ConcurrentClients_BatchedAndEachGetsItsUnbatchedOutput()
    {
        var requests = Enumerable.Range(0, Clients).Select(Request).ToArray();
        var expected = new List<float[]>();
        using (var channel = GrpcChannel.ForAddress(_plainPeer.GetTcpAddress()))
        {
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            foreach (var request in requests)
            {
                expected.Add(Floats(await client.ModelInferAsync(request).ResponseAsync.WaitAsync(Timeout)));
            }
        }

        var channels = Enumerable.Range(0, Clients).Select(_ => GrpcChannel.ForAddress(_batchedPeer.GetTcpAddress())).ToArray();
        try
        {
            var responses = await Task.WhenAll(requests.Select((request, k) =>
                new GRPCInferenceService.GRPCInferenceServiceClient(channels[k]).ModelInferAsync(request, deadline: DateTime.UtcNow + Timeout).ResponseAsync)).WaitAsync(Timeout);

            for (var k = 0; k < Clients; k++)
            {
                var actual = Floats(responses[k]);
                Assert.Equal(expected[k].Length, actual.Length);
                for (var i = 0; i < actual.Length; i++)
                {
                    Assert.True(Math.Abs(expected[k][i] - actual[i]) <= 1e-5f * Math.Max(1f, Math.Abs(expected[k][i])), $"client {k} element {i}: batched {actual[i]}, unbatched {expected[k][i]}");
                }
            }

            var stats = Assert.Single(_batchedPeer.Services.GetRequiredService<LocalExecutor>().GetLoadSnapshot().Models);
            Assert.Equal(Clients, stats.Completed);
            Assert.True(stats.Runs < stats.Completed, $"{stats.Completed} requests ran in {stats.Runs} runs: none was batched");
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    // Client k's own input: one row of 64 values seeded by k.
    private static ModelInferRequest Request(int k)
    {
        var random = new Random(k + 1);
        var values = Enumerable.Range(0, 64).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var request = new ModelInferRequest { ModelName = "chain" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32" };
        input.Shape.AddRange([1, 64]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())));
        return request;
    }

    private static float[] Floats(ModelInferResponse response) =>
        MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray();
}
