using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Onnx;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Settings of <see cref="ColdNodeBenchmark"/>.</summary>
public sealed record ColdNodeSettings
{
    /// <summary>The edgeagent CLI that runs the nodes.</summary>
    public required NodeLaunch Launch { get; init; }

    /// <summary>Trials per case and role; each starts a new node process.</summary>
    public int Trials { get; init; } = 20;

    /// <summary>The cases: concurrent requests and bytes of tensor data per request.</summary>
    public IReadOnlyList<(int Requests, int Bytes)> Cases { get; init; } = [(64, 512 * 1024), (24, 2 * 1024 * 1024)];

    /// <summary>"peer", "agent" (policy local) or both.</summary>
    public IReadOnlyList<string> Roles { get; init; } = ["peer", "agent"];

    /// <summary>Deadline of each request; a request not answered OK within it is a stall.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Deadline of each ServerLive probe on a second connection; a probe over it is a stall.</summary>
    public TimeSpan ProbeDeadline { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>One case on one role over all its trials.</summary>
/// <param name="Role">"peer" or "agent".</param>
/// <param name="Requests">Concurrent requests per trial.</param>
/// <param name="Bytes">Tensor bytes per request.</param>
/// <param name="Trials">Trials run.</param>
/// <param name="Stalls">Trials in which a request did not end OK within its deadline or a probe missed its deadline.</param>
/// <param name="Ok">Requests answered OK, all trials.</param>
/// <param name="Statuses">Other statuses and their counts, all trials.</param>
/// <param name="P50Ms">Median request latency, all trials.</param>
/// <param name="MaxMs">Slowest request.</param>
/// <param name="SlowestTrialMs">Slowest trial: first request sent to last answer.</param>
/// <param name="MaxProbeMs">Slowest ServerLive probe.</param>
/// <param name="Probes">Probes sent, all trials.</param>
/// <param name="StallsClientLate">Stalled trials in which this client process itself did not run for a second or more (its own timers late; see <see cref="ClientLag"/>).</param>
/// <param name="MaxClientLagMs">Longest time this client process's lag probe was late, all trials.</param>
/// <param name="MaxNodeMs">Longest queue + execution time the node reported in an answer (edgeagent.queue_ms + exec_ms), all trials.</param>
public sealed record ColdNodeResult(string Role, int Requests, int Bytes, int Trials, int Stalls, int Ok, IReadOnlyDictionary<StatusCode, int> Statuses,
    double P50Ms, double MaxMs, double SlowestTrialMs, double MaxProbeMs, int Probes, int StallsClientLate = 0, double MaxClientLagMs = 0, double MaxNodeMs = 0);

/// <summary>
/// Issue 13, the cold-node test: on a freshly started node (a new `edgeagent peer` or `edgeagent
/// agent --policy local` process per trial, so nothing is warm: JIT, Kestrel, thread pool, ONNX
/// Runtime), many concurrent large requests on one connection (64 x 512 KB, 24 x 2 MB) while a
/// second connection probes ServerLive. These once stalled the whole node for tens of seconds
/// (admitted calls starved of HTTP/2 connection credit by waiting calls' unread bodies; see
/// Node/Hosting/Http2Windows). The model is y = x + 1 on FP32 [N, 1024], so the answer is as
/// large as the request.
/// </summary>
public static class ColdNodeBenchmark
{
    private const string Model = "wide";
    private const int Columns = 1024;

    /// <summary>Runs every case on every role, <see cref="ColdNodeSettings.Trials"/> trials each.</summary>
    public static async Task<IReadOnlyList<ColdNodeResult>> RunAsync(ColdNodeSettings settings, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        var scratch = Path.Combine(Path.GetTempPath(), "edgeagent-bench-cold-" + Guid.NewGuid().ToString("N"));
        var repository = Path.Combine(scratch, "models");
        WriteModel(repository);
        var results = new List<ColdNodeResult>();
        try
        {
            foreach (var role in settings.Roles)
            {
                foreach (var (requests, bytes) in settings.Cases)
                {
                    var trials = new List<Trial>();
                    for (var t = 0; t < settings.Trials; t++)
                    {
                        var trial = await RunTrialAsync(settings, role, repository, Path.Combine(scratch, $"state-{role}-{t}"), requests, bytes, cancellationToken).ConfigureAwait(false);
                        trials.Add(trial);
                        progress(string.Create(CultureInfo.InvariantCulture,
                            $"{role} {requests} x {bytes / 1024} KB trial {t + 1}/{settings.Trials}: {trial.Latencies.Count(l => l.Status == StatusCode.OK)}/{requests} OK, {(trial.Stalled ? "STALL" : "no stall")}, slowest {trial.Latencies.Max(l => l.Ms):0} ms, trial {trial.WallMs:0} ms, slowest probe {trial.MaxProbeMs:0} ms, node's longest queue+exec {trial.MaxNodeMs:0} ms, client lag {trial.ClientLagMs:0} ms"));
                    }

                    var all = trials.SelectMany(t => t.Latencies).ToList();
                    results.Add(new ColdNodeResult(role, requests, bytes, trials.Count, trials.Count(t => t.Stalled), all.Count(l => l.Status == StatusCode.OK),
                        all.Where(l => l.Status != StatusCode.OK).GroupBy(l => l.Status).ToDictionary(g => g.Key, g => g.Count()),
                        Percentiles.Of(all.Select(l => l.Ms).ToList(), 50), all.Max(l => l.Ms), trials.Max(t => t.WallMs), trials.Max(t => t.MaxProbeMs), trials.Sum(t => t.Probes),
                        trials.Count(t => t.Stalled && t.ClientLagMs >= ClientLag.LateMs), trials.Max(t => t.ClientLagMs), trials.Max(t => t.MaxNodeMs)));
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

        return results;
    }

    private static async Task<Trial> RunTrialAsync(ColdNodeSettings settings, string role, string repository, string state, int count, int bytes, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(state);
        string[] arguments = role == "agent"
            ? ["agent", "--models", repository, "--policy", "local"]
            : ["peer", "--models", repository];
        var node = await NodeProcess.StartAsync(settings.Launch.Executable, settings.Launch.LeadingArguments, arguments,
            new Dictionary<string, string> { ["STATE_DIRECTORY"] = state }, TimeSpan.FromSeconds(120), cancellationToken).ConfigureAwait(false);
        await using (node.ConfigureAwait(false))
        {
            using var channel = GrpcChannel.ForAddress(node.Address, new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
            using var probeChannel = DemoCluster.Channel(node.Address);
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var probe = new GRPCInferenceService.GRPCInferenceServiceClient(probeChannel);
            var rows = bytes / (Columns * 4);
            var payload = UnsafeByteOperations.UnsafeWrap(new byte[rows * Columns * 4]);
            var request = new ModelInferRequest { ModelName = Model };
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32" };
            input.Shape.Add([rows, Columns]);
            request.Inputs.Add(input);
            request.RawInputContents.Add(payload);

            using var lag = ClientLag.Start();
            var started = Stopwatch.GetTimestamp();
            var calls = Enumerable.Range(0, count).Select(async _ =>
            {
                var callStarted = Stopwatch.GetTimestamp();
                try
                {
                    var response = await client.ModelInferAsync(request, deadline: DateTime.UtcNow + settings.Deadline, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    var nodeMs = response.Parameters.TryGetValue("edgeagent.queue_ms", out var queue) && response.Parameters.TryGetValue("edgeagent.exec_ms", out var exec)
                        ? queue.DoubleParam + exec.DoubleParam : 0;
                    return (StatusCode.OK, Stopwatch.GetElapsedTime(callStarted).TotalMilliseconds, nodeMs);
                }
                catch (RpcException ex)
                {
                    return (ex.StatusCode, Stopwatch.GetElapsedTime(callStarted).TotalMilliseconds, 0.0);
                }
            }).ToArray();

            var all = Task.WhenAll(calls);
            var probes = 0;
            var maxProbe = 0.0;
            var probeFailed = false;
            while (!all.IsCompleted)
            {
                var probeStarted = Stopwatch.GetTimestamp();
                try
                {
                    await probe.ServerLiveAsync(new ServerLiveRequest(), deadline: DateTime.UtcNow + settings.ProbeDeadline, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                }
                catch (RpcException)
                {
                    probeFailed = true;
                }

                probes++;
                maxProbe = Math.Max(maxProbe, Stopwatch.GetElapsedTime(probeStarted).TotalMilliseconds);
                await Task.WhenAny(all, Task.Delay(50, cancellationToken)).ConfigureAwait(false);
            }

            var answers = await all.ConfigureAwait(false);
            var latencies = answers.Select(r => (Status: r.Item1, Ms: r.Item2)).ToList();
            var wall = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return new Trial(latencies, wall, maxProbe, probes, probeFailed || latencies.Any(l => l.Status != StatusCode.OK), lag.MaxLateMs, answers.Max(r => r.Item3));
        }
    }

    private static void WriteModel(string repository)
    {
        var folder = Path.Combine(repository, Model, "1");
        Directory.CreateDirectory(folder);
        var model = new GraphBuilder(Model)
            .Opset(17)
            .Input("x", DataType.Float, new Dim("N"), new Dim(Columns))
            .Initializer("one", [1f], 1)
            .Node("Add", ["x", "one"], ["y"])
            .Output("y", DataType.Float, new Dim("N"), new Dim(Columns))
            .Build();
        OnnxModelFile.Save(model, Path.Combine(folder, "model.onnx"));
    }

    private sealed record Trial(List<(StatusCode Status, double Ms)> Latencies, double WallMs, double MaxProbeMs, int Probes, bool Stalled, double ClientLagMs, double MaxNodeMs);
}

/// <summary>
/// Whether the measuring client itself ran: a dedicated thread sleeps 10 ms at a time and records
/// how late it woke. On a shared machine a client starved of CPU (or stopped) misses its own
/// deadlines and probes; a stall seen while the client was late by a second or more says more
/// about the client than about the node it measures.
/// </summary>
public sealed class ClientLag : IDisposable
{
    /// <summary>Lateness from which a trial's client counts as not running.</summary>
    public const double LateMs = 1000;

    private readonly Thread _thread;
    private volatile bool _stop;
    private long _maxLateTicks;

    private ClientLag()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "client lag probe", Priority = ThreadPriority.AboveNormal };
    }

    /// <summary>Longest lateness seen so far, in milliseconds.</summary>
    public double MaxLateMs => TimeSpan.FromTicks(Interlocked.Read(ref _maxLateTicks)).TotalMilliseconds;

    /// <summary>Starts the probe thread.</summary>
    public static ClientLag Start()
    {
        var lag = new ClientLag();
        lag._thread.Start();
        return lag;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }

    private void Run()
    {
        var period = TimeSpan.FromMilliseconds(10);
        while (!_stop)
        {
            var before = Stopwatch.GetTimestamp();
            Thread.Sleep(period);
            var late = Stopwatch.GetElapsedTime(before) - period;
            if (late.Ticks > Interlocked.Read(ref _maxLateTicks))
            {
                Interlocked.Exchange(ref _maxLateTicks, late.Ticks);
            }
        }
    }
}
