using System.CommandLine;
using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class OcrCommandsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ModelsFetch_NpmMissing_ExitsOneSayingWhatToInstall()
    {
        var repo = Path.Combine(Path.GetTempPath(), "edgeagent-cli-" + Guid.NewGuid().ToString("N"));

        var (code, _, error) = await RunAsync("models", "fetch", "paddleocr", "--repo", repo, "--npm", "edgeagent-no-such-npm");

        Assert.Equal(1, code);
        Assert.Contains("npm was not found", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(repo, "ocr-det")));
    }

    [Fact]
    public async Task ModelsFetch_UnknownName_IsRejected()
    {
        var (code, _, error) = await RunAsync("models", "fetch", "resnet");

        Assert.NotEqual(0, code);
        Assert.Contains("resnet", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_ZeroRate_ExitsTwoNamingTheOption()
    {
        var (code, _, error) = await RunAsync("demo", "--rate", "0");

        Assert.Equal(2, code);
        Assert.Contains("--rate", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_UnknownPolicy_IsRejected()
    {
        var (code, _, error) = await RunAsync("demo", "--policy", "random");

        Assert.NotEqual(0, code);
        Assert.Contains("random", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_ZeroIterations_ExitsTwoNamingTheOption()
    {
        var (code, _, error) = await RunAsync("bench", "--iterations", "0");

        Assert.Equal(2, code);
        Assert.Contains("--iterations", error, StringComparison.Ordinal);
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var root = new RootCommand();
        foreach (var command in CommandCatalog.Create())
        {
            root.Subcommands.Add(command);
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(args).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }).WaitAsync(Timeout);
        return (code, output.ToString(), error.ToString());
    }
}
