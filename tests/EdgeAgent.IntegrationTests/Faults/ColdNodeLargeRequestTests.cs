using System.Diagnostics;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Peer;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13: on a freshly started node, 64 x 512 KB or 24 x 2 MB concurrent requests on one
/// connection stalled the whole node (admitted calls starved of HTTP/2 connection credit by the
/// unread bodies of waiting calls). Each trial starts a new peer and must answer every request OK,
/// with ServerLive on another connection answering throughout.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class ColdNodeLargeRequestTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(64, 512 * 1024)]
    [InlineData(24, 2 * 1024 * 1024)]
    public async Task ModelInfer_ConcurrentLargeRequestsOnColdNode_AllAnsweredWithoutStall(int count, int bytes)
    {
        var trials = FaultScale.Pick(1, 20);
        for (var trial = 0; trial < trials; trial++)
        {
            var (statuses, probes) = await RunTrialAsync(count, bytes).WaitAsync(Deadline + TimeSpan.FromSeconds(30));

            Assert.True(statuses.All(s => s == StatusCode.OK), $"trial {trial}: {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Key}={g.Count()}"))}");
            Assert.All(probes, p => Assert.Equal(StatusCode.OK, p));
        }
    }

    private static async Task<(StatusCode[] Statuses, List<StatusCode> Probes)> RunTrialAsync(int count, int bytes)
    {
        using var repo = TempRepository.Standard();
        await using var app = await PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = repo.Root, Extra = new Dictionary<string, string?> { ["Execution:IntraOpThreads"] = "1" } },
            PeerFixture.Quiet);
        using var channel = GrpcChannel.ForAddress(app.GetTcpAddress(), new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
        using var probeChannel = GrpcChannel.ForAddress(app.GetTcpAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var probe = new GRPCInferenceService.GRPCInferenceServiceClient(probeChannel);
        var rows = bytes / 12;
        var payload = ByteString.CopyFrom(new byte[rows * 12]);

        var calls = Enumerable.Range(0, count).Select(async _ =>
        {
            var request = new ModelInferRequest { ModelName = "id_float" };
            request.Inputs.Add(MalformedRequests.Input("x", "FP32", [rows, 3], null));
            request.RawInputContents.Add(payload);
            try
            {
                await client.ModelInferAsync(request, deadline: DateTime.UtcNow + Deadline);
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                return ex.StatusCode;
            }
        }).ToArray();

        // ServerLive on another connection must keep answering while the large calls run (it
        // waited behind the stalled calls' admission permits before).
        var probes = new List<StatusCode>();
        var all = Task.WhenAll(calls);
        while (!all.IsCompleted)
        {
            try
            {
                await probe.ServerLiveAsync(new ServerLiveRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                probes.Add(StatusCode.OK);
            }
            catch (RpcException ex)
            {
                probes.Add(ex.StatusCode);
            }

            await Task.WhenAny(all, Task.Delay(50));
        }

        return (await all, probes);
    }
}
