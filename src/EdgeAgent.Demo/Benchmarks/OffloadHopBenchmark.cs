using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;
using EdgeAgent.Node.Serving;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Settings of <see cref="OffloadHopBenchmark"/>.</summary>
public sealed record OffloadHopSettings
{
    /// <summary>The edgeagent CLI that runs the peer and the measured agent (this build).</summary>
    public required string Executable { get; init; }

    /// <summary>Arguments before the command (the assembly when <see cref="Executable"/> is dotnet).</summary>
    public IReadOnlyList<string> LeadingArguments { get; init; } = [];

    /// <summary>Another build's CLI (executable and leading arguments) run as a second agent on the same peer, measured interleaved: the "before" of a change. Null: none.</summary>
    public (string Executable, IReadOnlyList<string> LeadingArguments)? Baseline { get; init; }

    /// <summary>Repository holding the PaddleOCR detection model.</summary>
    public string ModelsPath { get; init; } = CacheDirectories.Models();

    /// <summary>Measured rounds (each round: direct, via the agent, via the baseline agent).</summary>
    public int Iterations { get; init; } = 40;

    /// <summary>
    /// Unmeasured rounds first: the JIT tiers the agent's request path up in two steps of about 30
    /// calls each (tier 0, then instrumented for PGO, then optimised), later under load, and until
    /// then its background compiles take CPU from the peer's ONNX Runtime threads.
    /// </summary>
    public int Warmup { get; init; } = 60;

    /// <summary>
    /// Before the <see cref="Warmup"/> rounds, rounds go on until every node's JIT tier-up worker
    /// (peer and agents, <see cref="JitActivity"/>) used at most 20 ms in each of two 5 s windows in a
    /// row, or until this much time has passed: a node keeps recompiling its hot methods for minutes
    /// after it starts (65 % of an agent's CPU samples on the tier-up worker in rounds 60-120 of a run
    /// on a loaded machine), which takes the 2 cores from the transfers and the model. Zero: no wait.
    /// </summary>
    public TimeSpan JitQuietLimit { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>One path's latency and its ratio to the direct path.</summary>
/// <param name="Path">"direct", "agent" or "baseline agent".</param>
/// <param name="Latency">Its figures.</param>
/// <param name="RatioP50">p50 over the direct path's p50.</param>
/// <param name="RatioMean">Mean over the direct path's mean.</param>
/// <param name="AgentCpuMsPerRequest">For a path through an agent: that agent process's CPU time (user + system, its background work included) over the measured rounds per request, ms; null for the direct path.</param>
/// <param name="AgentMinorFaultsPerRequest">For a path through an agent: that agent process's minor page faults per request over the measured rounds; null for the direct path or where /proc does not say.</param>
/// <param name="BesideModelP50Ms">
/// p50 over the measured rounds of each call's latency less the queue and execution time its answer
/// reports (<c>edgeagent.queue_ms</c> + <c>edgeagent.exec_ms</c>: the peer's, which an agent passes on):
/// the time the path spends beside the model itself. Null when the answers do not report them.
/// </param>
public sealed record HopResult(string Path, LatencyResult Latency, double RatioP50, double RatioMean, double? AgentCpuMsPerRequest = null, double? AgentMinorFaultsPerRequest = null, double? BesideModelP50Ms = null)
{
    /// <summary>
    /// This path's time beside the model over the direct path's, ms (p50s of <see cref="BesideModelP50Ms"/>):
    /// the hop's cost without the model's run-to-run variation, which is most of the p50 ratio's noise.
    /// </summary>
    public double? ExtraOverDirectMs(HopResult direct)
    {
        ArgumentNullException.ThrowIfNull(direct);
        return BesideModelP50Ms is { } mine && direct.BesideModelP50Ms is { } theirs ? mine - theirs : null;
    }

    /// <summary>
    /// The p50 ratio this path would have at the direct path's model time: 1 + <see cref="ExtraOverDirectMs"/> / the direct p50.
    /// </summary>
    public double? RatioAtEqualModelTime(HopResult direct)
    {
        ArgumentNullException.ThrowIfNull(direct);
        return ExtraOverDirectMs(direct) is { } extra ? 1 + (extra / direct.Latency.P50Ms) : null;
    }
}

/// <summary>
/// Issue 17: the offload hop. A peer and an agent (policy peer) run as separate processes of the
/// edgeagent CLI on 127.0.0.1, as a deployment and an independent harness run them; this process is
/// the client. One 4,915,200-byte request (PP-OCRv4 detection, FP32 1x3x640x640, seeded random) goes
/// round by round directly to the peer, through the agent, and through a second agent built from
/// another commit when one is given, so the machine's load drifts affect every path alike.
/// </summary>
public static class OffloadHopBenchmark
{
    /// <summary>Runs the benchmark, writing progress to <paramref name="progress"/>.</summary>
    /// <exception cref="FileNotFoundException">The detection model is not in the repository.</exception>
    public static async Task<IReadOnlyList<HopResult>> RunAsync(OffloadHopSettings settings, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        var model = PaddleOcrModels.DetectionModelPath(settings.ModelsPath);
        if (!File.Exists(model))
        {
            throw new FileNotFoundException($"The PaddleOCR detection model is not in {settings.ModelsPath}; run `edgeagent models fetch paddleocr` first.");
        }

        var scratch = Path.Combine(Path.GetTempPath(), "edgeagent-bench-hop-" + Guid.NewGuid().ToString("N"));
        var repository = Path.Combine(scratch, "models");
        Directory.CreateDirectory(Path.Combine(repository, PaddleOcrModels.Detection, "1"));
        File.CreateSymbolicLink(Path.Combine(repository, PaddleOcrModels.Detection, "1", "model.onnx"), model);
        var timeout = TimeSpan.FromSeconds(120);
        try
        {
            progress("starting the peer ...");
            var peer = await NodeProcess.StartAsync(settings.Executable, settings.LeadingArguments,
                ["peer", "--models", repository, "--name", "peer"], State(scratch, "peer"), timeout, cancellationToken).ConfigureAwait(false);
            await using (peer.ConfigureAwait(false))
            {
                var peerUrl = peer.Address.ToString().TrimEnd('/');
                string[] agentArguments = ["agent", "--models", repository, "--policy", "peer", "--peer", $"peer={peerUrl}"];
                progress("starting the agent ...");
                var agent = await NodeProcess.StartAsync(settings.Executable, settings.LeadingArguments, agentArguments, State(scratch, "agent"), timeout, cancellationToken).ConfigureAwait(false);
                await using (agent.ConfigureAwait(false))
                {
                    NodeProcess? baseline = null;
                    if (settings.Baseline is { } other)
                    {
                        progress("starting the baseline agent ...");
                        baseline = await NodeProcess.StartAsync(other.Executable, other.LeadingArguments, agentArguments, State(scratch, "baseline"), timeout, cancellationToken).ConfigureAwait(false);
                    }

                    try
                    {
                        return await MeasureAsync(settings, peer, agent, baseline, progress, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        if (baseline is not null)
                        {
                            await baseline.DisposeAsync().ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static async Task<IReadOnlyList<HopResult>> MeasureAsync(OffloadHopSettings settings, NodeProcess peer, NodeProcess agent, NodeProcess? baseline, Action<string> progress, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        var data = new float[3 * 640 * 640];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 4) - 2);
        }

        var request = OipModelRunner.BuildRequest(PaddleOcrModels.Detection, "x", new OcrTensor(data, [1, 3, 640, 640]));
        var channels = new List<Grpc.Net.Client.GrpcChannel>();
        try
        {
            GRPCInferenceService.GRPCInferenceServiceClient Client(Uri address)
            {
                var channel = DemoCluster.Channel(address);
                channels.Add(channel);
                return new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            }

            var paths = new List<(string Name, GRPCInferenceService.GRPCInferenceServiceClient Client, NodeProcess? Agent)> { ("direct", Client(peer.Address), null), ("agent", Client(agent.Address), agent) };
            if (baseline is not null)
            {
                paths.Add(("baseline agent", Client(baseline.Address), baseline));
            }

            progress("waiting until the agents place the request on the peer ...");
            foreach (var (_, client, _) in paths.Skip(1))
            {
                await WaitForPeerPlacementAsync(client, request, cancellationToken).ConfigureAwait(false);
            }

            var nodes = new List<(string Name, NodeProcess Node)> { ("peer", peer), ("agent", agent) };
            if (baseline is not null)
            {
                nodes.Add(("baseline agent", baseline));
            }

            if (settings.JitQuietLimit > TimeSpan.Zero)
            {
                progress(string.Create(CultureInfo.InvariantCulture, $"warming up until every node's JIT tier-up is quiet (at most {settings.JitQuietLimit.TotalSeconds:0} s) ..."));
                var (rounds, took, quiet) = await WarmUpUntilJitQuietAsync(paths.Select(p => p.Client).ToArray(), request, nodes.Select(n => n.Node).ToArray(), settings.JitQuietLimit, cancellationToken).ConfigureAwait(false);
                progress(string.Create(CultureInfo.InvariantCulture, $"  {rounds} rounds in {took.TotalSeconds:0} s: {(quiet ? "JIT quiet" : "JIT NOT quiet at the limit")}"));
            }

            var jit = nodes.Select(n => new JitActivity(n.Node.Id)).ToArray();
            progress(string.Create(CultureInfo.InvariantCulture, $"{settings.Warmup} warm-up and {settings.Iterations} measured rounds of {request.CalculateSize():N0}-byte requests ({string.Join(", ", paths.Select(p => p.Name))}) ..."));
            var cpuBefore = new TimeSpan[paths.Count];
            // Per path, every call's latency less the queue and execution time its answer reports.
            var besideModel = paths.Select(_ => new List<double>()).ToArray();
            var faultsBefore = new long?[paths.Count];
            var results = await LatencySampler.MeasureInterleavedAsync(
                paths.Select((p, i) => (p.Name, (Func<CancellationToken, Task>)(async ct =>
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    var response = await p.Client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: ct).ResponseAsync.ConfigureAwait(false);
                    var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (response.RawOutputContents.Count == 0 && response.Outputs.Count == 0)
                    {
                        throw new InvalidOperationException($"{p.Name} answered without outputs.");
                    }

                    besideModel[i].Add(Reported(response, ResponseParameters.QueueMs) is { } queue && Reported(response, ResponseParameters.ExecMs) is { } exec
                        ? elapsed - queue - exec
                        : double.NaN);
                }))).ToArray(),
                settings.Warmup,
                settings.Iterations,
                () =>
                {
                    for (var i = 0; i < paths.Count; i++)
                    {
                        cpuBefore[i] = paths[i].Agent?.CpuTime() ?? TimeSpan.Zero;
                        faultsBefore[i] = paths[i].Agent?.MinorFaults();
                    }

                    foreach (var j in jit)
                    {
                        j.Advance();
                    }
                },
                cancellationToken).ConfigureAwait(false);
            progress("JIT tier-up CPU during the measured rounds: " + string.Join(", ", nodes.Select((n, i) => string.Create(CultureInfo.InvariantCulture, $"{n.Name} {jit[i].Advance() * 10} ms"))));
            var direct = results[0];
            return results.Select((r, i) =>
            {
                var node = paths[i].Agent;
                double? cpu = node is null ? null : (node.CpuTime() - cpuBefore[i]).TotalMilliseconds / r.Samples;
                double? faults = node?.MinorFaults() is long after && faultsBefore[i] is long before ? (after - before) / (double)r.Samples : null;
                // The measured rounds are each path's last calls.
                var measured = besideModel[i].Skip(besideModel[i].Count - r.Samples).ToArray();
                double? beside = measured.Length == r.Samples && measured.All(double.IsFinite) ? Percentiles.Of(measured, 50) : null;
                return new HopResult(r.Name, r, r.P50Ms / direct.P50Ms, r.MeanMs / direct.MeanMs, cpu, faults, beside);
            }).ToArray();
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    // Rounds of one call on each path until every node's tier-up worker used at most 2 clock ticks
    // (20 ms) in each of two 5 s windows in a row, or `limit`.
    private static async Task<(int Rounds, TimeSpan Took, bool Quiet)> WarmUpUntilJitQuietAsync(GRPCInferenceService.GRPCInferenceServiceClient[] clients, ModelInferRequest request, NodeProcess[] nodes, TimeSpan limit, CancellationToken cancellationToken)
    {
        var jit = nodes.Select(n => new JitActivity(n.Id)).ToArray();
        foreach (var j in jit)
        {
            j.Advance();
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var windowStarted = started;
        var windowTicks = new long[jit.Length];
        var quietWindows = 0;
        for (var round = 1; ; round++)
        {
            foreach (var client in clients)
            {
                await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            }

            if (System.Diagnostics.Stopwatch.GetElapsedTime(windowStarted) >= TimeSpan.FromSeconds(5))
            {
                for (var i = 0; i < jit.Length; i++)
                {
                    windowTicks[i] = jit[i].Advance();
                }

                quietWindows = windowTicks.Max() <= 2 ? quietWindows + 1 : 0;
                windowStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            if (quietWindows >= 2 || took >= limit)
            {
                return (round, took, quietWindows >= 2);
            }
        }
    }

    // A double parameter of an answer, or null when it has none.
    private static double? Reported(ModelInferResponse response, string name) =>
        response.Parameters.TryGetValue(name, out var value) && value.ParameterChoiceCase == InferParameter.ParameterChoiceOneofCase.DoubleParam
            ? value.DoubleParam
            : null;

    private static async Task WaitForPeerPlacementAsync(GRPCInferenceService.GRPCInferenceServiceClient client, ModelInferRequest request, CancellationToken cancellationToken)
    {
        // An agent offloads once its load stream from the peer is up; until then it runs locally.
        for (var i = 0; i < 100; i++)
        {
            var response = await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddMinutes(2), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            if (response.Parameters.TryGetValue(ResponseParameters.Placement, out var placement) && placement.StringParam.StartsWith("peer:", StringComparison.Ordinal))
            {
                return;
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        throw new InvalidOperationException("An agent never placed the benchmark request on the peer.");
    }

    // Each node its own state directory (the agents' decision databases must not be shared).
    private static Dictionary<string, string> State(string scratch, string name)
    {
        var folder = Path.Combine(scratch, "state-" + name);
        Directory.CreateDirectory(folder);
        return new Dictionary<string, string> { ["STATE_DIRECTORY"] = folder };
    }
}
