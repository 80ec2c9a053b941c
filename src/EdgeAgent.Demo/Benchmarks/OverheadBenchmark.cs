using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using EdgeAgent.Node.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>One benchmark figure against its target.</summary>
/// <param name="Name">What was compared.</param>
/// <param name="Value">The figure (a ratio, microseconds or megabytes, see <paramref name="Unit"/>).</param>
/// <param name="Unit">"x", "us" or "MB".</param>
/// <param name="Target">The issue's bound (the figure must not exceed it).</param>
/// <param name="Detail">How the figure was obtained (the measurements it came from).</param>
public sealed record BenchmarkFigure(string Name, double Value, string Unit, double Target, string Detail)
{
    /// <summary>True when the figure is within its target.</summary>
    public bool Met => Value <= Target;
}

/// <summary>Settings of <see cref="OverheadBenchmark"/>.</summary>
public sealed record OverheadBenchmarkSettings
{
    /// <summary>Repository holding the PaddleOCR models.</summary>
    public string ModelsPath { get; init; } = CacheDirectories.Models();

    /// <summary>Measured iterations per operation on the detection model.</summary>
    public int DetectionIterations { get; init; } = 30;

    /// <summary>
    /// Unmeasured iterations per operation on the detection model before the measured ones. The
    /// request path runs in tier-0 and then PGO-instrumented code until the JIT has tiered it up
    /// (two steps of about 30 calls each, later under load), and the JIT's background compiles
    /// share the 2 cores with ONNX Runtime: a measurement after 3 warm-up calls timed start-up, not
    /// the steady per-request overhead.
    /// </summary>
    public int DetectionWarmup { get; init; } = 60;

    /// <summary>Measured iterations per operation on the tiny model.</summary>
    public int TinyIterations { get; init; } = 2000;

    /// <summary>ONNX Runtime intra-op threads for every session (agent, peer and in-process baseline alike); 0 lets ORT choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Executable and leading arguments that run the edgeagent CLI (for the memory figures); null skips them.</summary>
    public (string Executable, IReadOnlyList<string> Arguments)? CliCommand { get; init; }
}

/// <summary>
/// Issue 2 item 10: what the agent adds over the work itself, with every baseline measured in
/// the same run, interleaved with the measured path so machine load affects both alike.
/// (a) agent local path vs in-process ONNX Runtime plus a raw gRPC echo of the same payload,
/// detection model at 1x3x640x640 FP32; (b) client → agent → peer vs client → peer;
/// (c) per-request overhead on a tiny model over a raw gRPC echo (p50);
/// (d) agent resident memory idle and with the OCR models loaded (separate processes);
/// (e) issue 14: client → agent → peer with the agent-to-peer hop over mutual TLS vs the same
/// path in plaintext (certificates made for the run with <see cref="CertificateAuthority"/>).
/// </summary>
public sealed class OverheadBenchmark
{
    private readonly OverheadBenchmarkSettings _settings;
    private readonly Action<string> _progress;

    /// <summary>Creates the benchmark; <paramref name="progress"/> receives one line per step.</summary>
    public OverheadBenchmark(OverheadBenchmarkSettings settings, Action<string> progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        _settings = settings;
        _progress = progress;
    }

    /// <summary>Runs every part and returns the figures.</summary>
    /// <exception cref="FileNotFoundException">The OCR models are not in the repository.</exception>
    public async Task<IReadOnlyList<BenchmarkFigure>> RunAsync(CancellationToken cancellationToken)
    {
        if (!PaddleOcrModels.ArePresent(_settings.ModelsPath))
        {
            throw new FileNotFoundException($"The PaddleOCR models are not in {_settings.ModelsPath}; run `edgeagent models fetch paddleocr` first.");
        }

        var figures = new List<BenchmarkFigure>();
        var tinyRepository = TinyModel.WriteRepository(Path.Combine(Path.GetTempPath(), "edgeagent-bench-" + Guid.NewGuid().ToString("N")));
        var detRepository = DetectionOnlyRepository();
        try
        {
            var (echoApp, echoAddress) = await EchoHost.StartAsync(cancellationToken).ConfigureAwait(false);
            await using (echoApp.ConfigureAwait(false))
            {
                using var echoChannel = DemoCluster.Channel(echoAddress);
                var echo = new GRPCInferenceService.GRPCInferenceServiceClient(echoChannel);
                figures.Add(await LocalPathAsync(detRepository, echo, cancellationToken).ConfigureAwait(false));
                figures.Add(await OffloadPathAsync(detRepository, cancellationToken).ConfigureAwait(false));
                figures.Add(await TlsOffloadAsync(detRepository, cancellationToken).ConfigureAwait(false));
                figures.Add(await TinyOverheadAsync(tinyRepository, echo, cancellationToken).ConfigureAwait(false));
            }

            if (_settings.CliCommand is { } cli)
            {
                figures.AddRange(await MemoryAsync(cli.Executable, cli.Arguments, tinyRepository, cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            TryDelete(tinyRepository);
            TryDelete(detRepository);
        }

        return figures;
    }

    private async Task<BenchmarkFigure> LocalPathAsync(string repository, GRPCInferenceService.GRPCInferenceServiceClient echo, CancellationToken cancellationToken)
    {
        _progress("(a) agent local path vs in-process ONNX Runtime + raw gRPC echo, ocr-det 1x3x640x640 FP32 ...");
        var input = DetectionInput();
        var agent = await AgentHost.StartAsync(new AgentHostSettings { ModelsPath = repository, Policy = "local", Extra = Threads() }, Quiet, cancellationToken).ConfigureAwait(false);
        await using (agent.ConfigureAwait(false))
        {
            using var channel = DemoCluster.Channel(agent.GetTcpAddress());
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var request = OipModelRunner.BuildRequest(PaddleOcrModels.Detection, "x", input);
            using var ort = new OnnxOcrModelRunner(new Dictionary<string, string> { [PaddleOcrModels.Detection] = PaddleOcrModels.DetectionModelPath(repository) }, _settings.IntraOpThreads);
            var results = await LatencySampler.MeasureInterleavedAsync(
                [
                    ("agent", async ct => await client.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                    ("ort", ct => { ort.Run(PaddleOcrModels.Detection, input); return Task.CompletedTask; }),
                    ("echo", async ct => await echo.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                ],
                _settings.DetectionWarmup,
                _settings.DetectionIterations,
                cancellationToken).ConfigureAwait(false);
            var (a, o, e) = (results[0], results[1], results[2]);
            return new BenchmarkFigure(
                "(a) agent local / (ORT in-process + gRPC echo), p50",
                a.P50Ms / (o.P50Ms + e.P50Ms),
                "x",
                1.10,
                Invariant($"agent p50 {a.P50Ms:0.0} ms; ORT p50 {o.P50Ms:0.0} ms + echo p50 {e.P50Ms:0.00} ms; {a.Samples} interleaved samples"));
        }
    }

    private async Task<BenchmarkFigure> OffloadPathAsync(string repository, CancellationToken cancellationToken)
    {
        _progress("(b) client -> agent -> peer vs client -> peer, ocr-det 1x3x640x640 FP32 ...");
        var input = DetectionInput();
        var peer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repository, NodeName = "peer", Extra = Threads() }, Quiet, cancellationToken).ConfigureAwait(false);
        await using (peer.ConfigureAwait(false))
        {
            var peerAddress = peer.GetTcpAddress();
            var agent = await AgentHost.StartAsync(
                new AgentHostSettings { ModelsPath = repository, Policy = "peer", Peers = ["peer=" + peerAddress.ToString().TrimEnd('/')], Extra = Threads() },
                Quiet,
                cancellationToken).ConfigureAwait(false);
            await using (agent.ConfigureAwait(false))
            {
                using var agentChannel = DemoCluster.Channel(agent.GetTcpAddress());
                using var peerChannel = DemoCluster.Channel(peerAddress);
                var viaAgent = new GRPCInferenceService.GRPCInferenceServiceClient(agentChannel);
                var direct = new GRPCInferenceService.GRPCInferenceServiceClient(peerChannel);
                var request = OipModelRunner.BuildRequest(PaddleOcrModels.Detection, "x", input);
                await WaitForPeerPlacementAsync(viaAgent, request, cancellationToken).ConfigureAwait(false);
                var results = await LatencySampler.MeasureInterleavedAsync(
                    [
                        ("agent->peer", async ct => await viaAgent.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                        ("direct", async ct => await direct.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                    ],
                    _settings.DetectionWarmup,
                    _settings.DetectionIterations,
                    cancellationToken).ConfigureAwait(false);
                return new BenchmarkFigure(
                    "(b) client->agent->peer / client->peer, p50",
                    results[0].P50Ms / results[1].P50Ms,
                    "x",
                    1.15,
                    Invariant($"via agent p50 {results[0].P50Ms:0.0} ms; direct p50 {results[1].P50Ms:0.0} ms; {results[0].Samples} interleaved samples"));
            }
        }
    }

    private async Task<BenchmarkFigure> TlsOffloadAsync(string repository, CancellationToken cancellationToken)
    {
        _progress("(e) client -> agent -> peer with the agent-to-peer hop over mutual TLS vs plaintext, ocr-det 1x3x640x640 FP32 ...");
        var input = DetectionInput();
        var pki = Path.Combine(Path.GetTempPath(), "edgeagent-bench-tls-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (caPath, peerTls, agentTls) = WriteBenchmarkCertificates(pki);
            var plainPeer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repository, NodeName = "plain", Extra = Threads() }, Quiet, cancellationToken).ConfigureAwait(false);
            await using (plainPeer.ConfigureAwait(false))
            {
                var tlsPeerSettings = Threads();
                tlsPeerSettings["Tls:CertificatePath"] = peerTls.Certificate;
                tlsPeerSettings["Tls:KeyPath"] = peerTls.Key;
                tlsPeerSettings["Tls:CaPath"] = caPath;
                var tlsPeer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repository, NodeName = "tls", Extra = tlsPeerSettings }, Quiet, cancellationToken).ConfigureAwait(false);
                await using (tlsPeer.ConfigureAwait(false))
                {
                    var plainAgent = await AgentHost.StartAsync(
                        new AgentHostSettings { ModelsPath = repository, Policy = "peer", Peers = ["peer=" + plainPeer.GetTcpAddress().ToString().TrimEnd('/')], Extra = Threads() },
                        Quiet,
                        cancellationToken).ConfigureAwait(false);
                    await using (plainAgent.ConfigureAwait(false))
                    {
                        // The agent's own listener stays plaintext on loopback (Endpoint:Plaintext), so the
                        // two paths differ only in the agent-to-peer hop.
                        var tlsAgentSettings = Threads();
                        tlsAgentSettings["Tls:CertificatePath"] = agentTls.Certificate;
                        tlsAgentSettings["Tls:KeyPath"] = agentTls.Key;
                        tlsAgentSettings["Tls:CaPath"] = caPath;
                        tlsAgentSettings["Endpoint:Plaintext"] = "true";
                        var tlsAgent = await AgentHost.StartAsync(
                            new AgentHostSettings { ModelsPath = repository, Policy = "peer", Peers = ["peer=https://127.0.0.1:" + tlsPeer.GetTcpAddress().Port.ToString(CultureInfo.InvariantCulture)], Extra = tlsAgentSettings },
                            Quiet,
                            cancellationToken).ConfigureAwait(false);
                        await using (tlsAgent.ConfigureAwait(false))
                        {
                            using var plainChannel = DemoCluster.Channel(plainAgent.GetTcpAddress());
                            using var tlsChannel = DemoCluster.Channel(tlsAgent.GetTcpAddress());
                            var plain = new GRPCInferenceService.GRPCInferenceServiceClient(plainChannel);
                            var tls = new GRPCInferenceService.GRPCInferenceServiceClient(tlsChannel);
                            var request = OipModelRunner.BuildRequest(PaddleOcrModels.Detection, "x", input);
                            await WaitForPeerPlacementAsync(plain, request, cancellationToken).ConfigureAwait(false);
                            await WaitForPeerPlacementAsync(tls, request, cancellationToken).ConfigureAwait(false);
                            var results = await LatencySampler.MeasureInterleavedAsync(
                                [
                                    ("mtls", async ct => await tls.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                                    ("plain", async ct => await plain.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                                ],
                                _settings.DetectionWarmup,
                                _settings.DetectionIterations,
                                cancellationToken).ConfigureAwait(false);
                            return new BenchmarkFigure(
                                "(e) offload with mutual TLS agent->peer / plaintext, p50",
                                results[0].P50Ms / results[1].P50Ms,
                                "x",
                                1.10,
                                Invariant($"mTLS hop p50 {results[0].P50Ms:0.0} ms; plaintext hop p50 {results[1].P50Ms:0.0} ms; {results[0].Samples} interleaved samples"));
                        }
                    }
                }
            }
        }
        finally
        {
            TryDelete(pki);
        }
    }

    // A CA, a peer certificate for 127.0.0.1 and an agent certificate, as `edgeagent certs` writes them.
    private static (string Ca, (string Certificate, string Key) Peer, (string Certificate, string Key) Agent) WriteBenchmarkCertificates(string folder)
    {
        var now = TimeProvider.System.GetUtcNow();
        using var ca = CertificateAuthority.Create("EdgeAgent bench CA", now.AddMinutes(-5), now.AddDays(1));
        ca.Save(folder);
        (string, string) Issue(string name, NodeRole role)
        {
            using var certificate = ca.Issue(new NodeCertificateRequest(name, role, [new SubjectAltName("127.0.0.1", true)], now.AddMinutes(-5), now.AddHours(12)));
            using var key = certificate.GetECDsaPrivateKey()!;
            var files = (Path.Combine(folder, name + ".crt"), Path.Combine(folder, name + ".key"));
            PemFiles.WriteKey(files.Item2, key);
            PemFiles.WriteCertificates(files.Item1, certificate, ca.Certificate);
            return files;
        }

        return (Path.Combine(folder, CertificateAuthority.CertificateFileName), Issue("peer", NodeRole.Peer), Issue("agent", NodeRole.Agent));
    }

    private async Task<BenchmarkFigure> TinyOverheadAsync(string repository, GRPCInferenceService.GRPCInferenceServiceClient echo, CancellationToken cancellationToken)
    {
        _progress("(c) per-request overhead on a tiny model (y = x + 1, float[1,16]) over a raw gRPC echo ...");
        var agent = await AgentHost.StartAsync(new AgentHostSettings { ModelsPath = repository, Policy = "local", Extra = Threads() }, Quiet, cancellationToken).ConfigureAwait(false);
        await using (agent.ConfigureAwait(false))
        {
            using var channel = DemoCluster.Channel(agent.GetTcpAddress());
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var input = new OcrTensor(new float[TinyModel.Elements], [1, TinyModel.Elements]);
            var request = OipModelRunner.BuildRequest(TinyModel.Name, "x", input);
            using var ort = new OnnxOcrModelRunner(new Dictionary<string, string> { [TinyModel.Name] = Path.Combine(repository, TinyModel.Name, "1", "model.onnx") }, _settings.IntraOpThreads);
            var results = await LatencySampler.MeasureInterleavedAsync(
                [
                    ("agent", async ct => await client.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                    ("echo", async ct => await echo.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                    ("ort", ct => { ort.Run(TinyModel.Name, input); return Task.CompletedTask; }),
                ],
                warmup: 200,
                _settings.TinyIterations,
                cancellationToken).ConfigureAwait(false);
            var (a, e, o) = (results[0], results[1], results[2]);
            return new BenchmarkFigure(
                "(c) tiny model: agent p50 - echo p50",
                (a.P50Ms - e.P50Ms) * 1000,
                "us",
                150,
                Invariant($"agent p50 {a.P50Ms * 1000:0} us; echo p50 {e.P50Ms * 1000:0} us; ORT run alone p50 {o.P50Ms * 1000:0} us (included in the overhead); {a.Samples} interleaved samples"));
        }
    }

    private async Task<IReadOnlyList<BenchmarkFigure>> MemoryAsync(string executable, IReadOnlyList<string> arguments, string tinyRepository, CancellationToken cancellationToken)
    {
        _progress("(d) agent resident memory, separate processes: idle (tiny model only) and with the OCR models loaded ...");
        var figures = new List<BenchmarkFigure>();
        var idle = await NodeProcess.StartAgentAsync(executable, arguments, tinyRepository, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        await using (idle.ConfigureAwait(false))
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            var rss = idle.ResidentBytes();
            figures.Add(new BenchmarkFigure("(d) agent RSS idle", (rss ?? 0) / 1048576.0, "MB", 150, rss is null ? "VmRSS not readable" : "VmRSS 2 s after ready, repository with the tiny model only"));
        }

        var loaded = await NodeProcess.StartAgentAsync(executable, arguments, _settings.ModelsPath, TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        await using (loaded.ConfigureAwait(false))
        {
            using var channel = DemoCluster.Channel(loaded.Address);
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var runner = new OipModelRunner(client);
            // One real request per model so the sessions' working buffers are allocated too.
            await runner.RunAsync(PaddleOcrModels.Detection, DetectionInput(), cancellationToken).ConfigureAwait(false);
            await runner.RunAsync(PaddleOcrModels.Recognition, new OcrTensor(new float[3 * 48 * 320], [1, 3, 48, 320]), cancellationToken).ConfigureAwait(false);
            await runner.RunAsync(PaddleOcrModels.Classification, new OcrTensor(new float[3 * 48 * 192], [1, 3, 48, 192]), cancellationToken).ConfigureAwait(false);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            var rss = loaded.ResidentBytes();
            figures.Add(new BenchmarkFigure("(d) agent RSS with OCR models loaded", (rss ?? 0) / 1048576.0, "MB", 400, rss is null ? "VmRSS not readable" : "VmRSS after one request each to ocr-det (1x3x640x640), ocr-rec and ocr-cls"));
        }

        return figures;
    }

    private static async Task WaitForPeerPlacementAsync(GRPCInferenceService.GRPCInferenceServiceClient client, ModelInferRequest request, CancellationToken cancellationToken)
    {
        // The agent offloads once its load stream from the peer is up; until then it runs locally.
        for (var i = 0; i < 50; i++)
        {
            var response = await client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            if (response.Parameters.TryGetValue(ResponseParameters.Placement, out var placement) && placement.StringParam.StartsWith("peer:", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new InvalidOperationException("The agent never placed the benchmark request on the peer.");
    }

    private static OcrTensor DetectionInput()
    {
        var random = new Random(42);
        var data = new float[3 * 640 * 640];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 4) - 2);
        }

        return new OcrTensor(data, [1, 3, 640, 640]);
    }

    // Only the detector, so the agents and peers of (a) and (b) load what they serve.
    private string DetectionOnlyRepository()
    {
        var repository = Path.Combine(Path.GetTempPath(), "edgeagent-bench-det-" + Guid.NewGuid().ToString("N"));
        var folder = Path.Combine(repository, PaddleOcrModels.Detection, "1");
        Directory.CreateDirectory(folder);
        File.CreateSymbolicLink(Path.Combine(folder, "model.onnx"), PaddleOcrModels.DetectionModelPath(_settings.ModelsPath));
        return repository;
    }

    private Dictionary<string, string?> Threads() => new()
    {
        ["Execution:IntraOpThreads"] = _settings.IntraOpThreads.ToString(CultureInfo.InvariantCulture),
    };

    private static void Quiet(WebApplicationBuilder builder) => builder.Logging.ClearProviders();

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static void TryDelete(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
