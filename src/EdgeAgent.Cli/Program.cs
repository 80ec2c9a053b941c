using System.CommandLine;
using EdgeAgent.Cli.Commands;

// First: the shared ArrayPool keeps enough arrays for a peer's large answer (issue 17, the offload
// hop; src/EdgeAgent.Node/README.md, Hosting/).
EdgeAgent.Node.Hosting.SharedArrayPoolRetention.Apply();

// Output to a file or a pipe: Spectre's console then assumes 80 columns and wraps long lines (a
// path in a progress line, a table cell) in the middle; a log has no width, so give it room.
if (Console.IsOutputRedirected)
{
    Spectre.Console.AnsiConsole.Profile.Width = 240;
}

var root = EdgeAgentCommandLine.CreateRoot();

// System.CommandLine ends the process 2 s after SIGTERM/Ctrl+C by default, cutting a node's
// drain short (issue 13); a node's own Serving:ShutdownTimeout (at most 2 min) now governs.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = EdgeAgent.Node.Serving.ServingOptions.MaxShutdownTimeout + TimeSpan.FromSeconds(5) };
return await EdgeAgentCommandLine.InvokeAsync(root, args, invocation);
