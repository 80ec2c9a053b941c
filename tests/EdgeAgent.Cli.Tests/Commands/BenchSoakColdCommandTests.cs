using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>bench soak and bench cold refuse out-of-range durations before starting any process.</summary>
public sealed class BenchSoakColdCommandTests
{
    [Theory]
    [InlineData("soak", "--interval", "1e400", "edgeagent bench soak: --interval must be 1 to 3600 seconds and --fault-interval 2 to 3600 seconds.")]
    [InlineData("soak", "--fault-interval", "1e300", "edgeagent bench soak: --interval must be 1 to 3600 seconds and --fault-interval 2 to 3600 seconds.")]
    [InlineData("soak", "--interval", "NaN", "edgeagent bench soak: --interval must be 1 to 3600 seconds and --fault-interval 2 to 3600 seconds.")]
    [InlineData("soak", "--minutes", "-1", "edgeagent bench soak: --minutes must be in (0, 1440]; got -1.")]
    [InlineData("cold", "--deadline", "1e400", "edgeagent bench cold: --role must be peer, agent or both, --case 512k, 2m or both, --trials at least 1 and --deadline above 0 and at most 3600 seconds.")]
    [InlineData("cold", "--deadline", "NaN", "edgeagent bench cold: --role must be peer, agent or both, --case 512k, 2m or both, --trials at least 1 and --deadline above 0 and at most 3600 seconds.")]
    public void BadDuration_ExitsTwoWithOneLine(string bench, string option, string value, string expected)
    {
        var (code, output, error) = CliRunner.Run([BenchCommand.Create()], ["bench", bench, option, value], 60);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal([expected], error.Trim().Split('\n'));
    }
}
