using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using CsCheck;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13: a structure-aware fuzzer for ModelInfer. CsCheck generates requests that start valid
/// for a served model (typed or raw, 0-3 rows) and then mutates them the way a hostile or broken
/// client would: in structure (wrong datatypes, shapes with huge or negative dimensions, byte
/// counts that disagree, missing and duplicate tensors, thousands of parameters, long strings,
/// outputs that broadcast to gigabytes) and in bytes (truncation, bit flips, invalid UTF-8 in a
/// name, unknown groups nested past protobuf's limit, garbage). Each request goes over real gRPC
/// to a peer and to an agent offloading to it on 127.0.0.1. Asserted: no UNKNOWN, INTERNAL or
/// UNAVAILABLE answer, both nodes still live; the process's managed memory is printed (the
/// memory target is asserted per node process by <see cref="NodeProcessFuzzMemoryTests"/>).
/// Bounded in CI (1,000 requests per node); EDGEAGENT_FAULTS=full sends 10,000.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class ModelInferFuzzTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static readonly StatusCode[] Allowed =
        [StatusCode.OK, StatusCode.InvalidArgument, StatusCode.NotFound, StatusCode.ResourceExhausted, StatusCode.FailedPrecondition, StatusCode.OutOfRange];

    private static readonly string[] Datatypes = ["FP32", "FP16", "BF16", "FP64", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT64", "BOOL", "BYTES", "", "fp32", "FLOAT", "\u00e9"];

    private static readonly long[] OddDims = [-1, -7, 0, 1L << 20, 1L << 31, 1L << 40, long.MaxValue, int.MaxValue + 1L];

    /// <summary>The served models and their inputs (name, element count per row, or 0 for the broadcast model).</summary>
    private static readonly (string Model, string[] Inputs, int Width)[] Models =
    [
        ("add_neg", ["a", "b"], 4), ("id_float", ["x"], 3), ("id_int8", ["x"], 3), ("id_int64", ["x"], 3), ("chain", ["x"], 64),
        ("bcast", ["a", "b"], 0), ("nope", ["x"], 3),
    ];

    /// <summary>One generated request: how it was made (for the failure message) and its bytes.</summary>
    public sealed record FuzzCase(string Description, byte[] Bytes)
    {
        public override string ToString() => Description;
    }

    /// <summary>The generator: a valid request, one structural mutation, one byte mutation.</summary>
    public static readonly Gen<FuzzCase> Cases =
        Gen.Select(Gen.Int[0, Models.Length - 1], Gen.Int[0, 3], Gen.Bool, Gen.Int[0, 10], Gen.Int[0, 7], Gen.Int, Build);

    [Fact]
    public async Task ModelInfer_GeneratedMutatedRequests_NoUnknownOrInternal()
    {
        var count = FaultScale.Pick(bounded: 1000, full: 10_000);
        await using var cluster = new AgentCluster();
        cluster.Repository.Add("bcast", 1, AmplifyingModels.Broadcast(namedOutput: true));
        foreach (var (model, _, _) in Models.Where(m => m.Model is not ("add_neg" or "bcast" or "nope")))
        {
            cluster.Repository.Add(model, 1, model == "chain" ? TinyOnnx.MatMulChain(8) : TinyOnnx.Identity(Enum.Parse<TinyOnnx.ElemType>(model[3..], ignoreCase: true)));
        }

        var limits = new Dictionary<string, string?>
        {
            ["Serving:MaxRequestBytes"] = "1048576",
            ["Execution:MaxOutputBytes"] = "16777216",
            ["Execution:IntraOpThreads"] = "1",
        };
        await using var peer = await PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = cluster.Repository.Root, NodeName = "edge", Extra = limits },
            b => b.Logging.SetMinimumLevel(LogLevel.Warning)).WaitAsync(Bound);
        var agent = await cluster.StartAgentAsync(
            cluster.AgentSettings("heuristic", $"edge={peer.GetTcpAddress()}") with
            {
                Extra = new Dictionary<string, string?>(AgentCluster.FastAgentSettings().Concat(limits)),
            },
            // Logging as the cluster's agents (Warning and above to the console): a warning per
            // fuzzed request would show as memory the test host keeps.
            _ => { });
        using var peerChannel = GrpcChannel.ForAddress(peer.GetTcpAddress(), new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
        using var agentChannel = GrpcChannel.ForAddress(agent.GetTcpAddress(), new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
        var targets = new (string Name, CallInvoker Invoker)[] { ("peer", peerChannel.CreateCallInvoker()), ("agent", agentChannel.CreateCallInvoker()) };

        // Warm-up: as many other generated cases (at most 2,000), so buffer pools, sessions and JIT
        // reach their steady level before the level memory must come back to is taken.
        await Cases.SampleAsync(c => SendToAllAsync(targets, c, new ConcurrentDictionary<StatusCode, int>(), new ConcurrentQueue<string>()), iter: Math.Min(count, 2000), threads: 4);
        var afterWarmup = ManagedBytes();
        // What generating alone leaves behind (CsCheck's own state), measured by a pass that sends nothing.
        long generated = 0;
        await Cases.SampleAsync(c => { Interlocked.Add(ref generated, c.Bytes.Length); return Task.CompletedTask; }, iter: count, threads: 4);
        var before = ManagedBytes();
        var rssBefore = Environment.WorkingSet;

        // The assertion records instead of throwing: CsCheck would shrink a failing case by
        // re-sending variants of it, and the figures are wanted whole. Each description carries
        // the case's seed, which rebuilds it (Build).
        var counts = new ConcurrentDictionary<StatusCode, int>();
        var failures = new ConcurrentQueue<string>();
        var clock = Stopwatch.StartNew();
        await Cases.SampleAsync(c => SendToAllAsync(targets, c, counts, failures), iter: count, threads: 4);
        // Memory must come back: buffer pools (Kestrel's blocks, pooled HTTP/2 streams) give up
        // what they no longer use over seconds, so the level is polled for a while.
        var after = ManagedBytes();
        var settle = Stopwatch.StartNew();
        while (after > before * 1.10 + (2 << 20) && settle.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(1000);
            after = ManagedBytes();
        }


        output.WriteLine($"{count} cases x 2 nodes in {clock.Elapsed.TotalSeconds:0.0} s: {string.Join(", ", counts.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"))}");
        output.WriteLine($"managed memory after warm-up {afterWarmup / 1048576.0:0.0} MB, after a pass that only generates {before / 1048576.0:0.0} MB, after the run {after / 1048576.0:0.0} MB ({settle.Elapsed.TotalSeconds:0} s later); working set {rssBefore / 1048576.0:0.0} -> {Environment.WorkingSet / 1048576.0:0.0} MB");
        Assert.True(failures.IsEmpty, $"{failures.Count} requests got a status they must never get:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(20))}");
        foreach (var (name, invoker) in targets)
        {
            var live = await new GRPCInferenceService.GRPCInferenceServiceClient(invoker).ServerLiveAsync(new ServerLiveRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
            Assert.True(live.Live, $"{name} is not live after the fuzzing");
        }

        // The memory target is asserted per node by NodeProcessFuzzMemoryTests: this process holds
        // the client, the generator and both nodes, so its figure is printed, not asserted.
    }

    private static async Task SendToAllAsync((string Name, CallInvoker Invoker)[] targets, FuzzCase c, ConcurrentDictionary<StatusCode, int> counts, ConcurrentQueue<string> failures)
    {
        foreach (var (name, invoker) in targets)
        {
            var error = await RawCalls.SendAsync(invoker, GRPCInferenceService.Descriptor.FindMethodByName("ModelInfer"), c.Bytes, TimeSpan.FromSeconds(30)).WaitAsync(Bound);
            var code = error?.StatusCode ?? StatusCode.OK;
            counts.AddOrUpdate(code, 1, (_, n) => n + 1);
            if (!Allowed.Contains(code) || (error is not null && (error.Status.Detail.Contains('\n', StringComparison.Ordinal) || error.Status.Detail.Length > 2048)))
            {
                failures.Enqueue($"{name}: {c.Description}: {code} \"{Shorten(error?.Status.Detail ?? "")}\"");
            }
        }
    }

    private static FuzzCase Build(int modelIndex, int rows, bool raw, int structural, int bytewise, int seed)
    {
        var random = new Random(seed);
        var (model, inputs, width) = Models[modelIndex];
        var description = new StringBuilder($"seed {seed} structural {structural} bytewise {bytewise}: {model} rows={rows} {(raw ? "raw" : "typed")}");
        var request = new ModelInferRequest { ModelName = model, Id = "f" + seed };
        foreach (var name in inputs)
        {
            long[] shape = width > 0 ? [rows, width] : name == "a" ? [rows * 64, 1] : [1, rows * 64];
            var datatype = model switch { "id_int8" => "INT8", "id_int64" => "INT64", _ => "FP32" };
            var tensor = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype };
            tensor.Shape.Add(shape);
            var elements = (int)(shape[0] * shape[1]);
            var size = datatype switch { "INT8" => 1, "INT64" => 8, _ => 4 };
            if (raw)
            {
                var bytes = new byte[elements * size];
                random.NextBytes(bytes);
                request.RawInputContents.Add(ByteString.CopyFrom(bytes));
            }
            else
            {
                tensor.Contents = new InferTensorContents();
                for (var i = 0; i < elements; i++)
                {
                    switch (datatype)
                    {
                        case "INT8": tensor.Contents.IntContents.Add(random.Next(-128, 128)); break;
                        case "INT64": tensor.Contents.Int64Contents.Add(random.NextInt64()); break;
                        default: tensor.Contents.Fp32Contents.Add((float)random.NextDouble()); break;
                    }
                }
            }

            request.Inputs.Add(tensor);
        }

        var victim = request.Inputs[random.Next(request.Inputs.Count)];
        switch (structural)
        {
            case 1:
                victim.Datatype = Datatypes[random.Next(Datatypes.Length)];
                description.Append($" datatype={victim.Datatype}");
                break;
            case 2:
                victim.Shape.Clear();
                for (var d = random.Next(0, 6); d > 0; d--)
                {
                    victim.Shape.Add(random.Next(3) == 0 ? OddDims[random.Next(OddDims.Length)] : random.Next(0, 5));
                }

                description.Append($" shape=[{string.Join(",", victim.Shape)}]");
                break;
            case 3 when raw && request.RawInputContents.Count > 0:
                var index = random.Next(request.RawInputContents.Count);
                var content = request.RawInputContents[index].ToByteArray();
                var length = Math.Max(0, content.Length + random.Next(-8, 9));
                request.RawInputContents[index] = ByteString.CopyFrom(content.AsSpan(0, Math.Min(length, content.Length)).ToArray().Concat(new byte[Math.Max(0, length - content.Length)]).ToArray());
                description.Append($" raw[{index}] {content.Length}->{length} bytes");
                break;
            case 3:
                victim.Contents ??= new InferTensorContents();
                victim.Contents.Int64Contents.Add(1);
                victim.Contents.BytesContents.Add(ByteString.CopyFromUtf8("x"));
                description.Append(" typed contents in the wrong fields");
                break;
            case 4:
                if (random.Next(2) == 0)
                {
                    request.Inputs.RemoveAt(random.Next(request.Inputs.Count));
                    description.Append(" input removed");
                }
                else
                {
                    request.Inputs.Add(victim.Clone());
                    description.Append(" input duplicated");
                }

                break;
            case 5:
                var (entries, valueLength) = random.Next(0, 4) switch { 0 => (100, 8), 1 => (5000, 8), 2 => (3, 100_000), _ => (1, 3 << 20) };
                for (var i = 0; i < entries; i++)
                {
                    request.Parameters[$"p{i}"] = new InferParameter { StringParam = new string('v', valueLength) };
                }

                description.Append($" {entries} parameters of {valueLength} chars");
                break;
            case 6:
                var outputName = random.Next(3) switch { 0 => "nope", 1 => "", _ => "y" };
                request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = outputName });
                request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = outputName });
                description.Append($" outputs '{outputName}' twice");
                break;
            case 7 when width == 0:
                // Outputs that broadcast: [N,1] + [1,M] with N and M of tens of thousands.
                var n = random.Next(1, 40_000);
                var m = random.Next(1, 40_000);
                request.Inputs.Clear();
                request.RawInputContents.Clear();
                foreach (var (name, shape) in new[] { ("a", new long[] { n, 1 }), ("b", new long[] { 1, m }) })
                {
                    var tensor = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = "FP32" };
                    tensor.Shape.Add(shape);
                    request.Inputs.Add(tensor);
                    request.RawInputContents.Add(ByteString.CopyFrom(new byte[shape[0] * shape[1] * 4]));
                }

                description.Append($" broadcast [{n},1]+[1,{m}]");
                break;
            case 8:
                request.ModelVersion = random.Next(2) == 0 ? "7" : "-1";
                description.Append($" version={request.ModelVersion}");
                break;
            case 9:
                victim.Name = new string('n', random.Next(2) == 0 ? 300 : 70_000);
                description.Append($" input name of {victim.Name.Length} chars");
                break;
        }

        var serialized = request.ToByteArray();
        switch (bytewise)
        {
            case 1 when serialized.Length > 1:
                var cut = random.Next(1, serialized.Length);
                serialized = serialized[..cut];
                description.Append($" truncated to {cut}");
                break;
            case 2 when serialized.Length > 0:
                var flips = random.Next(1, 9);
                for (var i = 0; i < flips; i++)
                {
                    serialized[random.Next(serialized.Length)] ^= (byte)(1 << random.Next(8));
                }

                description.Append($" {flips} bit flips");
                break;
            case 3:
                // The model name's bytes replaced in place by invalid UTF-8 (lengths stay valid).
                var at = IndexOf(serialized, Encoding.UTF8.GetBytes(model));
                if (at >= 0 && model.Length > 0)
                {
                    serialized[at] = 0xC3;
                    serialized[at + model.Length - 1] = 0xFF;
                    description.Append(" invalid UTF-8 in the model name");
                }

                break;
            case 4:
                var depth = random.Next(50, 400);
                serialized = [.. serialized, .. Enumerable.Repeat((byte)0x7B, depth), .. Enumerable.Repeat((byte)0x7C, depth)];
                description.Append($" unknown groups nested {depth} deep");
                break;
            case 5:
                var garbage = new byte[random.Next(1, 64)];
                random.NextBytes(garbage);
                serialized = [.. serialized, .. garbage];
                description.Append($" {garbage.Length} garbage bytes appended");
                break;
            case 6:
                serialized = [0x7A, 0xFF, 0xFF, 0xFF, 0x7F, .. serialized];
                description.Append(" unknown field claiming 256 MB first");
                break;
        }

        return new FuzzCase(description.ToString(), serialized);
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i + needle.Length <= haystack.Length && needle.Length > 0; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }

        return -1;
    }

    private static long ManagedBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";
}
