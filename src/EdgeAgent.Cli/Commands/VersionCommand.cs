using System.CommandLine;
using System.Reflection;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent version`: the build's version and runtime.</summary>
internal static class VersionCommand
{
    public static Command Create()
    {
        var command = new Command("version", "Print the EdgeAgent version and runtime.");
        command.SetAction(parseResult =>
        {
            var version = typeof(VersionCommand).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
            parseResult.InvocationConfiguration.Output.WriteLine($"edgeagent {version} ({System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, {System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier})");
            return 0;
        });
        return command;
    }
}
