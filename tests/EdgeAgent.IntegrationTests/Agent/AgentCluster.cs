using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using EdgeAgent.Node.Serving;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>
/// Real agents and peers on 127.0.0.1 with ephemeral ports over one temporary model repository
/// (add_neg: sum = a + b, neg = -a, FP32 [N, 4]). Disposing stops every node it started.
/// </summary>
internal sealed class AgentCluster : IAsyncDisposable
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly List<WebApplication> _apps = [];
    private readonly List<GrpcChannel> _channels = [];

    public AgentCluster()
    {
        Repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        TokenFile = Path.Combine(Repository.Root, "operator.token");
        File.WriteAllText(TokenFile, "test-operator-token-" + Guid.NewGuid().ToString("N") + "\n");
    }

    public TempRepository Repository { get; }

    /// <summary>The operator token every agent of this cluster is given (Security:OperatorTokenFile); <see cref="Channel(WebApplication)"/> presents it.</summary>
    public string TokenFile { get; }

    /// <summary>Fast reconnects and staleness so tests stay short.</summary>
    public static Dictionary<string, string?> FastAgentSettings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Agent:LoadReportInterval"] = "00:00:00.050",
            ["Agent:ReconnectInitialDelay"] = "00:00:00.050",
            ["Agent:ReconnectMaxDelay"] = "00:00:00.300",
            ["Agent:StaleAfter"] = "00:00:02",
            ["Agent:PingInterval"] = "00:00:00.200",
            ["Agent:Seed"] = "1",
            // Link probes off: tests that count throughput samples or peer calls see only their own
            // traffic. Probing has its own tests (LinkProbeTests), which switch it on.
            ["Agent:LinkProbeMaxBytes"] = "0",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    public async Task<WebApplication> StartPeerAsync(string name, string listen = "127.0.0.1:0", IReadOnlyDictionary<string, string?>? extra = null, Action<WebApplicationBuilder>? configure = null)
    {
        var settings = new PeerHostSettings { ModelsPath = Repository.Root, NodeName = name, Listen = listen, Extra = extra ?? new Dictionary<string, string?>() };
        var app = await PeerHost.StartAsync(settings, b =>
        {
            Quiet(b);
            configure?.Invoke(b);
        }).WaitAsync(Bound);
        _apps.Add(app);
        return app;
    }

    /// <summary>A server with only the Open Inference Protocol and health (no PeerService), as Triton or KServe look to the agent.</summary>
    public async Task<WebApplication> StartOipOnlyServerAsync()
    {
        var builder = NodeHost.CreateBuilder([], new PeerHostSettings { ModelsPath = Repository.Root, NodeName = "oip-only" }.ToConfiguration(), NodeRole.Peer);
        Quiet(builder);
        builder.Services.AddEdgeAgentPeer();
        var app = builder.Build();
        app.UseEdgeAgentServing();
        app.MapEdgeAgentServing();
        _apps.Add(app);
        await NodeHost.StartAsync(app).WaitAsync(Bound);
        return app;
    }

    public async Task<WebApplication> StartAgentAsync(AgentHostSettings settings, Action<WebApplicationBuilder>? configure = null)
    {
        if (!settings.Extra.ContainsKey("Security:OperatorTokenFile"))
        {
            settings = settings with { Extra = new Dictionary<string, string?>(settings.Extra) { ["Security:OperatorTokenFile"] = TokenFile } };
        }

        var app = await AgentHost.StartAsync(settings, b =>
        {
            Quiet(b);
            configure?.Invoke(b);
        }).WaitAsync(Bound);
        _apps.Add(app);
        return app;
    }

    /// <summary>Stops a node: gracefully, or at once (connections aborted) when <paramref name="abort"/>.</summary>
    public async Task StopAsync(WebApplication app, bool abort = false)
    {
        _apps.Remove(app);
        using var cts = new CancellationTokenSource(abort ? TimeSpan.Zero : TimeSpan.FromSeconds(5));
        await app.StopAsync(cts.Token).WaitAsync(Bound);
        await app.DisposeAsync().AsTask().WaitAsync(Bound);
    }

    public AgentHostSettings AgentSettings(string policy, params string[] peers) => new()
    {
        ModelsPath = Repository.Root,
        Policy = policy,
        Peers = peers,
        Extra = FastAgentSettings(),
    };

    public GrpcChannel Channel(WebApplication app) => Channel(app.GetTcpAddress().ToString());

    public GrpcChannel Channel(string address)
    {
        var channel = EdgeAgent.Node.Control.AgentChannel.Create(address, new EdgeAgent.Node.Control.AgentCredentials { TokenFile = TokenFile });
        _channels.Add(channel);
        return channel;
    }

    /// <summary>Polls the agent's status until <paramref name="predicate"/> holds (bounded).</summary>
    public static async Task<AgentStatus> WaitForStatusAsync(GrpcChannel agent, Func<AgentStatus, bool> predicate, string what)
    {
        var client = new ControlService.ControlServiceClient(agent);
        var deadline = DateTime.UtcNow + Bound;
        AgentStatus status;
        do
        {
            status = await client.GetStatusAsync(new GetStatusRequest()).ResponseAsync.WaitAsync(Bound);
            if (predicate(status))
            {
                return status;
            }

            await Task.Delay(25);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"Timed out waiting until {what}; last status: {status}");
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (bounded).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Bound;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    public static Task<AgentStatus> WaitForPeerAsync(GrpcChannel agent, string peer, bool connected) =>
        WaitForStatusAsync(agent, s => s.Peers.Any(p => p.Name == peer && p.Connected == connected), $"peer {peer} is {(connected ? "connected" : "unavailable")}");

    /// <summary>An add_neg request with raw contents: a = [1, 2, 3, 4], b = [10, 20, 30, 40], repeated over <paramref name="rows"/> rows.</summary>
    public static ModelInferRequest AddNegRequest(int rows = 1)
    {
        var request = new ModelInferRequest { ModelName = "add_neg", Id = "req-1" };
        foreach (var name in new[] { "a", "b" })
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = "FP32" };
            input.Shape.Add([rows, 4]);
            request.Inputs.Add(input);
        }

        request.RawInputContents.Add(Floats([.. Enumerable.Repeat(new float[] { 1, 2, 3, 4 }, rows).SelectMany(r => r)]));
        request.RawInputContents.Add(Floats([.. Enumerable.Repeat(new float[] { 10, 20, 30, 40 }, rows).SelectMany(r => r)]));
        return request;
    }

    public static async Task<ModelInferResponse> InferAsync(GrpcChannel channel, ModelInferRequest? request = null) =>
        await new GRPCInferenceService.GRPCInferenceServiceClient(channel)
            .ModelInferAsync(request ?? AddNegRequest(), deadline: DateTime.UtcNow + Bound).ResponseAsync.WaitAsync(Bound);

    /// <summary>Asserts the add_neg outputs for <see cref="AddNegRequest"/>, in raw or typed form.</summary>
    public static void AssertAddNegOutputs(ModelInferResponse response, int rows = 1)
    {
        Assert.Equal(Enumerable.Repeat(new float[] { 11, 22, 33, 44 }, rows).SelectMany(r => r), Output(response, "sum"));
        Assert.Equal(Enumerable.Repeat(new float[] { -1, -2, -3, -4 }, rows).SelectMany(r => r), Output(response, "neg"));
    }

    public static string Placement(ModelInferResponse response) => response.Parameters[ResponseParameters.Placement].StringParam;

    private static float[] Output(ModelInferResponse response, string name)
    {
        var index = response.Outputs.Select((o, i) => (o, i)).Single(x => x.o.Name == name).i;
        if (response.RawOutputContents.Count > 0)
        {
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(response.RawOutputContents[index].Span).ToArray();
        }

        return response.Outputs[index].Contents.Fp32Contents.ToArray();
    }

    private static ByteString Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        return ByteString.CopyFrom(bytes);
    }

    private static void Quiet(WebApplicationBuilder builder) => builder.Logging.SetMinimumLevel(LogLevel.Warning);

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        foreach (var app in Enumerable.Reverse(_apps))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(cts.Token).WaitAsync(Bound);
            await app.DisposeAsync().AsTask().WaitAsync(Bound);
        }

        Repository.Dispose();
    }
}
