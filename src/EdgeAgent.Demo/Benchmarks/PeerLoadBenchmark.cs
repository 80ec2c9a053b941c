using System.Diagnostics;
using System.Globalization;
using System.Net;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Balancer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Settings of <see cref="PeerLoadBenchmark"/>.</summary>
public sealed record PeerLoadBenchmarkSettings
{
    /// <summary>Model repository holding the models to load (each <c>&lt;model&gt;/1/model.onnx</c>).</summary>
    public string ModelsPath { get; init; } = ModelFetch.CacheDirectories.Models();

    /// <summary>Models to measure, one after the other.</summary>
    public IReadOnlyList<string> Models { get; init; } = ["ocr-det", "ocr-cls"];

    /// <summary>Concurrent clients (each its own gRPC channel and HTTP/2 connection, like separate agents), one measured point each.</summary>
    public IReadOnlyList<int> Clients { get; init; } = [8, 32];

    /// <summary>Measured time per point, after one unmeasured request per client.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Peers in the group, on 127.0.0.2, 127.0.0.3, ...; 0 skips the group.</summary>
    public int GroupSize { get; init; } = 4;

    /// <summary>Height and width given to symbolic image dimensions (the detection model's).</summary>
    public int ImageSize { get; init; } = 320;

    /// <summary>Batch sizes at which in-process ONNX Runtime is measured; the best is the ceiling.</summary>
    public IReadOnlyList<int> CeilingBatchSizes { get; init; } = [1, 2, 4, 8, 16, 32];

    /// <summary>ONNX Runtime intra-op threads for every session, the ceiling's and the peers' alike (0: ORT decides).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>max_batch_size of the batched peer's config.json; 0 takes the ceiling's best batch size measured in the same run.</summary>
    public int MaxBatchSize { get; init; }

    /// <summary>max_queue_delay_microseconds of the batched peer's config.json.</summary>
    public TimeSpan MaxQueueDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Also measure the peer without dynamic batching (the baseline the batched peer must beat).</summary>
    public bool Unbatched { get; init; } = true;

    /// <summary>After the group points, once more with the first setup while one member is killed halfway (connections aborted): requests the group fails must be 0.</summary>
    public bool KillMember { get; init; } = true;
}

/// <summary>A peer configuration measured by <see cref="PeerLoadBenchmark"/>.</summary>
/// <param name="Name">Row label ("peer", "peer batched").</param>
/// <param name="WriteRepository">Writes the repository this peer serves into the given folder, from the source model file.</param>
public sealed record PeerVariantSetup(string Name, Action<string, string, string> WriteRepository);

/// <summary>One measured point of <see cref="PeerLoadBenchmark"/>.</summary>
/// <param name="Model">Model name.</param>
/// <param name="Setup">"ort batch B" (in-process ONNX Runtime, no gRPC), "peer", "group of N", ...</param>
/// <param name="Clients">Concurrent clients (0 for in-process ONNX Runtime).</param>
/// <param name="Completed">Requests (items) completed in the window.</param>
/// <param name="ItemsPerSecond">Throughput in items per second.</param>
/// <param name="P50Ms">Median latency of one request, milliseconds (one run for ONNX Runtime).</param>
/// <param name="P99Ms">99th percentile latency, milliseconds.</param>
/// <param name="MeanBatch">Requests per ONNX Runtime run on the peers (the batch size for in-process rows).</param>
/// <param name="Failed">Requests that failed (any status but OK).</param>
/// <param name="Detail">Per-member request counts for a group; empty otherwise.</param>
public sealed record PeerLoadPoint(string Model, string Setup, int Clients, long Completed, double ItemsPerSecond, double P50Ms, double P99Ms, double MeanBatch, long Failed, string Detail)
{
    /// <summary>For a group: requests each member completed in the window, in address order (empty otherwise).</summary>
    public IReadOnlyList<long> MemberRequests { get; init; } = [];

    /// <summary>For a group: member 0 was killed halfway through the window.</summary>
    public bool MemberKilled { get; init; }

    /// <summary>
    /// CPU time this process spent per completed item over the window, milliseconds (user + system,
    /// all threads: ONNX Runtime's, and for peer points also the peers' serving and the clients'
    /// gRPC work). Unlike items/s it barely moves with other processes' load, so it shows what the
    /// peer path costs beyond ONNX Runtime itself.
    /// </summary>
    public double CpuMsPerItem { get; init; } = double.NaN;
}

/// <summary>
/// Issue 17: many concurrent agents (real gRPC clients, each with its own connection) in closed
/// loops against one `edgeagent peer` and against a group of peers on 127.0.0.x behind one
/// name (each client an agent's <see cref="PeerConnection"/> to <c>dns:///</c>: Grpc.Net.Client's
/// resolver and round_robin policy, retries, member load streams; then once more with one member
/// killed halfway, counting the requests the group failed), reporting throughput, p50/p99
/// and the batch sizes the peers ran; in-process ONNX Runtime at each batch size in the same run,
/// its best throughput being the ceiling. The peers run in this process (real Kestrel, real
/// loopback sockets): on one machine they share its cores with the clients either way.
/// </summary>
public sealed class PeerLoadBenchmark
{
    private readonly PeerLoadBenchmarkSettings _settings;
    private readonly Action<string> _progress;

    /// <summary>Creates the benchmark; <paramref name="progress"/> receives one line per point.</summary>
    public PeerLoadBenchmark(PeerLoadBenchmarkSettings settings, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        _settings = settings;
        _progress = progress;
    }

    /// <summary>Runs every model's points in order: ceiling, each peer setup at each client count, the group.</summary>
    /// <exception cref="FileNotFoundException">A model is not in the repository.</exception>
    public async Task<IReadOnlyList<PeerLoadPoint>> RunAsync(CancellationToken cancellationToken)
    {
        var points = new List<PeerLoadPoint>();
        foreach (var model in _settings.Models)
        {
            var file = Path.Combine(_settings.ModelsPath, model, "1", "model.onnx");
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"{file} does not exist; run `edgeagent models fetch paddleocr` or give --models.");
            }

            var input = InputOf(file);
            var ceiling = MeasureCeiling(model, file, input, cancellationToken);
            points.AddRange(ceiling);
            var best = ceiling.MaxBy(p => p.ItemsPerSecond)!;
            var maxBatch = _settings.MaxBatchSize > 0 ? _settings.MaxBatchSize : Math.Max(2, (int)best.MeanBatch);
            var delayUs = (long)_settings.MaxQueueDelay.TotalMicroseconds;
            var setups = new List<PeerVariantSetup>();
            if (_settings.Unbatched)
            {
                setups.Add(new("peer", CopyModel));
            }

            setups.Add(new($"peer batched (max {maxBatch})", (repository, name, source) =>
            {
                CopyModel(repository, name, source);
                File.WriteAllText(Path.Combine(repository, name, "config.json"), string.Create(CultureInfo.InvariantCulture,
                    $$"""{ "max_batch_size": {{maxBatch}}, "dynamic_batching": { "max_queue_delay_microseconds": {{delayUs}} } }"""));
            }));
            foreach (var setup in setups)
            {
                foreach (var clients in _settings.Clients)
                {
                    var point = await MeasurePeersAsync(model, file, input, setup, 1, clients, cancellationToken).ConfigureAwait(false);
                    points.Add(point);
                }
            }

            if (_settings.GroupSize > 0)
            {
                foreach (var setup in setups)
                {
                    var clients = _settings.Clients.Max();
                    points.Add(await MeasurePeersAsync(model, file, input, setup, _settings.GroupSize, clients, cancellationToken).ConfigureAwait(false));
                }

                if (_settings.KillMember && _settings.GroupSize > 1)
                {
                    points.Add(await MeasurePeersAsync(model, file, input, setups[0], _settings.GroupSize, _settings.Clients.Max(), cancellationToken, killMember: true).ConfigureAwait(false));
                }
            }

            // The ceiling's best batch size again after the peers: a shared machine's load drifts
            // over a run, and the targets take the higher of the two measurements.
            points.AddRange(MeasureCeiling(model, file, input, cancellationToken, [(int)best.MeanBatch], " (again, after the peers)"));
        }

        return points;
    }

    /// <summary>Writes <c>&lt;repo&gt;/&lt;model&gt;/1/model.onnx</c> as a link to (or copy of) the source file.</summary>
    public static void CopyModel(string repository, string model, string source)
    {
        ArgumentNullException.ThrowIfNull(repository);
        var version = Path.Combine(repository, model, "1");
        Directory.CreateDirectory(version);
        var target = Path.Combine(version, "model.onnx");
        try
        {
            File.CreateSymbolicLink(target, source);
        }
        catch (IOException)
        {
            File.Copy(source, target, overwrite: true);
        }
    }

    private sealed record ModelInput(string Name, TensorElementType ElementType, long[] Shape);

    private ModelInput InputOf(string file)
    {
        using var session = new InferenceSession(file);
        if (session.InputMetadata.Count != 1)
        {
            throw new InvalidOperationException($"{file}: the peer benchmark drives single-input models; this one has {session.InputMetadata.Count} inputs.");
        }

        var (name, meta) = session.InputMetadata.First();
        if (meta.ElementDataType != TensorElementType.Float)
        {
            throw new InvalidOperationException($"{file}: the peer benchmark sends FP32 inputs; input '{name}' is {meta.ElementDataType}.");
        }

        var shape = meta.Dimensions.Select((d, i) => i == 0 ? 1L : d > 0 ? d : _settings.ImageSize).ToArray();
        return new ModelInput(name, meta.ElementDataType, shape);
    }

    private List<PeerLoadPoint> MeasureCeiling(string model, string file, ModelInput input, CancellationToken cancellationToken, IReadOnlyList<int>? batchSizes = null, string suffix = "")
    {
        var options = new ExecutionOptions { IntraOpThreads = _settings.IntraOpThreads };
        using var sessionOptions = ModelCatalog.CreateSessionOptions(options);
        using var session = new InferenceSession(file, sessionOptions);
        var points = new List<PeerLoadPoint>();
        var window = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(2).Ticks, _settings.Duration.Ticks / 3));
        foreach (var batch in batchSizes ?? _settings.CeilingBatchSizes)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var shape = input.Shape.ToArray();
            shape[0] = batch;
            var data = RandomData(checked((int)shape.Aggregate(1L, (a, b) => a * b)), 17);
            using var value = OrtValue.CreateTensorValueFromMemory(data, shape);
            var names = new[] { input.Name };
            var values = new[] { value };
            using var runOptions = new RunOptions();
            using (session.Run(runOptions, names, values, session.OutputNames))
            {
            }

            var samples = new List<double>();
            var cpuBefore = ProcessCpu();
            var started = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(started) < window || samples.Count < 3)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var t = Stopwatch.GetTimestamp();
                using (session.Run(runOptions, names, values, session.OutputNames))
                {
                }

                samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }

            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpuMs = (ProcessCpu() - cpuBefore).TotalMilliseconds;
            var point = new PeerLoadPoint(model, $"ort batch {batch}{suffix}", 0, samples.Count * (long)batch, samples.Count * batch / elapsed,
                Percentiles.Of(samples, 50), Percentiles.Of(samples, 99), batch, 0, "")
            {
                CpuMsPerItem = cpuMs / Math.Max(1, samples.Count * batch),
            };
            _progress(Describe(point));
            points.Add(point);
        }

        return points;
    }

    private async Task<PeerLoadPoint> MeasurePeersAsync(string model, string file, ModelInput input, PeerVariantSetup setup, int members, int clients, CancellationToken cancellationToken, bool killMember = false)
    {
        if (members > 1)
        {
            return await MeasureGroupAsync(model, file, input, setup, members, clients, killMember, cancellationToken).ConfigureAwait(false);
        }

        var repository = Path.Combine(Path.GetTempPath(), "edgeagent-bench-peer-" + Guid.NewGuid().ToString("N"));
        var peers = new List<WebApplication>();
        try
        {
            setup.WriteRepository(repository, model, file);
            for (var i = 0; i < members; i++)
            {
                var host = members == 1 ? "127.0.0.1" : $"127.0.0.{i + 2}";
                var extra = new Dictionary<string, string?>
                {
                    ["Execution:IntraOpThreads"] = _settings.IntraOpThreads.ToString(CultureInfo.InvariantCulture),
                    ["Execution:QueueCapacity"] = Math.Max(64, clients * 2).ToString(CultureInfo.InvariantCulture),
                    ["Serving:MaxConcurrentRequests"] = Math.Max(16, clients * 2).ToString(CultureInfo.InvariantCulture),
                };
                peers.Add(await PeerHost.StartAsync(
                    new PeerHostSettings { ModelsPath = repository, Listen = host + ":0", NodeName = $"bench-{i}", Extra = extra },
                    b => b.Logging.SetMinimumLevel(LogLevel.Warning),
                    cancellationToken).ConfigureAwait(false));
            }

            var addresses = peers.Select(p => p.GetTcpAddress()).ToList();
            var request = Request(model, input);
            var channels = Enumerable.Range(0, clients).Select(_ => Channel(addresses)).ToList();
            try
            {
                var clientsOf = channels.Select(c => new GRPCInferenceService.GRPCInferenceServiceClient(c)).ToList();
                // One unmeasured request per client: connections, HTTP/2 windows, the sessions' first runs.
                await Task.WhenAll(clientsOf.Select(c => c.ModelInferAsync(request, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: cancellationToken).ResponseAsync)).ConfigureAwait(false);
                var before = peers.Select(p => Stats(p, model)).ToList();
                var latencies = clientsOf.Select(_ => new List<double>()).ToArray();
                var failed = 0L;
                var cpuBefore = ProcessCpu();
                var started = Stopwatch.GetTimestamp();
                var end = started + (long)(_settings.Duration.TotalSeconds * Stopwatch.Frequency);
                await Task.WhenAll(clientsOf.Select((client, k) => Task.Run(async () =>
                {
                    while (Stopwatch.GetTimestamp() < end)
                    {
                        var t = Stopwatch.GetTimestamp();
                        try
                        {
                            await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddMinutes(1), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                            latencies[k].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                        }
                        catch (RpcException) when (!cancellationToken.IsCancellationRequested)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    }
                }, cancellationToken))).ConfigureAwait(false);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
                var cpuMs = (ProcessCpu() - cpuBefore).TotalMilliseconds;
                var after = peers.Select(p => Stats(p, model)).ToList();
                var all = latencies.SelectMany(l => l).ToList();
                var requests = after.Zip(before, (a, b) => a.Completed - b.Completed).ToList();
                var runs = after.Zip(before, (a, b) => a.Runs - b.Runs).Sum();
                var name = members == 1 ? setup.Name : $"{setup.Name} group of {members}";
                var detail = members == 1 ? "" : "per member " + string.Join("/", requests);
                var point = new PeerLoadPoint(model, name, clients, all.Count, all.Count / elapsed,
                    Percentiles.Of(all, 50), Percentiles.Of(all, 99), runs > 0 ? requests.Sum() / (double)runs : double.NaN, failed, detail)
                {
                    CpuMsPerItem = cpuMs / Math.Max(1, all.Count),
                };
                _progress(Describe(point));
                return point;
            }
            finally
            {
                foreach (var channel in channels)
                {
                    channel.Dispose();
                }
            }
        }
        finally
        {
            foreach (var peer in peers)
            {
                await peer.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                Directory.Delete(repository, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    // A group as agents see it: each client is an agent's PeerConnection to NAME=dns:///..., the
    // agent's own group path (Grpc.Net.Client's resolver and round_robin, retries on UNAVAILABLE,
    // member load streams); the name resolves to the members on 127.0.0.2, .3, ... through a "dns"
    // resolver factory, as the agent's integration tests give it.
    private async Task<PeerLoadPoint> MeasureGroupAsync(string model, string file, ModelInput input, PeerVariantSetup setup, int members, int clients, bool killMember, CancellationToken cancellationToken)
    {
        var repository = Path.Combine(Path.GetTempPath(), "edgeagent-bench-peer-" + Guid.NewGuid().ToString("N"));
        var peers = new List<WebApplication>();
        var connections = new List<PeerConnection>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var runs = new List<Task>();
        try
        {
            setup.WriteRepository(repository, model, file);
            for (var i = 0; i < members; i++)
            {
                peers.Add(await PeerHost.StartAsync(
                    new PeerHostSettings { ModelsPath = repository, Listen = $"127.0.0.{i + 2}:0", NodeName = $"bench-{i}", Extra = PeerExtra(clients) },
                    b => b.Logging.SetMinimumLevel(LogLevel.Warning),
                    cancellationToken).ConfigureAwait(false));
            }

            var addresses = peers.Select(p => p.GetTcpAddress()).Select(a => new BalancerAddress(a.Host, a.Port)).ToArray();
            // No hung-peer detection: this measures peers under deep queues, where a closed-loop
            // client's one call may legitimately wait many times its recent answers.
            var options = new AgentOptions { OffloadTimeout = TimeSpan.FromMinutes(1), StaleAfter = TimeSpan.FromSeconds(10), HungPeerFloor = TimeSpan.Zero };
            var resolvers = new ResolverFactory[] { new FixedGroupResolverFactory(addresses) };
            if (!PeerEndpoint.TryParse("group=dns:///localhost:8001", out var endpoint, out var error))
            {
                throw new InvalidOperationException(error);
            }

            for (var k = 0; k < clients; k++)
            {
                var connection = new PeerConnection(endpoint, options, TimeProvider.System, new Random(k), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, tls: null, resolvers);
                connections.Add(connection);
                runs.Add(connection.RunAsync(stop.Token));
            }

            var request = Request(model, input);
            // Every client sees every member before the window (round_robin picks only members it
            // has connected to), then one unmeasured request per member per client: connections,
            // HTTP/2 windows, the sessions' first runs.
            var ready = Stopwatch.GetTimestamp();
            while (connections.Any(c => c.Members.Count(m => m.IsAvailable) < members) && Stopwatch.GetElapsedTime(ready) < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }

            await Task.WhenAll(connections.Select(async c =>
            {
                for (var i = 0; i < members; i++)
                {
                    await c.InferAsync(request, TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
                }
            })).ConfigureAwait(false);
            var before = peers.Select(p => Stats(p, model)).ToList();
            var latencies = connections.Select(_ => new List<double>()).ToArray();
            var failed = 0L;
            var cpuBefore = ProcessCpu();
            var started = Stopwatch.GetTimestamp();
            var end = started + (long)(_settings.Duration.TotalSeconds * Stopwatch.Frequency);
            var work = Task.WhenAll(connections.Select((connection, k) => Task.Run(async () =>
            {
                while (Stopwatch.GetTimestamp() < end)
                {
                    if (!connection.IsAvailable)
                    {
                        // An agent's policy offers no unavailable peer: its requests run on the board meanwhile.
                        await Task.Delay(5, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    var t = Stopwatch.GetTimestamp();
                    try
                    {
                        await connection.InferAsync(request, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
                        latencies[k].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                    }
                    catch (RpcException) when (!cancellationToken.IsCancellationRequested)
                    {
                        Interlocked.Increment(ref failed);
                    }
                }
            }, cancellationToken)));
            (long Completed, long Runs)? killedStats = null;
            if (killMember)
            {
                await Task.Delay(_settings.Duration / 2, cancellationToken).ConfigureAwait(false);
                killedStats = Stats(peers[0], model);
                using (var abort = new CancellationTokenSource(TimeSpan.Zero))
                {
                    // Connections aborted, requests in flight cut: as a killed process looks to its clients.
                    await peers[0].StopAsync(abort.Token).ConfigureAwait(false);
                }

                killedStats = Stats(peers[0], model);
            }

            await work.ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
            var cpuMs = (ProcessCpu() - cpuBefore).TotalMilliseconds;
            var after = peers.Select((p, i) => i == 0 && killedStats is { } k ? k : Stats(p, model)).ToList();
            var all = latencies.SelectMany(l => l).ToList();
            var requests = after.Zip(before, (a, b) => a.Completed - b.Completed).ToList();
            var ortRuns = after.Zip(before, (a, b) => a.Runs - b.Runs).Sum();
            var name = killMember ? $"{setup.Name} group of {members}, member 0 killed halfway" : $"{setup.Name} group of {members}";
            var mean = requests.Skip(killMember ? 1 : 0).Average();
            var spread = requests.Skip(killMember ? 1 : 0).Max(r => Math.Abs(r - mean)) / Math.Max(1, mean);
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"per member {string.Join("/", requests)}; {(killMember ? "surviving members" : "members")} within {spread * 100:0.0} % of their mean; {failed} failed on the group (an agent runs those on the board)");
            var point = new PeerLoadPoint(model, name, clients, all.Count, all.Count / elapsed,
                Percentiles.Of(all, 50), Percentiles.Of(all, 99), ortRuns > 0 ? requests.Sum() / (double)ortRuns : double.NaN, failed, detail)
            {
                MemberRequests = requests,
                MemberKilled = killMember,
                CpuMsPerItem = cpuMs / Math.Max(1, all.Count),
            };
            _progress(Describe(point));
            return point;
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(runs).ConfigureAwait(false);
            foreach (var connection in connections)
            {
                connection.Dispose();
            }

            foreach (var peer in peers)
            {
                await peer.DisposeAsync().ConfigureAwait(false);
            }

            try
            {
                Directory.Delete(repository, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private Dictionary<string, string?> PeerExtra(int clients) => new()
    {
        ["Execution:IntraOpThreads"] = _settings.IntraOpThreads.ToString(CultureInfo.InvariantCulture),
        ["Execution:QueueCapacity"] = Math.Max(64, clients * 2).ToString(CultureInfo.InvariantCulture),
        ["Serving:MaxConcurrentRequests"] = Math.Max(16, clients * 2).ToString(CultureInfo.InvariantCulture),
        // Every client is an agent with a load stream to every member, all from 127.0.0.1.
        ["Peer:MaxLoadStreamsPerClient"] = Math.Max(16, clients * 2).ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>The "dns" scheme answered with the members' loopback addresses (grpc-dotnet's static resolver).</summary>
    private sealed class FixedGroupResolverFactory(IReadOnlyList<BalancerAddress> addresses) : ResolverFactory
    {
        public override string Name => PeerEndpoint.GroupScheme;

        public override Resolver Create(ResolverOptions options) => new StaticResolverFactory(_ => addresses).Create(options);
    }

    private static (long Completed, long Runs) Stats(WebApplication peer, string model)
    {
        var stats = peer.Services.GetRequiredService<LocalExecutor>().GetLoadSnapshot().Models.Where(m => m.Name == model).ToList();
        return (stats.Sum(s => s.Completed), stats.Sum(s => s.Runs));
    }

    // One channel per client, as separate agents have.
    private static GrpcChannel Channel(IReadOnlyList<Uri> addresses) =>
        GrpcChannel.ForAddress(addresses[0], new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });

    private static ModelInferRequest Request(string model, ModelInput input)
    {
        var count = checked((int)input.Shape.Aggregate(1L, (a, b) => a * b));
        var data = RandomData(count, 42);
        var bytes = new byte[count * sizeof(float)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        var request = new ModelInferRequest { ModelName = model };
        var tensor = new ModelInferRequest.Types.InferInputTensor { Name = input.Name, Datatype = "FP32" };
        tensor.Shape.AddRange(input.Shape);
        request.Inputs.Add(tensor);
        request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(bytes));
        return request;
    }

    private static float[] RandomData(int count, int seed)
    {
        var random = new Random(seed);
        var data = new float[count];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)random.NextDouble();
        }

        return data;
    }

    private static string Describe(PeerLoadPoint p) => string.Create(CultureInfo.InvariantCulture,
        $"{p.Model} {p.Setup}{(p.Clients > 0 ? $" x{p.Clients} clients" : "")}: {p.ItemsPerSecond:0.0} items/s, p50 {p.P50Ms:0.0} ms, p99 {p.P99Ms:0.0} ms, batch {p.MeanBatch:0.00}, CPU {p.CpuMsPerItem:0.0} ms/item{(p.Failed > 0 ? $", {p.Failed} failed" : "")} {p.Detail}");

    // User + system CPU of this process so far (a fresh Process object: no cached figures).
    private static TimeSpan ProcessCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
