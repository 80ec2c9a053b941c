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
    /// <summary>Rounds per model (overhead part): each holds four blocks with the log on and four with it off, in the order <see cref="DecisionLogBenchmark.RoundOrder"/>.</summary>
    public int Rounds { get; init; } = 12;

    /// <summary>How long a block's requests take (overhead part): its request count is this times the rate seen in the warm-up.</summary>
    public TimeSpan BlockTime { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Wait after the agent's configuration file is rewritten before a block starts (its reload is delayed 250 ms).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromMilliseconds(600);

    /// <summary>Shortest warm-up per model (overhead part); blocks alternate on and off until then and until the agent's JIT is quiet.</summary>
    public TimeSpan WarmupTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest warm-up per model (overhead part): measuring starts then even if the JIT is still tiering code up.</summary>
    public TimeSpan WarmupLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Also measure the tiny model paced to ocr-cls's request rate (a pause after each request), to tell the log's cost per row from its cost per batch.</summary>
    public bool PacedTiny { get; init; }

    /// <summary>Repository with the PaddleOCR models; when ocr-cls is there its path is measured too.</summary>
    public string ModelsPath { get; init; } = CacheDirectories.Models();

    /// <summary>Concurrent closed-loop clients driving the agent before it is killed.</summary>
    public int Clients { get; init; } = 8;

    /// <summary>How long the load runs before the agent is killed.</summary>
    public TimeSpan LoadBeforeKill { get; init; } = TimeSpan.FromSeconds(8);

    /// <summary>DecisionLog:FlushInterval of the killed agent (the durability bound checked).</summary>
    public TimeSpan FlushInterval { get; init; } = new DecisionLogOptions().FlushInterval;

    /// <summary>Requests in flight at once in a block (closed loop): 1 sends them one after another.</summary>
    public int Concurrency { get; init; } = 1;

    /// <summary>When set, the overhead part's agent runs under <c>taskset -c</c> with this CPU list (its threads stay on those CPUs).</summary>
    public string? AgentCpus { get; init; }

    /// <summary>Environment variables added to the overhead part's agent (for example a runtime setting).</summary>
    public IReadOnlyDictionary<string, string> AgentEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>When set, every measured block (model, round, setting, requests, times, CPU per agent thread name) is written to this CSV file, for analysis of the noise.</summary>
    public string? BlocksCsvPath { get; init; }

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
/// Issue 15's decision-log targets, with real agent processes. Overhead: one `edgeagent agent`
/// process (policy local, tiny model and ocr-cls when present) whose log is switched on and off
/// while it runs, through a reload of DecisionLog:Enabled in its appsettings.json, in many short
/// blocks of requests: each round holds four blocks with the log on and four with it off in the
/// order on off off on off on on off (<see cref="RoundOrder"/>), so JIT state, memory layout, CPU
/// frequency and a neighbour's drift are shared by both settings, and a drift that is linear within
/// a round cancels in the on / off comparison and in the placebo control. Figures: CPU per request on / off (every thread's run time from schedstat over
/// each block, the writer's last batch included) and p50 on / off, with bootstrap intervals over
/// rounds, the placebo control of the same shape (<see cref="BlockComparison.Placebo"/>: what the
/// benchmark resolves) and the A/A controls (on / on and off / off blocks of the same rounds,
/// measured the same way); target &lt;= 1.05. Kill: one agent writing its log, driven by closed-loop clients, killed
/// with SIGKILL; then the database must pass <c>PRAGMA integrity_check</c>, open with the agent's
/// own checks, and hold at least every request acknowledged more than one flush interval before
/// the kill.
/// </summary>
public sealed class DecisionLogBenchmark(DecisionLogBenchmarkSettings settings, Action<string> progress)
{
    /// <summary>
    /// The settings of a round's blocks (true: log on), the same in every round: on off off on off on
    /// on off. Both settings' blocks average position 4.5 of 1-8, so a linear drift within the round
    /// cancels in on / off; so it does in the placebo (<see cref="BlockComparison.Placebo"/>: each
    /// setting's 1st and 4th block, at 1, 7 and 2, 8, against its 2nd and 3rd, at 4, 6 and 3, 5), and
    /// each setting has one block that follows a block of the same setting (3 and 7) and three that
    /// follow a switch, the round's first block following the previous round's last ("off").
    /// </summary>
    public static IReadOnlyList<bool> RoundOrder { get; } = [true, false, false, true, false, true, true, false];

    private const string PausedLine = "Decision log paused";
    private const string ResumedLine = "Decision log resumed";

    /// <summary>
    /// The overhead figures (log on / off per model, in one agent process): the agent starts with
    /// its configuration in a temporary content root (<c>DOTNET_CONTENTROOT</c>) and its log in a
    /// temporary directory; before every block the bench rewrites appsettings.json (atomically, with
    /// DecisionLog:Enabled for the block, also when unchanged, so every block follows a reload),
    /// waits for the agent's "paused" / "resumed" line when the setting changed and
    /// <see cref="DecisionLogBenchmarkSettings.Settle"/> in any case; then sends the block's requests
    /// one after another and waits one flush interval, so the writer's last batch of an "on" block
    /// is inside it. Warm-up: blocks alternately on and off until <see cref="DecisionLogBenchmarkSettings.WarmupTime"/>
    /// has passed and the JIT's tier-up worker used at most 20 ms in the last 10 s (or
    /// <see cref="DecisionLogBenchmarkSettings.WarmupLimit"/>). Afterwards every "on" block's
    /// requests must be rows of the log and no "off" block may have written one.
    /// </summary>
    public async Task<IReadOnlyList<BenchmarkFigure>> RunOverheadAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var work = Directory.CreateTempSubdirectory("edgeagent-bench-dlog-").FullName;
        try
        {
            var (repository, models) = WriteRepository(work, settings.ModelsPath);
            var contentRoot = Directory.CreateDirectory(Path.Combine(work, "config")).FullName;
            var database = Path.Combine(work, "state", "decisions.db");
            var config = new AgentConfigFile(contentRoot);
            config.Write(enabled: true, block: 0);
            progress(string.Create(CultureInfo.InvariantCulture, $"starting one agent process (policy local, log {database}, configuration {config.Path}) ..."));
            var environment = new Dictionary<string, string>
            {
                ["EDGEAGENT_Execution__IntraOpThreads"] = "1",
                ["EDGEAGENT_DecisionLog__Path"] = database,
                ["EDGEAGENT_DecisionLog__FlushInterval"] = settings.FlushInterval.ToString("c", CultureInfo.InvariantCulture),
                ["DOTNET_CONTENTROOT"] = contentRoot,
            };
            foreach (var (key, value) in settings.AgentEnvironment)
            {
                environment[key] = value;
            }

            var (executable, leading) = settings.AgentCpus is { } cpus
                ? ("taskset", (IReadOnlyList<string>)["-c", cpus, settings.CliCommand.Executable, .. settings.CliCommand.Arguments])
                : (settings.CliCommand.Executable, settings.CliCommand.Arguments);
            await using var agent = await NodeProcess.StartAsync(executable, leading,
                ["agent", "--models", repository, "--policy", "local"], environment, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
            using var channel = DemoCluster.Channel(agent.Address);
            var run = new BlockRunner(agent, new GRPCInferenceService.GRPCInferenceServiceClient(channel), config, settings);
            var figures = new List<BenchmarkFigure>();
            var rates = new Dictionary<string, double>(StringComparer.Ordinal);
            var measured = new List<(string Name, IReadOnlyList<Block> Blocks)>();
            var plan = models.Select(m => (m.Name, Label: m.Name, m.Tensor, Paced: false)).ToList();
            if (settings.PacedTiny && models.Count > 1)
            {
                plan.Add((TinyModel.Name, TinyModel.Name + " paced to " + models[1].Name + "'s rate", models[0].Tensor, true));
            }

            foreach (var (name, label, tensor, paced) in plan)
            {
                var request = OipModelRunner.BuildRequest(name, "x", tensor);
                var gap = TimeSpan.Zero;
                if (paced)
                {
                    // The pause that brings the tiny model's request rate down to ocr-cls's.
                    gap = TimeSpan.FromSeconds(Math.Max(0.001, (1 / rates[models[1].Name]) - (1 / rates[name])));
                }

                progress(string.Create(CultureInfo.InvariantCulture, $"{label}: warming up (blocks alternately on and off, at least {settings.WarmupTime.TotalSeconds:0} s, then until the JIT is quiet, at most {settings.WarmupLimit.TotalSeconds:0} s) ..."));
                var (rate, took, quiet) = await run.WarmUpAsync(request, gap, cancellationToken).ConfigureAwait(false);
                if (!paced)
                {
                    rates[name] = rate;
                }

                var perBlock = (int)Math.Clamp(Math.Round(rate * settings.BlockTime.TotalSeconds), 20, 50_000);
                progress(string.Create(CultureInfo.InvariantCulture, $"{label}: warm after {took.TotalSeconds:0} s ({(quiet ? "JIT quiet" : "JIT still tiering up: warm-up limit")}), {rate:0} requests/s; {settings.Rounds} rounds of 8 blocks (on off off on off on on off) of {perBlock} requests ..."));
                var blocks = await run.MeasureAsync(request, perBlock, gap, cancellationToken).ConfigureAwait(false);
                measured.Add((label, blocks));
                if (settings.BlocksCsvPath is { } csv)
                {
                    WriteBlocks(csv, label, blocks);
                }

                figures.AddRange(Figures(label, blocks));
            }

            // Every "on" block's requests are rows; no "off" block wrote one (the switch took effect before each block).
            await Task.Delay(settings.FlushInterval * 2, cancellationToken).ConfigureAwait(false);
            var stamps = RowTimes(database);
            long missing = 0, extra = 0, onRequests = 0;
            foreach (var block in measured.SelectMany(m => m.Blocks))
            {
                var rows = CountBetween(stamps, block.Started, block.Ended);
                if (block.On)
                {
                    onRequests += block.Requests;
                    missing += Math.Max(0, block.Requests - rows);
                    extra += Math.Max(0, rows - block.Requests);
                }
                else
                {
                    extra += rows;
                }
            }

            progress(string.Create(CultureInfo.InvariantCulture, $"the log holds {stamps.Length} rows; measured blocks: {onRequests} requests with the log on, {missing} of them missing, {extra} rows where none was due"));
            figures.Add(new BenchmarkFigure("requests of 'on' blocks not in the log + rows during 'off' blocks", missing + extra, "", 0,
                string.Create(CultureInfo.InvariantCulture, $"{missing} missing of {onRequests}; {extra} unexpected rows ({stamps.Length} rows in all, warm-up included)")));
            return figures;
        }
        finally
        {
            TryDelete(work);
        }
    }

    private IEnumerable<BenchmarkFigure> Figures(string name, IReadOnlyList<Block> blocks)
    {
        var inv = CultureInfo.InvariantCulture;
        var perBlock = blocks[0].Requests;
        var rate = blocks.Sum(b => b.Requests) / blocks.Sum(b => b.RequestSeconds);
        // Rows per batch: the writer gathers for half a flush interval after the oldest queued record.
        var rowsPerBatch = Math.Max(1, rate * settings.FlushInterval.TotalSeconds / 2);
        foreach (var (label, value) in new (string, Func<Block, double>)[]
        {
            ("agent CPU per request", b => b.CpuNanoseconds),
            ("the same less the JIT's tier-up", b => b.CpuNanoseconds - b.TierUpNanoseconds),
        })
        {
            var measuredBlocks = blocks.Select(b => new MeasuredBlock(b.Round, b.On, b.Requests, value(b))).ToArray();
            var ab = BlockComparison.OnOverOff(measuredBlocks);
            var onOn = BlockComparison.SameSetting(measuredBlocks, on: true);
            var offOff = BlockComparison.SameSetting(measuredBlocks, on: false);
            var onUs = blocks.Where(b => b.On).Sum(value) / blocks.Where(b => b.On).Sum(b => b.Requests) / 1000;
            var offUs = blocks.Where(b => !b.On).Sum(value) / blocks.Where(b => !b.On).Sum(b => b.Requests) / 1000;
            var first = label == "agent CPU per request";
            yield return new BenchmarkFigure(
                first ? $"decision log on / off, {name}, {label}" : $"  {label}, {name}",
                ab.Ratio,
                "x",
                1.05,
                string.Create(inv, $"95 % {ab.Low:0.000}-{ab.High:0.000} ({ab.Pairs} rounds); on {onUs:0.0} us, off {offUs:0.0} us, {onUs - offUs:+0.0;-0.0;0} us per request (~{(onUs - offUs) * rowsPerBatch:0} us per batch of ~{rowsPerBatch:0} rows); A/A on / on {Aa(onOn)}, off / off {Aa(offOff)}")
                    + (first ? string.Create(inv, $"; {perBlock} requests per block, {rate:0} requests/s") : ""));
            if (first)
            {
                yield return new BenchmarkFigure($"  upper end of its 95 % interval, {name}", ab.High, "x", 1.05, "the log's cost is shown to be within the target only when this is");
                var placebo = BlockComparison.Placebo(measuredBlocks);
                var reach = Math.Max(placebo.High - 1, 1 - placebo.Low);
                var drift = BlockComparison.SecondHalf(measuredBlocks);
                yield return new BenchmarkFigure($"  placebo: how far its interval reaches from 1, {name}", reach, "x", 0.05,
                    string.Create(inv, $"placebo (in each round every setting's 1st + 4th blocks / its 2nd + 3rd: as many blocks of each setting per side as on / off, so the log cancels, and the same mean position in the round) {placebo.Ratio:0.000}, 95 % {placebo.Low:0.000}-{placebo.High:0.000} ({placebo.Pairs} rounds): the benchmark resolves 5 % when this is at most 0.05; drift within rounds (2nd half / 1st half, two blocks of each setting in each half; cancels in on / off and the placebo when linear) {drift.Ratio:0.000}, 95 % {drift.Low:0.000}-{drift.High:0.000}"));
            }
        }

        var p50 = blocks.Select(b => new MeasuredBlock(b.Round, b.On, b.Requests, b.P50Microseconds * b.Requests)).ToArray();
        var latency = BlockComparison.OnOverOff(p50);
        yield return new BenchmarkFigure(
            $"  p50 latency (mean of blocks' p50), {name}",
            latency.Ratio,
            "x",
            1.05,
            string.Create(inv, $"95 % {latency.Low:0.000}-{latency.High:0.000}; on {blocks.Where(b => b.On).Average(b => b.P50Microseconds):0} us, off {blocks.Where(b => !b.On).Average(b => b.P50Microseconds):0} us; A/A on / on {Aa(BlockComparison.SameSetting(p50, on: true))}, off / off {Aa(BlockComparison.SameSetting(p50, on: false))}"));
    }

    // One line per block and thread name: model, round, setting, requests, request seconds, window seconds, p50, thread name, CPU nanoseconds,
    // and the block's first request and its CPU reading as Unix seconds (to line blocks up with a profiler's samples).
    private static void WriteBlocks(string path, string label, IReadOnlyList<Block> blocks)
    {
        var inv = CultureInfo.InvariantCulture;
        var lines = new List<string>();
        if (!File.Exists(path))
        {
            lines.Add("model,index,round,on,requests,request_s,window_s,p50_us,thread,cpu_ns,started_unix_s,read_unix_s");
        }

        for (var i = 0; i < blocks.Count; i++)
        {
            var b = blocks[i];
            foreach (var (thread, ns) in b.Threads)
            {
                lines.Add(string.Create(inv, $"{label.Replace(',', ' ')},{i},{b.Round},{(b.On ? 1 : 0)},{b.Requests},{b.RequestSeconds:0.000000},{b.WindowSeconds:0.000000},{b.P50Microseconds:0.0},{thread.Replace(',', ' ')},{ns},{b.Started.ToUnixTimeMilliseconds() / 1000.0:0.000},{(b.Started.ToUnixTimeMilliseconds() / 1000.0) + b.WindowSeconds:0.000}"));
            }
        }

        File.AppendAllLines(path, lines);
    }

    private static string Aa(RatioInterval r) => string.Create(CultureInfo.InvariantCulture, $"{r.Ratio:0.000} ({r.Low:0.000}-{r.High:0.000})");

    /// <summary>One measured block: the setting, its requests, their wall-clock span and the agent's CPU over it.</summary>
    private sealed record Block(int Round, bool On, int Requests, DateTimeOffset Started, DateTimeOffset Ended, double RequestSeconds, long CpuNanoseconds, long TierUpNanoseconds, double P50Microseconds)
    {
        /// <summary>CPU nanoseconds per agent thread name over the block's window.</summary>
        public IReadOnlyDictionary<string, long> Threads { get; init; } = new Dictionary<string, long>();

        /// <summary>Seconds from the first request to the CPU reading after the block (the requests and one flush interval).</summary>
        public double WindowSeconds { get; init; }
    }

    /// <summary>The agent's appsettings.json: DecisionLog:Enabled and a block number, replaced atomically (write, then rename).</summary>
    private sealed class AgentConfigFile(string directory)
    {
        public string Path { get; } = System.IO.Path.Combine(directory, "appsettings.json");

        public void Write(bool enabled, int block)
        {
            var temporary = Path + ".new";
            File.WriteAllText(temporary, string.Create(CultureInfo.InvariantCulture,
                $"{{ \"DecisionLog\": {{ \"Enabled\": {(enabled ? "true" : "false")} }}, \"BenchDecisionLog\": {{ \"Block\": {block} }} }}\n"));
            File.Move(temporary, Path, overwrite: true);
        }
    }

    /// <summary>Switches the agent's log, runs blocks of requests and reads its CPU around them.</summary>
    private sealed class BlockRunner
    {
        private readonly NodeProcess _agent;
        private readonly GRPCInferenceService.GRPCInferenceServiceClient _client;
        private readonly AgentConfigFile _config;
        private readonly DecisionLogBenchmarkSettings _settings;
        private readonly ThreadCpu _cpu;
        private bool _on = true;
        private int _block;
        private TaskCompletionSource? _switched;
        private string? _awaited;

        public BlockRunner(NodeProcess agent, GRPCInferenceService.GRPCInferenceServiceClient client, AgentConfigFile config, DecisionLogBenchmarkSettings settings)
        {
            (_agent, _client, _config, _settings) = (agent, client, config, settings);
            _cpu = new ThreadCpu(agent.Id);
            _agent.OutputLine += line =>
            {
                if (Volatile.Read(ref _awaited) is { } awaited && line.Contains(awaited, StringComparison.Ordinal))
                {
                    Volatile.Read(ref _switched)?.TrySetResult();
                }
            };
        }

        // Blocks alternately on and off until the warm-up time has passed and the tier-up worker used
        // at most 20 ms (2 clock ticks) over the last 10 s (or the limit); the request rate of the last block.
        public async Task<(double Rate, TimeSpan Took, bool JitQuiet)> WarmUpAsync(ModelInferRequest request, TimeSpan gap, CancellationToken cancellationToken)
        {
            var started = Stopwatch.GetTimestamp();
            // The tier-up worker over the whole time (blocks and the pauses between them), in clock ticks.
            var jit = new JitActivity(_agent.Id);
            jit.Advance();
            var recent = new Queue<(long At, long Ticks)>();
            var perBlock = 100;
            double rate = 0;
            for (var i = 0; ; i++)
            {
                var block = await RunAsync(request, i % 2 == 0, -1, perBlock, gap, cancellationToken).ConfigureAwait(false);
                rate = block.Requests / block.RequestSeconds;
                perBlock = (int)Math.Clamp(Math.Round(rate * _settings.BlockTime.TotalSeconds), 20, 50_000);
                var now = Stopwatch.GetTimestamp();
                recent.Enqueue((now, jit.Advance()));
                while (Stopwatch.GetElapsedTime(recent.Peek().At, now) > TimeSpan.FromSeconds(10))
                {
                    recent.Dequeue();
                }

                var took = Stopwatch.GetElapsedTime(started);
                var quiet = took >= TimeSpan.FromSeconds(10) && recent.Sum(r => r.Ticks) <= 2;
                if (took >= _settings.WarmupTime && (quiet || took >= _settings.WarmupLimit))
                {
                    return (rate, took, quiet);
                }
            }
        }

        public async Task<IReadOnlyList<Block>> MeasureAsync(ModelInferRequest request, int perBlock, TimeSpan gap, CancellationToken cancellationToken)
        {
            var blocks = new List<Block>();
            for (var round = 0; round < _settings.Rounds; round++)
            {
                foreach (var on in RoundOrder)
                {
                    blocks.Add(await RunAsync(request, on, round, perBlock, gap, cancellationToken).ConfigureAwait(false));
                }
            }

            return blocks;
        }

        private async Task<Block> RunAsync(ModelInferRequest request, bool on, int round, int count, TimeSpan gap, CancellationToken cancellationToken)
        {
            await SwitchAsync(on, cancellationToken).ConfigureAwait(false);
            var latency = new double[count];
            _cpu.Advance();
            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.GetTimestamp();
            var next = -1;
            async Task LoopAsync()
            {
                for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                {
                    var sent = Stopwatch.GetTimestamp();
                    await _client.ModelInferAsync(request, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    latency[i] = Stopwatch.GetElapsedTime(sent).TotalMicroseconds;
                    if (gap > TimeSpan.Zero)
                    {
                        await Task.Delay(gap, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            await Task.WhenAll(Enumerable.Range(0, Math.Max(1, _settings.Concurrency)).Select(_ => LoopAsync())).ConfigureAwait(false);

            var requestSeconds = Stopwatch.GetElapsedTime(clock).TotalSeconds;
            var ended = DateTimeOffset.UtcNow;
            // The writer's last batch of an "on" block lands within one flush interval: counted in the block.
            await Task.Delay(_settings.FlushInterval, cancellationToken).ConfigureAwait(false);
            var used = _cpu.Advance();
            var window = Stopwatch.GetElapsedTime(clock).TotalSeconds;
            return new Block(round, on, count, started, ended, requestSeconds, used.Values.Sum(), used.GetValueOrDefault(ThreadCpu.TierUpWorker),
                Percentiles.Of(latency, 50))
            { Threads = used, WindowSeconds = window };
        }

        // Rewrites the configuration (also when the setting stays: every block follows a reload),
        // waits for the agent's line when the setting changes, and the settle time in any case.
        private async Task SwitchAsync(bool on, CancellationToken cancellationToken)
        {
            var changed = on != _on;
            var switched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _switched, switched);
            Volatile.Write(ref _awaited, changed ? (on ? ResumedLine : PausedLine) : null);
            _config.Write(on, ++_block);
            await Task.Delay(_settings.Settle, cancellationToken).ConfigureAwait(false);
            if (changed)
            {
                try
                {
                    await switched.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    throw new InvalidOperationException($"The agent did not log '{(on ? ResumedLine : PausedLine)}' within 10 s of its configuration being changed; is its content root {_config.Path}?");
                }
            }

            Volatile.Write(ref _awaited, null);
            _on = on;
        }
    }

    // The log's row times (microseconds since the Unix epoch), sorted.
    private static long[] RowTimes(string path)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT ts_us FROM decisions ORDER BY ts_us;";
        var times = new List<long>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            times.Add(reader.GetInt64(0));
        }

        return [.. times];
    }

    // Rows stamped within [from, to] (5 ms of slack each side; blocks are further apart than that).
    private static int CountBetween(long[] sorted, DateTimeOffset from, DateTimeOffset to)
    {
        static long Us(DateTimeOffset t) => (t - DateTimeOffset.UnixEpoch).Ticks / 10;
        var low = LowerBound(sorted, Us(from) - 5_000);
        var high = LowerBound(sorted, Us(to) + 5_000 + 1);
        return high - low;
    }

    private static int LowerBound(long[] sorted, long value)
    {
        var index = Array.BinarySearch(sorted, value);
        if (index < 0)
        {
            return ~index;
        }

        while (index > 0 && sorted[index - 1] == value)
        {
            index--;
        }

        return index;
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
