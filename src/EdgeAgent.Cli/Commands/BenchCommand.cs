using System.CommandLine;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench`: performance measurements that print ratios against a baseline measured in the same run.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks: each prints its figures against a baseline measured in the same run.");
        command.Subcommands.Add(BenchPolicyCommand.Create());
        return command;
    }
}
