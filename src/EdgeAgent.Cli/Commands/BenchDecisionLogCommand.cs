using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;
using EdgeAgent.Node.Serving;
using Spectre.Console;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench decision-log`: the durable decision log's per-request cost (on vs off) and its state after kill -9 under load.</summary>
internal static class BenchDecisionLogCommand
{
    public static Command Create()
    {
        var rounds = new Option<int>("--rounds") { Description = "Rounds per model (overhead): each holds eight blocks in the order on off off on off on on off (log on / off), in one agent process.", DefaultValueFactory = _ => 12 };
        var blockMs = new Option<int>("--block-ms") { Description = "How long a block's requests take, in milliseconds (overhead): requests per block = this times the rate seen in the warm-up.", DefaultValueFactory = _ => 500 };
        var paced = new Option<bool>("--paced") { Description = "Also measure the tiny model paced to ocr-cls's request rate (overhead): tells the log's cost per row from its cost per batch." };
        var models = new Option<string?>("--models") { Description = "Repository with the PaddleOCR models; ocr-cls is measured too when it is there (default: the models cache)." };
        var clients = new Option<int>("--clients") { Description = "Concurrent closed-loop clients driving the agent that is killed.", DefaultValueFactory = _ => 8 };
        var load = new Option<string>("--load") { Description = "How long the load runs before kill -9 (e.g. 8s).", DefaultValueFactory = _ => "8s" };
        var flush = new Option<int>("--flush-ms") { Description = "DecisionLog:FlushInterval of the killed agent in milliseconds (the durability bound checked).", DefaultValueFactory = _ => 200 };
        var keep = new Option<string?>("--keep") { Description = "Directory to keep the killed agent's decisions.db in (for sqlite3); default: a temporary directory, deleted." };
        var blocksCsv = new Option<string?>("--blocks-csv") { Description = "Write every measured block (model, round, setting, requests, times, CPU per agent thread name) to this CSV file (overhead)." };
        var concurrency = new Option<int>("--concurrency") { Description = "Requests in flight at once in a block (overhead; closed loop): 1 sends them one after another.", DefaultValueFactory = _ => 1 };
        var agentCpus = new Option<string?>("--agent-cpus") { Description = "Run the overhead part's agent under taskset -c with this CPU list (e.g. 1, or 0-1,3)." };
        agentCpus.Validators.Add(result =>
        {
            if (OptionRange.TryGetValue(result, agentCpus, out var list) && list is not null && CpuListError(list) is { } problem)
            {
                result.AddError($"--agent-cpus is '{WireText.Printable(list)}': {problem}.");
            }
        });
        var agentEnv = new Option<string[]>("--agent-env") { Description = "KEY=VALUE environment variable for the overhead part's agent (repeatable), e.g. a runtime setting.", AllowMultipleArgumentsPerToken = false };
        var settle = new Option<int>("--settle-ms") { Description = "Wait after the agent's configuration file is rewritten before a block starts, in milliseconds (overhead; its reload comes 250 ms after the change).", DefaultValueFactory = _ => 600 };
        var only = new Option<string?>("--only") { Description = "Run one part: overhead or kill." };
        only.AcceptOnlyFromAmong("overhead", "kill");
        var command = new Command("decision-log",
            "The durable decision log (issue 15): per-request cost, one agent process whose log is switched on and off by reloads of its appsettings.json (DecisionLog:Enabled), in rounds of eight blocks of requests in the order on off off on off on on off (a drift linear within a round cancels) after a warm-up until its JIT is quiet: CPU per request and p50 on / off with 95 % bootstrap intervals over rounds, a placebo control of the same shape (each setting's 1st + 4th blocks against its 2nd + 3rd: resolves 5 % when it reaches at most 0.05 from 1), the drift within rounds and the A/A controls on / on and off / off (target <= 1.05; tiny model and ocr-cls when present); then an agent writing its log killed with kill -9 under load: PRAGMA integrity_check, the agent's own opening checks, and every request acknowledged more than one flush interval before the kill in the file.");
        foreach (var option in new Option[] { rounds, blockMs, paced, models, clients, load, flush, keep, blocksCsv, concurrency, agentCpus, agentEnv, settle, only })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var count = parseResult.GetValue(rounds);
            if (count < 2 || count > 1000)
            {
                await error.WriteLineAsync($"edgeagent bench decision-log: --rounds must be between 2 and 1000; got {count}.");
                return 2;
            }

            if (parseResult.GetValue(blockMs) is var block && (block < 50 || block > 60_000))
            {
                await error.WriteLineAsync($"edgeagent bench decision-log: --block-ms must be between 50 and 60000; got {block}.");
                return 2;
            }

            if (parseResult.GetValue(clients) is var n && (n < 1 || n > 256))
            {
                await error.WriteLineAsync($"edgeagent bench decision-log: --clients must be between 1 and 256; got {n}.");
                return 2;
            }

            if (!DurationArgument.TryParse(parseResult.GetValue(load) ?? "", out var loadFor) || loadFor < TimeSpan.FromSeconds(1) || loadFor > TimeSpan.FromHours(1))
            {
                await error.WriteLineAsync($"edgeagent bench decision-log: --load must be a duration between 1s and 1h (e.g. 8s); got '{parseResult.GetValue(load)}'.");
                return 2;
            }

            if (parseResult.GetValue(flush) is var ms && (ms < 1 || ms > 60_000))
            {
                await error.WriteLineAsync($"edgeagent bench decision-log: --flush-ms must be between 1 and 60000; got {ms}.");
                return 2;
            }

            if (BenchCommand.SelfCommand() is not { } cli)
            {
                await error.WriteLineAsync("edgeagent bench decision-log: cannot tell how this edgeagent was started, so it cannot start agent processes.");
                return 1;
            }

            var settings = new DecisionLogBenchmarkSettings
            {
                Rounds = count,
                BlockTime = TimeSpan.FromMilliseconds(block),
                PacedTiny = parseResult.GetValue(paced),
                CliCommand = cli,
                Clients = n,
                LoadBeforeKill = loadFor,
                FlushInterval = TimeSpan.FromMilliseconds(ms),
                BlocksCsvPath = parseResult.GetValue(blocksCsv),
                Concurrency = Math.Clamp(parseResult.GetValue(concurrency), 1, 256),
                AgentCpus = parseResult.GetValue(agentCpus),
                Settle = TimeSpan.FromMilliseconds(Math.Clamp(parseResult.GetValue(settle), 300, 10_000)),
                AgentEnvironment = (parseResult.GetValue(agentEnv) ?? []).Select(e => e.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal),
            };
            if (parseResult.GetValue(models) is { } path)
            {
                settings = settings with { ModelsPath = path };
            }

            var console = AnsiConsole.Console;
            var benchmark = new DecisionLogBenchmark(settings, line => console.MarkupLine("[grey]" + Markup.Escape(line) + "[/]"));
            var part = parseResult.GetValue(only);
            var ok = true;
            if (part is null or "overhead")
            {
                var figures = await benchmark.RunOverheadAsync(cancellationToken);
                var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn(new TableColumn("target").RightAligned()).AddColumn("met").AddColumn("from");
                foreach (var figure in figures)
                {
                    var format = figure.Unit == "x" ? "0.000" : "0";
                    table.AddRow(
                        Markup.Escape(figure.Name),
                        (figure.Value.ToString(format, CultureInfo.InvariantCulture) + " " + figure.Unit).Trim(),
                        ("<= " + figure.Target.ToString(figure.Unit == "x" ? "0.00" : "0", CultureInfo.InvariantCulture) + " " + figure.Unit).Trim(),
                        figure.Met ? "[green]yes[/]" : "[red]no[/]",
                        Markup.Escape(figure.Detail));
                }

                console.Write(table);
                if (Console.IsOutputRedirected)
                {
                    // A file gets every figure on one line too (the table wraps its columns at the console's default width).
                    foreach (var figure in figures)
                    {
                        await parseResult.InvocationConfiguration.Output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"figure | {figure.Name.Trim()} | {figure.Value.ToString(figure.Unit == "x" ? "0.000" : "0", CultureInfo.InvariantCulture)} {figure.Unit} | {(figure.Met ? "met" : "not met")} | {figure.Detail}"));
                    }
                }

                ok = figures.All(f => f.Met);
            }

            if (part is null or "kill")
            {
                var r = await benchmark.RunKillAsync(parseResult.GetValue(keep), cancellationToken);
                var inv = CultureInfo.InvariantCulture;
                console.WriteLine(string.Create(inv, $"kill -9 after {r.LoadSeconds:0.0} s of load ({settings.Clients} clients): {r.Sent} requests sent, {r.Acknowledged} acknowledged, {r.AcknowledgedBeforeCutoff} more than {r.FlushInterval.TotalMilliseconds:0} ms before the kill"));
                console.WriteLine(string.Create(inv, $"database {r.DatabasePath}: integrity_check {r.IntegrityCheck}; {(r.ReopenedBy is null ? "opens for reading and writing" : "refused: " + r.ReopenedBy)}; {r.Rows} rows ({r.Rows - r.AcknowledgedBeforeCutoff:+0;-0;0} against the acknowledged-before-cut-off count, {r.Rows - r.Acknowledged:+0;-0;0} against all acknowledged)"));
                console.MarkupLine(r.Holds
                    ? "[green]target met[/]: the file is intact and holds every request acknowledged more than one flush interval before the kill"
                    : string.Create(inv, $"[red]target not met[/]: {(r.IntegrityCheck != "ok" ? "integrity_check failed; " : "")}{(r.ReopenedBy is not null ? "the agent refuses the file; " : "")}{r.MissingBeforeCutoff} acknowledged-before-cut-off requests missing"));
                ok &= r.Holds;
            }

            return ok ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// Why <paramref name="list"/> is not a CPU list taskset -c takes on this machine (numbers and
    /// ranges separated by commas, each CPU below the processor count), or null when it is: a bad
    /// list used to surface only as the agent process failing to start.
    /// </summary>
    internal static string? CpuListError(string list)
    {
        var count = Environment.ProcessorCount;
        foreach (var part in list.Split(','))
        {
            var ends = part.Split('-');
            if (ends.Length > 2 || ends.Any(e => e.Length == 0 || !e.All(char.IsAsciiDigit)))
            {
                return "give CPU numbers and ranges separated by commas, e.g. 1 or 0-1,3";
            }

            if (!int.TryParse(ends[0], CultureInfo.InvariantCulture, out var first)
                || !int.TryParse(ends[^1], CultureInfo.InvariantCulture, out var last)
                || last < first)
            {
                return $"'{part}' is not a CPU number or a range from a lower to a higher CPU";
            }

            if (last >= count)
            {
                return $"CPU {last} does not exist here (CPUs 0-{count - 1})";
            }
        }

        return null;
    }
}
