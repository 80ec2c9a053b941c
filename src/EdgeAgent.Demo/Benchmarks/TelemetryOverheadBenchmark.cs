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

    /// <summary>Repository with the PaddleOCR models; when ocr-cls is there its paths are measured too.</summary>
    public string ModelsPath { get; init; } = CacheDirectories.Models();

    /// <summary>Executable and leading arguments that run the edgeagent CLI.</summary>
    public required (string Executable, IReadOnlyList<string> Arguments) CliCommand { get; init; }
}

/// <summary>
/// What telemetry costs per request. Two clusters of separate processes (each an `edgeagent
/// agent` and the `edgeagent peer` it offloads to): one with every exporter off (the default), one
/// with all of it on (--metrics-listen, and --otlp-endpoint with HTTP/protobuf to a sink in this
/// process that accepts every export, so every request is traced and exported as to a collector).
/// Requests to the two are interleaved so machine load hits both alike. Paths: the agent running
/// the request itself (policy local) and offloading it to its peer (policy peer), on the tiny model
/// (y = x + 1, where the overhead is the largest share) and on ocr-cls when the OCR models are
/// present. Figure: p50 with telemetry / p50 without.
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
                progress($"starting two agent + peer process pairs (policy {policy}), one with telemetry on ...");
                await using var off = await NodePair.StartAsync(settings.CliCommand, repository, policy, telemetry: null, cancellationToken).ConfigureAwait(false);
                await using var on = await NodePair.StartAsync(settings.CliCommand, repository, policy, telemetry: sink.Address, cancellationToken).ConfigureAwait(false);
                foreach (var (name, tensor) in models)
                {
                    progress($"{(policy == "local" ? "agent runs it" : "agent offloads it to its peer")}, {name}: telemetry on vs off, {settings.Iterations} interleaved requests each ...");
                    var request = OipModelRunner.BuildRequest(name, "x", tensor);
                    var exportsBefore = sink.Exports;
                    var results = await LatencySampler.MeasureInterleavedAsync(
                        [
                            ("off", async ct => await off.Client.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                            ("on", async ct => await on.Client.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                        ],
                        warmup: Math.Min(200, settings.Iterations),
                        settings.Iterations,
                        cancellationToken).ConfigureAwait(false);
                    var (a, b) = (results[1], results[0]);
                    figures.Add(new BenchmarkFigure(
                        $"telemetry on / off, {(policy == "local" ? "local" : "offload")}, {name}, p50",
                        a.P50Ms / b.P50Ms,
                        "x",
                        1.05,
                        string.Create(CultureInfo.InvariantCulture, $"on p50 {a.P50Ms * 1000:0} us (mean {a.MeanMs * 1000:0}); off p50 {b.P50Ms * 1000:0} us (mean {b.MeanMs * 1000:0}); {a.Samples} interleaved samples; {sink.Exports - exportsBefore} OTLP exports ({sink.Bytes / 1024} KiB so far)")));
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

    // An agent process and the peer process it offloads to.
    private sealed class NodePair(NodeProcess peer, NodeProcess agent, GrpcChannel channel) : IAsyncDisposable
    {
        public GRPCInferenceService.GRPCInferenceServiceClient Client { get; } = new(channel);

        public static async Task<NodePair> StartAsync((string Executable, IReadOnlyList<string> Arguments) cli, string repository, string policy, Uri? telemetry, CancellationToken cancellationToken)
        {
            var environment = new Dictionary<string, string> { ["EDGEAGENT_Execution__IntraOpThreads"] = "1" };
            List<string> telemetryFlags = [];
            if (telemetry is not null)
            {
                environment["EDGEAGENT_Telemetry__OtlpProtocol"] = "http/protobuf";
                telemetryFlags = ["--otlp-endpoint", telemetry.ToString(), "--metrics-listen", "127.0.0.1:" + NodeProcess.FreePort().ToString(CultureInfo.InvariantCulture)];
            }

            var peer = await NodeProcess.StartAsync(cli.Executable, cli.Arguments, ["peer", "--models", repository, "--name", "peer", .. telemetryFlags], environment, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            try
            {
                if (telemetry is not null)
                {
                    telemetryFlags[^1] = "127.0.0.1:" + NodeProcess.FreePort().ToString(CultureInfo.InvariantCulture);
                }

                var agent = await NodeProcess.StartAsync(cli.Executable, cli.Arguments,
                    ["agent", "--models", repository, "--policy", policy, "--peer", "peer=" + peer.Address.ToString().TrimEnd('/'), .. telemetryFlags],
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
