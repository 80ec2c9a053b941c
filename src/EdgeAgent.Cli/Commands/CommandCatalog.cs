using System.CommandLine;

namespace EdgeAgent.Cli.Commands;

/// <summary>Every top-level `edgeagent` command, in the order `--help` lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create()
    {
        yield return VersionCommand.Create();
        yield return ModelsCommand.Create();
        yield return EvalCommand.Create();
    }
}
