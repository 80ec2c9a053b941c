using System.CommandLine;
using System.Globalization;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent hw probe|watch|bench`: what the machine offers for measuring power, live power, and the cost of sampling.</summary>
internal static class HwCommand
{
    public static Command Create()
    {
        var command = new Command("hw", "Power monitors on this machine: probe what is readable, watch live power per rail, benchmark the cost of sampling.");
        command.Subcommands.Add(Probe());
        command.Subcommands.Add(Watch());
        command.Subcommands.Add(Bench());
        return command;
    }

    private static Option<string> RootOption() => new("--root")
    {
        Description = "Folder standing for / when looking up /sys, /proc and /dev (a copy of a board's tree, for checks).",
        DefaultValueFactory = _ => "/",
    };

    private static Option<string> SourceOption() => new("--source")
    {
        Description = "Power source: " + string.Join(", ", PowerOptions.SourceNames) + ".",
        DefaultValueFactory = _ => "auto",
    };

    private static Option<int?> Ina219BusOption() => new Option<int?>("--ina219-bus")
    {
        Description = "I2C bus of an INA219 (/dev/i2c-N, N from 0 to 255 as EdgeAgent:Hardware:Power:Ina219Bus), if one is wired (address 0x40, 0.1 ohm shunt).",
    }.MustBeBetween(0, 255);

    private static PowerOptions Options(ParseResult parseResult, Option<string> root, Option<string> source, Option<int?> bus) => new()
    {
        SysfsRoot = parseResult.GetValue(root)!,
        Source = parseResult.GetValue(source)!,
        Ina219Bus = parseResult.GetValue(bus),
    };

    private static Command Probe()
    {
        var root = RootOption();
        var source = SourceOption();
        var bus = Ina219BusOption();
        var command = new Command("probe", "List the power sources this machine offers and which one EdgeAgent will use.");
        command.Options.Add(root);
        command.Options.Add(source);
        command.Options.Add(bus);
        command.SetAction(async (parseResult, _) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            try
            {
                var report = PowerSourceProbe.Probe(Options(parseResult, root, source, bus), TimeProvider.System);
                using var selected = report.Selected;
                foreach (var candidate in report.Candidates)
                {
                    var mark = candidate.Name == selected.Name ? "*" : candidate.Available ? "+" : "-";
                    await output.WriteLineAsync($"{mark} {candidate.Name,-14} {candidate.Kind.ToString().ToLowerInvariant(),-9} {candidate.Detail}");
                }

                await output.WriteLineAsync($"Using: {selected.Name} ({selected.Kind.ToString().ToLowerInvariant()}): {selected.Description}");
                await output.WriteLineAsync("(* selected, + available, - not available)");
                return 0;
            }
            catch (InvalidOperationException ex)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("edgeagent hw probe: " + ex.Message);
                return 1;
            }
        });
        return command;
    }

    private static Command Watch()
    {
        var root = RootOption();
        var source = SourceOption();
        var bus = Ina219BusOption();
        var interval = new Option<int>("--interval-ms")
        {
            Description = "Milliseconds between printed lines (the meter samples at 50 Hz in between).",
            DefaultValueFactory = _ => 1000,
        };
        interval.MustBeBetween(20, 60_000);
        var count = new Option<int>("--count")
        {
            Description = "Lines to print before exiting; 0 runs until Ctrl+C.",
            DefaultValueFactory = _ => 0,
        };
        count.Validators.Add(r =>
        {
            if (OptionRange.TryGetValue(r, count, out var lines) && lines < 0)
            {
                r.AddError("--count cannot be negative.");
            }
        });
        var command = new Command("watch", "Print live power per rail and the energy integrated so far.");
        command.Options.Add(root);
        command.Options.Add(source);
        command.Options.Add(bus);
        command.Options.Add(interval);
        command.Options.Add(count);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            PowerProbeReport report;
            try
            {
                report = PowerSourceProbe.Probe(Options(parseResult, root, source, bus), TimeProvider.System);
            }
            catch (InvalidOperationException ex)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("edgeagent hw watch: " + ex.Message);
                return 1;
            }

            using var selected = report.Selected;
            using var meter = new EnergyMeter(selected, new EnergyMeterOptions(), TimeProvider.System);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var loop = meter.RunAsync(stop.Token);
            await output.WriteLineAsync($"{selected.Name} ({selected.Kind.ToString().ToLowerInvariant()}): {selected.Description}");
            var lines = parseResult.GetValue(count);
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(parseResult.GetValue(interval)));
            try
            {
                for (var i = 0; lines == 0 || i < lines; i++)
                {
                    await timer.WaitForNextTickAsync(cancellationToken);
                    var sample = meter.Latest;
                    var rails = sample is null ? "no reading yet" : string.Join("  ", sample.Rails.Select(r => string.Create(CultureInfo.InvariantCulture, $"{r.Name} {r.Watts:0.000} W")));
                    await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"{TimeProvider.System.GetUtcNow():HH:mm:ss.fff}  total {sample?.TotalWatts ?? double.NaN:0.000} W  |  {rails}  |  {meter.TotalJoules:0.000} J since start"));
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }

            await stop.CancelAsync();
            await loop;
            return 0;
        });
        return command;
    }

    private static Command Bench()
    {
        var root = RootOption();
        var source = new Option<string>("--source")
        {
            Description = "What to sample: 'fake-orin-nano' (an Orin Nano INA3221 hwmon tree written to a temp folder, so any machine measures real sysfs-style file reads) or any power source name (auto picks as the agent would).",
            DefaultValueFactory = _ => "fake-orin-nano",
        };
        var rate = new Option<double>("--rate")
        {
            Description = "Sampling rate in Hz.",
            DefaultValueFactory = _ => 100.0,
        };
        rate.MustBeBetween(1.0, 1000.0, "Hz");
        var seconds = new Option<double>("--seconds")
        {
            Description = "Length of each idle and each sampling round.",
            DefaultValueFactory = _ => 5.0,
        };
        seconds.MustBeBetween(0.5, 600.0);
        var rounds = new Option<int>("--rounds")
        {
            Description = "Idle/sampling round pairs, alternated so drift affects both.",
            DefaultValueFactory = _ => 3,
        };
        rounds.MustBeBetween(1, 100);
        var slack = new Option<int?>("--timer-slack-us")
        {
            Description = "Timer slack of the sampling thread in microseconds (Linux; EdgeAgent:Hardware:Energy:TimerSlackMicroseconds). Default: the kernel's (50 us).",
        };
        slack.MustBeBetween(0, 100_000, "us");
        var command = new Command("bench", "Measure the CPU cost of sampling power (default 100 Hz) as % of one core, against an idle baseline in the same run.");
        command.Options.Add(root);
        command.Options.Add(source);
        command.Options.Add(rate);
        command.Options.Add(seconds);
        command.Options.Add(rounds);
        command.Options.Add(slack);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var name = parseResult.GetValue(source)!;
            string? temp = null;
            try
            {
                var options = new PowerOptions { SysfsRoot = parseResult.GetValue(root)!, Source = name };
                if (name == "fake-orin-nano")
                {
                    temp = Path.Join(Path.GetTempPath(), "edgeagent-bench-" + Guid.NewGuid().ToString("N"));
                    SamplingBenchmark.WriteOrinNanoTree(temp);
                    options = new PowerOptions { SysfsRoot = temp, Source = "ina3221-hwmon" };
                }

                using var selected = PowerSourceProbe.Probe(options, TimeProvider.System).Selected;
                await output.WriteLineAsync($"Benchmarking {selected.Name}: {parseResult.GetValue(rounds)} x ({parseResult.GetValue(seconds)} s idle + {parseResult.GetValue(seconds)} s sampling at {parseResult.GetValue(rate)} Hz + {parseResult.GetValue(seconds)} s bare wake-ups), after a 3 s warm-up ...");
                var result = await SamplingBenchmark.RunAsync(selected, parseResult.GetValue(rate), TimeSpan.FromSeconds(parseResult.GetValue(seconds)), parseResult.GetValue(rounds), cancellationToken,
                    parseResult.GetValue(slack) is { } us ? TimeSpan.FromMicroseconds(us) : null);
                await output.WriteLineAsync(result.ToString());
                await output.WriteLineAsync(result.CostPercentOfOneCore < 1.0 ? "Target (< 1 % of one core): met." : "Target (< 1 % of one core): NOT met.");
                return 0;
            }
            catch (InvalidOperationException ex)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync("edgeagent hw bench: " + ex.Message);
                return 1;
            }
            finally
            {
                if (temp is not null)
                {
                    Directory.Delete(temp, recursive: true);
                }
            }
        });
        return command;
    }
}
