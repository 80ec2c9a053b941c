using System.CommandLine;
using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>Runs commands under a root command as the edgeagent binary would (its parse-error rule included), capturing both streams.</summary>
internal static class CliRunner
{
    /// <summary>
    /// Parses <paramref name="args"/> against a root holding <paramref name="commands"/> and invokes it;
    /// fails the test when it has not finished within <paramref name="timeoutSeconds"/>.
    /// </summary>
    public static (int Code, string Output, string Error) Run(Command[] commands, string[] args, int timeoutSeconds = 120)
    {
        var root = EdgeAgentCommandLine.CreateRoot(commands);
        var output = new StringWriter();
        var error = new StringWriter();
        var task = EdgeAgentCommandLine.InvokeAsync(root, args, new InvocationConfiguration { Output = output, Error = error });
        Assert.True(task.Wait(TimeSpan.FromSeconds(timeoutSeconds)), $"'{string.Join(' ', args)}' did not finish within {timeoutSeconds} s");
        return (task.Result, output.ToString(), error.ToString());
    }
}
