using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class BenchTelemetryCommandTests
{
    [Theory]
    [InlineData(new[] { "--iterations", "5" }, "--iterations must be at least 10; got 5.")]
    [InlineData(new[] { "--blocks", "0" }, "--blocks must be between 1 and --iterations (2000); got 0.")]
    [InlineData(new[] { "--iterations", "20", "--blocks", "21" }, "--blocks must be between 1 and --iterations (20); got 21.")]
    [InlineData(new[] { "--warmup-limit", "5" }, "--warmup-limit must be between 10 and 3600 seconds; got 5.")]
    [InlineData(new[] { "--otlp-protocol", "http" }, "--otlp-protocol must be grpc or http/protobuf; got 'http'.")]
    [InlineData(new[] { "--nodes", "/nonexistent/edgeagent-build/edgeagent" }, "--nodes: there is no file '/nonexistent/edgeagent-build/edgeagent'")]
    public void BenchTelemetry_BadOption_ExitsTwoNamingIt(string[] options, string expected)
    {
        var (code, _, error) = CliRunner.Run([BenchCommand.Create()], ["bench", "telemetry", .. options], 60);

        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
