using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CsCheck;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Benchmarks;
using EdgeAgent.TestModels;
using Grpc.Core;
using Grpc.Net.Client;
using Xunit.Abstractions;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13's memory target as an outside fuzzer sees it: a peer and an agent offloading to it,
/// each the real <c>edgeagent</c> binary in its own process, get the generated mutated ModelInfer
/// requests of <see cref="ModelInferFuzzTests"/> from this (separate) client process. Each node's
/// resident memory after the run must come back within 10 % of its level after a warm-up pass
/// (what the client allocates is not in the figure, unlike the in-process test's managed heap).
/// The warm-up pass is 2,000 generated cases always (about 4 s): with a warm-up as short as the
/// measured run (500), whether the run met a larger output or tensor shape than the warm-up had
/// decided the result, and a loaded machine saw +11-12 % on both nodes without any leak. Bounded
/// in CI (500 requests per node after the warm-up); EDGEAGENT_FAULTS=full sends 10,000.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class NodeProcessFuzzMemoryTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    /// <summary>Generated cases sent to each node before the level the run is compared with is taken.</summary>
    private const int WarmUpCases = 2000;

    [Fact]
    public async Task ModelInfer_FuzzedNodesAsProcesses_NoUnknownOrInternalAndEachNodesMemoryReturns()
    {
        var count = FaultScale.Pick(bounded: 500, full: 10_000);
        using var repository = new TempRepository().Add("bcast", 1, AmplifyingModels.Broadcast(namedOutput: true))
            .Add("chain", 1, TinyOnnx.MatMulChain(8))
            .Add("id_float", 1, TinyOnnx.Identity(TinyOnnx.ElemType.Float))
            .Add("id_int8", 1, TinyOnnx.Identity(TinyOnnx.ElemType.Int8))
            .Add("id_int64", 1, TinyOnnx.Identity(TinyOnnx.ElemType.Int64));
        var environment = new Dictionary<string, string>
        {
            ["EDGEAGENT_Serving__MaxRequestBytes"] = "1048576",
            ["EDGEAGENT_Execution__MaxOutputBytes"] = "16777216",
            ["EDGEAGENT_Execution__IntraOpThreads"] = "1",
            ["Logging__LogLevel__Default"] = "Warning",
        };
        var dll = Path.Combine(AppContext.BaseDirectory, "edgeagent.dll");
        await using var peer = await NodeProcess.StartAsync("dotnet", [dll], ["peer", "--models", repository.Root, "--name", "edge"], environment, Bound, CancellationToken.None);
        await using var agent = await NodeProcess.StartAsync("dotnet", [dll],
            ["agent", "--models", repository.Root, "--policy", "heuristic", "--peer", $"edge={peer.Address}"], environment, Bound, CancellationToken.None);
        using var peerChannel = GrpcChannel.ForAddress(peer.Address, new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
        using var agentChannel = GrpcChannel.ForAddress(agent.Address, new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
        var targets = new (string Name, CallInvoker Invoker, NodeProcess Node)[] { ("peer", peerChannel.CreateCallInvoker(), peer), ("agent", agentChannel.CreateCallInvoker(), agent) };
        Mark($"started peer {peer.Id} agent {agent.Id}");

        // Warm-up: other generated cases, so pools, sessions and JIT reach their level first.
        await ModelInferFuzzTests.Cases.SampleAsync(c => SendAsync(targets, c, new ConcurrentDictionary<StatusCode, int>(), new ConcurrentQueue<string>()), iter: WarmUpCases, threads: 4);
        Mark("warm-up done");
        var before = await SettledAsync(targets, TimeSpan.FromSeconds(10));
        Mark("before measured");
        output.WriteLine($"node processes: peer {peer.Id}, agent {agent.Id}; after warm-up: {Text(before)}");

        var counts = new ConcurrentDictionary<StatusCode, int>();
        var failures = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        await ModelInferFuzzTests.Cases.SampleAsync(c => SendAsync(targets, c, counts, failures), iter: count, threads: 4);
        var ran = clock.Elapsed;
        Mark("run done");
        var peak = targets.Select(t => t.Node.ResidentBytes() ?? 0).ToArray();

        // Memory must come back: pools give up what they no longer use over seconds.
        var after = await SettledAsync(targets, TimeSpan.FromSeconds(10));
        var settle = Stopwatch.StartNew();
        while (!Within(before, after) && settle.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(2000);
            after = await SettledAsync(targets, TimeSpan.FromSeconds(2));
        }

        Mark("after measured");
        output.WriteLine($"{count} cases x 2 nodes in {ran.TotalSeconds:0.0} s: {string.Join(", ", counts.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}");
        output.WriteLine($"at the end of the run: peer {peak[0] / 1048576.0:0.0} MB, agent {peak[1] / 1048576.0:0.0} MB; after it ({settle.Elapsed.TotalSeconds:0} s of polling): {Text(after)}");
        Assert.True(failures.IsEmpty, $"{failures.Count} requests got a status they must never get:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(20))}");
        foreach (var (name, invoker, _) in targets)
        {
            var live = await new GRPCInferenceService.GRPCInferenceServiceClient(invoker).ServerLiveAsync(new ServerLiveRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
            Assert.True(live.Live, $"{name} is not live after the fuzzing");
        }

        Assert.True(Within(before, after), $"resident memory did not come back within 10 %: before {Text(before)}, after {Text(after)}");
    }

    private static async Task SendAsync((string Name, CallInvoker Invoker, NodeProcess Node)[] targets, ModelInferFuzzTests.FuzzCase c, ConcurrentDictionary<StatusCode, int> counts, ConcurrentQueue<string> failures)
    {
        foreach (var (name, invoker, node) in targets)
        {
            var error = await RawCalls.SendAsync(invoker, GRPCInferenceService.Descriptor.FindMethodByName("ModelInfer"), c.Bytes, TimeSpan.FromSeconds(30)).WaitAsync(Bound);
            var code = error?.StatusCode ?? StatusCode.OK;
            counts.AddOrUpdate(code, 1, (_, n) => n + 1);
            if (code is StatusCode.Unknown or StatusCode.Internal or StatusCode.Unavailable or StatusCode.DataLoss
                || (error is not null && (error.Status.Detail.Contains('\n', StringComparison.Ordinal) || error.Status.Detail.Length > 2048)))
            {
                failures.Enqueue($"{name}: {c.Description}: {code} \"{error?.Status.Detail}\"");
            }
        }
    }

    // A node's resident memory once it is idle: the lowest of a few samples over the period.
    private static async Task<long[]> SettledAsync((string Name, CallInvoker Invoker, NodeProcess Node)[] targets, TimeSpan period)
    {
        var lowest = targets.Select(_ => long.MaxValue).ToArray();
        var settle = Stopwatch.StartNew();
        do
        {
            await Task.Delay(500);
            for (var i = 0; i < targets.Length; i++)
            {
                lowest[i] = Math.Min(lowest[i], targets[i].Node.ResidentBytes() ?? long.MaxValue);
            }
        }
        while (settle.Elapsed < period);
        return lowest;
    }

    // EDGEAGENT_FAULTS_TRACE=FILE appends the test's phases with UTC times, so that an outside
    // observer (dotnet-counters, dotnet-gcdump, /proc/PID/smaps) can tell which samples are which.
    private static void Mark(string phase)
    {
        if (Environment.GetEnvironmentVariable("EDGEAGENT_FAULTS_TRACE") is { Length: > 0 } file)
        {
            File.AppendAllText(file, $"{DateTime.UtcNow:HH:mm:ss.fff} {phase}{Environment.NewLine}");
        }
    }

    private static bool Within(long[] before, long[] after) => before.Zip(after).All(p => p.Second <= p.First * 1.10);

    private static string Text(long[] bytes) => string.Create(CultureInfo.InvariantCulture, $"peer {bytes[0] / 1048576.0:0.0} MB, agent {bytes[1] / 1048576.0:0.0} MB");
}
