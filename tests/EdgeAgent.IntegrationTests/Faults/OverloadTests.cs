using System.Diagnostics;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Peer;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using EdgeAgent.Node.Serving;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13: under overload only OK or RESOURCE_EXHAUSTED, ServerLive and health always OK (they
/// sat behind the inference admission limiter), memory bounded.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class OverloadTests
{
    [Fact]
    public async Task ModelInfer_TenTimesOverload_OnlyOkOrResourceExhaustedAndLivenessAlwaysOk()
    {
        var duration = FaultScale.Pick(TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(60));
        using var repo = TempRepository.Standard();
        await using var app = await PeerHost.StartAsync(
            new PeerHostSettings
            {
                ModelsPath = repo.Root,
                MaxConcurrency = 1,
                QueueCapacity = 2,
                Extra = new Dictionary<string, string?>
                {
                    ["Execution:IntraOpThreads"] = "1",
                    ["Serving:MaxConcurrentRequests"] = "2",
                    ["Serving:MaxWaitingRequests"] = "2",
                },
            },
            PeerFixture.Quiet);
        using var channel = GrpcChannel.ForAddress(app.GetTcpAddress());
        using var probeChannel = GrpcChannel.ForAddress(app.GetTcpAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var live = new GRPCInferenceService.GRPCInferenceServiceClient(probeChannel);
        var health = new Health.HealthClient(probeChannel);

        // Capacity: one slot of a chain model; 10x that many callers in closed loops.
        var request = ChainRequest(rows: 256);
        await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
        var counts = new System.Collections.Concurrent.ConcurrentDictionary<StatusCode, int>();
        var details = new System.Collections.Concurrent.ConcurrentDictionary<StatusCode, string>();
        using var stop = new CancellationTokenSource(duration);
        var callers = Enumerable.Range(0, 10 * 4).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                StatusCode code;
                try
                {
                    await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30));
                    code = StatusCode.OK;
                }
                catch (RpcException ex)
                {
                    code = ex.StatusCode;
                    details.TryAdd(code, ex.Status.Detail);
                }

                counts.AddOrUpdate(code, 1, (_, n) => n + 1);
                if (code == StatusCode.ResourceExhausted)
                {
                    await Task.Delay(5);
                }
            }
        }).ToArray();

        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var probes = 0;
        var slowest = TimeSpan.Zero;
        while (!stop.IsCancellationRequested)
        {
            var watch = Stopwatch.StartNew();
            var answer = await live.ServerLiveAsync(new ServerLiveRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            var served = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            slowest = watch.Elapsed > slowest ? watch.Elapsed : slowest;
            Assert.True(answer.Live);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, served.Status);
            probes++;
            await Task.Delay(50);
        }

        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(60));
        var after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.True(probes > 0);
        Assert.True(counts.Keys.All(k => k is StatusCode.OK or StatusCode.ResourceExhausted), string.Join("; ", details.Select(d => $"{d.Key} x{counts[d.Key]}: {d.Value}")));
        Assert.True(counts[StatusCode.ResourceExhausted] > counts[StatusCode.OK], $"not overloaded: {string.Join(", ", counts)}");
        Assert.True(after < before + (64L << 20), $"managed memory grew from {before} to {after} bytes");
    }

    [Fact]
    public async Task ModelInfer_ExecutorQueueFull_CountedInOneSummaryNotOneWarningPerRequest()
    {
        // Admission lets every caller in; the executor (one slot, one queued) refuses the rest with
        // RESOURCE_EXHAUSTED. Those refusals used to log one warning each (EventId 3100); they are
        // counted by the node's RejectedCallLog like every other refused call.
        using var repo = TempRepository.Standard();
        var log = new LogCapture();
        await using var app = await PeerHost.StartAsync(
            new PeerHostSettings
            {
                ModelsPath = repo.Root,
                MaxConcurrency = 1,
                QueueCapacity = 1,
                Extra = new Dictionary<string, string?>
                {
                    ["Execution:IntraOpThreads"] = "1",
                    ["Serving:MaxConcurrentRequests"] = "64",
                    ["Serving:RejectionLogInterval"] = "01:00:00",
                },
            },
            builder =>
            {
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(log);
                builder.Logging.SetMinimumLevel(LogLevel.Information);
            });
        using var channel = GrpcChannel.ForAddress(app.GetTcpAddress());
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var request = ChainRequest(rows: 256);
        var refused = 0;
        var ok = 0;
        using var stop = new CancellationTokenSource(FaultScale.Pick(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30)));
        var callers = Enumerable.Range(0, 16).Select(async _ =>
        {
            // Each caller keeps going until the time is up and it has seen at least one refusal
            // (on a loaded machine the first seconds may pass before the executor fills).
            var mine = 0;
            while (!stop.IsCancellationRequested || mine == 0)
            {
                try
                {
                    await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(60));
                    Interlocked.Increment(ref ok);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref refused);
                    mine++;
                }
            }
        }).ToArray();
        await Task.WhenAll(callers).WaitAsync(TimeSpan.FromSeconds(120));

        app.Services.GetRequiredService<RejectedCallLog>().Flush();
        Assert.True(refused >= 16, $"{refused} refused, {ok} OK");
        Assert.DoesNotContain(log.Entries, e => e.EventId.Id == 3100 && e.Level >= LogLevel.Information);
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning);
        var summary = Assert.Single(log.Entries, e => e.EventId.Id == 3210);
        Assert.Contains($"Refused or failed {refused} calls", summary.Message, StringComparison.Ordinal);
        Assert.Contains($"ModelInfer ResourceExhausted {refused}", summary.Message, StringComparison.Ordinal);
        Assert.Contains("Execution:QueueCapacity=1", summary.Message, StringComparison.Ordinal);
    }

    private static ModelInferRequest ChainRequest(int rows)
    {
        var request = new ModelInferRequest { ModelName = "chain" };
        var contents = new InferTensorContents();
        contents.Fp32Contents.Add(new float[rows * 64]);
        request.Inputs.Add(MalformedRequests.Input("x", "FP32", [rows, 64], contents));
        return request;
    }
}
