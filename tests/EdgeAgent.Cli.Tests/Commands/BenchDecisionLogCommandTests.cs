using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>bench decision-log's --agent-cpus is checked before any agent process starts.</summary>
public sealed class BenchDecisionLogCommandTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("0-0")]
    [InlineData("0,0")]
    public void CpuListError_ListOfThisMachine_IsNull(string list) => Assert.Null(BenchDecisionLogCommand.CpuListError(list));

    [Theory]
    [InlineData("abc", "give CPU numbers and ranges separated by commas")]
    [InlineData("", "give CPU numbers and ranges separated by commas")]
    [InlineData("-1", "give CPU numbers and ranges separated by commas")]
    [InlineData("1,", "give CPU numbers and ranges separated by commas")]
    [InlineData("0-1-2", "give CPU numbers and ranges separated by commas")]
    [InlineData("3-1", "'3-1' is not a CPU number or a range from a lower to a higher CPU")]
    [InlineData("99999999999", "'99999999999' is not a CPU number")]
    [InlineData("4096", "CPU 4096 does not exist here")]
    public void CpuListError_BadList_SaysWhy(string list, string expected) =>
        Assert.Contains(expected, BenchDecisionLogCommand.CpuListError(list), StringComparison.Ordinal);

    [Fact]
    public void BenchDecisionLog_BadAgentCpus_ExitsTwoBeforeStartingAnything()
    {
        var (code, output, error) = CliRunner.Run([BenchCommand.Create()], ["bench", "decision-log", "--agent-cpus", "x\u0001y"], 60);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith("edgeagent bench decision-log: --agent-cpus is 'x\\u0001y': give CPU numbers and ranges separated by commas, e.g. 1 or 0-1,3.", error, StringComparison.Ordinal);
    }
}
