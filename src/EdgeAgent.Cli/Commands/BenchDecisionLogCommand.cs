using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;
using Spectre.Console;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench decision-log`: the durable decision log's per-request cost (on vs off) and its state after kill -9 under load.</summary>
internal static class BenchDecisionLogCommand
{
    public static Command Create()
    {
        var iterations = new Option<int>("--iterations") { Description = "Measured requests per model and setting (overhead).", DefaultValueFactory = _ => 2000 };
        var models = new Option<string?>("--models") { Description = "Repository with the PaddleOCR models; ocr-cls is measured too when it is there (default: the models cache)." };
        var clients = new Option<int>("--clients") { Description = "Concurrent closed-loop clients driving the agent that is killed.", DefaultValueFactory = _ => 8 };
        var load = new Option<string>("--load") { Description = "How long the load runs before kill -9 (e.g. 8s).", DefaultValueFactory = _ => "8s" };
        var flush = new Option<int>("--flush-ms") { Description = "DecisionLog:FlushInterval of the killed agent in milliseconds (the durability bound checked).", DefaultValueFactory = _ => 200 };
        var keep = new Option<string?>("--keep") { Description = "Directory to keep the killed agent's decisions.db in (for sqlite3); default: a temporary directory, deleted." };
        var perSide = new Option<int>("--per-side") { Description = "Agent processes with the log on and as many with it off (overhead; 2 to 4: each side's first two are a noise pair).", DefaultValueFactory = _ => 2 };
        var only = new Option<string?>("--only") { Description = "Run one part: overhead or kill." };
        only.AcceptOnlyFromAmong("overhead", "kill");
        var command = new Command("decision-log",
            "The durable decision log (issue 15): per-request cost, agent processes writing their log against as many with --decision-log off (two of each by default; each side's two are a noise pair), warmed up until their JIT is quiet, requests interleaved (p50 and CPU per request ratios of the pooled sides, target <= 1.05; tiny model and ocr-cls when present); then an agent writing its log killed with kill -9 under load: PRAGMA integrity_check, the agent's own opening checks, and every request acknowledged more than one flush interval before the kill in the file.");
        foreach (var option in new Option[] { iterations, models, clients, load, flush, keep, perSide, only })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var count = parseResult.GetValue(iterations);
            if (count < 10)
            {
                await error.WriteLineAsync($"edgeagent bench decision-log: --iterations must be at least 10; got {count}.");
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

            if (parseResult.GetValue(perSide) is var sides && (sides < 2 || sides > 4))
            {
                await error.WriteLineAsync($"edgeagent bench decision-log: --per-side must be between 2 and 4; got {sides}.");
                return 2;
            }

            if (BenchCommand.SelfCommand() is not { } cli)
            {
                await error.WriteLineAsync("edgeagent bench decision-log: cannot tell how this edgeagent was started, so it cannot start agent processes.");
                return 1;
            }

            var settings = new DecisionLogBenchmarkSettings
            {
                Iterations = count,
                CliCommand = cli,
                Clients = n,
                AgentsPerSide = sides,
                LoadBeforeKill = loadFor,
                FlushInterval = TimeSpan.FromMilliseconds(ms),
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
}
