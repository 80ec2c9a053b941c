using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class BenchPeerCommandTests
{
    [Theory]
    [InlineData("--clients", "0", "--clients must be between 1 and 1024; got 0.")]
    [InlineData("--group", "-1", "--group must be between 0 and 200; got -1.")]
    [InlineData("--max-batch", "2000", "--max-batch must be between 0 and 1024; got 2000.")]
    [InlineData("--max-queue-delay-ms", "-5", "--max-queue-delay-ms must be between 0 and 1000; got -5.")]
    public void BenchPeer_BadOption_ExitsTwoNamingIt(string option, string value, string expected)
    {
        var (code, _, error) = CliRunner.Run([BenchCommand.Create()], ["bench", "peer", option, value], 60);

        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void BenchPeer_ModelMissing_ExitsOneNamingTheFile()
    {
        var empty = Directory.CreateTempSubdirectory("edgeagent-bench-peer-").FullName;
        try
        {
            var (code, _, error) = CliRunner.Run([BenchCommand.Create()], ["bench", "peer", "--models", empty, "--model", "nope"], 60);

            Assert.Equal(1, code);
            Assert.Contains(Path.Combine(empty, "nope", "1", "model.onnx") + " does not exist", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty, recursive: true);
        }
    }
}
