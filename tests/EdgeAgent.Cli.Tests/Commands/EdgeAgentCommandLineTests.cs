using System.CommandLine;
using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>
/// Arguments that do not parse: one line per problem naming the command and the option, a pointer to
/// --help, exit code 2 (the README's "Bad input" rule), never the whole help text.
/// </summary>
public sealed class EdgeAgentCommandLineTests
{
    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = EdgeAgentCommandLine.InvokeAsync(EdgeAgentCommandLine.CreateRoot(), args, new InvocationConfiguration { Output = output, Error = error })
            .WaitAsync(TimeSpan.FromSeconds(60)).GetAwaiter().GetResult();
        return (code, output.ToString(), error.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Theory]
    [InlineData(new[] { "pref", "set", "abc" }, "edgeagent pref set: <delay-weight>: 'abc' is not a number.")]
    [InlineData(new[] { "train", "--out", "x.onnx", "--minutes", "ten" }, "edgeagent train: option '--minutes': 'ten' is not a number.")]
    [InlineData(new[] { "status", "--agnt", "127.0.0.1:8001" }, "edgeagent status: unknown option '--agnt'. Did you mean --agent?")]
    [InlineData(new[] { "hw", "watch", "--interval", "5" }, "edgeagent hw watch: unknown option '--interval'. Did you mean --interval-ms?")]
    [InlineData(new[] { "agent", "--port=8001" }, "edgeagent agent: unknown option '--port=8001'.")]
    [InlineData(new[] { "version", "extra" }, "edgeagent version: unexpected argument 'extra'.")]
    [InlineData(new[] { "quantize", "model.onnx" }, "edgeagent quantize: Option '--out' is required.")]
    [InlineData(new[] { "certs", "ca", "--out", "ca", "--days", "abc" }, "edgeagent certs ca: option '--days': 'abc' is not a whole number.")]
    [InlineData(new[] { "certs", "rotate", "--ca", "ca", "--cert", "c.crt", "--key", "c.key", "--days", "NaN" }, "edgeagent certs rotate: option '--days': 'NaN' is not a whole number.")]
    [InlineData(new[] { "hw", "watch", "--count", "" }, "edgeagent hw watch: option '--count': '' is not a whole number.")]
    [InlineData(new[] { "demo", "--models", "" }, "edgeagent demo: --models must not be empty.")]
    [InlineData(new[] { "demo", "--policy-file", "" }, "edgeagent demo: --policy-file must not be empty.")]
    [InlineData(new[] { "hw", "probe", "--ina219-bus", "-1" }, "edgeagent hw probe: --ina219-bus must be between 0 and 255.")]
    [InlineData(new[] { "demo", "--plot", " " }, "edgeagent demo: --plot must not be empty.")]
    [InlineData(new[] { "demo", "--decision-log", "" }, "edgeagent demo: --decision-log must not be empty.")]
    [InlineData(new[] { "certs", "ca", "--out", " " }, "edgeagent certs ca: --out must not be empty.")]
    [InlineData(new[] { "quantize", "m.onnx", "--out", "" }, "edgeagent quantize: --out must not be empty.")]
    public void UnparseableArguments_OneLineNamingTheProblem_Exit2(string[] args, string expected)
    {
        var (code, output, error) = Run(args);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        var lines = Lines(error);
        Assert.Equal([expected, $"See '{expected[..expected.IndexOf(':', StringComparison.Ordinal)]} --help' for its usage."], lines);
    }

    [Fact]
    public void UnknownCommand_NamesTheCommandsAndTheClosestOne()
    {
        var (code, _, error) = Run("bench", "hopp");

        Assert.Equal(2, code);
        var first = Lines(error)[0];
        Assert.StartsWith("edgeagent bench: 'hopp' is not one of its commands (", first, StringComparison.Ordinal);
        Assert.Contains("decision-log", first, StringComparison.Ordinal);
        Assert.EndsWith("Did you mean hop?", first, StringComparison.Ordinal);
        Assert.Equal(2, Lines(error).Length);
    }

    [Fact]
    public void UnlikeName_NoSuggestion()
    {
        var (code, _, error) = Run("bench", "nope");

        Assert.Equal(2, code);
        Assert.DoesNotContain("Did you mean", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "edgeagent: a command is required: agent, pref, status,")]
    [InlineData(new[] { "models" }, "edgeagent models: a command is required: fetch, profile")]
    public void MissingCommand_ListsTheCommands(string[] args, string expectedStart)
    {
        var (code, _, error) = Run(args);

        Assert.Equal(2, code);
        Assert.StartsWith(expectedStart, Lines(error)[0], StringComparison.Ordinal);
        Assert.Equal(2, Lines(error).Length);
    }

    [Fact]
    public void Help_StillPrintsTheUsage_Exit0()
    {
        var (code, output, error) = Run("pref", "set", "--help");

        Assert.Equal(0, code);
        Assert.Contains("pref set <delay-weight> [options]", output, StringComparison.Ordinal);
        Assert.Equal("", error);
    }

    [Fact]
    public void ValidArguments_RunTheCommand()
    {
        var (code, output, error) = Run("version");

        Assert.Equal(0, code);
        Assert.Contains("EdgeAgent", output, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task UnexpectedFailure_OneLineNamingTheCommand_Exit1()
    {
        var failing = new Command("explode", "Throws.");
        failing.SetAction((Func<ParseResult, int>)(_ => throw new InvalidOperationException("the disk caught fire\nreally")));
        var output = new StringWriter();
        var error = new StringWriter();

        var code = await EdgeAgentCommandLine.InvokeAsync(EdgeAgentCommandLine.CreateRoot([failing]), ["explode"], new InvocationConfiguration { Output = output, Error = error })
            .WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(1, code);
        var lines = Lines(error.ToString());
        Assert.StartsWith("edgeagent explode: the disk caught fire really (InvalidOperationException; ", lines[0], StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable(EdgeAgentCommandLine.DebugVariable) is null)
        {
            Assert.Single(lines);
        }
    }

    [Fact]
    public void EmptyNullableOption_Refused()
    {
        var (code, _, error) = Run("bench", "hop", "--baseline", "");

        Assert.Equal(2, code);
        Assert.Equal("edgeagent bench hop: --baseline must not be empty.", Lines(error)[0]);
    }

    [Fact]
    public void CommandsOwnValidation_Unchanged()
    {
        var (code, _, error) = Run("pref", "set", "2");

        Assert.Equal(2, code);
        Assert.Equal(["edgeagent: delay-weight is 2; it must be in [0, 1]."], Lines(error));
    }
}
