using System.CommandLine;
using System.Globalization;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent log export`: the durable decision log as CSV, JSON Lines or Parquet.</summary>
internal static class LogCommand
{
    public static Command Create()
    {
        var log = new Command("log", "Read the agent's durable decision log (one row per request).");
        log.Subcommands.Add(CreateExport());
        return log;
    }

    private static Command CreateExport()
    {
        var db = new Option<string?>("--db") { Description = "The decision log database (default: where `edgeagent agent` writes it, DecisionLog:Path's default)." };
        var format = new Option<string>("--format") { Description = "csv, jsonl or parquet.", DefaultValueFactory = _ => "csv" };
        var output = new Option<string?>("--out") { Description = "Output file (default: standard output; required for parquet)." };
        var since = new Option<string?>("--since") { Description = "Only rows at or after this time: an ISO 8601 time (2026-12-03T18:00:00Z) or a duration back from now (90s, 15m, 2h, 7d)." };
        var command = new Command("export", "Write the decision log's rows (observation features, mask and preference; chosen and actual placement; queue, transfer and execution times; energy with provenance; outcome) for analysis.");
        foreach (var option in new Option[] { db, format, output, since })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            var formatText = parseResult.GetValue(format) ?? "csv";
            if (!DecisionExport.TryParseFormat(formatText, out var exportFormat))
            {
                await stderr.WriteLineAsync($"edgeagent log export: --format '{formatText}' is not one of csv, jsonl, parquet.").ConfigureAwait(false);
                return 2;
            }

            var outPath = parseResult.GetValue(output);
            if (exportFormat == DecisionExportFormat.Parquet && string.IsNullOrWhiteSpace(outPath))
            {
                await stderr.WriteLineAsync("edgeagent log export: --format parquet writes a binary file; give it with --out FILE.").ConfigureAwait(false);
                return 2;
            }

            DateTimeOffset? from = null;
            if (parseResult.GetValue(since) is { } sinceText)
            {
                if (!TryParseSince(sinceText, TimeProvider.System.GetUtcNow(), out var parsed))
                {
                    await stderr.WriteLineAsync($"edgeagent log export: --since '{sinceText}' is neither an ISO 8601 time nor a duration (90s, 15m, 2h, 7d).").ConfigureAwait(false);
                    return 2;
                }

                from = parsed;
            }

            var dbPath = parseResult.GetValue(db) is { Length: > 0 } given ? given : new DecisionLogOptions().ResolvePath();
            string? partial = null;
            try
            {
                using var database = DecisionDatabase.OpenForReading(dbPath);
                var layouts = database.Layouts();
                long rows;
                if (string.IsNullOrWhiteSpace(outPath))
                {
                    await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                    if (ReferenceEquals(stdout, Console.Out))
                    {
                        var console = Console.OpenStandardOutput();
                        await using (console.ConfigureAwait(false))
                        {
                            rows = await DecisionExport.WriteAsync(database.Read(from), exportFormat, console, layouts, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        // A caller-provided writer (tests, embedding): text formats only, so decode the bytes.
                        using var buffer = new MemoryStream();
                        rows = await DecisionExport.WriteAsync(database.Read(from), exportFormat, buffer, layouts, cancellationToken).ConfigureAwait(false);
                        await stdout.WriteAsync(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)).ConfigureAwait(false);
                    }
                }
                else
                {
                    // Removed again if the export fails, once this run has opened it (never a file or
                    // directory the run could not open: a directory named by --out stays).
                    var full = Path.GetFullPath(outPath);
                    var file = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                    partial = full;
                    await using (file.ConfigureAwait(false))
                    {
                        rows = await DecisionExport.WriteAsync(database.Read(from), exportFormat, file, layouts, cancellationToken).ConfigureAwait(false);
                    }

                    partial = null;
                    await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Exported {rows} rows of {database.FilePath} to {Path.GetFullPath(outPath)} ({exportFormat.ToString().ToLowerInvariant()}).")).ConfigureAwait(false);
                }

                return 0;
            }
            catch (DecisionDatabaseException ex)
            {
                await stderr.WriteLineAsync($"edgeagent log export: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"edgeagent log export: cannot write '{outPath}': {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            finally
            {
                if (partial is not null)
                {
                    try
                    {
                        File.Delete(partial);
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        // Leave a partial file rather than hide the first error.
                    }
                }
            }
        });
        return command;
    }

    /// <summary>An ISO 8601 time (UTC unless it says otherwise) or a duration before <paramref name="now"/> (90s, 15m, 2h, 7d, hh:mm:ss).</summary>
    internal static bool TryParseSince(string text, DateTimeOffset now, out DateTimeOffset since)
    {
        text = text.Trim();
        since = default;
        if (text.Length > 1 && text[^1] is 'd' or 'D' && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var days)
            && double.IsFinite(days) && days >= 0 && days < 36500)
        {
            since = now - TimeSpan.FromDays(days);
            return true;
        }

        if (text.Length > 0 && (char.IsDigit(text[^1]) || text[^1] is 's' or 'm' or 'h') && !text.Contains('-', StringComparison.Ordinal)
            && DurationArgument.TryParse(text, out var back) && back >= TimeSpan.Zero && back < TimeSpan.FromDays(36500))
        {
            since = now - back;
            return true;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out since);
    }
}
