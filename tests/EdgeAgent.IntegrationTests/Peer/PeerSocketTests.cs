using System.Net.Sockets;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Grpc.Net.Client;

namespace EdgeAgent.IntegrationTests.Peer;

public sealed class PeerSocketTests
{
    private static readonly TimeSpan Timeout = PeerFixture.Timeout;

    [Fact]
    public async Task StartAsync_WithSocketAndStaleSocketFile_ServesInferenceOnUnixSocket()
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        var socket = Path.Combine(repo.Root, "peer.sock");
        await File.WriteAllBytesAsync(socket, []);  // what a crashed previous run leaves behind

        await using var app = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root, Socket = socket }, PeerFixture.Quiet).WaitAsync(Timeout);
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                    return new NetworkStream(s, ownsSocket: true);
                },
            },
        });
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);

        var response = await client.ModelInferAsync(MalformedRequests.Typed()).ResponseAsync.WaitAsync(Timeout);

        Assert.Equal([11f, 22f, 33f, 44f], response.Outputs[0].Contents.Fp32Contents);
    }

    [Fact]
    public async Task StartAsync_SocketInUse_NamesSetting()
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        var socket = Path.Combine(repo.Root, "peer.sock");
        await using var first = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root, Socket = socket }, PeerFixture.Quiet).WaitAsync(Timeout);

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root, Socket = socket }, PeerFixture.Quiet)).WaitAsync(Timeout);

        Assert.StartsWith("Endpoint:Socket (--socket):", ex.Message, StringComparison.Ordinal);
    }
}
