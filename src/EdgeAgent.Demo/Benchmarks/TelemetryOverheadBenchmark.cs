// The benchmark disposes its own node pairs with await using (no synchronization context here).
#pragma warning disable CA2007
using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Settings of <see cref="TelemetryOverheadBenchmark"/>.</summary>
public sealed record TelemetryOverheadSettings
{
    /// <summary>Measured requests per path and setting.</summary>
    public int Iterations { get; init; } = 2000;

    /// <summary>
    /// Unmeasured rounds of every model on every pair after the pairs start, before any model is
    /// measured (and for at least <see cref="WarmupTime"/>). The pairs start fresh, and until the JIT
    /// has compiled and tiered up every path a setting runs (a pair with telemetry on runs more code:
    /// instrumentation, aggregation, exporters), its compiles are CPU of that pair: counted per
    /// request they were most of what separated "on" from "off" on the first model measured (perf of
    /// the two agents over the same 15 s of the tiny model's first rounds: 832 against 611 samples,
    /// of which the JIT and the runtime 498 against 333). CPU is counted over the measured rounds only.
    /// </summary>
    public int Warmup { get; init; } = 300;

    /// <summary>The least time the warm-up of a policy's pairs takes (the JIT compiles tier-1 code in the background, behind a delay).</summary>
    public TimeSpan WarmupTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Repository with the PaddleOCR models; when ocr-cls is there its paths are measured too.</summary>
    public string ModelsPath { get; init; } = CacheDirectories.Models();

    /// <summary>Executable and leading arguments that run the edgeagent CLI.</summary>
    public required (string Executable, IReadOnlyList<string> Arguments) CliCommand { get; init; }
}

/// <summary>
/// What telemetry costs per request. Five clusters of separate processes (each an `edgeagent
/// agent` and the `edgeagent peer` it offloads to): two with every exporter off (the default; the
/// second measures the noise floor), one with metrics only (--metrics-listen), one with telemetry
/// on as an operator turns it on (--metrics-listen and --otlp-endpoint with HTTP/protobuf to a sink
/// in this process that accepts every export; the default --trace-sample-ratio), and one with
/// every request traced (--trace-sample-ratio 1). Requests to the five are interleaved, in an
/// order that rotates each round, so machine load hits all alike. Paths: the agent running the
/// request itself (policy local) and offloading it to its peer (policy peer), on the tiny model
/// (y = x + 1, where the overhead is the largest share) and on ocr-cls when the OCR models are
/// present. Figures: p50 of each setting / p50 of the first pair with everything off, and the CPU
/// time the agent and peer processes used per request (user + system from the kernel, background
/// work such as exports included) against the same: far less sensitive to other jobs on the
/// machine than latency, which on a shared machine is mostly scheduling.
/// </summary>
public sealed class TelemetryOverheadBenchmark(TelemetryOverheadSettings settings, Action<string> progress)
{
    /// <summary>Runs every path and returns one figure per path.</summary>
    public async Task<IReadOnlyList<BenchmarkFigure>> RunAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var repository = TinyModel.WriteRepository(Path.Combine(Path.GetTempPath(), "edgeagent-bench-telemetry-" + Guid.NewGuid().ToString("N")));
        var models = new List<(string Name, OcrTensor Tensor)> { (TinyModel.Name, new OcrTensor(new float[TinyModel.Elements], [1, TinyModel.Elements])) };
        if (PaddleOcrModels.ArePresent(settings.ModelsPath))
        {
            var target = Path.Combine(repository, PaddleOcrModels.Classification, "1");
            Directory.CreateDirectory(target);
            File.Copy(PaddleOcrModels.ClassificationModelPath(settings.ModelsPath), Path.Combine(target, "model.onnx"));
            models.Add((PaddleOcrModels.Classification, new OcrTensor(new float[3 * 48 * 192], [1, 3, 48, 192])));
        }

        var figures = new List<BenchmarkFigure>();
        var sink = await OtlpSink.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var policy in new[] { "local", "peer" })
            {
                progress($"starting five agent + peer process pairs (policy {policy}): telemetry off (twice), metrics only, on (default sampling), on with every request traced ...");
                await using var off = await NodePair.StartAsync(settings.CliCommand, repository, policy, [], cancellationToken).ConfigureAwait(false);
                await using var offAgain = await NodePair.StartAsync(settings.CliCommand, repository, policy, [], cancellationToken).ConfigureAwait(false);
                await using var metricsOnly = await NodePair.StartAsync(settings.CliCommand, repository, policy, [Prometheus], cancellationToken).ConfigureAwait(false);
                await using var on = await NodePair.StartAsync(settings.CliCommand, repository, policy, [Prometheus, Otlp(sink.Address)], cancellationToken).ConfigureAwait(false);
                await using var traceAll = await NodePair.StartAsync(settings.CliCommand, repository, policy, [Prometheus, Otlp(sink.Address), ["--trace-sample-ratio", "1"]], cancellationToken).ConfigureAwait(false);
                NodePair[] pairs = [off, offAgain, metricsOnly, on, traceAll];
                progress($"warming every pair up: {settings.Warmup} rounds of each model, at least {(int)settings.WarmupTime.TotalSeconds} s ...");
                await WarmUpAsync(pairs, models, settings, cancellationToken).ConfigureAwait(false);
                foreach (var (name, tensor) in models)
                {
                    progress($"{(policy == "local" ? "agent runs it" : "agent offloads it to its peer")}, {name}: five pairs, {settings.Iterations} interleaved requests each ...");
                    var request = OipModelRunner.BuildRequest(name, "x", tensor);
                    var exportsBefore = sink.Exports;
                    var cpuBefore = new TimeSpan[pairs.Length];
                    var results = await LatencySampler.MeasureInterleavedAsync(
                        [.. pairs.Select((pair, i) => ($"{i}", (Func<CancellationToken, Task>)(async ct => await pair.Client.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false))))],
                        Math.Min(50, settings.Warmup),
                        settings.Iterations,
                        () =>
                        {
                            for (var i = 0; i < pairs.Length; i++)
                            {
                                cpuBefore[i] = pairs[i].CpuTime();
                            }
                        },
                        cancellationToken).ConfigureAwait(false);
                    var cpu = pairs.Select((p, i) => (p.CpuTime() - cpuBefore[i]).TotalMilliseconds * 1000.0 / settings.Iterations).ToArray();
                    var baseline = results[0];
                    var path = $"{(policy == "local" ? "local" : "offload")}, {name}";
                    figures.Add(Ratio($"telemetry on / off, {path}, p50", results[3], baseline, TargetRatio,
                        $"--metrics-listen and --otlp-endpoint, default --trace-sample-ratio {EdgeAgent.Node.Telemetry.TelemetryOptions.DefaultTraceSampleRatio.ToString(CultureInfo.InvariantCulture)}; {sink.Exports - exportsBefore} OTLP exports ({sink.Bytes / 1024} KiB so far)"));
                    figures.Add(Ratio($"  metrics only / off, {path}, p50", results[2], baseline, TargetRatio, "--metrics-listen (nothing scrapes it during the run)"));
                    figures.Add(Ratio($"  every request traced / off, {path}, p50", results[4], baseline, double.PositiveInfinity, "--trace-sample-ratio 1: not the default; shown for what full tracing costs"));
                    figures.Add(Ratio($"  off (second pair) / off, {path}, p50", results[1], baseline, double.PositiveInfinity, "two identical pairs: the noise floor of this comparison on this machine"));
                    figures.Add(Cpu($"CPU per request, telemetry on / off, {path}", cpu[3], cpu[0], TargetRatio, "agent + peer processes, user + system, background work included (exports, load streams)"));
                    figures.Add(Cpu($"  CPU per request, metrics only / off, {path}", cpu[2], cpu[0], TargetRatio, "--metrics-listen"));
                    figures.Add(Cpu($"  CPU per request, every request traced / off, {path}", cpu[4], cpu[0], double.PositiveInfinity, "--trace-sample-ratio 1"));
                    figures.Add(Cpu($"  CPU per request, off (second pair) / off, {path}", cpu[1], cpu[0], double.PositiveInfinity, "the noise floor"));
                }
            }
        }
        finally
        {
            await sink.App.DisposeAsync().ConfigureAwait(false);
            try
            {
                Directory.Delete(repository, recursive: true);
            }
            catch (IOException)
            {
                // A temporary folder; leave it.
            }
        }

        return figures;
    }

    private const double TargetRatio = 1.05;

    // Every model on every pair, round by round, for Warmup rounds and at least WarmupTime.
    private static async Task WarmUpAsync(NodePair[] pairs, IReadOnlyList<(string Name, OcrTensor Tensor)> models, TelemetryOverheadSettings warmup, CancellationToken cancellationToken)
    {
        var requests = models.Select(m => OipModelRunner.BuildRequest(m.Name, "x", m.Tensor)).ToArray();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        for (var round = 0; round < warmup.Warmup || System.Diagnostics.Stopwatch.GetElapsedTime(started) < warmup.WarmupTime; round++)
        {
            foreach (var request in requests)
            {
                foreach (var pair in pairs)
                {
                    await pair.Client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                }
            }
        }
    }

    private static readonly string[] Prometheus = ["--metrics-listen", "127.0.0.1:0"];

    private static string[] Otlp(Uri sink) => ["--otlp-endpoint", sink.ToString()];

    private static BenchmarkFigure Ratio(string name, LatencyResult with, LatencyResult without, double target, string what) =>
        new(name, with.P50Ms / without.P50Ms, "x", target, string.Create(CultureInfo.InvariantCulture,
            $"{what}; p50 {with.P50Ms * 1000:0} us vs {without.P50Ms * 1000:0} us (means {with.MeanMs * 1000:0} / {without.MeanMs * 1000:0}); {with.Samples} interleaved samples"));

    private static BenchmarkFigure Cpu(string name, double withUs, double withoutUs, double target, string what) =>
        new(name, withUs / withoutUs, "x", target, string.Create(CultureInfo.InvariantCulture, $"{what}; {withUs:0} us vs {withoutUs:0} us of CPU per request"));

    // An agent process and the peer process it offloads to.
    private sealed class NodePair(NodeProcess peer, NodeProcess agent, GrpcChannel channel) : IAsyncDisposable
    {
        public GRPCInferenceService.GRPCInferenceServiceClient Client { get; } = new(channel);

        public TimeSpan CpuTime() => peer.CpuTime() + agent.CpuTime();

        // flags: telemetry flag groups given to both processes ("--metrics-listen 127.0.0.1:0" gets a free port per process).
        public static async Task<NodePair> StartAsync((string Executable, IReadOnlyList<string> Arguments) cli, string repository, string policy, IReadOnlyList<string[]> flags, CancellationToken cancellationToken)
        {
            var environment = new Dictionary<string, string> { ["EDGEAGENT_Execution__IntraOpThreads"] = "1", ["EDGEAGENT_Telemetry__OtlpProtocol"] = "http/protobuf" };
            List<string> Flags() => [.. flags.SelectMany(group => group[0] == "--metrics-listen" ? [group[0], "127.0.0.1:" + NodeProcess.FreePort().ToString(CultureInfo.InvariantCulture)] : group)];

            var peer = await NodeProcess.StartAsync(cli.Executable, cli.Arguments, ["peer", "--models", repository, "--name", "peer", .. Flags()], environment, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            try
            {
                var agent = await NodeProcess.StartAsync(cli.Executable, cli.Arguments,
                    ["agent", "--models", repository, "--policy", policy, "--peer", "peer=" + peer.Address.ToString().TrimEnd('/'), .. Flags()],
                    environment, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
                var pair = new NodePair(peer, agent, DemoCluster.Channel(agent.Address));
                if (policy == "peer")
                {
                    await pair.WaitForPlacementAsync("peer:peer", cancellationToken).ConfigureAwait(false);
                }

                return pair;
            }
            catch
            {
                await peer.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        private async Task WaitForPlacementAsync(string placement, CancellationToken cancellationToken)
        {
            var request = OipModelRunner.BuildRequest(TinyModel.Name, "x", new OcrTensor(new float[TinyModel.Elements], [1, TinyModel.Elements]));
            for (var attempt = 0; attempt < 300; attempt++)
            {
                var response = await Client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                if (response.Parameters.TryGetValue("edgeagent.placement", out var p) && p.StringParam == placement)
                {
                    return;
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }

            throw new TimeoutException($"The benchmark's agent did not place a request on {placement} within 30 s.");
        }

        public async ValueTask DisposeAsync()
        {
            channel.Dispose();
            await agent.DisposeAsync().ConfigureAwait(false);
            await peer.DisposeAsync().ConfigureAwait(false);
        }
    }

    // Accepts OTLP/HTTP protobuf exports like a collector (an empty Export*ServiceResponse is a
    // zero-length protobuf message) and counts them.
    private sealed class OtlpSink
    {
        private long _exports;
        private long _bytes;

        private OtlpSink(WebApplication app, Uri address)
        {
            App = app;
            Address = address;
        }

        public WebApplication App { get; }

        public Uri Address { get; }

        public long Exports => Interlocked.Read(ref _exports);

        public long Bytes => Interlocked.Read(ref _bytes);

        public static async Task<OtlpSink> StartAsync(CancellationToken cancellationToken)
        {
            var port = NodeProcess.FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1));
            var app = builder.Build();
            var sink = new OtlpSink(app, new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)));
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
                Interlocked.Increment(ref sink._exports);
                Interlocked.Add(ref sink._bytes, body.Length);
                context.Response.ContentType = "application/x-protobuf";
                context.Response.StatusCode = StatusCodes.Status200OK;
            });
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return sink;
        }
    }
}
