using System.CommandLine;
using EdgeAgent.Cli.Commands;

// First: the shared ArrayPool keeps enough arrays for a peer's large answer (issue 17, the offload
// hop; src/EdgeAgent.Node/README.md, Hosting/).
EdgeAgent.Node.Hosting.SharedArrayPoolRetention.Apply();

var root = new RootCommand("EdgeAgent: edge-cloud collaborative inference with a learned offloading policy.");
foreach (var command in CommandCatalog.Create())
{
    root.Subcommands.Add(command);
}

// System.CommandLine ends the process 2 s after SIGTERM/Ctrl+C by default, cutting a node's
// drain short (issue 13); a node's own Serving:ShutdownTimeout (at most 2 min) now governs.
var invocation = new InvocationConfiguration { ProcessTerminationTimeout = EdgeAgent.Node.Serving.ServingOptions.MaxShutdownTimeout + TimeSpan.FromSeconds(5) };
return await root.Parse(args).InvokeAsync(invocation);
