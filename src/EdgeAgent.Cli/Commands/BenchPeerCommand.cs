using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;
using Spectre.Console;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench peer`: many concurrent agents against one peer and a group of peers, with in-process ONNX Runtime as the ceiling.</summary>
internal static class BenchPeerCommand
{
    public static Command Create()
    {
        static PeerLoadBenchmarkSettings Defaults() => new();

        var models = new Option<string>("--models") { Description = "Model repository (`edgeagent models fetch paddleocr`).", DefaultValueFactory = _ => Defaults().ModelsPath };
        models.MustNotBeEmpty();
        var model = new Option<string[]>("--model") { Description = "A model to load, repeatable (default ocr-det and ocr-cls); single FP32 input.", AllowMultipleArgumentsPerToken = false };
        var clients = new Option<int[]>("--clients") { Description = "Concurrent clients of one measured point, repeatable (default 8 and 32); each is its own gRPC channel and connection.", AllowMultipleArgumentsPerToken = false };
        var duration = new Option<TimeSpan>("--duration")
        {
            Description = "Measured time per point: 10, 10s, 1m or hh:mm:ss.",
            DefaultValueFactory = _ => Defaults().Duration,
            CustomParser = DurationArgument.Parse,
        };
        var group = new Option<int>("--group") { Description = "Peers in the group (127.0.0.2, .3, ...) behind one name; 0 skips the group.", DefaultValueFactory = _ => Defaults().GroupSize };
        var imageSize = new Option<int>("--image-size") { Description = "Height and width of symbolic image dimensions (the detection model's).", DefaultValueFactory = _ => Defaults().ImageSize };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads of every session, the ceiling's and the peers' (0: ONNX Runtime decides).", DefaultValueFactory = _ => Defaults().IntraOpThreads };
        var maxBatch = new Option<int>("--max-batch") { Description = "max_batch_size of the batched peer (0: the ceiling's best batch size measured in the same run).", DefaultValueFactory = _ => Defaults().MaxBatchSize };
        var delay = new Option<double>("--max-queue-delay-ms") { Description = "max_queue_delay of the batched peer, milliseconds.", DefaultValueFactory = _ => Defaults().MaxQueueDelay.TotalMilliseconds };
        var noUnbatched = new Option<bool>("--no-unbatched") { Description = "Skip the unbatched peer (its figures are the baseline of the targets)." };
        var noKill = new Option<bool>("--no-kill") { Description = "Skip the group point with one member killed halfway (requests the group fails must be 0)." };

        var command = new Command("peer",
            "Many concurrent agents (real gRPC clients) in closed loops against one peer and a group of peers on 127.0.0.x (each client an agent's connection to the group's dns:/// name; once more with one member killed halfway): throughput, p50/p99, batch sizes, unbatched and dynamically batched, against in-process ONNX Runtime at its best batch size measured in the same run.");
        foreach (var option in new Option[] { models, model, clients, duration, group, imageSize, threads, maxBatch, delay, noUnbatched, noKill })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var clientCounts = parseResult.GetValue(clients) is { Length: > 0 } c ? c : [.. Defaults().Clients];
            var problem =
                clientCounts.Any(n => n < 1 || n > 1024) ? $"--clients must be between 1 and 1024; got {string.Join(", ", clientCounts)}" :
                parseResult.GetValue(duration) <= TimeSpan.Zero ? "--duration must be positive" :
                parseResult.GetValue(group) is < 0 or > 200 ? $"--group must be between 0 and 200; got {parseResult.GetValue(group)}" :
                parseResult.GetValue(imageSize) is < 32 or > 4096 ? $"--image-size must be between 32 and 4096; got {parseResult.GetValue(imageSize)}" :
                parseResult.GetValue(threads) < 0 ? "--threads must be at least 0" :
                parseResult.GetValue(maxBatch) is < 0 or > 1024 ? $"--max-batch must be between 0 and 1024; got {parseResult.GetValue(maxBatch)}" :
                parseResult.GetValue(delay) is < 0 or > 1000 || double.IsNaN(parseResult.GetValue(delay)) ? $"--max-queue-delay-ms must be between 0 and 1000; got {parseResult.GetValue(delay)}" :
                null;
            if (problem is not null)
            {
                await error.WriteLineAsync("edgeagent bench peer: " + problem + ".");
                return 2;
            }

            var settings = new PeerLoadBenchmarkSettings
            {
                ModelsPath = parseResult.GetValue(models)!,
                Models = parseResult.GetValue(model) is { Length: > 0 } m ? m : Defaults().Models,
                Clients = clientCounts.Distinct().Order().ToArray(),
                Duration = parseResult.GetValue(duration),
                GroupSize = parseResult.GetValue(group),
                ImageSize = parseResult.GetValue(imageSize),
                IntraOpThreads = parseResult.GetValue(threads),
                MaxBatchSize = parseResult.GetValue(maxBatch),
                MaxQueueDelay = TimeSpan.FromMilliseconds(parseResult.GetValue(delay)),
                Unbatched = !parseResult.GetValue(noUnbatched),
                KillMember = !parseResult.GetValue(noKill),
            };
            var console = AnsiConsole.Console;
            if (Console.IsOutputRedirected)
            {
                // Tables for a log or a README: not cut to the 80 columns of no terminal.
                console.Profile.Width = 200;
            }

            var load = LoadAverage();
            IReadOnlyList<PeerLoadPoint> points;
            try
            {
                points = await new PeerLoadBenchmark(settings, line => console.MarkupLine("[grey]" + Markup.Escape(line) + "[/]")).RunAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException)
            {
                await error.WriteLineAsync("edgeagent bench peer: " + ex.Message);
                return 1;
            }

            var table = new Table().AddColumn("model").AddColumn("setup").AddColumn(new TableColumn("clients").RightAligned())
                .AddColumn(new TableColumn("items/s").RightAligned()).AddColumn(new TableColumn("p50 ms").RightAligned())
                .AddColumn(new TableColumn("p99 ms").RightAligned()).AddColumn(new TableColumn("batch").RightAligned()).AddColumn(new TableColumn("CPU ms/item").RightAligned()).AddColumn("failed").AddColumn("detail");
            foreach (var p in points)
            {
                table.AddRow(p.Model, Markup.Escape(p.Setup), p.Clients == 0 ? "in-process" : N(p.Clients, "0"), N(p.ItemsPerSecond, "0.0"), N(p.P50Ms, "0.0"), N(p.P99Ms, "0.0"), N(p.MeanBatch, "0.00"), N(p.CpuMsPerItem, "0.0"), N(p.Failed, "0"), Markup.Escape(p.Detail));
            }

            console.Write(table);
            var targets = new Table().AddColumn("model").AddColumn("figure").AddColumn(new TableColumn("value").RightAligned()).AddColumn("target").AddColumn("met");
            foreach (var (name, value, target, met) in PeerLoadTargets.Evaluate(points, settings.Clients))
            {
                targets.AddRow(name.Model, Markup.Escape(name.Figure), N(value, "0.000") + (target.EndsWith(" x", StringComparison.Ordinal) ? " x" : ""), Markup.Escape(target), met ? "[green]yes[/]" : "[red]no[/]");
            }

            console.Write(targets);
            console.MarkupLine(Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                $"{Environment.ProcessorCount} logical CPUs; ORT intra-op threads {settings.IntraOpThreads} (0 = ORT decides); load average at start {load}, at end {LoadAverage()}")));
            return 0;
        });
        return command;
    }

    private static string N(double value, string format) => double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
