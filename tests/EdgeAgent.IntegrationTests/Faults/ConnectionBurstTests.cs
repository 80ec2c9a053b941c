using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Peer;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeAgent.IntegrationTests.Faults;

/// <summary>
/// Issue 13 (the soak's INTERNAL and UNAVAILABLE): a client that opens a new HTTP/2 connection
/// may start as many streams as it assumes the server allows before the server's SETTINGS frame
/// reaches it; .NET's SocketsHttpHandler (like Go's and Chrome's clients) assumes 100. A node too
/// busy to answer the connection preface at once (starved of CPU, or stopped) receives that whole
/// burst first. With a node limit of 32 streams per connection, Kestrel refused streams 33 and up
/// (RST_STREAM REFUSED_STREAM: UNAVAILABLE at the client, "The HTTP/2 server reset the stream"),
/// and once it tracked more than twice the limit it forgot refused streams whose DATA frames were
/// still arriving and closed the whole connection (GOAWAY STREAM_CLOSED: INTERNAL for every call
/// on it, the admitted ones too). Here a relay holds each new connection until the client's whole
/// burst has arrived and only then hands it to the node (the frames are counted, nothing is timed); every call must then end
/// with a status of the node's own: OK or RESOURCE_EXHAUSTED from admission.
/// </summary>
[Collection(FaultCollection.Name)]
public sealed class ConnectionBurstTests
{
    // What .NET's HTTP/2 client assumes before the server's SETTINGS (InitialMaxConcurrentStreams).
    private const int ClientPreSettingsStreams = 100;

    [Fact]
    public async Task ModelInfer_BurstOfStreamsBeforeServerSettings_EveryCallGetsOkOrResourceExhausted()
    {
        var trials = FaultScale.Pick(2, 20);
        using var repo = TempRepository.Standard();
        await using var app = await PeerHost.StartAsync(
            new PeerHostSettings
            {
                ModelsPath = repo.Root,
                MaxConcurrency = 1,
                QueueCapacity = 4,
                Extra = new Dictionary<string, string?>
                {
                    // One call runs, the burst's others wait for admission with their streams
                    // open, as on a node refusing work en masse.
                    ["Execution:IntraOpThreads"] = "1",
                    ["Serving:MaxConcurrentRequests"] = "1",
                    ["Serving:MaxWaitingRequests"] = "64",
                },
            },
            PeerFixture.Quiet);
        await using var relay = new BurstHoldingRelay(app.GetTcpAddress(), ClientPreSettingsStreams);

        var counts = new Dictionary<StatusCode, int>();
        var details = new Dictionary<StatusCode, string>();
        for (var trial = 0; trial < trials; trial++)
        {
            // A new channel is a new connection, held by the relay until the burst is in.
            using var channel = GrpcChannel.ForAddress(relay.Address, new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false } });
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var request = Request();
            var calls = Enumerable.Range(0, ClientPreSettingsStreams).Select(async _ =>
            {
                try
                {
                    await client.ModelInferAsync(request, deadline: DateTime.UtcNow.AddSeconds(120));
                    return (StatusCode.OK, "");
                }
                catch (RpcException ex)
                {
                    return (ex.StatusCode, ex.Status.Detail);
                }
            }).ToArray();
            foreach (var (code, detail) in await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(180)))
            {
                counts[code] = counts.GetValueOrDefault(code) + 1;
                details.TryAdd(code, detail);
            }
        }

        var summary = string.Join("; ", counts.Select(c => $"{c.Key} x{c.Value}: {details[c.Key]}"));
        // The burst must really have arrived before the node answered, or the test proves nothing.
        Assert.True(relay.HeldBursts == trials, $"{relay.HeldBursts} of {trials} connections were held until the client's burst of {ClientPreSettingsStreams} streams was in ({string.Join("; ", relay.NotHeld)}); {summary}");
        Assert.True(counts.Keys.All(k => k is StatusCode.OK or StatusCode.ResourceExhausted), summary);
        Assert.True(counts.GetValueOrDefault(StatusCode.OK) > 0, summary);
    }

    private static ModelInferRequest Request()
    {
        // 256 bytes of tensor data: the whole burst's DATA fits the 65,535-byte windows a client
        // may use before the server's SETTINGS and WINDOW_UPDATE, so the client sends (and
        // flushes) every call's HEADERS and body at once.
        var request = new ModelInferRequest { ModelName = "chain" };
        request.Inputs.Add(MalformedRequests.Input("x", "FP32", [1, 64], null));
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[64 * sizeof(float)]));
        return request;
    }

    /// <summary>
    /// A TCP relay in front of the node that holds each new connection's bytes until the client has
    /// sent the ends of <c>streams</c> requests (HEADERS or DATA frames with END_STREAM), then
    /// connects to the node and relays both ways: the node reads the whole burst before it can
    /// answer the preface, as a busy node does. Frames are counted, nothing is timed.
    /// </summary>
    private sealed class BurstHoldingRelay : IAsyncDisposable
    {
        private const int PrefaceLength = 24;
        private const int FrameHeaderLength = 9;
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Uri _target;
        private readonly int _streams;
        private readonly CancellationTokenSource _stop = new();
        private readonly List<Task> _connections = [];
        private readonly Task _accepting;
        private int _held;

        public BurstHoldingRelay(Uri target, int streams)
        {
            _target = target;
            _streams = streams;
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public Uri Address => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

        /// <summary>Connections whose client sent the whole burst before the node saw a byte of it.</summary>
        public int HeldBursts => Volatile.Read(ref _held);

        /// <summary>What the client had sent on connections released by the safety net.</summary>
        public List<string> NotHeld { get; } = [];

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _accepting;
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }

            Task[] connections;
            lock (_connections)
            {
                connections = [.. _connections];
            }

            await Task.WhenAll(connections).WaitAsync(TimeSpan.FromSeconds(30));
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_connections)
                {
                    _connections.Add(RelayAsync(client));
                }
            }
        }

        private async Task RelayAsync(TcpClient client)
        {
            using var _ = client;
            using var node = new TcpClient();
            try
            {
                var fromClient = client.GetStream();
                var held = new MemoryStream();
                var chunk = new byte[64 * 1024];

                // A safety net only (a client that never sends the whole burst): the test asserts
                // how many connections were held, not how long anything took.
                using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                giveUp.CancelAfter(TimeSpan.FromSeconds(30));
                var (started, ended) = (0, 0);
                try
                {
                    while (ended < _streams)
                    {
                        var read = await fromClient.ReadAsync(chunk, giveUp.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        held.Write(chunk, 0, read);
                        (started, ended) = Streams(held.GetBuffer().AsSpan(0, (int)held.Length));
                    }

                    Interlocked.Increment(ref _held);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    lock (_connections)
                    {
                        NotHeld.Add($"{started} streams started, {ended} ended");
                    }
                }

                await node.ConnectAsync(_target.Host, _target.Port, _stop.Token);
                var toNode = node.GetStream();
                await toNode.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), _stop.Token);
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var up = fromClient.CopyToAsync(toNode, done.Token);
                var down = toNode.CopyToAsync(fromClient, done.Token);
                await Task.WhenAny(up, down);
                await done.CancelAsync();
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client or the node went away: the relay ends with it.
            }
        }

        private static (int Started, int Ended) Streams(ReadOnlySpan<byte> bytes)
        {
            var started = 0;
            var ended = 0;
            var at = PrefaceLength;
            while (bytes.Length - at >= FrameHeaderLength)
            {
                var header = bytes.Slice(at, FrameHeaderLength);
                var length = (header[0] << 16) | (header[1] << 8) | header[2];
                if (bytes.Length - at < FrameHeaderLength + length)
                {
                    break;
                }

                var type = header[3];
                var flags = header[4];
                var stream = BinaryPrimitives.ReadInt32BigEndian(header[5..]) & int.MaxValue;

                // DATA (0) or HEADERS (1) with END_STREAM (0x1) on a client stream.
                if (stream != 0 && type is 0 or 1 && (flags & 0x1) != 0)
                {
                    ended++;
                }

                if (stream != 0 && type == 1)
                {
                    started++;
                }

                at += FrameHeaderLength + length;
            }

            return (started, ended);
        }
    }
}
