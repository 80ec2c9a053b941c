using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.TestModels;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeAgent.IntegrationTests.Hosting;

/// <summary>
/// The daemon loads only what it runs: an <c>edgeagent agent</c> or <c>edgeagent peer</c> process
/// that has served a request maps no model-tool or demo assembly and no SkiaSharp, HarfBuzz or
/// ScottPlot code (managed or native), read from the process's own /proc/PID/maps.
/// </summary>
public sealed class DaemonAssembliesTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static readonly string[] Forbidden = ["EdgeAgent.Demo.dll", "EdgeAgent.ModelTools.dll", "SkiaSharp", "libSkiaSharp", "HarfBuzz", "ScottPlot"];

    [Fact]
    public async Task Agent_AfterServingARequest_MapsNoDemoOrModelToolsCode()
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var mapped = await MappedFilesAfterOneRequest(repo.Root, "agent", "--policy", "local");

        Assert.Contains(mapped, f => f.EndsWith("/EdgeAgent.Inference.dll", StringComparison.Ordinal));
        Assert.Equal([], Offending(mapped));
    }

    [Fact]
    public async Task Peer_AfterServingARequest_MapsNoDemoOrModelToolsCode()
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var mapped = await MappedFilesAfterOneRequest(repo.Root, "peer");

        Assert.Contains(mapped, f => f.EndsWith("/EdgeAgent.Inference.dll", StringComparison.Ordinal));
        Assert.Equal([], Offending(mapped));
    }

    private static string[] Offending(IEnumerable<string> mapped) =>
        mapped.Where(f => Forbidden.Any(name => f.Contains(name, StringComparison.OrdinalIgnoreCase))).ToArray();

    /// <summary>Starts the built binary in <paramref name="mode"/>, sends one add_neg request, and returns the files its process maps.</summary>
    private static async Task<IReadOnlyList<string>> MappedFilesAfterOneRequest(string models, string mode, params string[] extra)
    {
        int port = Loopback.FreePort();
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "edgeagent"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { mode, "--listen", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), "--models", models }.Concat(extra))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var channel = GrpcChannel.ForAddress("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture));
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            await WaitReady(client, process).WaitAsync(Timeout);
            var response = await client.ModelInferAsync(AgentCluster.AddNegRequest(), deadline: DateTime.UtcNow + Timeout).ResponseAsync.WaitAsync(Timeout);
            Assert.Equal(["sum", "neg"], response.Outputs.Select(o => o.Name));

            return File.ReadAllLines($"/proc/{process.Id}/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => fields.Length >= 6)
                .Select(fields => string.Join(' ', fields.Skip(5)))
                .Distinct(StringComparer.Ordinal)
                .ToList();
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
    }

    private static async Task WaitReady(GRPCInferenceService.GRPCInferenceServiceClient client, Process process)
    {
        while (true)
        {
            Assert.False(process.HasExited, "the process exited during start-up");
            try
            {
                var ready = await client.ServerReadyAsync(new ServerReadyRequest(), deadline: DateTime.UtcNow.AddSeconds(2)).ResponseAsync;
                if (ready.Ready)
                {
                    return;
                }
            }
            catch (RpcException)
            {
            }

            await Task.Delay(100);
        }
    }
}
