using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Grpc.Reflection.V1Alpha;
using SkiaSharp;

namespace EdgeAgent.IntegrationTests.Client;

/// <summary>`edgeagent infer`, `status` and `pref` against real agents and peers on 127.0.0.1; server reflection.</summary>
public sealed class InferCommandTests
{
    [Fact]
    public async Task Infer_RandomThroughAgentToPeer_PrintsOutputsAndPeerPlacement()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()}"));
        await AgentCluster.WaitForPeerAsync(cluster.Channel(agent), "cloud", connected: true);

        var (code, output, error) = await InProcessCli.RunAsync("infer", "--agent", agent.GetTcpAddress().ToString(), "--model", "add_neg", "--random", "--shape", "a=2x4", "--shape", "b=2x4");

        Assert.True(code == 0, error);
        Assert.Contains("model       add_neg version 1", output, StringComparison.Ordinal);
        Assert.Contains("placement   peer:cloud", output, StringComparison.Ordinal);
        Assert.Contains("queue ms    ", output, StringComparison.Ordinal);
        Assert.Contains("exec ms     ", output, StringComparison.Ordinal);
        Assert.Contains("output      sum FP32 [2,4] n=8 ", output, StringComparison.Ordinal);
        Assert.Contains("output      neg FP32 [2,4] n=8 ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--followed")]
    [InlineData("--batch-after", "3")]
    [InlineData("--followed", "--batch-after", "0")]
    public async Task Infer_PipelineMarks_AgentAcceptsThemAndServes(params string[] marks)
    {
        await using var cluster = new AgentCluster();
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));

        var (code, output, error) = await InProcessCli.RunAsync(["infer", "--agent", agent.GetTcpAddress().ToString(), "--model", "add_neg", "--random", "--shape", "a=1x4", "--shape", "b=1x4", .. marks]);

        Assert.True(code == 0, error);
        Assert.Contains("placement   local", output, StringComparison.Ordinal);
        Assert.Contains("output      sum FP32 [1,4] n=4 ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_JsonTensorAgainstPeer_PrintsComputedValues()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge");
        var file = Path.Combine(cluster.Repository.Root, "request.json");
        await File.WriteAllTextAsync(file, """
            {"inputs": [
              {"name": "a", "shape": [1, 4], "datatype": "FP32", "data": [[1, 2, 3, 4]]},
              {"name": "b", "shape": [1, 4], "datatype": "FP32", "data": [10, 20, 30, 40]}
            ]}
            """);

        var (code, output, error) = await InProcessCli.RunAsync("infer", "--agent", peer.GetTcpAddress().ToString(), "--model", "add_neg", "--tensor", file);

        Assert.True(code == 0, error);
        Assert.Contains("placement   local", output, StringComparison.Ordinal);
        Assert.Contains("output      sum FP32 [1,4] n=4 min=11 max=44 mean=27.5 values=[11, 22, 33, 44]", output, StringComparison.Ordinal);
        Assert.Contains("output      neg FP32 [1,4] n=4 min=-4 max=-1 mean=-2.5 values=[-1, -2, -3, -4]", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_NpyTensorAgainstPeer_RunsIdentity()
    {
        await using var cluster = new AgentCluster();
        cluster.Repository.Add("id_fp32", 1, TinyOnnx.Identity(TinyOnnx.ElemType.Float));
        var peer = await cluster.StartPeerAsync("edge");
        var file = Path.Combine(cluster.Repository.Root, "x.npy");
        await File.WriteAllBytesAsync(file, Npy("<f4", "(2, 3)", [.. new float[] { 1, 2, 3, 4, 5, 6 }.SelectMany(BitConverter.GetBytes)]));

        var (code, output, error) = await InProcessCli.RunAsync("infer", "--agent", peer.GetTcpAddress().ToString(), "--model", "id_fp32", "--tensor", file);

        Assert.True(code == 0, error);
        Assert.Contains("output      y FP32 [2,3] n=6 min=1 max=6 mean=3.5 values=[1, 2, 3, 4, 5, 6]", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_ImageAgainstAgent_SendsResizedRgbNchw()
    {
        await using var cluster = new AgentCluster();
        cluster.Repository.Add("image_id", 1, TinyOnnx.Model(
            [new TinyOnnx.Value("x", TinyOnnx.ElemType.Float, 1, 3, 4, 4)],
            [new TinyOnnx.Value("y", TinyOnnx.ElemType.Float, 1, 3, 4, 4)],
            [new TinyOnnx.Node("Identity", ["x"], ["y"])]));
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));
        var file = Path.Combine(cluster.Repository.Root, "red.png");
        using (var bitmap = new SKBitmap(8, 8))
        {
            bitmap.Erase(new SKColor(255, 0, 0));
            using var png = bitmap.Encode(SKEncodedImageFormat.Png, 100);
            await File.WriteAllBytesAsync(file, png.ToArray());
        }

        var (code, output, error) = await InProcessCli.RunAsync("infer", "--agent", agent.GetTcpAddress().ToString(), "--model", "image_id", "--image", file);

        Assert.True(code == 0, error);
        Assert.Contains("placement   local", output, StringComparison.Ordinal);
        // Red plane first (NCHW), all 1; then green and blue, all 0.
        Assert.Contains("output      y FP32 [1,3,4,4] n=48 min=0 max=1 mean=0.333333 values=[1, 1, 1, 1, 1, 1, 1, 1, ...]", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_NothingListening_SaysNothingAnswered()
    {
        var port = Loopback.FreePort();
        var (code, _, error) = await InProcessCli.RunAsync("infer", "--agent", $"http://127.0.0.1:{port}", "--model", "add_neg", "--random");

        Assert.Equal(1, code);
        Assert.StartsWith($"edgeagent: nothing answered at http://127.0.0.1:{port} (tried a TCP connection: ", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Infer_UnknownModel_ReportsServersAnswer()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge");

        var (code, _, error) = await InProcessCli.RunAsync("infer", "--agent", peer.GetTcpAddress().ToString(), "--model", "nope", "--random");

        Assert.Equal(1, code);
        Assert.Contains("answered NotFound", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--random", "--tensor", "x.json")]
    [InlineData("--shape", "1x0", "--random")]
    public async Task Infer_BadArguments_ExitTwoWithOneLine(params string[] extra)
    {
        var (code, _, error) = await InProcessCli.RunAsync(["infer", "--agent", "http://127.0.0.1:1", "--model", "m", .. extra]);

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("edgeagent: ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("many")]
    public async Task Infer_BatchAfterNotACount_ExitTwoNamingTheOption(string value)
    {
        var (code, _, error) = await InProcessCli.RunAsync("infer", "--agent", "http://127.0.0.1:1", "--model", "m", "--random", "--batch-after", value);

        Assert.Equal(2, code);
        Assert.Contains("--batch-after", error.Split('\n')[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_NpyForTwoInputModel_NamesTheProblem()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge");
        var file = Path.Combine(cluster.Repository.Root, "x.npy");
        await File.WriteAllBytesAsync(file, Npy("<f4", "(1, 4)", new byte[16]));

        var (code, _, error) = await InProcessCli.RunAsync("infer", "--agent", peer.GetTcpAddress().ToString(), "--model", "add_neg", "--tensor", file);

        Assert.Equal(2, code);
        Assert.Contains("--tensor: model 'add_neg' has 2 inputs", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_AgainstPeer_SaysItIsAPeer()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge");

        var (code, output, error) = await InProcessCli.RunAsync("status", "--agent", peer.GetTcpAddress().ToString());
        var (prefCode, _, prefError) = await InProcessCli.RunAsync("pref", "set", "0.5", "--agent", peer.GetTcpAddress().ToString());

        Assert.True(code == 0, error);
        Assert.StartsWith("role        peer", output, StringComparison.Ordinal);
        Assert.Contains("server      edge", output, StringComparison.Ordinal);
        Assert.Equal(1, prefCode);
        Assert.Contains("is a peer or plain inference server ('edge'), not an agent", prefError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_NothingListening_SaysNothingAnswered()
    {
        var port = Loopback.FreePort();
        var (code, _, error) = await InProcessCli.RunAsync("status", "--agent", $"http://127.0.0.1:{port}");

        Assert.Equal(1, code);
        Assert.Contains($"nothing answered at http://127.0.0.1:{port}", error, StringComparison.Ordinal);
        Assert.DoesNotContain("answered Unavailable", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_PeerNotYetMeasured_MarksPriorEstimates()
    {
        await using var cluster = new AgentCluster();
        // Nothing listens at the peer's address: no RTT and no transfer is ever measured.
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local", $"cloud=http://127.0.0.1:{Loopback.FreePort()}"));

        var (code, output, error) = await InProcessCli.RunAsync("status", "--agent", agent.GetTcpAddress().ToString(), "--token-file", cluster.TokenFile);

        Assert.True(code == 0, error);
        Assert.Contains("100.0 prior", output, StringComparison.Ordinal);
        Assert.Contains("\"prior\": the configured Agent:PriorThroughputMbit", output, StringComparison.Ordinal);
    }

    // Regression: after one small offload `status` showed 0.0 Mbit/s for the peer (a transfer of a
    // few dozen bytes timed as throughput); it stays the marked prior until a transfer of at least
    // Agent:ThroughputSampleMinBytes is measured.
    [Fact]
    public async Task Status_AfterSmallOffload_ThroughputStaysMarkedPrior()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("cloud");
        // The emulated 1 Mbit/s link makes the small forward take measurable time (before the fix: a sample of about 1 Mbit/s or less).
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()};bw=1mbit"));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        var response = await AgentCluster.InferAsync(channel);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));

        var (code, output, error) = await InProcessCli.RunAsync("status", "--agent", agent.GetTcpAddress().ToString(), "--token-file", cluster.TokenFile);

        Assert.True(code == 0, error);
        Assert.Contains("100.0 prior", output, StringComparison.Ordinal);
        Assert.DoesNotContain(" 0.0 ", output.Split('\n').Single(l => l.StartsWith("cloud", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reflection_AgentAndPeer_ListTheirServices()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("edge");
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("local"));

        var peerServices = await ListServicesAsync(cluster.Channel(peer));
        var agentServices = await ListServicesAsync(cluster.Channel(agent));

        Assert.Contains("inference.GRPCInferenceService", peerServices);
        Assert.Contains("edgeagent.v1.PeerService", peerServices);
        Assert.Contains("grpc.health.v1.Health", peerServices);
        Assert.Contains("inference.GRPCInferenceService", agentServices);
        Assert.Contains("edgeagent.v1.ControlService", agentServices);
    }

    private static async Task<List<string>> ListServicesAsync(Grpc.Net.Client.GrpcChannel channel)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo(deadline: DateTime.UtcNow + AgentCluster.Bound);
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" }).WaitAsync(AgentCluster.Bound);
        await call.RequestStream.CompleteAsync().WaitAsync(AgentCluster.Bound);
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None).WaitAsync(AgentCluster.Bound));
        return call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name).ToList();
    }

    internal static byte[] Npy(string descr, string shape, byte[] data)
    {
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        header = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0]);
        bytes.AddRange(BitConverter.GetBytes((ushort)header.Length));
        bytes.AddRange(System.Text.Encoding.Latin1.GetBytes(header));
        bytes.AddRange(data);
        return [.. bytes];
    }
}
