using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Onnx;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Settings of <see cref="SoakBenchmark"/>.</summary>
public sealed record SoakSettings
{
    /// <summary>The edgeagent CLI that runs the agent and the peers.</summary>
    public required NodeLaunch Launch { get; init; }

    /// <summary>How long the steady load runs.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Share of the measured capacity offered as steady load.</summary>
    public double LoadFraction { get; init; } = 0.8;

    /// <summary>How long capacity is measured for.</summary>
    public TimeSpan CapacityDuration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between printed rows.</summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time between peer faults; each fault lasts half of it.</summary>
    public TimeSpan FaultInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Each request's deadline.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a node (the agent, a peer, a restarted peer) may take to become ready, and the agent to answer 20 warm-up calls.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(120);
}

/// <summary>
/// <c>edgeagent bench soak</c>: an agent and two peers as separate <c>edgeagent</c> processes on
/// 127.0.0.1 serving a generated model (a 16-layer 64-wide MatMul/Tanh chain); the agent's
/// capacity is measured with closed-loop callers, then a steady open-loop load at a fraction of it
/// runs while the peers fail and recover in turn: one is stopped (SIGSTOP, a hung peer) and
/// continued, the other killed (SIGKILL) and restarted on its port. Every interval prints the
/// throughput, errors by status, p99 latency and the agent's memory (<see cref="NodeMemorySample"/>:
/// resident, managed heap, GC committed, native, code); the summary counts requests that never got
/// a status (there must be none) and the memory growth after warm-up (<see cref="MemoryTrend"/>).
/// </summary>
public static class SoakBenchmark
{
    private const string Model = "soak";
    private const int Width = 64;
    private const int Rows = 32;

    /// <summary>Runs the soak and writes its rows to <paramref name="output"/>; returns the summary.</summary>
    public static async Task<SoakSummary> RunAsync(SoakSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        var repository = Path.Combine(Path.GetTempPath(), "edgeagent-soak-" + Guid.NewGuid().ToString("N"));
        WriteRepository(repository);
        var peers = new NodeProcess?[2];
        NodeProcess? agent = null;
        try
        {
            var peerPorts = new[] { NodeProcess.FreePort(), NodeProcess.FreePort() };
            for (var i = 0; i < peers.Length; i++)
            {
                peers[i] = await StartPeerAsync(settings, repository, i, peerPorts[i], cancellationToken).ConfigureAwait(false);
            }

            var agentPort = NodeProcess.FreePort();
            // The agent serves Prometheus metrics with the runtime's meter (Telemetry:RuntimeMetrics),
            // from which each row takes the managed heap and the collector's committed memory.
            var metricsPort = NodeProcess.FreePort();
            agent = await NodeProcess.StartAsync(settings.Launch,
                ["agent", "--listen", $"127.0.0.1:{agentPort}", "--models", repository, "--policy", "heuristic",
                 "--peer", $"peer-0=http://127.0.0.1:{peerPorts[0]};kind=edge", "--peer", $"peer-1=http://127.0.0.1:{peerPorts[1]};kind=edge",
                 "--metrics-listen", $"127.0.0.1:{metricsPort}",
                 // Its own durable decision log (on by default), removed with the repository: not the
                 // user's default file, which concurrent soaks would share.
                 "--decision-log", Path.Combine(repository, "decisions.db")],
                new Dictionary<string, string> { ["EDGEAGENT_Telemetry__RuntimeMetrics"] = "true" },
                agentPort, settings.StartTimeout, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            using var http = new HttpClient { DefaultRequestVersion = System.Net.HttpVersion.Version11 };
            var runtime = new RuntimeMemoryScraper(http, new Uri($"http://127.0.0.1:{metricsPort}/metrics"));

            using var channel = GrpcChannel.ForAddress(agent.Address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true } });
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var request = Request();
            await WarmUpAsync(client, request, settings.StartTimeout, cancellationToken).ConfigureAwait(false);
            var capacity = await MeasureCapacityAsync(client, request, settings.CapacityDuration, cancellationToken).ConfigureAwait(false);
            if (capacity < 1)
            {
                // An open-loop rate from a capacity of nothing has no interval; this only happens
                // when the machine gave the soak's processes no CPU while capacity was measured.
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                    $"capacity measured {capacity:0.00} req/s in {settings.CapacityDuration.TotalSeconds:0} s{LoadAverageText()}: the soak's processes got almost no CPU; run it when the machine has some to spare."));
            }

            var rate = capacity * settings.LoadFraction;
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"capacity {capacity:0.0} req/s (closed loop, 8 callers, {settings.CapacityDuration.TotalSeconds:0} s{LoadAverageText()}); steady load {rate:0.0} req/s ({settings.LoadFraction:P0}) for {settings.Duration.TotalMinutes:0.##} min; deadline {settings.Deadline.TotalSeconds:0} s"));
            output.WriteLine("  time     sent     ok  errors by status                     req/s   p99 ms  agent RSS MB  peers        paused s  fallbacks   max ms  managed MB  GC commit MB  native MB  code MB");
            return await SteadyLoadAsync(settings, client, request, rate, agent, runtime, peers, peerPorts, repository, output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (agent is not null)
            {
                await agent.DisposeAsync().ConfigureAwait(false);
            }

            foreach (var peer in peers)
            {
                if (peer is not null)
                {
                    await peer.DisposeAsync().ConfigureAwait(false);
                }
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

    // The machine's load average while capacity was measured (Linux), so a capacity measured on a
    // busy machine can be told from one measured on a quiet one.
    private static string LoadAverageText()
    {
        try
        {
            var fields = File.ReadAllText("/proc/loadavg").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length >= 3 ? $", load average {fields[0]} {fields[1]} {fields[2]}" : "";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static Task<NodeProcess> StartPeerAsync(SoakSettings settings, string repository, int index, int port, CancellationToken cancellationToken) =>
        NodeProcess.StartAsync(settings.Launch,
            ["peer", "--listen", $"127.0.0.1:{port}", "--models", repository, "--name", $"peer-{index}"],
            port, settings.StartTimeout, TimeProvider.System, cancellationToken);

    // Twenty answered calls before capacity is measured (JIT, sessions, connections). A starved
    // machine may miss a call's deadline: failed calls are tried again until the start-up timeout.
    private static async Task WarmUpAsync(GRPCInferenceService.GRPCInferenceServiceClient client, ModelInferRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var answered = 0;
        while (answered < 20)
        {
            try
            {
                await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                answered++;
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (Stopwatch.GetElapsedTime(started) >= timeout)
                {
                    throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                        $"the agent answered {answered} of 20 warm-up calls within {timeout.TotalSeconds:0} s (last: {ex.StatusCode}: {ex.Status.Detail})."));
                }
            }
        }
    }

    private static async Task<double> MeasureCapacityAsync(GRPCInferenceService.GRPCInferenceServiceClient client, ModelInferRequest request, TimeSpan duration, CancellationToken cancellationToken)
    {
        long completed = 0;
        var clock = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, 8).Select(async _ =>
        {
            while (clock.Elapsed < duration)
            {
                try
                {
                    await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(30), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    Interlocked.Increment(ref completed);
                }
                catch (RpcException)
                {
                }
            }
        });
        await Task.WhenAll(callers).ConfigureAwait(false);
        return completed / clock.Elapsed.TotalSeconds;
    }

    private static async Task<SoakSummary> SteadyLoadAsync(
        SoakSettings settings,
        GRPCInferenceService.GRPCInferenceServiceClient client,
        ModelInferRequest request,
        double rate,
        NodeProcess agent,
        RuntimeMemoryScraper runtime,
        NodeProcess?[] peers,
        int[] peerPorts,
        string repository,
        TextWriter output,
        CancellationToken cancellationToken)
    {
        var window = new Window();
        var total = new Window();
        long sent = 0;
        long answered = 0;
        var inFlight = new ConcurrentDictionary<Task, byte>();
        var clock = new PauseClock(TimeProvider.System, PauseThreshold);
        var memory = new List<(TimeSpan At, long Bytes)>();
        var samples = new List<(TimeSpan At, NodeMemorySample Sample)>();
        var peerState = new[] { "up", "up" };
        using var stopFaults = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var restarts = new RestartLog();
        var ejections = new EjectionLog();
        agent.OutputLine += ejections.OnAgentLine;
        var faults = FaultLoopAsync(settings, peers, peerPorts, repository, peerState, restarts, ejections, clock, stopFaults.Token);
        var scraping = runtime.RunAsync(settings.ReportInterval / 2, stopFaults.Token);
        var nextReport = settings.ReportInterval;
        var interval = TimeSpan.FromSeconds(1 / rate);
        var next = TimeSpan.Zero;
        var pausedAtLastRow = TimeSpan.Zero;
        while (clock.Active < settings.Duration && !cancellationToken.IsCancellationRequested)
        {
            // The active clock leaves a pause of this process out, so the requests a stopped
            // process did not send are not sent in one burst when it continues.
            clock.Tick();
            var now = clock.Active;
            while (next <= now)
            {
                next += interval;
                Interlocked.Increment(ref sent);
                var call = SendAsync(client, request, settings.Deadline, clock, window, total, () => Interlocked.Increment(ref answered));
                inFlight.TryAdd(call, 0);
                _ = call.ContinueWith(t => inFlight.TryRemove(t, out _), TaskScheduler.Default);
            }

            if (now >= nextReport)
            {
                var rss = agent.ResidentBytes() ?? 0;
                memory.Add((now, rss));
                var (managed, committed) = runtime.Latest;
                var sample = NodeMemory.ReadStatus(agent.Id) is { } status ? status with { ManagedHeap = managed, GcCommitted = committed } : null;
                if (sample is not null)
                {
                    samples.Add((now, sample));
                }

                var row = window.TakeAndReset();
                var paused = clock.Paused - pausedAtLastRow;
                pausedAtLastRow = clock.Paused;
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{now.TotalSeconds,6:0}s {Interlocked.Read(ref sent),8} {row.Ok,6}  {row.ErrorsText(),-36} {row.Count / settings.ReportInterval.TotalSeconds,6:0.0} {row.P99Ms,8:0.0} {rss / 1048576.0,12:0.0}  {string.Join(" ", peerState),-12} {paused.TotalSeconds,8:0}  {row.Fallbacks,9} {row.FallbackMaxMs,8:0}  {Mb(sample?.ManagedHeap),10} {Mb(sample?.GcCommitted),13} {Mb(sample?.Native),10} {Mb(sample?.Code),8}"));
                nextReport += settings.ReportInterval;
            }

            var wait = next - clock.Active;
            try
            {
                await Task.Delay(wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.FromMilliseconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        // Stopped early (Ctrl+C or SIGTERM) or not, the calls sent get their statuses and the
        // summary is printed for the time that ran.
        var ranFor = clock.Active;
        await stopFaults.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(inFlight.Keys).WaitAsync(settings.Deadline + TimeSpan.FromSeconds(30), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }

        await scraping.ConfigureAwait(false);
        try
        {
            await faults.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is RpcException or TimeoutException or InvalidOperationException or IOException)
        {
            // A peer that did not come back (a restart that outlived its start-up timeout while the
            // whole machine was stopped, say) ends the faults, not the summary of the load.
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"faults ended early: {ex.GetType().Name}: {ex.Message}"));
        }

        var details = total.Details;
        var all = total.TakeAndReset();
        var warmup = TimeSpan.FromTicks(ranFor.Ticks / 4);
        var warm = memory.Where(m => m.At >= warmup).ToList();
        var summary = new SoakSummary(
            Sent: Interlocked.Read(ref sent),
            Answered: Interlocked.Read(ref answered),
            Ok: all.Ok,
            Errors: all.Errors.ToDictionary(p => p.Key, p => p.Value),
            P99Ms: all.P99Ms,
            ThroughputPerSecond: ranFor > TimeSpan.Zero ? all.Ok / ranFor.TotalSeconds : 0,
            RssAfterWarmupBytes: warm.Count > 0 ? warm[0].Bytes : 0,
            RssEndBytes: memory.Count > 0 ? memory[^1].Bytes : 0,
            RssMaxBytes: memory.Count > 0 ? memory.Max(m => m.Bytes) : 0)
        {
            Fallbacks = all.Fallbacks,
            FallbackMaxMs = all.FallbackMaxMs,
            Active = ranFor,
            Paused = clock.Paused,
            Pauses = clock.Pauses,
            StoppedEarly = ranFor < settings.Duration,
            AcrossPause = all.AcrossPause.ToDictionary(p => p.Key, p => p.Value),
        };
        output.WriteLine(summary.ToString());
        output.WriteLine(MemoryTrend.Describe(samples.Where(m => m.At >= warmup).Select(m => m.Sample).ToList()));
        output.WriteLine(ejections.Summary());
        if (restarts.FailedCount > 0)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  peer-1 restarts that did not come up (the peer stayed down until its next turn): {restarts.FailedCount}; first: {restarts.First}"));
        }
        foreach (var (code, detail, count) in details)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {code} x{count}: {detail}"));
        }

        return summary;
    }

    // A gap this long between two turns of the load loop is a pause of the process (the loop
    // never waits longer than one request interval on its own).
    private static readonly TimeSpan PauseThreshold = TimeSpan.FromSeconds(2);

    private static string Mb(long? bytes) => bytes is { } b ? (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) : "-";

    // Distinct status messages kept per status in the summary.
    private const int MaxDetails = 4;

    private static async Task SendAsync(GRPCInferenceService.GRPCInferenceServiceClient client, ModelInferRequest request, TimeSpan deadline, PauseClock clock, Window window, Window total, Action answered)
    {
        var started = Stopwatch.GetTimestamp();
        var pausesBefore = clock.Pauses;
        StatusCode code;
        var fallback = false;
        try
        {
            var response = await client.ModelInferAsync(request, deadline: DateTime.UtcNow + deadline).ResponseAsync.ConfigureAwait(false);
            code = StatusCode.OK;
            fallback = response.Parameters.ContainsKey(EdgeAgent.Node.Serving.ResponseParameters.FallbackFrom);
        }
        catch (RpcException ex)
        {
            code = ex.StatusCode;
            total.Detail(code, ex.Status.Detail);
        }

        answered();
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;

        // A call that was in flight while the processes were stopped has the pause in its
        // latency and may have run out its deadline in it: it is counted apart.
        clock.Tick();
        var acrossPause = clock.Pauses != pausesBefore;
        window.Add(code, ms, acrossPause, fallback);
        total.Add(code, ms, acrossPause, fallback);
    }

    // Peer 0 is stopped (SIGSTOP) and continued; peer 1 is killed (SIGKILL) and restarted on its
    // port; one fault per FaultInterval, each lasting half of it, until the load ends.
    private static async Task FaultLoopAsync(SoakSettings settings, NodeProcess?[] peers, int[] ports, string repository, string[] state, RestartLog restarts, EjectionLog ejections, PauseClock clock, CancellationToken cancellationToken)
    {
        var half = settings.FaultInterval / 2;
        var turn = 0;
        while (clock.Active + settings.FaultInterval <= settings.Duration)
        {
            await Task.Delay(half, cancellationToken).ConfigureAwait(false);
            var victim = turn++ % 2;
            if (victim == 0)
            {
                peers[0]!.Signal("STOP");
                ejections.Stopped();
                state[0] = "stopped";
                await Task.Delay(half, cancellationToken).ConfigureAwait(false);
                ejections.Continued();
                peers[0]!.Signal("CONT");
                state[0] = "up";
            }
            else
            {
                if (peers[1] is { } running)
                {
                    await running.DisposeAsync().ConfigureAwait(false);
                    peers[1] = null;
                }

                state[1] = "killed";
                await Task.Delay(half, cancellationToken).ConfigureAwait(false);
                try
                {
                    peers[1] = await StartPeerAsync(settings, repository, 1, ports[1], cancellationToken).ConfigureAwait(false);
                    state[1] = "up";
                }
                catch (Exception ex) when (ex is TimeoutException or InvalidOperationException)
                {
                    // A restart that did not come up in time (the machine starved the soak's
                    // processes) leaves the peer down until its next turn tries again; the load
                    // and the other peer's faults go on, and the summary counts such restarts.
                    restarts.Failed(ex.Message);
                    state[1] = "down";
                }
            }
        }
    }

    /// <summary>
    /// When the agent stopped sending work to the stopped peer-0: per SIGSTOP, the time to the
    /// agent's first log line saying peer-0 "gets no work for a while" (its circuit opened: on a
    /// call that timed out, or, where the agent has it, on hung-peer detection) or "sent no load
    /// report" (its load stream went quiet for Agent:StaleAfter, which also takes it out of the
    /// candidates), read from the agent's console log as it arrives.
    /// </summary>
    private sealed class EjectionLog
    {
        private readonly Lock _lock = new();
        private readonly List<double?> _afterMs = [];
        private long _stoppedAt;
        private bool _waiting;

        public void Stopped()
        {
            lock (_lock)
            {
                _stoppedAt = Stopwatch.GetTimestamp();
                _waiting = true;
                _afterMs.Add(null);
            }
        }

        public void Continued()
        {
            lock (_lock)
            {
                _waiting = false;
            }
        }

        public void OnAgentLine(string line)
        {
            if (!line.Contains("Peer peer-0 ", StringComparison.Ordinal)
                || !(line.Contains("gets no work for a while", StringComparison.Ordinal) || line.Contains("sent no load report", StringComparison.Ordinal)))
            {
                return;
            }

            lock (_lock)
            {
                if (_waiting)
                {
                    _afterMs[^1] = Stopwatch.GetElapsedTime(_stoppedAt).TotalMilliseconds;
                    _waiting = false;
                }
            }
        }

        public string Summary()
        {
            lock (_lock)
            {
                var times = _afterMs.Select(ms => ms is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v:0} ms") : "none").ToArray();
                return string.Create(CultureInfo.InvariantCulture,
                    $"  peer-0 SIGSTOPs: {_afterMs.Count}; the agent stopped sending it work (its first log line \"Peer peer-0 ... gets no work for a while\" or \"... sent no load report\") after: {(times.Length == 0 ? "-" : string.Join(", ", times))}");
            }
        }
    }

    /// <summary>Peer restarts of the fault loop that did not come up.</summary>
    private sealed class RestartLog
    {
        private int _failed;
        private string? _first;

        public int FailedCount => Volatile.Read(ref _failed);

        public string? First => Volatile.Read(ref _first);

        public void Failed(string message)
        {
            Interlocked.CompareExchange(ref _first, message, null);
            Interlocked.Increment(ref _failed);
        }
    }

    private static ModelInferRequest Request()
    {
        var request = new ModelInferRequest { ModelName = Model };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32" };
        input.Shape.Add([Rows, Width]);
        request.Inputs.Add(input);
        var data = new float[Rows * Width];
        var random = new Random(3);
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(random.NextDouble() - 0.5);
        }

        var bytes = new byte[data.Length * sizeof(float)];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        request.RawInputContents.Add(ByteString.CopyFrom(bytes));
        return request;
    }

    private static void WriteRepository(string repository)
    {
        var folder = Path.Combine(repository, Model, "1");
        Directory.CreateDirectory(folder);
        var random = new Random(7);
        var weights = new float[Width * Width];
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)((random.NextDouble() - 0.5) * 0.2);
        }

        var builder = new GraphBuilder(Model).Opset(17)
            .Input("x", DataType.Float, new Dim("N"), new Dim(Width))
            .Initializer("w", weights, Width, Width);
        var current = "x";
        for (var layer = 0; layer < 16; layer++)
        {
            var next = layer == 15 ? "y" : $"h{layer}";
            builder.Node("MatMul", [current, "w"], [$"m{layer}"]).Node("Tanh", [$"m{layer}"], [next]);
            current = next;
        }

        OnnxModelFile.Save(builder.Output("y", DataType.Float, new Dim("N"), new Dim(Width)).Build(), Path.Combine(folder, "model.onnx"));
    }

    private sealed class Window
    {
        private readonly object _lock = new();
        private List<double> _latencies = [];
        private Dictionary<StatusCode, long> _codes = [];
        private Dictionary<StatusCode, long> _acrossPause = [];
        private readonly Dictionary<StatusCode, Dictionary<string, long>> _details = [];
        private long _fallbacks;
        private double _fallbackMaxMs;

        // The messages seen per status, counted (at most MaxDetails distinct ones per status, the
        // rest counted under "other messages"): where an unexpected status came from.
        public void Detail(StatusCode code, string detail)
        {
            detail = detail.Length <= 300 ? detail : detail[..300];
            lock (_lock)
            {
                if (!_details.TryGetValue(code, out var messages))
                {
                    _details[code] = messages = new Dictionary<string, long>(StringComparer.Ordinal);
                }

                if (!messages.ContainsKey(detail) && messages.Count >= MaxDetails)
                {
                    detail = "other messages";
                }

                messages[detail] = messages.GetValueOrDefault(detail) + 1;
            }
        }

        public IReadOnlyList<(StatusCode Code, string Detail, long Count)> Details
        {
            get
            {
                lock (_lock)
                {
                    return [.. _details.SelectMany(d => d.Value.Select(m => (Code: d.Key, Detail: m.Key, Count: m.Value))).OrderBy(d => d.Code).ThenByDescending(d => d.Count)];
                }
            }
        }

        public void Add(StatusCode code, double ms, bool acrossPause, bool fallback)
        {
            lock (_lock)
            {
                if (fallback)
                {
                    _fallbacks++;
                    _fallbackMaxMs = Math.Max(_fallbackMaxMs, ms);
                }

                if (acrossPause)
                {
                    _acrossPause[code] = _acrossPause.GetValueOrDefault(code) + 1;
                    return;
                }

                _latencies.Add(ms);
                _codes[code] = _codes.GetValueOrDefault(code) + 1;
            }
        }

        public Row TakeAndReset()
        {
            lock (_lock)
            {
                var row = new Row(_latencies, _codes, _acrossPause) { Fallbacks = _fallbacks, FallbackMaxMs = _fallbackMaxMs };
                _latencies = [];
                _codes = [];
                _acrossPause = [];
                _fallbacks = 0;
                _fallbackMaxMs = 0;
                return row;
            }
        }
    }

    private sealed class Row(List<double> latencies, Dictionary<StatusCode, long> codes, Dictionary<StatusCode, long> acrossPause)
    {
        public IReadOnlyDictionary<StatusCode, long> AcrossPause => acrossPause;

        // Answers that ran locally after their peer failed, refused or was found hung (edgeagent.fallback_from), and the slowest of them.
        public long Fallbacks { get; init; }

        public double FallbackMaxMs { get; init; }

        public long Count => latencies.Count;

        public long Ok => codes.GetValueOrDefault(StatusCode.OK);

        public IReadOnlyDictionary<StatusCode, long> Errors => codes.Where(p => p.Key != StatusCode.OK).ToDictionary(p => p.Key, p => p.Value);

        public double P99Ms
        {
            get
            {
                if (latencies.Count == 0)
                {
                    return 0;
                }

                latencies.Sort();
                return latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)];
            }
        }

        public string ErrorsText()
        {
            var text = Errors.Count == 0 ? "-" : string.Join(", ", Errors.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"));
            var across = acrossPause.Values.Sum();
            return across == 0 ? text : text + $" (+{across} across a pause)";
        }
    }
}

/// <summary>What a soak run measured.</summary>
public sealed record SoakSummary(long Sent, long Answered, long Ok, IReadOnlyDictionary<StatusCode, long> Errors, double P99Ms, double ThroughputPerSecond, long RssAfterWarmupBytes, long RssEndBytes, long RssMaxBytes)
{
    /// <summary>Time the load ran, pauses of the process left out.</summary>
    public TimeSpan Active { get; init; }

    /// <summary>Time the process was stopped (SIGSTOP) during the load.</summary>
    public TimeSpan Paused { get; init; }

    /// <summary>How many pauses there were.</summary>
    public int Pauses { get; init; }

    /// <summary>True when the load ended (Ctrl+C, SIGTERM) before its duration.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Statuses of calls in flight during a pause (not in <see cref="Ok"/>, <see cref="Errors"/> or the p99: the pause is in their latency).</summary>
    public IReadOnlyDictionary<StatusCode, long> AcrossPause { get; init; } = new Dictionary<StatusCode, long>();

    /// <summary>OK answers that ran locally after a peer failed, refused or was found hung (response parameter edgeagent.fallback_from).</summary>
    public long Fallbacks { get; init; }

    /// <summary>The slowest of the <see cref="Fallbacks"/>, milliseconds.</summary>
    public double FallbackMaxMs { get; init; }

    /// <summary>Requests that never got a status (must be 0).</summary>
    public long WithoutStatus => Sent - Answered;

    /// <summary>Resident memory at the end relative to the first sample after warm-up (the first quarter).</summary>
    public double MemoryGrowth => RssAfterWarmupBytes > 0 ? (double)RssEndBytes / RssAfterWarmupBytes - 1 : 0;

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"total: sent {Sent}, ok {Ok} ({ThroughputPerSecond:0.0}/s), errors {Text(Errors)}, across a pause {Text(AcrossPause)}, without a status {WithoutStatus}; p99 {P99Ms:0.0} ms; fallbacks {Fallbacks} (slowest {FallbackMaxMs:0} ms); agent RSS after warm-up {RssAfterWarmupBytes / 1048576.0:0.0} MB, at the end {RssEndBytes / 1048576.0:0.0} MB ({MemoryGrowth:+0.0%;-0.0%}), max {RssMaxBytes / 1048576.0:0.0} MB; load ran {Active.TotalMinutes:0.0} min{(StoppedEarly ? " (stopped early)" : "")}, paused {Paused.TotalMinutes:0.0} min in {Pauses} pauses");

    private static string Text(IReadOnlyDictionary<StatusCode, long> codes) =>
        codes.Count == 0 ? "none" : string.Join(", ", codes.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}"));
}
