using System.CommandLine;
using EdgeAgent.Demo.Live;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent eval live-compare`: two policies' `eval live` sweeps under one reference point, the hypervolume ratio with a bootstrap over the sweeps.</summary>
internal static class EvalLiveCompareCommand
{
    public static Command Create()
    {
        var baseline = new Option<string[]>("--baseline") { Description = "`eval live --report` directories (or their report.json) of the baseline policy's sweeps, in the order they ran.", Required = true, AllowMultipleArgumentsPerToken = true };
        var candidate = new Option<string[]>("--candidate") { Description = "The candidate policy's sweeps, in the order they ran (with as many as --baseline, run interleaved, they are resampled in pairs).", Required = true, AllowMultipleArgumentsPerToken = true };
        var resamples = new Option<int>("--resamples") { Description = "Bootstrap resamples.", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the bootstrap.", DefaultValueFactory = _ => 1 };
        var unpaired = new Option<bool>("--unpaired") { Description = "Resample each group's sweeps on its own even with equal counts." };
        var output = new Option<string?>("--out") { Description = "Also write the table to this Markdown file." };
        var referencePoint = new Option<string?>("--reference") { Description = "The reference point as DELAY_S,ENERGY_J (e.g. 1.0,0.25), fixed before the sweeps; default 1.1 x the worst mean delay and energy of all sweeps." };
        var plotFile = new Option<string?>("--plot") { Description = "Also write a PNG of every sweep's live points (baseline filled, candidate open)." };
        var command = new Command("live-compare",
            "Compare two policies' live fronts from several `eval live` sweeps each (e.g. the generic and a fine-tuned policy, run interleaved): every sweep's live hypervolume under one reference point (1.1 x the worst mean delay and energy of all sweeps), the ratio of the candidate's mean hypervolume to the baseline's, and its 95 % bootstrap interval over the sweeps; beyond noise = the interval's lower end above 1.");
        foreach (var option in new Option[] { baseline, candidate, resamples, seed, unpaired, referencePoint, output, plotFile })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var console = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                if (parseResult.GetValue(resamples) is var n && n is < 100 or > 1_000_000)
                {
                    throw new ArgumentException($"--resamples must be between 100 and 1000000, got {n}.");
                }

                var b = parseResult.GetValue(baseline)!.Select(LiveSweep.Read).ToArray();
                var c = parseResult.GetValue(candidate)!.Select(LiveSweep.Read).ToArray();
                var result = LiveComparison.Compare(b, c, n, parseResult.GetValue(seed), paired: !parseResult.GetValue(unpaired), reference: ParseReference(parseResult.GetValue(referencePoint)));
                var text = LiveComparison.Format(b, c, result);
                await console.WriteLineAsync(text);
                if (parseResult.GetValue(output) is { } path)
                {
                    await File.WriteAllTextAsync(path, "# Live hypervolume: candidate against baseline\n\n" + text, cancellationToken);
                    await console.WriteLineAsync("wrote " + Path.GetFullPath(path));
                }

                if (parseResult.GetValue(plotFile) is { } png)
                {
                    LiveComparison.Plot(b, c, result, png);
                    await console.WriteLineAsync("wrote " + Path.GetFullPath(png));
                }

                return 0;
            }
            catch (ArgumentException ex)
            {
                await error.WriteLineAsync("edgeagent eval live-compare: " + ex.Message);
                return 2;
            }
        });
        return command;
    }

    // "DELAY_S,ENERGY_J" -> the point; null when not given.
    internal static Core.Pareto.ObjectivePoint? ParseReference(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split(',');
        if (parts.Length == 2
            && double.TryParse(parts[0], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var delay)
            && double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var energy)
            && delay > 0 && energy > 0 && double.IsFinite(delay) && double.IsFinite(energy))
        {
            return new Core.Pareto.ObjectivePoint(delay, energy);
        }

        throw new ArgumentException($"--reference must be DELAY_S,ENERGY_J with both positive (e.g. 1.0,0.25), got '{text}'.");
    }
}
