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
    [InlineData("", 1, "--compare names no policy")]
    [InlineData(" , ,", 1, "--compare names no policy")]
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

    [Fact]
    public void Pooled_TwoRunFiles_RepeatsFollowEachOtherAndTheIntervalUsesAll()
    {
        var dir = Directory.CreateTempSubdirectory("edgeagent-pool-").FullName;
        try
        {
            var planned = DemoCommand.Comparison(new DemoSettings { Policy = "learned" }, "heuristic", 2, ["default"], preferenceGiven: false)!;
            var files = new List<string>();
            for (var f = 0; f < 2; f++)
            {
                var part = new DemoComparison(planned.BaseSettings, planned.Policies, planned.Preferences, planned.Contexts);
                foreach (var w in planned.Preferences)
                {
                    foreach (var policy in planned.Policies)
                    {
                        var snapshot = new DemoSnapshot([new PlacementRow("local", 4, 1, 1, 1, 0)], 2, 0, 1, 2, 100 + f, 120 + f, null);
                        part.Results.Add(new DemoRunResult(policy, w, 0, snapshot, policy == "learned" ? 0.5 + w : 0.6 + w, 0) { ItemSeconds = [0.1 + (0.01 * f) - (0.05 * w), 0.1 + (0.01 * f) - (0.05 * w)] });
                    }
                }

                files.Add(Path.Combine(dir, $"runs{f}.csv"));
                part.SaveRunsCsv(files[^1]);
            }

            var pooled = DemoCommand.Pooled(planned, files);

            Assert.Equal(2, pooled.Repeats);
            Assert.Equal(8, pooled.Results.Count);
            Assert.Equal([0, 1], pooled.Results.Select(r => r.Repeat).Distinct().Order());
            Assert.Equal(2, pooled.Cell(0, "learned", 1).Count);
            Assert.False(double.IsNaN(pooled.HypervolumeRatio("learned", "heuristic", 0).Low));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Pooled_RunOfAnotherComparison_FailsNamingIt()
    {
        var dir = Directory.CreateTempSubdirectory("edgeagent-pool-").FullName;
        try
        {
            var other = new DemoComparison(new DemoSettings(), ["learned", "local"], [0.5], [[DemoProfiles.Edge]]);
            other.Results.Add(new DemoRunResult("local", 0.5, 0, new DemoSnapshot([], 1, 0, 1, 1, 100, 100, null), 1, 0) { ItemSeconds = [0.1] });
            var file = Path.Combine(dir, "runs.csv");
            other.SaveRunsCsv(file);
            var planned = DemoCommand.Comparison(new DemoSettings { Policy = "learned" }, "heuristic", 11, ["default"], preferenceGiven: false)!;

            var e = Assert.Throws<ArgumentException>(() => DemoCommand.Pooled(planned, [file]));

            Assert.Contains("policy local", e.Message, StringComparison.Ordinal);
            Assert.Contains("--pool-runs", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
