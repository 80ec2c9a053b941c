// The benchmark disposes its own processes with await using (no synchronization context here).
#pragma warning disable CA2007
using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;
using EdgeAgent.Node.Agent;
using Grpc.Core;
using Microsoft.Data.Sqlite;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Settings of <see cref="DecisionLogBenchmark"/>.</summary>
public sealed record DecisionLogBenchmarkSettings
{
    /// <summary>Measured requests per model and setting (overhead part).</summary>
    public int Iterations { get; init; } = 2000;

    /// <summary>Repository with the PaddleOCR models; when ocr-cls is there its path is measured too.</summary>
    public string ModelsPath { get; init; } = CacheDirectories.Models();

    /// <summary>Concurrent closed-loop clients driving the agent before it is killed.</summary>
    public int Clients { get; init; } = 8;

    /// <summary>How long the load runs before the agent is killed.</summary>
    public TimeSpan LoadBeforeKill { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>DecisionLog:FlushInterval of the killed agent (the durability bound checked).</summary>
    public TimeSpan FlushInterval { get; init; } = new DecisionLogOptions().FlushInterval;

    /// <summary>Executable and leading arguments that run the edgeagent CLI.</summary>
    public required (string Executable, IReadOnlyList<string> Arguments) CliCommand { get; init; }
}

/// <summary>What the kill -9 run found in the decision log.</summary>
/// <param name="Sent">Requests sent before the kill.</param>
/// <param name="Acknowledged">Requests answered OK before the kill.</param>
/// <param name="AcknowledgedBeforeCutoff">Answered OK more than one flush interval before the kill.</param>
/// <param name="Rows">Rows in the database after the kill.</param>
/// <param name="IntegrityCheck">What <c>PRAGMA integrity_check</c> said ("ok" when clean).</param>
/// <param name="ReopenedBy">Null when <see cref="DecisionDatabase.OpenForReading"/> and <see cref="DecisionDatabase.OpenForWriting"/> both accepted the file, else why not.</param>
/// <param name="FlushInterval">The agent's DecisionLog:FlushInterval.</param>
/// <param name="LoadSeconds">How long the load ran.</param>
/// <param name="DatabasePath">The database file.</param>
public sealed record DecisionLogKillResult(int Sent, int Acknowledged, int AcknowledgedBeforeCutoff, long Rows, string IntegrityCheck, string? ReopenedBy, TimeSpan FlushInterval, double LoadSeconds, string DatabasePath)
{
    /// <summary>Acknowledged requests the log cannot hold more than (<see cref="Acknowledged"/> minus <see cref="Rows"/>, at least 0): a lower bound on what was lost, counted against the cut-off.</summary>
    public long MissingBeforeCutoff => Math.Max(0, AcknowledgedBeforeCutoff - Rows);

    /// <summary>The target: the file is intact, opens, and holds at least every request acknowledged before the cut-off (and no more rows than requests sent).</summary>
    public bool Holds => IntegrityCheck == "ok" && ReopenedBy is null && Rows >= AcknowledgedBeforeCutoff && Rows <= Sent;
}

/// <summary>
/// Issue 15's decision-log targets, with real agent processes. Overhead: two `edgeagent agent`
/// processes serving the same repository with policy local, one with `--decision-log off`, one
/// writing to a temporary directory, requests interleaved between them (tiny model, and ocr-cls
/// when present); figure p50 on / p50 off (target &lt;= 1.05). Kill: one agent writing its log,
/// driven by closed-loop clients, killed with SIGKILL; then the database must pass
/// <c>PRAGMA integrity_check</c>, open with the agent's own checks, and hold at least every request
/// acknowledged more than one flush interval before the kill.
/// </summary>
public sealed class DecisionLogBenchmark(DecisionLogBenchmarkSettings settings, Action<string> progress)
{
    /// <summary>The overhead figures (log on / off per model).</summary>
    public async Task<IReadOnlyList<BenchmarkFigure>> RunOverheadAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var work = Directory.CreateTempSubdirectory("edgeagent-bench-dlog-").FullName;
        try
        {
            var (repository, models) = WriteRepository(work, settings.ModelsPath);
            var logDir = Path.Combine(work, "state");
            progress("starting two agent processes (policy local), one writing its decision log to " + logDir + " ...");
            var environment = new Dictionary<string, string> { ["EDGEAGENT_Execution__IntraOpThreads"] = "1" };
            await using var off = await NodeProcess.StartAsync(settings.CliCommand.Executable, settings.CliCommand.Arguments,
                ["agent", "--models", repository, "--policy", "local", "--decision-log", "off"], environment, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            await using var on = await NodeProcess.StartAsync(settings.CliCommand.Executable, settings.CliCommand.Arguments,
                ["agent", "--models", repository, "--policy", "local", "--decision-log", logDir], environment, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            using var offChannel = DemoCluster.Channel(off.Address);
            using var onChannel = DemoCluster.Channel(on.Address);
            var offClient = new GRPCInferenceService.GRPCInferenceServiceClient(offChannel);
            var onClient = new GRPCInferenceService.GRPCInferenceServiceClient(onChannel);
            var figures = new List<BenchmarkFigure>();
            var requests = 0;
            foreach (var (name, tensor) in models)
            {
                progress($"agent runs it, {name}: decision log on vs off, {settings.Iterations} interleaved requests each ...");
                var request = OipModelRunner.BuildRequest(name, "x", tensor);
                var warmup = Math.Min(200, settings.Iterations);
                TimeSpan offCpu = default, onCpu = default;
                var results = await LatencySampler.MeasureInterleavedAsync(
                    [
                        ("off", async ct => await offClient.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                        ("on", async ct => await onClient.ModelInferAsync(request, cancellationToken: ct).ResponseAsync.ConfigureAwait(false)),
                    ],
                    warmup,
                    settings.Iterations,
                    () => (offCpu, onCpu) = (off.CpuTime(), on.CpuTime()),
                    cancellationToken).ConfigureAwait(false);

                // The writer's work for the last requests lands up to one flush interval after them: counted too.
                await Task.Delay(settings.FlushInterval * 2, cancellationToken).ConfigureAwait(false);
                var offUs = (off.CpuTime() - offCpu).TotalMilliseconds * 1000 / settings.Iterations;
                var onUs = (on.CpuTime() - onCpu).TotalMilliseconds * 1000 / settings.Iterations;
                requests += warmup + settings.Iterations;
                var (a, b) = (results[1], results[0]);
                figures.Add(new BenchmarkFigure(
                    $"decision log on / off, local, {name}, p50",
                    a.P50Ms / b.P50Ms,
                    "x",
                    1.05,
                    string.Create(CultureInfo.InvariantCulture, $"on p50 {a.P50Ms * 1000:0} us (mean {a.MeanMs * 1000:0}, mean ratio {a.MeanMs / b.MeanMs:0.000}); off p50 {b.P50Ms * 1000:0} us (mean {b.MeanMs * 1000:0}); {a.Samples} interleaved samples")));
                figures.Add(new BenchmarkFigure(
                    $"  agent CPU per request, log on / off, {name}",
                    onUs / offUs,
                    "x",
                    1.05,
                    string.Create(CultureInfo.InvariantCulture, $"on {onUs:0} us, off {offUs:0} us of user + system time per request over the measured requests (the on agent's writer included, {settings.FlushInterval.TotalMilliseconds * 2:0} ms after the last); +{onUs - offUs:0} us")));
            }

            // The logging agent must really have logged: every request it served is a row (after its flush).
            var path = Path.Combine(logDir, "decisions.db");
            var rows = await WaitForRowsAsync(path, requests, settings.FlushInterval * 4 + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            progress(string.Create(CultureInfo.InvariantCulture, $"the logging agent wrote {rows} rows for {requests} requests"));
            figures.Add(new BenchmarkFigure("requests served with the log on that are not in it", Math.Max(0, requests - rows), "", 0,
                string.Create(CultureInfo.InvariantCulture, $"{rows} rows for {requests} requests (warm-up included)")));
            return figures;
        }
        finally
        {
            TryDelete(work);
        }
    }

    /// <summary>
    /// Starts an agent writing its decision log (tiny model, policy local, <see cref="DecisionLogBenchmarkSettings.FlushInterval"/>),
    /// drives it with <see cref="DecisionLogBenchmarkSettings.Clients"/> closed-loop clients for
    /// <see cref="DecisionLogBenchmarkSettings.LoadBeforeKill"/>, kills it with <c>kill -9</c> under
    /// that load and inspects the file. <paramref name="directory"/> keeps the database (null: a
    /// temporary directory, deleted afterwards).
    /// </summary>
    public async Task<DecisionLogKillResult> RunKillAsync(string? directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var work = directory ?? Directory.CreateTempSubdirectory("edgeagent-bench-dlog-kill-").FullName;
        Directory.CreateDirectory(work);
        try
        {
            var repository = TinyModel.WriteRepository(Path.Combine(work, "models"));
            var path = Path.Combine(work, "decisions.db");
            progress(string.Create(CultureInfo.InvariantCulture, $"starting an agent writing {path} (flush interval {settings.FlushInterval.TotalMilliseconds:0} ms) ..."));
            DecisionLogKillResult result;
            await using (var agent = await NodeProcess.StartAsync(settings.CliCommand.Executable, settings.CliCommand.Arguments,
                ["agent", "--models", repository, "--policy", "local", "--decision-log", path],
                new Dictionary<string, string>
                {
                    ["EDGEAGENT_Execution__IntraOpThreads"] = "1",
                    ["EDGEAGENT_DecisionLog__FlushInterval"] = settings.FlushInterval.ToString("c", CultureInfo.InvariantCulture),
                    ["Logging__LogLevel__Default"] = "Warning",
                },
                TimeSpan.FromSeconds(60),
                cancellationToken).ConfigureAwait(false))
            {
                using var channel = DemoCluster.Channel(agent.Address);
                var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
                var request = OipModelRunner.BuildRequest(TinyModel.Name, "x", new OcrTensor(new float[TinyModel.Elements], [1, TinyModel.Elements]));
                await client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);

                progress(string.Create(CultureInfo.InvariantCulture, $"{settings.Clients} clients in closed loops for {settings.LoadBeforeKill.TotalSeconds:0.#} s, then kill -9 ..."));
                var acks = new List<long>[settings.Clients];
                var sent = new int[settings.Clients];
                using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var started = Stopwatch.GetTimestamp();
                var clients = Enumerable.Range(0, settings.Clients).Select(c => Task.Run(async () =>
                {
                    acks[c] = new List<long>(4096);
                    while (!stop.IsCancellationRequested)
                    {
                        sent[c]++;
                        try
                        {
                            await client.ModelInferAsync(request, cancellationToken: stop.Token).ResponseAsync.ConfigureAwait(false);
                            acks[c].Add(Stopwatch.GetTimestamp());
                        }
                        catch (RpcException)
                        {
                            return;
                        }
                    }
                }, CancellationToken.None)).ToArray();
                await Task.Delay(settings.LoadBeforeKill, cancellationToken).ConfigureAwait(false);
                var killedAt = Stopwatch.GetTimestamp();
                await agent.KillAsync(cancellationToken).ConfigureAwait(false);
                await stop.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(clients).ConfigureAwait(false);
                var loadSeconds = Stopwatch.GetElapsedTime(started, killedAt).TotalSeconds;

                var cutoff = killedAt - (long)(settings.FlushInterval.TotalSeconds * Stopwatch.Frequency);
                var all = acks.SelectMany(a => a).Where(t => t <= killedAt).ToArray();
                // +1: the warm-up request before the load is acknowledged and logged too.
                var acknowledged = all.Length + 1;
                var beforeCutoff = all.Count(t => t < cutoff) + 1;
                var (integrity, rows) = Inspect(path);
                result = new DecisionLogKillResult(sent.Sum() + 1, acknowledged, beforeCutoff, rows, integrity, Reopen(path), settings.FlushInterval, loadSeconds, path);
            }

            return result;
        }
        finally
        {
            if (directory is null)
            {
                TryDelete(work);
            }
        }
    }

    // PRAGMA integrity_check and the row count, on a plain connection (as the sqlite3 tool would open it).
    private static (string Integrity, long Rows) Inspect(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check;";
        var lines = new List<string>();
        using (var reader = check.ExecuteReader())
        {
            while (reader.Read())
            {
                lines.Add(reader.GetString(0));
            }
        }

        using var count = connection.CreateCommand();
        count.CommandText = "SELECT count(*) FROM decisions;";
        return (string.Join("; ", lines), (long)count.ExecuteScalar()!);
    }

    // The agent's own opening checks (application id, schema version, quick_check) accept the file.
    private static string? Reopen(string path)
    {
        try
        {
            using (DecisionDatabase.OpenForReading(path))
            {
            }

            using (DecisionDatabase.OpenForWriting(path))
            {
            }

            return null;
        }
        catch (DecisionDatabaseException ex)
        {
            return ex.Message;
        }
    }

    private static async Task<long> WaitForRowsAsync(string path, long expected, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        long rows = 0;
        while (Stopwatch.GetElapsedTime(started) < timeout)
        {
            if (File.Exists(path))
            {
                try
                {
                    using var db = DecisionDatabase.OpenForReading(path);
                    rows = db.Count();
                }
                catch (Exception ex) when (ex is DecisionDatabaseException or SqliteException)
                {
                    // Being created; try again.
                }

                if (rows >= expected)
                {
                    break;
                }
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }

        return rows;
    }

    private static (string Repository, List<(string Name, OcrTensor Tensor)> Models) WriteRepository(string work, string modelsPath)
    {
        var repository = TinyModel.WriteRepository(Path.Combine(work, "models"));
        var models = new List<(string Name, OcrTensor Tensor)> { (TinyModel.Name, new OcrTensor(new float[TinyModel.Elements], [1, TinyModel.Elements])) };
        if (PaddleOcrModels.ArePresent(modelsPath))
        {
            var target = Path.Combine(repository, PaddleOcrModels.Classification, "1");
            Directory.CreateDirectory(target);
            File.Copy(PaddleOcrModels.ClassificationModelPath(modelsPath), Path.Combine(target, "model.onnx"));
            models.Add((PaddleOcrModels.Classification, new OcrTensor(new float[3 * 48 * 192], [1, 3, 48, 192])));
        }

        return (repository, models);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // A temporary folder; leave it.
        }
    }
}
