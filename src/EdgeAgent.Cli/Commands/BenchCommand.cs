using System.CommandLine;
using System.Globalization;
using System.Reflection;
using EdgeAgent.Demo.Benchmarks;
using EdgeAgent.Demo.ModelFetch;
using Spectre.Console;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// `edgeagent bench`: what the agent adds over the work itself, against baselines measured in the
/// same run; `edgeagent bench policy` and other subcommands measure other parts.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        // Defaults are read when an option's value is needed, not while the command tree is built, so
        // `edgeagent agent` and `edgeagent peer` never load the demo assembly.
        static OverheadBenchmarkSettings Defaults() => new();

        var models = new Option<string>("--models")
        {
            Description = "Model repository holding the PaddleOCR models (`edgeagent models fetch paddleocr`).",
            DefaultValueFactory = _ => Defaults().ModelsPath,
        };
        models.MustNotBeEmpty();
        var iterations = new Option<int>("--iterations")
        {
            Description = "Measured iterations per operation on the detection model.",
            DefaultValueFactory = _ => Defaults().DetectionIterations,
        };
        var warmup = new Option<int>("--warmup")
        {
            Description = "Unmeasured iterations per operation on the detection model first (the JIT tiers the request path up during the first tens of requests).",
            DefaultValueFactory = _ => Defaults().DetectionWarmup,
        };
        var tinyIterations = new Option<int>("--tiny-iterations")
        {
            Description = "Measured iterations per operation on the tiny model.",
            DefaultValueFactory = _ => Defaults().TinyIterations,
        };
        var threads = new Option<int>("--threads")
        {
            Description = "ONNX Runtime intra-op threads for every session, baseline included (0: ONNX Runtime decides).",
            DefaultValueFactory = _ => Defaults().IntraOpThreads,
        };
        var noMemory = new Option<bool>("--no-memory") { Description = "Skip the resident-memory figures (they start separate agent processes)." };

        var command = new Command("bench", "Benchmarks, each against a baseline measured in the same run. Without a subcommand: the agent's overhead (local path, offload path, the offload hop over mutual TLS against plaintext, per-request overhead, resident memory).");
        command.Subcommands.Add(BenchPolicyCommand.Create());
        command.Subcommands.Add(BenchTelemetryCommand.Create());
        command.Subcommands.Add(BenchSoakCommand.Create());
        command.Subcommands.Add(BenchPeerCommand.Create());
        command.Subcommands.Add(BenchHopCommand.Create());
        command.Subcommands.Add(BenchDecisionLogCommand.Create());
        command.Subcommands.Add(BenchColdCommand.Create());
        foreach (var option in new Option[] { models, iterations, warmup, tinyIterations, threads, noMemory })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            if (parseResult.GetValue(iterations) < 1 || parseResult.GetValue(tinyIterations) < 1 || parseResult.GetValue(threads) < 0 || parseResult.GetValue(warmup) < 0)
            {
                await error.WriteLineAsync("edgeagent bench: --iterations and --tiny-iterations must be at least 1, --threads and --warmup at least 0.");
                return 2;
            }

            var settings = new OverheadBenchmarkSettings
            {
                ModelsPath = parseResult.GetValue(models)!,
                DetectionIterations = parseResult.GetValue(iterations),
                DetectionWarmup = parseResult.GetValue(warmup),
                TinyIterations = parseResult.GetValue(tinyIterations),
                IntraOpThreads = parseResult.GetValue(threads),
                CliCommand = parseResult.GetValue(noMemory) ? null : SelfCommand(),
            };
            var console = AnsiConsole.Console;
            IReadOnlyList<BenchmarkFigure> figures;
            try
            {
                figures = await new OverheadBenchmark(settings, line => console.MarkupLine("[grey]" + Markup.Escape(line) + "[/]")).RunAsync(cancellationToken);
            }
            catch (FileNotFoundException ex)
            {
                await error.WriteLineAsync("edgeagent bench: " + ex.Message);
                return 1;
            }

            var table = new Table().AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn(new TableColumn("target").RightAligned()).AddColumn("met").AddColumn("from");
            foreach (var figure in figures)
            {
                var format = figure.Unit == "x" ? "0.000" : "0";
                table.AddRow(
                    Markup.Escape(figure.Name),
                    figure.Value.ToString(format, CultureInfo.InvariantCulture) + " " + figure.Unit,
                    "<= " + figure.Target.ToString(figure.Unit == "x" ? "0.00" : "0", CultureInfo.InvariantCulture) + " " + figure.Unit,
                    figure.Met ? "[green]yes[/]" : "[red]no[/]",
                    Markup.Escape(figure.Detail));
            }

            console.Write(table);
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{Environment.ProcessorCount} logical CPUs, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}; ORT intra-op threads {settings.IntraOpThreads} (0 = ORT decides)")));
            return 0;
        });
        return command;
    }

    // How to start this same CLI as a child process: the apphost directly, or `dotnet edgeagent.dll`.
    internal static (string, IReadOnlyList<string>)? SelfCommand()
    {
        var processPath = Environment.ProcessPath;
        if (processPath is null)
        {
            return null;
        }

        if (string.Equals(Path.GetFileNameWithoutExtension(processPath), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            var assembly = Assembly.GetEntryAssembly()?.Location;
            return string.IsNullOrEmpty(assembly) ? null : (processPath, [assembly]);
        }

        return (processPath, []);
    }
}
