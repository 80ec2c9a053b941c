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

    /// <summary>
    /// The most time the warm-up of a policy's pairs takes while some process is still compiling.
    /// After <see cref="Warmup"/> rounds and <see cref="WarmupTime"/>, warming goes on until the
    /// JIT's tier-up worker of every process has been quiet (<see cref="JitActivity"/>): measured here
    /// (a pair of each setting under the benchmark's load, 04:04 UTC), it still used 100-400 ms of CPU
    /// per 5 s in every process 20-60 s after start, up to 90 s in the pairs with OTLP on (more code:
    /// the exporters run every 5 and 15 s, so their methods reach the tier-up call counts late), and
    /// perf of an agent with telemetry on measured after the old 10 s warm-up put 26 % of its
    /// samples in that worker against 7 % for an agent with it off.
    /// </summary>
    public TimeSpan WarmupLimit { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>
    /// Consecutive blocks the measured rounds of each model are split into. The CPU figures are the
    /// median over the blocks of each block's ratio (every pair measured over the same rounds): a
    /// burst of other work on the machine that lands on one pair in one block moves one block's
    /// ratio, not the figure, and the spread of the blocks (and of the two "off" pairs) shows the
    /// resolution of the run.
    /// </summary>
    public int Blocks { get; init; } = 5;

    /// <summary>Seed of the order in which the pairs take turns each round.</summary>
    public int Seed { get; init; } = 16;

    /// <summary>Repository with the PaddleOCR models; when ocr-cls is there its paths are measured too.</summary>
    public string ModelsPath { get; init; } = CacheDirectories.Models();

    /// <summary>
    /// Paths measured: "local" (the agent runs the request), "offload" (it offloads it to its peer),
    /// or both (the default). One path halves the run, e.g. for a short quiet window.
    /// </summary>
    public IReadOnlyList<string> Paths { get; init; } = ["local", "offload"];

    /// <summary>
    /// OTLP transport of the pairs with export on: "grpc" (the default, as <c>--otlp-endpoint</c>
    /// alone gives; the exporter shares the HTTP/2 client code the agent's offloads keep compiled)
    /// or "http/protobuf" (an HTTP/1.1 request per export; the benchmark's only transport before
    /// 4 December 23:00 UTC). The sink in the benchmark answers both.
    /// </summary>
    public string OtlpProtocol { get; init; } = "grpc";

    /// <summary>Executable and leading arguments that run the edgeagent CLI.</summary>
    public required (string Executable, IReadOnlyList<string> Arguments) CliCommand { get; init; }
}

/// <summary>
/// What telemetry costs per request. Five clusters of separate processes (each an `edgeagent
/// agent` and the `edgeagent peer` it offloads to): two with every exporter off (the default; the
/// second measures the noise floor), one with metrics only (--metrics-listen), one with telemetry
/// on as an operator turns it on (--metrics-listen and --otlp-endpoint, OTLP over gRPC by default or HTTP/protobuf, to a sink
/// in this process that accepts every export; the default --trace-sample-ratio), and one with
/// every request traced (--trace-sample-ratio 1). Requests to the five are interleaved, in a new
/// shuffled order each round, so machine load hits all alike. Paths: the agent running the
/// request itself (policy local) and offloading it to its peer (policy peer), on the tiny model
/// (y = x + 1, where the overhead is the largest share) and on ocr-cls when the OCR models are
/// present. Figures: p50 of each setting / p50 of the first pair with everything off, and the CPU
/// time the agent and peer processes used per request (every thread's run time from the kernel,
/// background work such as exports included) against the same, as the median over
/// <see cref="TelemetryOverheadSettings.Blocks"/> blocks of rounds of each block's ratio: far less
/// sensitive to other jobs on the machine than latency, which on a shared machine is mostly
/// scheduling, but not insensitive (a busy machine makes every request's code run with cold
/// caches): the two "off" pairs show the resolution of each run.
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
            foreach (var policy in settings.Paths.Select(p => p == "offload" ? "peer" : p))
            {
                progress($"starting five agent + peer process pairs (policy {policy}): telemetry off (twice), metrics only, on (default sampling), on with every request traced; nodes: {NodeBuild.Describe(settings.CliCommand.Executable, settings.CliCommand.Arguments)} ...");
                await using var off = await NodePair.StartAsync(settings.CliCommand, repository, "off", policy, [], null, cancellationToken).ConfigureAwait(false);
                await using var offAgain = await NodePair.StartAsync(settings.CliCommand, repository, "off-again", policy, [], null, cancellationToken).ConfigureAwait(false);
                await using var metricsOnly = await NodePair.StartAsync(settings.CliCommand, repository, "metrics", policy, [Prometheus], null, cancellationToken).ConfigureAwait(false);
                var otlp = Otlp(sink.AddressFor(settings.OtlpProtocol));
                await using var on = await NodePair.StartAsync(settings.CliCommand, repository, "on", policy, [Prometheus, otlp], settings.OtlpProtocol, cancellationToken).ConfigureAwait(false);
                await using var traceAll = await NodePair.StartAsync(settings.CliCommand, repository, "trace-all", policy, [Prometheus, otlp, ["--trace-sample-ratio", "1"]], settings.OtlpProtocol, cancellationToken).ConfigureAwait(false);
                NodePair[] pairs = [off, offAgain, metricsOnly, on, traceAll];
                progress("ready after (start to ServerReady, ms, peer / agent): " + string.Join(", ", pairs.Select((p, k) => string.Create(CultureInfo.InvariantCulture, $"{PairNames[k]} {p.Peer.ReadyAfter.TotalMilliseconds:0} / {p.Agent.ReadyAfter.TotalMilliseconds:0}"))));
                progress($"warming every pair up: {settings.Warmup} rounds of each model, at least {(int)settings.WarmupTime.TotalSeconds} s, then until the JIT of every process is quiet (at most {(int)settings.WarmupLimit.TotalSeconds} s) ...");
                var (warmedFor, jitQuiet, tierUpTicks) = await WarmUpAsync(pairs, models, settings, cancellationToken).ConfigureAwait(false);
                progress(jitQuiet
                    ? $"warm after {warmedFor.TotalSeconds:0} s: no process used more than {JitQuietTicks * 10} ms for tier-up compiles in each of the last two {JitQuietWindow.TotalSeconds:0} s windows"
                    : $"warm-up stopped at its limit ({warmedFor.TotalSeconds:0} s) while a process was still compiling: its compiles count in the CPU figures below");
                // What start-up and warm-up cost each pair (the same requests for all): the processes'
                // CPU since they started (the kernel's total) and the part their tier-up workers used
                // (read every second, so a worker that ran and exited between two reads is missed).
                progress("CPU from start to the end of the warm-up, s, agent + peer (of it tier-up workers): " + string.Join(", ", pairs.Select((p, k) => string.Create(CultureInfo.InvariantCulture,
                    $"{PairNames[k]} {p.CpuTime().TotalSeconds:0.0} ({(tierUpTicks[2 * k] + tierUpTicks[(2 * k) + 1]) / 100.0:0.0})"))));
                foreach (var (name, tensor) in models)
                {
                    progress($"{(policy == "local" ? "agent runs it" : "agent offloads it to its peer")}, {name}: five pairs, {settings.Iterations} interleaved requests each in {settings.Blocks} blocks ...");
                    var request = OipModelRunner.BuildRequest(name, "x", tensor);
                    var exportsBefore = sink.Exports;
                    var measured = await MeasureAsync(pairs, request, settings, cancellationToken).ConfigureAwait(false);
                    for (var k = 0; k < pairs.Length; k++)
                    {
                        progress(string.Create(CultureInfo.InvariantCulture, $"  {PairNames[k]}: {measured.MeanCpu(k, lessTierUp: false):0} us of CPU per request (kernel's total {measured.KernelCpu[k]:0}), per block {string.Join(" ", measured.BlockCpu.Select(b => b[k].ToString("0", CultureInfo.InvariantCulture)))}; by thread: ")
                            + string.Join(", ", measured.ByThread[k].Where(t => t.Value >= 1).OrderByDescending(t => t.Value).Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key} {t.Value:0}"))));
                    }

                    var results = measured.Latency;
                    var baseline = results[0];
                    var path = $"{(policy == "local" ? "local" : "offload")}, {name}";
                    figures.Add(Ratio($"telemetry on / off, {path}, p50", results[3], baseline, TargetRatio,
                        $"--metrics-listen and --otlp-endpoint (OTLP over {settings.OtlpProtocol}), default --trace-sample-ratio {EdgeAgent.Node.Telemetry.TelemetryOptions.DefaultTraceSampleRatio.ToString(CultureInfo.InvariantCulture)}; {sink.Exports - exportsBefore} OTLP exports ({sink.Bytes / 1024} KiB so far)"));
                    figures.Add(Ratio($"  metrics only / off, {path}, p50", results[2], baseline, TargetRatio, "--metrics-listen (nothing scrapes it during the run)"));
                    figures.Add(Ratio($"  every request traced / off, {path}, p50", results[4], baseline, double.PositiveInfinity, "--trace-sample-ratio 1: not the default; shown for what full tracing costs"));
                    figures.Add(Ratio($"  off (second pair) / off, {path}, p50", results[1], baseline, double.PositiveInfinity, "two identical pairs: the noise floor of this comparison on this machine"));
                    figures.Add(Cpu($"CPU per request, telemetry on / off, {path}", measured, 3, false, TargetRatio, "agent + peer processes, every thread, background work included (exports, load streams)"));
                    figures.Add(Cpu($"  CPU per request, metrics only / off, {path}", measured, 2, false, TargetRatio, "--metrics-listen"));
                    figures.Add(Cpu($"  CPU per request, every request traced / off, {path}", measured, 4, false, double.PositiveInfinity, "--trace-sample-ratio 1"));
                    figures.Add(Cpu($"  CPU per request, off (second pair) / off, {path}", measured, 1, false, double.PositiveInfinity, "the noise floor"));
                    figures.Add(Cpu($"CPU per request less the JIT's tier-up, telemetry on / off, {path}", measured, 3, true, TargetRatio,
                        string.Create(CultureInfo.InvariantCulture, $"as above without the CPU of each process's tier-up compiler thread in the same blocks (code compiled once, not per request): {measured.MeanJit(3):0} us vs {measured.MeanJit(0):0} us of it per request; metrics only {measured.MeanJit(2):0}, every request traced {measured.MeanJit(4):0}, second off pair {measured.MeanJit(1):0}")));
                    figures.Add(Cpu($"  less tier-up, metrics only / off, {path}", measured, 2, true, TargetRatio, "--metrics-listen"));
                    figures.Add(Cpu($"  less tier-up, every request traced / off, {path}", measured, 4, true, double.PositiveInfinity, "--trace-sample-ratio 1"));
                    figures.Add(Cpu($"  less tier-up, off (second pair) / off, {path}", measured, 1, true, double.PositiveInfinity, "the noise floor"));
                }
            }
        }
        finally
        {
            await sink.App.DisposeAsync().ConfigureAwait(false);
            try
            {
                Directory.Delete(repository, recursive: true);
                if (Directory.Exists(repository + "-state"))
                {
                    Directory.Delete(repository + "-state", recursive: true);
                }
            }
            catch (IOException)
            {
                // A temporary folder; leave it.
            }
        }

        return figures;
    }

    private const double TargetRatio = 1.05;

    private static readonly string[] PairNames = ["off", "off (second pair)", "metrics only", "on", "every request traced"];

    // Iterations requests to every pair, interleaved: each round every pair gets one request, in a
    // new order (seeded shuffle). The rotation used before kept the pairs' cyclic order, so each pair
    // followed the same one in four rounds of five (off after every-request-traced, on after
    // metrics-only), and that one's leftover work and cache footprint always landed on it. The rounds
    // are measured in Blocks consecutive blocks: CPU of each pair's two processes per block, by
    // thread (ThreadCpu: nanoseconds from schedstat, threads read at least every second, as an idle
    // worker exits and takes its counts with it), background work included, and the CPU of their
    // JIT tier-up threads apart (the warm-up ends when that thread used at most 20 ms per 5 s in each
    // process, up to 4 ms per second, and the pairs with telemetry on keep tiering up the exporters'
    // code for minutes: it runs every 5 and 15 s, so it reaches the tier-up call counts late; at
    // ~200 rounds per second that alone can be 20 us per request per process, compiled once and not
    // a cost of each request). The kernel's own total per pair (10 ms ticks) over all blocks is kept
    // as a check of the per-thread sums.
    private static async Task<Measurement> MeasureAsync(NodePair[] pairs, ModelInferRequest request, TelemetryOverheadSettings settings, CancellationToken cancellationToken)
    {
        var iterations = settings.Iterations;
        for (var round = 0; round < Math.Min(50, settings.Warmup); round++)
        {
            foreach (var pair in pairs)
            {
                await pair.Client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            }
        }

        var random = new Random(settings.Seed);
        var order = Enumerable.Range(0, pairs.Length).ToArray();
        var samples = pairs.Select(_ => new double[iterations]).ToArray();
        var blocks = Math.Clamp(settings.Blocks, 1, iterations);
        var threads = pairs.Select(_ => new Dictionary<string, long>(StringComparer.Ordinal)).ToArray();
        var blockCpu = new double[blocks][];
        var blockJit = new double[blocks][];
        foreach (var pair in pairs)
        {
            pair.ThreadNanoseconds(new Dictionary<string, long>(StringComparer.Ordinal));
        }

        var threadsRead = System.Diagnostics.Stopwatch.GetTimestamp();
        var kernelBefore = pairs.Select(p => p.CpuTime()).ToArray();
        var blockStart = threads.Select(t => (Cpu: 0L, Jit: 0L)).ToArray();
        for (var block = 0; block < blocks; block++)
        {
            var first = block * iterations / blocks;
            var last = (block + 1) * iterations / blocks;
            for (var i = first; i < last; i++)
            {
                if (System.Diagnostics.Stopwatch.GetElapsedTime(threadsRead) >= TimeSpan.FromSeconds(1))
                {
                    threadsRead = System.Diagnostics.Stopwatch.GetTimestamp();
                    for (var k = 0; k < pairs.Length; k++)
                    {
                        pairs[k].ThreadNanoseconds(threads[k]);
                    }
                }

                random.Shuffle(order);
                foreach (var k in order)
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await pairs[k].Client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    samples[k][i] = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                }
            }

            threadsRead = System.Diagnostics.Stopwatch.GetTimestamp();
            blockCpu[block] = new double[pairs.Length];
            blockJit[block] = new double[pairs.Length];
            for (var k = 0; k < pairs.Length; k++)
            {
                pairs[k].ThreadNanoseconds(threads[k]);
                var (cpu, jit) = (threads[k].Values.Sum(), TierUp(threads[k]));
                blockCpu[block][k] = (cpu - blockStart[k].Cpu) / 1000.0 / (last - first);
                blockJit[block][k] = (jit - blockStart[k].Jit) / 1000.0 / (last - first);
                blockStart[k] = (cpu, jit);
            }
        }

        var kernel = pairs.Select((p, k) => (p.CpuTime() - kernelBefore[k]).TotalMilliseconds * 1000.0 / iterations).ToArray();
        var byThread = threads.Select(t => t.ToDictionary(e => e.Key, e => e.Value / 1000.0 / iterations, StringComparer.Ordinal)).ToArray();
        var latency = samples.Select((x, k) => new LatencyResult($"{k}", iterations, Percentiles.Of(x, 50), Percentiles.Of(x, 95), x.Average())).ToArray();
        return new Measurement(latency, blockCpu, blockJit, kernel, byThread);
    }

    private static long TierUp(Dictionary<string, long> threads) =>
        threads.Where(e => e.Key.EndsWith(ThreadCpu.TierUpWorker, StringComparison.Ordinal)).Sum(e => e.Value);

    // One path's measured rounds: p50 latency per pair over all blocks; per block and pair the CPU
    // and the tier-up CPU per request (us, agent + peer, from the threads' run times); the kernel's
    // total per pair over all blocks (us per request, 10 ms ticks); CPU per request by thread.
    private sealed record Measurement(LatencyResult[] Latency, double[][] BlockCpu, double[][] BlockJit, double[] KernelCpu, Dictionary<string, double>[] ByThread)
    {
        // Pair k's ratio to the first pair in each block (with or without tier-up), and their median.
        public (double Median, double[] Blocks) Ratio(int k, bool lessTierUp)
        {
            var ratios = BlockCpu.Select((cpu, b) => lessTierUp ? (cpu[k] - BlockJit[b][k]) / (cpu[0] - BlockJit[b][0]) : cpu[k] / cpu[0]).ToArray();
            return (Median(ratios), ratios);
        }

        public double MeanCpu(int k, bool lessTierUp) => BlockCpu.Select((cpu, b) => cpu[k] - (lessTierUp ? BlockJit[b][k] : 0)).Average();

        public double MeanJit(int k) => BlockJit.Average(jit => jit[k]);

        private static double Median(double[] values)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }
    }

    // Every model on every pair, round by round, for Warmup rounds and at least WarmupTime, then
    // until the JIT of every process is quiet (JitQuietWindow twice in a row with at most
    // JitQuietTicks of tier-up work in each process) or WarmupLimit has passed. Returns the time taken,
    // whether the JIT was quiet and each process's tier-up ticks since it started (peer, agent of
    // each pair in turn).
    private static async Task<(TimeSpan Took, bool JitQuiet, long[] TierUpTicks)> WarmUpAsync(NodePair[] pairs, IReadOnlyList<(string Name, OcrTensor Tensor)> models, TelemetryOverheadSettings warmup, CancellationToken cancellationToken)
    {
        var requests = models.Select(m => OipModelRunner.BuildRequest(m.Name, "x", m.Tensor)).ToArray();
        var jit = pairs.SelectMany(p => p.Jit).ToArray();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var windowStarted = started;
        var sampled = started;
        var windowTicks = new long[jit.Length];
        var totalTicks = new long[jit.Length];
        var quietWindows = 0;
        for (var round = 0; ; round++)
        {
            foreach (var request in requests)
            {
                foreach (var pair in pairs)
                {
                    await pair.Client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                }
            }

            var took = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            // Read every second: an idle worker thread exits after a few seconds and takes its
            // counts with it, so each thread is read at least once after its last work.
            if (System.Diagnostics.Stopwatch.GetElapsedTime(sampled) >= TimeSpan.FromSeconds(1))
            {
                sampled = System.Diagnostics.Stopwatch.GetTimestamp();
                for (var i = 0; i < jit.Length; i++)
                {
                    var ticks = jit[i].Advance();
                    windowTicks[i] += ticks;
                    totalTicks[i] += ticks;
                }
            }

            if (System.Diagnostics.Stopwatch.GetElapsedTime(windowStarted) >= JitQuietWindow)
            {
                // Every process's tier-up work over the window that just ended.
                quietWindows = windowTicks.Max() <= JitQuietTicks ? quietWindows + 1 : 0;
                Array.Clear(windowTicks);
                windowStarted = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            if (round + 1 >= warmup.Warmup && took >= warmup.WarmupTime && (quietWindows >= 2 || took >= warmup.WarmupLimit))
            {
                return (took, quietWindows >= 2, totalTicks);
            }
        }
    }

    // 5 s with at most 20 ms of tier-up work (0.4 % of a core) in every process, twice in a row.
    private static readonly TimeSpan JitQuietWindow = TimeSpan.FromSeconds(5);

    private const long JitQuietTicks = 2;

    private static readonly string[] Prometheus = ["--metrics-listen", "127.0.0.1:0"];

    private static string[] Otlp(Uri sink) => ["--otlp-endpoint", sink.ToString()];

    private static BenchmarkFigure Ratio(string name, LatencyResult with, LatencyResult without, double target, string what) =>
        new(name, with.P50Ms / without.P50Ms, "x", target, string.Create(CultureInfo.InvariantCulture,
            $"{what}; p50 {with.P50Ms * 1000:0} us vs {without.P50Ms * 1000:0} us (means {with.MeanMs * 1000:0} / {without.MeanMs * 1000:0}); {with.Samples} interleaved samples"));

    // The median over the blocks of pair k's CPU per request / the first pair's in the same block.
    private static BenchmarkFigure Cpu(string name, Measurement measured, int k, bool lessTierUp, double target, string what)
    {
        var (median, blocks) = measured.Ratio(k, lessTierUp);
        return new(name, median, "x", target, string.Create(CultureInfo.InvariantCulture,
            $"{what}; median of {blocks.Length} blocks ({string.Join(", ", blocks.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}); {measured.MeanCpu(k, lessTierUp):0} us vs {measured.MeanCpu(0, lessTierUp):0} us of CPU per request"));
    }

    // An agent process and the peer process it offloads to.
    private sealed class NodePair(NodeProcess peer, NodeProcess agent, GrpcChannel channel) : IAsyncDisposable
    {
        public NodeProcess Peer => peer;

        public NodeProcess Agent => agent;

        public GRPCInferenceService.GRPCInferenceServiceClient Client { get; } = new(channel);

        public TimeSpan CpuTime() => peer.CpuTime() + agent.CpuTime();

        public JitActivity[] Jit { get; } = [new(peer.Id), new(agent.Id)];

        private readonly ThreadCpu[] _threads = [new(peer.Id), new(agent.Id)];

        // Adds the CPU nanoseconds each thread of both processes used since the previous call to
        // totals, by "agent NAME" / "peer NAME".
        public void ThreadNanoseconds(Dictionary<string, long> totals)
        {
            for (var i = 0; i < _threads.Length; i++)
            {
                foreach (var (name, ticks) in _threads[i].Advance())
                {
                    var key = (i == 0 ? "peer " : "agent ") + name;
                    totals[key] = totals.GetValueOrDefault(key) + ticks;
                }
            }
        }

        // flags: telemetry flag groups given to both processes ("--metrics-listen 127.0.0.1:0" gets a free port per process);
        // otlpProtocol: Telemetry:OtlpProtocol of both (the pairs with OTLP export on).
        // Each agent writes its own decision log in the benchmark's folder: by default every agent
        // of the user shares one file (~/.cache/edgeagent/state), and five agents writing it waited
        // on each other's locks (and dropped batches after the busy timeout).
        public static async Task<NodePair> StartAsync((string Executable, IReadOnlyList<string> Arguments) cli, string repository, string name, string policy, IReadOnlyList<string[]> flags, string? otlpProtocol, CancellationToken cancellationToken)
        {
            var environment = new Dictionary<string, string> { ["EDGEAGENT_Execution__IntraOpThreads"] = "1" };
            if (otlpProtocol is not null)
            {
                // As an operator sets it (Telemetry:OtlpProtocol; grpc when unset).
                environment["EDGEAGENT_Telemetry__OtlpProtocol"] = otlpProtocol;
            }

            List<string> Flags() => [.. flags.SelectMany(group => group[0] == "--metrics-listen" ? [group[0], "127.0.0.1:" + NodeProcess.FreePort().ToString(CultureInfo.InvariantCulture)] : group)];

            var peer = await NodeProcess.StartAsync(cli.Executable, cli.Arguments, ["peer", "--models", repository, "--name", "peer", .. Flags()], environment, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            try
            {
                var agent = await NodeProcess.StartAsync(cli.Executable, cli.Arguments,
                    ["agent", "--models", repository, "--policy", policy, "--peer", "peer=" + peer.Address.ToString().TrimEnd('/'), "--decision-log", Path.Combine(repository + "-state", policy + "-" + name), .. Flags()],
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

    // Accepts OTLP exports like a collector and counts them: OTLP/HTTP protobuf on an HTTP/1.1
    // listener (an empty Export*ServiceResponse is a zero-length protobuf message) and OTLP/gRPC on
    // an HTTP/2 listener without TLS (the same empty message in a gRPC frame, grpc-status 0).
    internal sealed class OtlpSink
    {
        private long _exports;
        private long _bytes;

        private OtlpSink(WebApplication app, Uri address, Uri grpcAddress)
        {
            App = app;
            Address = address;
            GrpcAddress = grpcAddress;
        }

        public WebApplication App { get; }

        /// <summary>OTLP/HTTP protobuf: the base address (the exporter posts to /v1/traces, /v1/metrics).</summary>
        public Uri Address { get; }

        /// <summary>OTLP/gRPC: the collector's address.</summary>
        public Uri GrpcAddress { get; }

        public long Exports => Interlocked.Read(ref _exports);

        public long Bytes => Interlocked.Read(ref _bytes);

        public Uri AddressFor(string protocol) => protocol == "grpc" ? GrpcAddress : Address;

        public static async Task<OtlpSink> StartAsync(CancellationToken cancellationToken)
        {
            var port = NodeProcess.FreePort();
            var grpcPort = NodeProcess.FreePort();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Listen(System.Net.IPAddress.Loopback, port, o => o.Protocols = HttpProtocols.Http1);
                k.Listen(System.Net.IPAddress.Loopback, grpcPort, o => o.Protocols = HttpProtocols.Http2);
            });
            var app = builder.Build();
            var sink = new OtlpSink(app, Local(port), Local(grpcPort));
            app.MapPost("/v1/{signal}", async (HttpContext context) =>
            {
                await sink.CountAsync(context).ConfigureAwait(false);
                context.Response.ContentType = "application/x-protobuf";
                context.Response.StatusCode = StatusCodes.Status200OK;
            });
            // opentelemetry.proto.collector.{trace,metrics,logs}.v1.*Service/Export
            app.MapPost("/{service}/Export", async (HttpContext context) =>
            {
                await sink.CountAsync(context).ConfigureAwait(false);
                context.Response.ContentType = "application/grpc";
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.AppendTrailer("grpc-status", "0");
                await context.Response.Body.WriteAsync(EmptyGrpcMessage, context.RequestAborted).ConfigureAwait(false);
            });
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            return sink;
        }

        // Uncompressed, length 0: an empty Export*ServiceResponse (full success).
        private static readonly byte[] EmptyGrpcMessage = new byte[5];

        private static Uri Local(int port) => new("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));

        private async Task CountAsync(HttpContext context)
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
            Interlocked.Increment(ref _exports);
            Interlocked.Add(ref _bytes, body.Length);
        }
    }
}
