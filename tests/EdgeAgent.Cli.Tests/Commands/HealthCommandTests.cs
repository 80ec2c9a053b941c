using EdgeAgent.Cli.Commands;
using EdgeAgent.Demo.Benchmarks;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>`edgeagent health` (the container's HEALTHCHECK) against a real peer on 127.0.0.1.</summary>
public sealed class HealthCommandTests
{
    [Fact]
    public async Task Health_ServingNodeAndHealthListener_ExitsZero_NothingListening_ExitsOneSayingSo()
    {
        var repository = TinyModel.WriteRepository(Directory.CreateTempSubdirectory("edgeagent-health-").FullName);
        try
        {
            await using var peer = await PeerHost.StartAsync(
                new PeerHostSettings { ModelsPath = repository, Extra = new Dictionary<string, string?> { ["Endpoint:HealthListen"] = "127.0.0.1:0" } },
                b => b.Logging.ClearProviders());

            var (code, output, firstError) = CliRunner.Run([HealthCommand.Create()], ["health", "--node", peer.GetTcpAddress().ToString(), "--timeout-ms", "30000"]);
            Assert.True(code == 0, $"health against {peer.GetTcpAddress()}: {firstError}");
            Assert.Equal("SERVING", output.Trim());

            var (healthCode, healthOutput, _) = CliRunner.Run([HealthCommand.Create()], ["health", "--node", peer.GetHealthAddress()!.ToString().Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal), "--timeout-ms", "30000"]);
            Assert.Equal(0, healthCode);
            Assert.Equal("SERVING", healthOutput.Trim());

            var closed = Loopback.FreePort();
            var (downCode, _, error) = CliRunner.Run([HealthCommand.Create()], ["health", "--node", $"http://127.0.0.1:{closed}", "--timeout-ms", "3000"]);
            Assert.Equal(1, downCode);
            Assert.Contains("nothing answered", error, StringComparison.Ordinal);
            Assert.Single(error.Trim().Split('\n'));

            var (badCode, _, badError) = CliRunner.Run([HealthCommand.Create()], ["health", "--node", "ftp://x"]);
            Assert.Equal(2, badCode);
            Assert.StartsWith("edgeagent: --node:", badError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
        }
    }
}
