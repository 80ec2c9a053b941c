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

    /// <summary>Agent processes with the log on, and as many with it off (at least 2: each side's two give a noise pair).</summary>
    public int AgentsPerSide { get; init; } = 2;

    /// <summary>Unmeasured rounds per model before measuring (overhead part); then on, for at least <see cref="WarmupTime"/>, until the agents' JIT is quiet or <see cref="WarmupLimit"/>.</summary>
    public int Warmup { get; init; } = 1000;

    /// <summary>Shortest warm-up per model (overhead part).</summary>
    public TimeSpan WarmupTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest warm-up per model (overhead part): measuring starts then even if a JIT is still tiering code up.</summary>
    public TimeSpan WarmupLimit { get; init; } = TimeSpan.FromSeconds(60);

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
/// Issue 15's decision-log targets, with real agent processes. Overhead: `edgeagent agent`
/// processes serving the same repository with policy local, two (<see cref="DecisionLogBenchmarkSettings.AgentsPerSide"/>)
/// writing their logs to a temporary directory and as many with `--decision-log off` (each side's
/// first two are a noise pair), warmed up until their JIT is quiet, requests interleaved among them
/// (tiny model, and ocr-cls when present); figures p50 on / p50 off and CPU per request on / off
/// (each side pooled; target &lt;= 1.05). Kill: one agent writing its log,
/// driven by closed-loop clients, killed with SIGKILL; then the database must pass
/// <c>PRAGMA integrity_check</c>, open with the agent's own checks, and hold at least every request
/// acknowledged more than one flush interval before the kill.
/// </summary>
public sealed class DecisionLogBenchmark(DecisionLogBenchmarkSettings settings, Action<string> progress)
{
    /// <summary>
    /// The overhead figures (log on / off per model): agent processes started alternately with
    /// <c>--decision-log off</c> and writing their log, as many on each side (two identical processes
    /// differ too: each side's first two are a noise pair); every model warmed up on all of them
    /// until their JIT is quiet, then, after the warm-up's rows are written, requests interleaved in
    /// a new shuffled order each round. CPU per request is every thread's run time (schedstat), the
    /// writers' included, also without the JIT's tier-up thread.
    /// </summary>
    public async Task<IReadOnlyList<BenchmarkFigure>> RunOverheadAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var work = Directory.CreateTempSubdirectory("edgeagent-bench-dlog-").FullName;
        try
        {
            var (repository, models) = WriteRepository(work, settings.ModelsPath);
            var sides = Math.Max(2, settings.AgentsPerSide);
            var logDirs = Enumerable.Range(0, sides).Select(i => Path.Combine(work, $"state-{i}")).ToArray();
            progress(string.Create(CultureInfo.InvariantCulture, $"starting {2 * sides} agent processes (policy local), alternately with the log off and on (writing to {work}/state-N) ..."));
            var environment = new Dictionary<string, string> { ["EDGEAGENT_Execution__IntraOpThreads"] = "1" };
            // Off, on, off, on, ...: index 2i is off, 2i + 1 is on (logging to logDirs[i]).
            var agents = new List<NodeProcess>();
            await using var stopAgents = new AsyncDisposables(agents);
            for (var i = 0; i < sides; i++)
            {
                foreach (var log in new[] { "off", logDirs[i] })
                {
                    agents.Add(await NodeProcess.StartAsync(settings.CliCommand.Executable, settings.CliCommand.Arguments,
                        ["agent", "--models", repository, "--policy", "local", "--decision-log", log], environment, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false));
                }
            }

            var channels = agents.Select(a => DemoCluster.Channel(a.Address)).ToArray();
            try
            {
                var clients = channels.Select(c => new GRPCInferenceService.GRPCInferenceServiceClient(c)).ToArray();
                var figures = new List<BenchmarkFigure>();
                var requests = 0;
                foreach (var (name, tensor) in models)
                {
                    var request = OipModelRunner.BuildRequest(name, "x", tensor);
                    progress(string.Create(CultureInfo.InvariantCulture, $"{name}: warming the {agents.Count} agents up ({settings.Warmup} rounds, at least {settings.WarmupTime.TotalSeconds:0} s, then until their JIT is quiet, at most {settings.WarmupLimit.TotalSeconds:0} s) ..."));
                    var (rounds, took, quiet) = await WarmUpAsync([.. agents], clients, request, cancellationToken).ConfigureAwait(false);
                    progress(string.Create(CultureInfo.InvariantCulture, $"{name}: warm after {rounds} rounds, {took.TotalSeconds:0} s ({(quiet ? "JIT quiet" : "JIT still tiering up: warm-up limit")}); {settings.Iterations} interleaved requests each ..."));
                    var (latency, cpu) = await MeasureAsync([.. agents], clients, request, cancellationToken).ConfigureAwait(false);
                    requests += rounds + settings.Iterations;
                    figures.AddRange(Figures(name, latency, cpu));
                }

                // The logging agents must really have logged: every request they served is a row (after their flush).
                long missing = 0;
                var counts = new List<string>();
                foreach (var dir in logDirs)
                {
                    var rows = await WaitForRowsAsync(Path.Combine(dir, "decisions.db"), requests, settings.FlushInterval * 4 + TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
                    missing += Math.Max(0, requests - rows);
                    counts.Add(rows.ToString(CultureInfo.InvariantCulture));
                }

                progress(string.Create(CultureInfo.InvariantCulture, $"the logging agents wrote {string.Join(" / ", counts)} rows for {requests} requests each"));
                figures.Add(new BenchmarkFigure("requests served with the log on that are not in it", missing, "", 0,
                    string.Create(CultureInfo.InvariantCulture, $"{string.Join(" / ", counts)} rows for {requests} requests each (warm-up included)")));
                return figures;
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
            TryDelete(work);
        }
    }

    // Agents 2i are off, 2i + 1 on. Ratios pool each side (sum of CPU, p50 of all its samples): one
    // process's own spread (JIT and dynamic PGO choices, memory layout) then weighs less; the noise
    // pairs (the two first agents of a side against each other) show what that spread is.
    private IEnumerable<BenchmarkFigure> Figures(string name, double[][] latency, Dictionary<string, long>[] cpu)
    {
        var n = settings.Iterations;
        var off = Enumerable.Range(0, latency.Length).Where(k => k % 2 == 0).ToArray();
        var on = Enumerable.Range(0, latency.Length).Where(k => k % 2 == 1).ToArray();
        double Us(int k, bool tierUp) => cpu[k].Where(e => tierUp || e.Key != ThreadCpu.TierUpWorker).Sum(e => e.Value) / 1000.0 / n;
        double Side(int[] side, bool tierUp) => side.Average(k => Us(k, tierUp));
        double TierUp(int[] side) => side.Average(k => cpu[k].GetValueOrDefault(ThreadCpu.TierUpWorker) / 1000.0 / n);
        double P50(params int[] side) => Percentiles.Of([.. side.SelectMany(k => latency[k])], 50) * 1000;
        string Each(int[] side, bool tierUp) => string.Join(" / ", side.Select(k => Us(k, tierUp).ToString("0", CultureInfo.InvariantCulture)));
        var (p50On, p50Off) = (P50(on), P50(off));
        var (meanOn, meanOff) = (on.Average(k => latency[k].Average()) * 1000, off.Average(k => latency[k].Average()) * 1000);
        yield return new BenchmarkFigure(
            $"decision log on / off, local, {name}, p50",
            p50On / p50Off,
            "x",
            1.05,
            string.Create(CultureInfo.InvariantCulture, $"on p50 {p50On:0} us (mean {meanOn:0}, mean ratio {meanOn / meanOff:0.000}); off p50 {p50Off:0} us (mean {meanOff:0}); {on.Length} + {off.Length} agents, {n} interleaved samples each; noise pairs off / off {P50(off[1]) / P50(off[0]):0.000}, on / on {P50(on[1]) / P50(on[0]):0.000}"));
        foreach (var tierUp in new[] { true, false })
        {
            var (onUs, offUs) = (Side(on, tierUp), Side(off, tierUp));
            yield return new BenchmarkFigure(
                tierUp ? $"  agent CPU per request, log on / off, {name}" : $"  the same less the JIT's tier-up, {name}",
                onUs / offUs,
                "x",
                1.05,
                string.Create(CultureInfo.InvariantCulture, $"on {onUs:0} us ({Each(on, tierUp)}), off {offUs:0} us ({Each(off, tierUp)}), {onUs - offUs:+0;-0;0} us of every thread's run time per request (the on agents' writers included, {settings.FlushInterval.TotalMilliseconds * 2:0} ms after the last); noise pairs off / off {Us(off[1], tierUp) / Us(off[0], tierUp):0.000}, on / on {Us(on[1], tierUp) / Us(on[0], tierUp):0.000}")
                    + (tierUp ? "" : string.Create(CultureInfo.InvariantCulture, $"; tier-up {TierUp(on):0.0} / {TierUp(off):0.0} us per request (on / off)")));
        }
    }

    // Rounds of one request to each agent until Warmup rounds and WarmupTime have passed and every
    // agent's tier-up worker used at most 20 ms in each of two 5 s windows in a row, or WarmupLimit.
    private async Task<(int Rounds, TimeSpan Took, bool JitQuiet)> WarmUpAsync(NodeProcess[] agents, GRPCInferenceService.GRPCInferenceServiceClient[] clients, ModelInferRequest request, CancellationToken cancellationToken)
    {
        var jit = agents.Select(a => new JitActivity(a.Id)).ToArray();
        foreach (var j in jit)
        {
            j.Advance();
        }

        var started = Stopwatch.GetTimestamp();
        var (windowStarted, sampled) = (started, started);
        var windowTicks = new long[jit.Length];
        var quietWindows = 0;
        for (var round = 1; ; round++)
        {
            foreach (var client in clients)
            {
                await client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
            }

            if (Stopwatch.GetElapsedTime(sampled) >= TimeSpan.FromSeconds(1))
            {
                sampled = Stopwatch.GetTimestamp();
                for (var i = 0; i < jit.Length; i++)
                {
                    windowTicks[i] += jit[i].Advance();
                }
            }

            if (Stopwatch.GetElapsedTime(windowStarted) >= TimeSpan.FromSeconds(5))
            {
                quietWindows = windowTicks.Max() <= 2 ? quietWindows + 1 : 0;
                Array.Clear(windowTicks);
                windowStarted = Stopwatch.GetTimestamp();
            }

            var took = Stopwatch.GetElapsedTime(started);
            if (round >= settings.Warmup && took >= settings.WarmupTime && (quietWindows >= 2 || took >= settings.WarmupLimit))
            {
                return (round, took, quietWindows >= 2);
            }
        }
    }

    // Iterations rounds, one request to each agent per round in a new seeded shuffled order; latency
    // per agent (ms) and each agent's CPU by thread name (ns) over the rounds and two flush intervals after.
    private async Task<(double[][] Latency, Dictionary<string, long>[] Cpu)> MeasureAsync(NodeProcess[] agents, GRPCInferenceService.GRPCInferenceServiceClient[] clients, ModelInferRequest request, CancellationToken cancellationToken)
    {
        var threads = agents.Select(a => new ThreadCpu(a.Id)).ToArray();
        var cpu = agents.Select(_ => new Dictionary<string, long>(StringComparer.Ordinal)).ToArray();
        void Read()
        {
            for (var k = 0; k < threads.Length; k++)
            {
                foreach (var (thread, ns) in threads[k].Advance())
                {
                    cpu[k][thread] = cpu[k].GetValueOrDefault(thread) + ns;
                }
            }
        }

        // The warm-up's last rows are written up to one flush interval after it: not counted.
        await Task.Delay(settings.FlushInterval * 2, cancellationToken).ConfigureAwait(false);
        foreach (var t in threads)
        {
            t.Advance();
        }

        var latency = agents.Select(_ => new double[settings.Iterations]).ToArray();
        var order = Enumerable.Range(0, agents.Length).ToArray();
        var random = new Random(15);
        var read = Stopwatch.GetTimestamp();
        for (var i = 0; i < settings.Iterations; i++)
        {
            random.Shuffle(order);
            foreach (var k in order)
            {
                var started = Stopwatch.GetTimestamp();
                await clients[k].ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                latency[k][i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }

            // Threads are read at least every second: an idle worker exits and takes its counts with it.
            if (Stopwatch.GetElapsedTime(read) >= TimeSpan.FromSeconds(1))
            {
                read = Stopwatch.GetTimestamp();
                Read();
            }
        }

        // The writer's work for the last requests lands up to one flush interval after them: counted too.
        await Task.Delay(settings.FlushInterval * 2, cancellationToken).ConfigureAwait(false);
        Read();
        return (latency, cpu);
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

/// <summary>Disposes the agents started so far, last first (also when a later one fails to start).</summary>
internal sealed class AsyncDisposables(List<NodeProcess> items) : IAsyncDisposable
{
    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        for (var i = items.Count - 1; i >= 0; i--)
        {
            await items[i].DisposeAsync();
        }
    }
}
