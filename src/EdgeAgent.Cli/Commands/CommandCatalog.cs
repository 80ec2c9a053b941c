using System.CommandLine;

namespace EdgeAgent.Cli.Commands;

/// <summary>Every top-level `edgeagent` command, in the order `--help` lists them.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> Create()
    {
        yield return AgentCommand.Create();
        yield return ControlCommands.CreatePref();
        yield return ControlCommands.CreateStatus();
        yield return InferCommand.Create();
        yield return HealthCommand.Create();
        yield return VersionCommand.Create();
        yield return PeerCommand.Create();
        yield return CertsCommand.Create();
        yield return TrainCommand.Create();
        yield return BenchCommand.Create();
        yield return ModelsCommand.Create();
        yield return DemoCommand.Create();
        yield return HwCommand.Create();
        yield return QuantizeCommand.Create();
        yield return EvalCommand.Create();
        yield return LogCommand.Create();
        yield return CalibrateCommand.Create();
    }
}
