using System.CommandLine;
using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class OptionRangeTests
{
    [Theory]
    [InlineData(new[] { "hw", "bench", "--rate", "5000" }, "--rate must be between 1 and 1000 Hz.")]
    [InlineData(new[] { "hw", "bench", "--seconds", "0.1" }, "--seconds must be between 0.5 and 600.")]
    [InlineData(new[] { "hw", "bench", "--rounds", "0" }, "--rounds must be between 1 and 100.")]
    [InlineData(new[] { "hw", "bench", "--timer-slack-us", "-1" }, "--timer-slack-us must be between 0 and 100000 us.")]
    [InlineData(new[] { "hw", "watch", "--interval-ms", "5" }, "--interval-ms must be between 20 and 60000.")]
    [InlineData(new[] { "hw", "bench", "--rate", "NaN" }, "--rate must be between 1 and 1000 Hz.")]
    [InlineData(new[] { "hw", "bench", "--seconds", "NaN" }, "--seconds must be between 0.5 and 600.")]
    public void HwOptions_OutOfRange_ErrorNamesOptionAndRange(string[] args, string expected)
    {
        var root = new RootCommand();
        root.Subcommands.Add(HwCommand.Create());

        var parse = root.Parse(args);

        Assert.Contains(parse.Errors, e => e.Message == expected);
    }

    [Fact]
    public void HwBench_InRange_NoErrors()
    {
        var root = new RootCommand();
        root.Subcommands.Add(HwCommand.Create());

        var parse = root.Parse(["hw", "bench", "--rate", "100", "--seconds", "1", "--rounds", "2", "--timer-slack-us", "500"]);

        Assert.Empty(parse.Errors);
    }
}
