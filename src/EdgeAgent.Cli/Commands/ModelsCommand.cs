using System.CommandLine;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent models ...`: the model repository (fetch, and other subcommands added beside it).</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "Manage the model repository: fetch models, profile variants.");
        foreach (var subcommand in Subcommands())
        {
            command.Subcommands.Add(subcommand);
        }

        return command;
    }

    // One line per subcommand, each in its own ModelsXxxCommand.cs.
    private static IEnumerable<Command> Subcommands()
    {
        yield return ModelsFetchCommand.Create();
        yield return ModelsProfileCommand.Create();
        yield return ModelsProfileOpsCommand.Create();
    }
}
