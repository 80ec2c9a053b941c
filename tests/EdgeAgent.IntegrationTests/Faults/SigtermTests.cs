using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Control;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Grpc.Core;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13: SIGTERM ended the process after about 2 s (the command-line library's
/// process-termination timeout overrode the host's shutdown timeout); requests in flight got
/// UNAVAILABLE, and those waiting on a hung peer never fell back. Target: SIGTERM with 32 requests
/// in flight, 0 dropped. The real binary runs as a child process.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class SigtermTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Agent_SigtermWithRequestsWaitingOnAHungPeer_AllFallBackAndProcessExitsCleanly()
    {
        var shutdownTimeout = TimeSpan.FromSeconds(8);
        var inFlight = FaultScale.Pick(32, 32);
        using var repo = new TempRepository().Add("chain", 1, TinyOnnx.MatMulChain(8));
        var (peer, hung) = await FaultPeers.StartHungPeerAsync(repo.Root);
        await using (peer)
        {
            var port = Loopback.FreePort();
            var tokenFile = Path.Combine(repo.Root, "operator.token");
            await File.WriteAllTextAsync(tokenFile, "sigterm-test-token-" + Guid.NewGuid().ToString("N") + "\n");
            using var agent = StartAgent(repo.Root, port, peer.GetTcpAddress().ToString(), shutdownTimeout, tokenFile);
            try
            {
                using var channel = AgentChannel.Create($"http://127.0.0.1:{port}", new AgentCredentials { TokenFile = tokenFile });
                await WaitForPeerAsync(channel, agent);
                var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
                var request = FaultPeers.ChainRequest(rows: 64);
                var calls = Enumerable.Range(0, inFlight).Select(async _ =>
                {
                    try
                    {
                        var response = await client.ModelInferAsync(request, deadline: DateTime.UtcNow + Bound);
                        return (StatusCode.OK, response.Parameters.TryGetValue(ResponseParameters.FallbackFrom, out var from) ? from.StringParam : "");
                    }
                    catch (RpcException ex)
                    {
                        return (ex.StatusCode, ex.Status.Detail);
                    }
                }).ToArray();

                // Every call is waiting on the hung peer (its offload timeout is 60 s) when SIGTERM comes.
                await AgentCluster.WaitUntilAsync(() => hung.Ids.Count >= inFlight, $"{inFlight} calls wait on the hung peer");
                var signalled = Stopwatch.StartNew();
                using (var kill = Process.Start("kill", ["-TERM", agent.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    await kill!.WaitForExitAsync().WaitAsync(Bound);
                }

                var results = await Task.WhenAll(calls).WaitAsync(Bound);
                await agent.WaitForExitAsync().WaitAsync(Bound);
                var exitedAfter = signalled.Elapsed;

                Assert.True(results.All(r => r.Item1 == StatusCode.OK), string.Join("; ", results.Where(r => r.Item1 != StatusCode.OK).Select(r => $"{r.Item1}: {r.Item2}").Distinct()));
                Assert.All(results, r => Assert.Equal("hung", r.Item2));
                Assert.Equal(0, agent.ExitCode);
                Assert.True(exitedAfter < shutdownTimeout + TimeSpan.FromSeconds(5), $"the agent exited {exitedAfter.TotalSeconds:0.0} s after SIGTERM");
            }
            finally
            {
                if (!agent.HasExited)
                {
                    agent.Kill(entireProcessTree: true);
                }
            }
        }
    }

    private static Process StartAgent(string models, int port, string peerUrl, TimeSpan shutdownTimeout, string tokenFile)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            Path.Combine(AppContext.BaseDirectory, "edgeagent.dll"), "agent", "--listen", $"127.0.0.1:{port}", "--models", models,
            "--peer", $"hung={peerUrl}", "--policy", "peer", "--offload-timeout-ms", "60000",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["EDGEAGENT_Serving__ShutdownTimeout"] = shutdownTimeout.ToString("c", CultureInfo.InvariantCulture);
        start.Environment["EDGEAGENT_Agent__StaleAfter"] = "00:01:00";
        start.Environment["EDGEAGENT_Security__OperatorTokenFile"] = tokenFile;
        start.Environment["EDGEAGENT_Serving__MaxConcurrentRequests"] = "64";
        start.Environment["EDGEAGENT_Execution__IntraOpThreads"] = "1";
        start.Environment["EDGEAGENT_Execution__MaxConcurrency"] = "2";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start edgeagent");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForPeerAsync(Grpc.Net.Client.GrpcChannel channel, Process agent)
    {
        var control = new ControlService.ControlServiceClient(channel);
        var deadline = DateTime.UtcNow + Bound;
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(agent.HasExited, "the agent exited during start-up");
            try
            {
                var status = await control.GetStatusAsync(new GetStatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                if (status.Peers.Any(p => p.Connected))
                {
                    return;
                }
            }
            catch (RpcException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("the agent never connected to the hung peer");
    }
}
