using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.ModelFetch;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent demo`: an agent and two emulated peers on loopback, driven with real OCR work.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        // Defaults are read when an option's value is needed, not while the command tree is built, so
        // `edgeagent agent` and `edgeagent peer` never load the demo assembly.
        static DemoSettings Defaults() => new();

        var duration = new Option<TimeSpan>("--duration")
        {
            Description = "How long to send requests: 90, 90s, 2m or hh:mm:ss (a bare number is seconds).",
            DefaultValueFactory = _ => Defaults().Duration,
            CustomParser = DurationArgument.Parse,
        };
        var rate = new Option<double>("--rate")
        {
            Description = "OCR items per second; each item is one detection plus one recognition per text line.",
            DefaultValueFactory = _ => Defaults().Rate,
        };
        var policy = new Option<string>("--policy")
        {
            Description = "Agent offload policy.",
            DefaultValueFactory = _ => Defaults().Policy,
        };
        policy.AcceptOnlyFromAmong(Policies);
        var policyFile = new Option<string?>("--policy-file")
        {
            Description = "The learned policy's ONNX file (default: policies/agent-default.onnx beside the binary).",
        };
        policyFile.MustNotBeEmpty();
        var compare = new Option<string?>("--compare")
        {
            Description = "Run the identical workload (same seed, same arrivals) under each of these policies in turn, e.g. heuristic,local,peer; the --policy is always one of them. Prints one table side by side and writes --plot.",
        };
        var preferences = new Option<int>("--preferences")
        {
            Description = "With --compare: run N delay weights evenly spaced over [0, 1] (11: 0, 0.1, ..., 1) and print each policy's hypervolume; 1 runs --preference only.",
            DefaultValueFactory = _ => 1,
        };
        var repeats = new Option<int>("--repeats")
        {
            Description = "With --compare: run every (link profile, delay weight, policy) this many times, interleaved (policies rotated, the weights walked forward then backward); points pool the repeats' items and the hypervolume ratio gets a bootstrap interval over them.",
            DefaultValueFactory = _ => 1,
        };
        var runsCsv = new Option<string?>("--runs-csv")
        {
            Description = "With --compare: write every run (link profile, repeat, delay weight, policy, items, delays, energy, placements) to this CSV file.",
        };
        var linkProfiles = new Option<string[]>("--link-profile")
        {
            Description = "With --compare: a link/speed context NAME:rtt=5ms,bw=200mbit,speed=2.4;NAME:... (speed in times the board's, at most 3), or 'default'; repeatable, each context is run in turn.",
            AllowMultipleArgumentsPerToken = false,
        };
        var plot = new Option<string>("--plot")
        {
            Description = "With --compare: PNG of the (item delay, energy per item) points; further contexts go to NAME-2.png, NAME-3.png, ...",
            DefaultValueFactory = _ => "demo-compare.png",
        };
        plot.MustNotBeEmpty();
        var preference = new Option<double>("--preference")
        {
            Description = "Delay weight in [0, 1]: 1 minimises delay only, 0 minimises this device's energy only.",
            DefaultValueFactory = _ => Defaults().Preference,
        };
        var models = new Option<string>("--models")
        {
            Description = "Model repository holding (or receiving) the PaddleOCR models.",
            DefaultValueFactory = _ => Defaults().ModelsPath,
        };
        models.MustNotBeEmpty();
        var page = new Option<string>("--page")
        {
            Description = "Size of the rendered pages, WIDTHxHEIGHT in pixels.",
            DefaultValueFactory = _ => string.Create(CultureInfo.InvariantCulture, $"{Defaults().PageWidth}x{Defaults().PageHeight}"),
        };
        var lines = new Option<int>("--lines")
        {
            Description = "Most text lines per page (each page gets 1 to this many).",
            DefaultValueFactory = _ => Defaults().MaxLines,
        };
        var parallelLines = new Option<bool>("--parallel-lines")
        {
            Description = "Send a page's lines at once after detection (each line's first request carries edgeagent.batch_after: how many of the page's lines follow it at once) instead of one line after another.",
        };
        var seed = new Option<int>("--seed")
        {
            Description = "Seed of the rendered text.",
            DefaultValueFactory = _ => Defaults().Seed,
        };

        var emulation = new Option<string>("--emulation")
        {
            Description = "What the emulated nodes' speeds stretch: wall (the run's wall time: the other nodes' use of this machine's cores slows a node too, stretched by 1/its speed) or cpu (each run's thread CPU time: every node computes as on a CPU of its own).",
            DefaultValueFactory = _ => "wall",
        };
        emulation.AcceptOnlyFromAmong("wall", "cpu");

        var decisionLog = new Option<string?>("--decision-log")
        {
            Description = "Write the agent's durable decision log here (a directory for decisions.db, or a file); off unless given. Every run of a comparison appends to it; with several policies each policy's agent logs under DIR/POLICY.",
        };
        decisionLog.MustNotBeEmpty();

        var poolRuns = new Option<string[]>("--pool-runs")
        {
            Description = "With --compare: run nothing; read the runs of earlier comparisons from these --runs-csv files (the same --compare, --preferences and --link-profile, in the same order) and pool them as repeats, file after file, then print the tables, hypervolumes and bootstrap intervals of all of them (--runs-csv writes the pooled runs, --plot the points).",
            AllowMultipleArgumentsPerToken = false,
        };

        var command = new Command("demo", "Start an agent and two emulated peers (edge, cloud) on loopback and drive real PP-OCRv4 OCR requests through the agent.");
        foreach (var option in new Option[] { duration, rate, policy, policyFile, preference, models, page, lines, parallelLines, seed, compare, preferences, repeats, linkProfiles, plot, runsCsv, emulation, decisionLog, poolRuns })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            DemoSettings settings;
            DemoComparison? comparison = null;
            try
            {
                var size = parseResult.GetValue(page)!.Split('x', 'X');
                if (size.Length != 2 || !int.TryParse(size[0], CultureInfo.InvariantCulture, out var width) || !int.TryParse(size[1], CultureInfo.InvariantCulture, out var height))
                {
                    throw new ArgumentException($"--page must be WIDTHxHEIGHT such as 640x640, got '{parseResult.GetValue(page)}'.");
                }

                settings = new DemoSettings
                {
                    PageWidth = width,
                    PageHeight = height,
                    MaxLines = parseResult.GetValue(lines),
                    ParallelLines = parseResult.GetValue(parallelLines),
                    Duration = parseResult.GetValue(duration),
                    Rate = parseResult.GetValue(rate),
                    Policy = parseResult.GetValue(policy)!,
                    Preference = parseResult.GetValue(preference),
                    ModelsPath = parseResult.GetValue(models)!,
                    Seed = parseResult.GetValue(seed),
                    PolicyFile = parseResult.GetValue(policyFile) is { } file ? Path.GetFullPath(file) : null,
                    DecisionLogPath = parseResult.GetValue(decisionLog) is { Length: > 0 } log ? Path.GetFullPath(log) : null,
                    EmulationClock = parseResult.GetValue(emulation) == "wall" ? Inference.Execution.EmulationClock.Wall : Inference.Execution.EmulationClock.ThreadCpu,
                };
                settings.Validate();
                comparison = Comparison(settings, parseResult.GetValue(compare), parseResult.GetValue(preferences), parseResult.GetValue(linkProfiles) ?? [], parseResult.Tokens.Any(t => t.Value == "--preference"), parseResult.GetValue(repeats));
                if (comparison is null && (parseResult.GetValue(runsCsv) is not null || parseResult.GetValue(poolRuns) is { Length: > 0 }))
                {
                    throw new ArgumentException("--runs-csv and --pool-runs go with --compare.");
                }

                if (comparison is not null && parseResult.GetValue(poolRuns) is { Length: > 0 } files)
                {
                    comparison = Pooled(comparison, files);
                }
            }
            catch (ArgumentException ex)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("edgeagent demo: " + ex.Message);
                return 2;
            }

            if (comparison is not null && comparison.Results.Count > 0)
            {
                return await ReportAsync(comparison, parseResult.GetValue(plot)!, parseResult.GetValue(runsCsv), parseResult.InvocationConfiguration.Output);
            }

            return comparison is null
                ? await RunAsync(settings, parseResult.InvocationConfiguration.Error, cancellationToken)
                : await CompareAsync(comparison, parseResult.GetValue(plot)!, parseResult.GetValue(runsCsv), parseResult.InvocationConfiguration.Output, parseResult.InvocationConfiguration.Error, cancellationToken);
        });
        return command;
    }

    private static readonly string[] Policies = ["learned", "heuristic", "local", "peer"];

    /// <summary>The comparison the options ask for, or null without --compare; an unusable option throws naming it.</summary>
    internal static DemoComparison? Comparison(DemoSettings settings, string? compare, int preferenceCount, string[] linkProfiles, bool preferenceGiven, int repeats = 1)
    {
        if (compare is null)
        {
            if (preferenceCount != 1 || linkProfiles.Length > 0 || repeats != 1)
            {
                throw new ArgumentException("--preferences, --repeats and --link-profile go with --compare.");
            }

            return null;
        }

        if (repeats is < 1 or > 100)
        {
            throw new ArgumentException($"--repeats must be between 1 and 100, got {repeats}.");
        }

        var names = compare.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (names.Length == 0)
        {
            throw new ArgumentException($"--compare names no policy; give one or more of {string.Join(", ", Policies)}, separated by commas (e.g. heuristic,local,peer).");
        }

        var policies = new List<string> { settings.Policy };
        foreach (var name in names)
        {
            var known = Policies.FirstOrDefault(p => p.Equals(name, StringComparison.OrdinalIgnoreCase))
                ?? throw new ArgumentException($"--compare names '{name}'; use policies from {string.Join(", ", Policies)}.");
            if (!policies.Contains(known))
            {
                policies.Add(known);
            }
        }

        if (preferenceCount is < 1 or > 101)
        {
            throw new ArgumentException($"--preferences must be between 1 and 101, got {preferenceCount}.");
        }

        if (preferenceCount > 1 && preferenceGiven)
        {
            throw new ArgumentException("--preference and --preferences N > 1 exclude each other: the sweep runs N delay weights over [0, 1].");
        }

        var contexts = new List<IReadOnlyList<DemoProfile>>();
        foreach (var spec in linkProfiles.Length == 0 ? ["default"] : linkProfiles)
        {
            if (!DemoProfiles.TryParseContext(spec, out var peers, out var error))
            {
                throw new ArgumentException($"--link-profile: {error}.");
            }

            contexts.Add(peers);
        }

        return new DemoComparison(settings, policies, DemoComparison.EvenPreferences(preferenceCount, settings.Preference), contexts, repeats);
    }

    /// <summary>
    /// The comparison <paramref name="planned"/> with the runs of <paramref name="files"/> (earlier
    /// --runs-csv files of the same comparison) as its results: the repeats of each file follow the
    /// previous file's, and the comparison's repeat count is their total. A file that cannot be read,
    /// or a run whose link profile, policy or delay weight the comparison does not have, throws
    /// naming it.
    /// </summary>
    internal static DemoComparison Pooled(DemoComparison planned, IReadOnlyList<string> files)
    {
        var runs = new List<DemoRunResult>();
        var offset = 0;
        foreach (var file in files)
        {
            IReadOnlyList<DemoRunResult> loaded;
            try
            {
                loaded = DemoComparison.LoadRunsCsv(file, offset);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                throw new ArgumentException($"--pool-runs: {ex.Message}", ex);
            }

            foreach (var run in loaded)
            {
                if (run.Context >= planned.Contexts.Count || !planned.Policies.Contains(run.Policy) || !planned.Preferences.Any(w => Math.Abs(w - run.Preference) < 1e-9))
                {
                    throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                        $"--pool-runs: {file} has a run of link profile {run.Context + 1}, policy {run.Policy}, w_delay {run.Preference}, which this comparison does not have ({planned.Contexts.Count} link profile(s), policies {string.Join(", ", planned.Policies)}, {planned.Preferences.Count} delay weight(s)); give the same --compare, --preferences and --link-profile as the runs had."));
                }

                runs.Add(run with { Preference = planned.Preferences.First(w => Math.Abs(w - run.Preference) < 1e-9) });
            }

            offset = runs.Count == 0 ? offset : runs.Max(r => r.Repeat) + 1;
        }

        if (runs.Count == 0)
        {
            throw new ArgumentException("--pool-runs: the files hold no runs.");
        }

        var pooled = new DemoComparison(planned.BaseSettings, planned.Policies, planned.Preferences, planned.Contexts, offset);
        pooled.Results.AddRange(runs);
        return pooled;
    }

    private static async Task<int> ReportAsync(DemoComparison comparison, string plotPath, string? runsCsv, TextWriter output)
    {
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Pooled {comparison.Results.Count} runs ({comparison.Repeats} repeat(s) in all) of {string.Join(", ", comparison.Policies)}; nothing run."));
        await WriteResultsAsync(comparison, plotPath, runsCsv, output);

        return 0;
    }

    /// <summary>The comparison's tables, then its runs file (--runs-csv) and plots (--plot), each path printed.</summary>
    private static async Task WriteResultsAsync(DemoComparison comparison, string plotPath, string? runsCsv, TextWriter output)
    {
        await output.WriteLineAsync();
        await output.WriteAsync(comparison.Format());
        if (runsCsv is not null)
        {
            comparison.SaveRunsCsv(runsCsv);
            await output.WriteLineAsync("runs: " + Path.GetFullPath(runsCsv));
        }

        foreach (var file in comparison.SavePlots(plotPath))
        {
            await output.WriteLineAsync("plot: " + file);
        }
    }

    private static async Task<int> CompareAsync(DemoComparison comparison, string plotPath, string? runsCsv, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var s = comparison.BaseSettings;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"Comparing {string.Join(", ", comparison.Policies)} on the identical workload (seed {s.Seed}, {s.Rate:0.##} items/s for {s.Duration.TotalSeconds:0} s each, {s.PageWidth}x{s.PageHeight} pages), {comparison.Preferences.Count} delay weight(s), {comparison.Contexts.Count} link profile(s), {comparison.Repeats} repeat(s): {comparison.Policies.Count * comparison.Preferences.Count * comparison.Contexts.Count * comparison.Repeats} runs; per link profile one cluster, each policy's agent warmed up unmeasured, then moved between delay weights at run time."));
        try
        {
            await comparison.RunAsync(TimeProvider.System, message => output.WriteLine(message), cancellationToken);
        }
        catch (PackageFetchException ex)
        {
            await error.WriteLineAsync("edgeagent demo: " + ex.Message);
            return 1;
        }
        catch (Node.Hosting.NodeStartupException ex)
        {
            await error.WriteLineAsync("edgeagent demo: a node did not start: " + ex.Message);
            return 1;
        }

        await WriteResultsAsync(comparison, plotPath, runsCsv, output);

        return comparison.Results.All(r => r.Snapshot.Items > 0) ? 0 : 1;
    }

    // Errors go to standard error as one line each: Spectre's console wraps at the terminal's
    // width (80 columns when redirected), which split a start-up error over lines in logs.
    private static async Task<int> RunAsync(DemoSettings settings, TextWriter error, CancellationToken cancellationToken)
    {
        var console = AnsiConsole.Console;
        await using var run = new DemoRun(settings);
        try
        {
            await run.StartAsync(message => console.MarkupLine("[grey]" + Markup.Escape(message) + "[/]"), cancellationToken);
        }
        catch (PackageFetchException ex)
        {
            await error.WriteLineAsync("edgeagent demo: " + ex.Message);
            return 1;
        }
        catch (Node.Hosting.NodeStartupException ex)
        {
            await error.WriteLineAsync("edgeagent demo: a node did not start: " + ex.Message);
            return 1;
        }

        console.Write(Profiles(settings));
        var started = TimeProvider.System.GetTimestamp();
        var work = run.RunAsync(TimeProvider.System, cancellationToken);
        if (console.Profile.Capabilities.Interactive && console.Profile.Capabilities.Ansi)
        {
            await console.Live(Table(run.Snapshot(), TimeSpan.Zero, settings))
                .AutoClear(false)
                .StartAsync(async context =>
                {
                    while (!work.IsCompleted)
                    {
                        await Task.WhenAny(work, Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None));
                        context.UpdateTarget(Table(run.Snapshot(), TimeProvider.System.GetElapsedTime(started), settings));
                    }
                });
        }
        else
        {
            // Not a terminal (a log, CI): one progress line every 10 s instead of a redrawn table.
            while (!work.IsCompleted)
            {
                await Task.WhenAny(work, Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None));
                var snapshot = run.Snapshot();
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{TimeProvider.System.GetElapsedTime(started).TotalSeconds:0} s: {snapshot.Items} items, {snapshot.LocalRequests} local and {snapshot.OffloadedRequests} offloaded requests, character accuracy {Accuracy(snapshot)}"));
            }
        }

        await work;

        var summary = run.Snapshot();
        console.Write(Summary(summary, run.Cluster.EnergySource(), TimeProvider.System.GetElapsedTime(started)));
        return summary.Items > 0 ? 0 : 1;
    }

    private static Panel Profiles(DemoSettings settings)
    {
        var lines = new[] { DemoProfiles.Board, DemoProfiles.Edge, DemoProfiles.Cloud }.Select(p => Markup.Escape(p.Label));
        var header = string.Create(CultureInfo.InvariantCulture,
            $"policy [bold]{settings.Policy}[/], delay weight {settings.Preference:0.##}, {settings.Rate:0.##} items/s for {settings.Duration.TotalSeconds:0} s");
        return new Panel(new Markup(header + "\n" + string.Join("\n", lines))) { Header = new PanelHeader("EdgeAgent demo: emulated nodes") };
    }

    private static Table Table(DemoSnapshot snapshot, TimeSpan elapsed, DemoSettings settings)
    {
        var table = new Table()
            .Title(string.Create(CultureInfo.InvariantCulture, $"{elapsed.TotalSeconds:0} / {settings.Duration.TotalSeconds:0} s   items {snapshot.Items} (failed {snapshot.FailedItems})   character accuracy {Accuracy(snapshot)}"))
            .AddColumn("placement")
            .AddColumn(new TableColumn("requests").RightAligned())
            .AddColumn(new TableColumn("share").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned())
            .AddColumn(new TableColumn("p95 ms").RightAligned())
            .AddColumn(new TableColumn("exec ms").RightAligned())
            .AddColumn(new TableColumn("energy J").RightAligned());
        foreach (var row in snapshot.Rows)
        {
            table.AddRow(
                Markup.Escape(row.Placement),
                row.Requests.ToString(CultureInfo.InvariantCulture),
                Format(100.0 * row.Requests / Math.Max(1, snapshot.Requests), "0") + "%",
                Format(row.P50Ms, "0.0"),
                Format(row.P95Ms, "0.0"),
                Format(row.MeanExecMs, "0.0"),
                Format(row.EnergyJoules, "0.00"));
        }

        if (snapshot.LastError is { } error)
        {
            table.Caption("[red]last error: " + Markup.Escape(error) + "[/]");
        }

        return table;
    }

    private static Rows Summary(DemoSnapshot snapshot, string energySource, TimeSpan elapsed)
    {
        var items = new List<IRenderable>
        {
            new Rule("[bold]Summary[/]"),
            Table(snapshot, elapsed, new DemoSettings { Duration = elapsed }),
            new Markup(string.Create(CultureInfo.InvariantCulture,
                $"requests: {snapshot.Requests} ({snapshot.LocalRequests} local, {snapshot.OffloadedRequests} offloaded)\n" +
                $"OCR items: {snapshot.Items} read, {snapshot.FailedItems} failed; item latency p50 {Format(snapshot.ItemP50Ms, "0")} ms, p95 {Format(snapshot.ItemP95Ms, "0")} ms\n" +
                $"character accuracy: {Accuracy(snapshot)} ({snapshot.ExactLines} of {snapshot.Items} items exact; detection, crop, direction classifier, recognition, CTC with ppocr_keys_v1)\n") +
                "energy: " + Markup.Escape(energySource) + "\n"),
        };
        return new Rows(items);
    }

    private static string Accuracy(DemoSnapshot snapshot) =>
        snapshot.Items == 0 ? "n/a" : (100 * snapshot.CharacterAccuracy).ToString("0.00", CultureInfo.InvariantCulture) + "%";

    private static string Format(double value, string format) =>
        double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);
}
