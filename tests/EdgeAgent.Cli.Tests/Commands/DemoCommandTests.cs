using EdgeAgent.Cli.Commands;
using EdgeAgent.Demo.Cluster;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class DemoCommandTests
{
    [Fact]
    public void Comparison_PoliciesAndSweep_IncludesTheDemosPolicyFirstAndEvenPreferences()
    {
        var comparison = DemoCommand.Comparison(new DemoSettings { Policy = "heuristic" }, "local, peer,heuristic", 11, ["default", "edge:rtt=80ms,bw=10mbit,speed=1.2"], preferenceGiven: false);

        Assert.NotNull(comparison);
        Assert.Equal(["heuristic", "local", "peer"], comparison.Policies);
        Assert.Equal(11, comparison.Preferences.Count);
        Assert.Equal(2, comparison.Contexts.Count);
    }

    [Theory]
    [InlineData("heuristic,random", 1, "--compare names 'random'")]
    [InlineData("local", 0, "--preferences must be between 1 and 101")]
    [InlineData("local", 102, "--preferences must be between 1 and 101")]
    public void Comparison_BadOption_ThrowsNamingIt(string compare, int preferences, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => DemoCommand.Comparison(new DemoSettings(), compare, preferences, [], preferenceGiven: false));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comparison_SweepWithOneOptions_Refused()
    {
        Assert.Contains("--preference and --preferences", Assert.Throws<ArgumentException>(() => DemoCommand.Comparison(new DemoSettings(), "local", 11, [], preferenceGiven: true)).Message, StringComparison.Ordinal);
        Assert.Contains("go with --compare", Assert.Throws<ArgumentException>(() => DemoCommand.Comparison(new DemoSettings(), null, 11, [], preferenceGiven: false)).Message, StringComparison.Ordinal);
        Assert.Contains("--link-profile: peer 'x'", Assert.Throws<ArgumentException>(() => DemoCommand.Comparison(new DemoSettings(), "local", 1, ["x:rtt=1"], preferenceGiven: false)).Message, StringComparison.Ordinal);
        Assert.Contains("--repeats", Assert.Throws<ArgumentException>(() => DemoCommand.Comparison(new DemoSettings(), null, 1, [], preferenceGiven: false, repeats: 3)).Message, StringComparison.Ordinal);
        Assert.Contains("--repeats must be between 1 and 100", Assert.Throws<ArgumentException>(() => DemoCommand.Comparison(new DemoSettings(), "local", 11, [], preferenceGiven: false, repeats: 0)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Comparison_Repeats_CarriedToTheComparison()
    {
        Assert.Equal(3, DemoCommand.Comparison(new DemoSettings(), "heuristic", 11, [], preferenceGiven: false, repeats: 3)!.Repeats);
    }

    [Fact]
    public void Demo_BadCompareName_OneLineAndExitTwo()
    {
        var (code, _, error) = CliRunner.Run([DemoCommand.Create()], ["demo", "--compare", "heuristic,fastest"]);

        Assert.Equal(2, code);
        Assert.Equal("edgeagent demo: --compare names 'fastest'; use policies from learned, heuristic, local, peer.", error.Trim());
    }
}
