using System.CommandLine;
using EdgeAgent.Cli.Commands;

var root = new RootCommand("EdgeAgent: edge-cloud collaborative inference with a learned offloading policy.");
foreach (var command in CommandCatalog.Create())
{
    root.Subcommands.Add(command);
}

return await root.Parse(args).InvokeAsync();
