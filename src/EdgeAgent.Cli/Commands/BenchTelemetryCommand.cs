using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;
using Spectre.Console;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench telemetry`: per-request cost of telemetry (all exporters on) against the same path with it off.</summary>
internal static class BenchTelemetryCommand
{
    public static Command Create()
    {
        var iterations = new Option<int>("--iterations") { Description = "Measured requests per path and setting.", DefaultValueFactory = _ => 2000 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured rounds of every model on every pair before any is measured, 10 s at least, then more until no process's JIT is still tiering code up (at most --warmup-limit); CPU is counted over the measured requests only.", DefaultValueFactory = _ => 300 };
        var warmupLimit = new Option<int>("--warmup-limit") { Description = "Longest warm-up in seconds (10 to 3600): the measured rounds start then even if a process's JIT is still tiering code up (the pairs with OTLP export on compile the exporters' code for minutes).", DefaultValueFactory = _ => 150 };
        var blocks = new Option<int>("--blocks") { Description = "Consecutive blocks the measured requests of each model are split into; the CPU ratios are the median of the blocks' ratios (each block's are listed).", DefaultValueFactory = _ => 5 };
        var paths = new Option<string>("--paths") { Description = "Paths measured: local (the agent runs the request), offload (it offloads it to its peer) or both.", DefaultValueFactory = _ => "both" };
        var otlpProtocol = new Option<string>("--otlp-protocol") { Description = "OTLP transport of the pairs with export on: grpc (the default of --otlp-endpoint) or http/protobuf; the benchmark's sink answers both.", DefaultValueFactory = _ => "grpc" };
        var nodes = new Option<string?>("--nodes") { Description = "Run the agents and peers from this edgeagent build instead of this one: its edgeagent executable (e.g. a publish folder's, as an operator deploys it), its edgeagent.dll, or the folder holding them; the benchmark prints whether that build carries ReadyToRun code." };
        var models = new Option<string?>("--models") { Description = "Repository with the PaddleOCR models; ocr-cls is measured too when it is there (default: the models cache)." };
        var command = new Command("telemetry",
            "Per-request cost of telemetry: an agent process and a peer process with the Prometheus listener and OTLP export of every request's trace on (to a sink in this process), against a pair with everything off, requests interleaved; p50 ratios for the local and the offload path (tiny model, and ocr-cls when present). Target <= 1.05.");
        command.Options.Add(iterations);
        command.Options.Add(warmup);
        command.Options.Add(warmupLimit);
        command.Options.Add(blocks);
        command.Options.Add(paths);
        command.Options.Add(models);
        command.Options.Add(otlpProtocol);
        command.Options.Add(nodes);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var count = parseResult.GetValue(iterations);
            if (count < 10)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent bench telemetry: --iterations must be at least 10; got {count}.");
                return 2;
            }

            var blockCount = parseResult.GetValue(blocks);
            if (blockCount < 1 || blockCount > count)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent bench telemetry: --blocks must be between 1 and --iterations ({count}); got {blockCount}.");
                return 2;
            }

            var limit = parseResult.GetValue(warmupLimit);
            if (limit < 10 || limit > 3600)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent bench telemetry: --warmup-limit must be between 10 and 3600 seconds; got {limit}.");
                return 2;
            }

            if (BenchCommand.SelfCommand() is not { } cli)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("edgeagent bench telemetry: cannot tell how this edgeagent was started, so it cannot start agent and peer processes.");
                return 1;
            }

            if (parseResult.GetValue(nodes) is { Length: > 0 } build)
            {
                var nodePath = Path.GetFullPath(build);
                if (Directory.Exists(nodePath))
                {
                    nodePath = Path.Combine(nodePath, "edgeagent");
                }

                if (!File.Exists(nodePath))
                {
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent bench telemetry: --nodes: there is no file '{nodePath}'; give a build's edgeagent executable, its edgeagent.dll or their folder.");
                    return 2;
                }

                // A dll runs under the dotnet host this command runs under (or the one on PATH).
                cli = nodePath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                    ? (cli.Item2.Count > 0 ? cli.Item1 : "dotnet", [nodePath])
                    : (nodePath, []);
            }

            if (parseResult.GetValue(warmup) < 0)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("edgeagent bench telemetry: --warmup must be at least 0.");
                return 2;
            }

            string[]? measured = parseResult.GetValue(paths) switch
            {
                "both" => ["local", "offload"],
                "local" => ["local"],
                "offload" => ["offload"],
                _ => null,
            };
            if (measured is null)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent bench telemetry: --paths must be local, offload or both; got '{parseResult.GetValue(paths)}'.");
                return 2;
            }

            var protocol = parseResult.GetValue(otlpProtocol);
            if (protocol is not ("grpc" or "http/protobuf"))
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent bench telemetry: --otlp-protocol must be grpc or http/protobuf; got '{protocol}'.");
                return 2;
            }

            var settings = new TelemetryOverheadSettings { OtlpProtocol = protocol, Iterations = count, Warmup = parseResult.GetValue(warmup), WarmupLimit = TimeSpan.FromSeconds(limit), Blocks = blockCount, CliCommand = cli, Paths = measured };
            if (parseResult.GetValue(models) is { } path)
            {
                settings = settings with { ModelsPath = path };
            }

            var console = AnsiConsole.Console;
            var figures = await new TelemetryOverheadBenchmark(settings, line => console.MarkupLine("[grey]" + Markup.Escape(line) + "[/]")).RunAsync(cancellationToken);
            var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn(new TableColumn("target").RightAligned()).AddColumn("met").AddColumn("from");
            foreach (var figure in figures)
            {
                table.AddRow(
                    Markup.Escape(figure.Name),
                    figure.Value.ToString("0.000", CultureInfo.InvariantCulture) + " x",
                    "<= " + figure.Target.ToString("0.00", CultureInfo.InvariantCulture) + " x",
                    figure.Met ? "[green]yes[/]" : "[red]no[/]",
                    Markup.Escape(figure.Detail));
            }

            console.Write(table);
            return 0;
        });
        return command;
    }
}
