using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// The `edgeagent` command line: the root command and one invocation rule for arguments that do not
/// parse. System.CommandLine's default answer to a parse error is the error followed by the whole help
/// text and exit code 1; ours is what every command's own validation does (README, "Bad input"): one
/// line per error naming the command and the problem, a pointer to `--help`, exit code 2.
/// </summary>
internal static partial class EdgeAgentCommandLine
{
    /// <summary>The exit code of arguments that do not parse or do not validate.</summary>
    public const int UsageExitCode = 2;

    /// <summary>The root command holding every command of <see cref="CommandCatalog"/>.</summary>
    public static RootCommand CreateRoot() => CreateRoot(CommandCatalog.Create());

    /// <summary>A root command holding <paramref name="commands"/>.</summary>
    public static RootCommand CreateRoot(IEnumerable<Command> commands)
    {
        var root = new RootCommand("EdgeAgent: edge-cloud collaborative inference with a learned offloading policy.");
        foreach (var command in commands)
        {
            root.Subcommands.Add(command);
        }

        return root;
    }

    /// <summary>
    /// Parses <paramref name="args"/> against <paramref name="root"/> and invokes the command; arguments
    /// that do not parse are reported by <see cref="WriteParseErrors"/> instead (help, when asked for, wins).
    /// </summary>
    public static Task<int> InvokeAsync(RootCommand root, string[] args, InvocationConfiguration configuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(configuration);
        var result = root.Parse(args);
        if (result.Errors.Count > 0 && result.Action is not HelpAction)
        {
            WriteParseErrors(result, configuration.Error);
            return Task.FromResult(UsageExitCode);
        }

        configuration.EnableDefaultExceptionHandler = false;
        return InvokeAsync(result, configuration, cancellationToken);
    }

    /// <summary>The environment variable and value that show an unexpected failure's stack trace.</summary>
    public const string DebugVariable = "EDGEAGENT_Logging__LogLevel__EdgeAgent";

    // Runs the command. A failure the command did not turn into its own message is one line naming
    // the command, the exception's type and message, exit 1 (System.CommandLine's default handler
    // printed "Unhandled exception:" and the stack trace); the trace only with
    // EDGEAGENT_Logging__LogLevel__EdgeAgent=Debug (or Trace), as for a node's start-up failure.
    private static async Task<int> InvokeAsync(ParseResult result, InvocationConfiguration configuration, CancellationToken cancellationToken)
    {
        try
        {
            return await result.InvokeAsync(configuration, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return 1; // cancelled (Ctrl+C): nothing to report, as before
        }
        catch (Exception ex)
        {
            var path = CommandPath(result);
            var message = string.Join(' ', ex.Message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
            await configuration.Error.WriteLineAsync($"{path}: {message} ({ex.GetType().Name}; {DebugVariable}=Debug shows the stack trace)").ConfigureAwait(false);
            if (Environment.GetEnvironmentVariable(DebugVariable) is { } level
                && (level.Equals("Debug", StringComparison.OrdinalIgnoreCase) || level.Equals("Trace", StringComparison.OrdinalIgnoreCase)))
            {
                await configuration.Error.WriteLineAsync(ex.ToString()).ConfigureAwait(false);
            }

            return 1;
        }
    }

    /// <summary>
    /// One line per problem (`edgeagent pref set: Cannot parse argument 'abc' ...`; an unknown option
    /// or command with the names that resemble it), then where the usage is.
    /// </summary>
    public static void WriteParseErrors(ParseResult result, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(error);
        var command = result.CommandResult.Command;
        var path = CommandPath(result);
        var lines = new List<string>();
        var unmatched = result.UnmatchedTokens;
        var visibleSubcommands = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        for (var i = 0; i < unmatched.Count; i++)
        {
            var token = unmatched[i];
            if (i > 0 && unmatched[i - 1].StartsWith("--", StringComparison.Ordinal) && !unmatched[i - 1].Contains('=', StringComparison.Ordinal)
                && !token.StartsWith("--", StringComparison.Ordinal))
            {
                continue; // the value of the unknown option before it
            }

            if (token.StartsWith('-'))
            {
                var similar = Similar(command.Options.Where(o => !o.Hidden).Select(o => (o.Name, o.Aliases.Prepend(o.Name))), token.Split('=', 2)[0]);
                lines.Add($"unknown option '{token}'." + (similar.Count > 0 ? $" Did you mean {string.Join(" or ", similar)}?" : ""));
            }
            else if (visibleSubcommands.Count > 0)
            {
                var similar = Similar(command.Subcommands.Where(c => !c.Hidden).Select(c => (c.Name, c.Aliases.Prepend(c.Name))), token);
                lines.Add($"'{token}' is not one of its commands ({string.Join(", ", visibleSubcommands)})." + (similar.Count > 0 ? $" Did you mean {string.Join(" or ", similar)}?" : ""));
            }
            else
            {
                lines.Add($"unexpected argument '{token}'.");
            }
        }

        foreach (var parseError in result.Errors)
        {
            // Unmatched tokens are described above.
            if (unmatched.Any(t => parseError.Message.Contains($"'{t}'", StringComparison.Ordinal)))
            {
                continue;
            }

            if (visibleSubcommands.Count > 0 && command.Action is null && parseError.SymbolResult is CommandResult own && own.Command == command)
            {
                // "Required command was not provided": said once, with the commands, unless a wrong one was named.
                if (!lines.Any(l => l.Contains("is not one of its commands", StringComparison.Ordinal)))
                {
                    lines.Add($"a command is required: {string.Join(", ", visibleSubcommands)}.");
                }

                continue;
            }

            lines.Add(Plain(parseError));
        }

        foreach (var line in lines.Distinct(StringComparer.Ordinal))
        {
            error.WriteLine($"{path}: {line}");
        }

        error.WriteLine($"See '{path} --help' for its usage.");
    }

    // System.CommandLine's message with its whitespace collapsed and a value of the wrong type said in
    // the user's words: "Cannot parse argument 'abc' for option '--minutes' as expected type
    // 'System.Double'." -> "option '--minutes': 'abc' is not a number."
    private static string Plain(ParseError error)
    {
        var text = string.Join(' ', error.Message.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var match = CannotParse().Match(text);
        if (!match.Success)
        {
            return text;
        }

        var type = match.Groups["type"].Value;
        if (type.StartsWith("System.Nullable`1[", StringComparison.Ordinal))
        {
            type = type["System.Nullable`1[".Length..].TrimEnd(']');
        }

        var kind = type switch
        {
            "System.Double" or "System.Single" or "System.Decimal" => "a number",
            "System.Int32" or "System.Int64" or "System.Int16" or "System.UInt32" or "System.UInt64" or "System.Byte" => "a whole number",
            "System.Boolean" => "true or false",
            "System.TimeSpan" => "a duration",
            "System.IO.FileInfo" or "System.IO.DirectoryInfo" or "System.IO.FileSystemInfo" => "a path",
            var other => $"a {other.Split('.')[^1]}",
        };
        var symbol = match.Groups["symbol"].Value == "option" ? $"option '{match.Groups["name"].Value}'"
            : error.SymbolResult is ArgumentResult argument ? $"<{argument.Argument.Name}>" : $"argument of '{match.Groups["name"].Value}'";
        return $"{symbol}: '{match.Groups["value"].Value}' is not {kind}.";
    }

    [System.Text.RegularExpressions.GeneratedRegex("^Cannot parse argument '(?<value>.*)' for (?<symbol>option|command|argument) '(?<name>[^']*)' as expected type '(?<type>[^']+)'\\.?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex CannotParse();

    // "edgeagent eval live" for the command the arguments reached.
    private static string CommandPath(ParseResult result)
    {
        var names = new List<string>();
        for (var symbol = result.CommandResult; symbol is not null; symbol = symbol.Parent as CommandResult)
        {
            names.Add(symbol.Command is RootCommand ? "edgeagent" : symbol.Command.Name);
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    // The names among `symbols` (name, aliases) that `token` is a prefix of, that are a prefix of it,
    // or that are within two edits of it (one for short names): `--interval` -> `--interval-ms`, `--agnt` -> `--agent`.
    // The distance is the OCR metric's Levenshtein (loads EdgeAgent.Demo, only on a parse error).
    private static List<string> Similar(IEnumerable<(string Name, IEnumerable<string> Aliases)> symbols, string token)
    {
        var similar = new List<string>();
        foreach (var (name, aliases) in symbols)
        {
            foreach (var candidate in aliases)
            {
                var close = candidate.Length > 2 && token.Length > 2
                    && (candidate.StartsWith(token, StringComparison.Ordinal) || token.StartsWith(candidate, StringComparison.Ordinal)
                        || EdgeAgent.Demo.Ocr.CharacterAccuracy.EditDistance(candidate, token) <= (candidate.Length >= 6 ? 2 : 1));
                if (close && !similar.Contains(name))
                {
                    similar.Add(name);
                }
            }
        }

        return similar;
    }
}
