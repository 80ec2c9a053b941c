using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class DurationArgumentTests
{
    [Theory]
    [InlineData("30", 30)]
    [InlineData("90s", 90)]
    [InlineData("2m", 120)]
    [InlineData("1h", 3600)]
    [InlineData("0.5m", 30)]
    [InlineData("00:01:00", 60)]
    public void TryParse_OperatorForms_ReadAsSeconds(string text, double seconds)
    {
        Assert.True(DurationArgument.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("fast")]
    [InlineData("10x")]
    [InlineData("1e400")]
    public void TryParse_Garbage_Fails(string text)
    {
        Assert.False(DurationArgument.TryParse(text, out _));
    }

    [Fact]
    public async Task Demo_BadDuration_ExitsWithMessageNamingTheOption()
    {
        var root = new System.CommandLine.RootCommand();
        root.Subcommands.Add(DemoCommand.Create());
        var parse = root.Parse(["demo", "--duration", "soon"]);

        Assert.NotEmpty(parse.Errors);
        Assert.Contains(parse.Errors, e => e.Message.Contains("--duration", StringComparison.Ordinal) && e.Message.Contains("soon", StringComparison.Ordinal));
        await Task.CompletedTask;
    }
}
