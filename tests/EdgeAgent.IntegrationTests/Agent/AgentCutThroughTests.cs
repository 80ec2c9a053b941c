using System.Collections.Concurrent;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>
/// Cut-through forwarding (issue 17): an agent forwards a large request to its peer while it
/// arrives. The peer must get exactly the client's bytes, and never a complete message the agent
/// refuses; odd encodings are handled as a buffered request is.
/// </summary>
public sealed class AgentCutThroughTests
{
    private static readonly Method<byte[], ModelInferResponse> RawModelInfer = new(
        MethodType.Unary, GRPCInferenceService.Descriptor.FullName, "ModelInfer",
        Marshallers.Create(bytes => bytes, bytes => bytes),
        Marshallers.Create(response => response.ToByteArray(), ModelInferResponse.Parser.ParseFrom));

    [Fact]
    public async Task ModelInfer_LargeRequestWithAnUnknownField_PeerGetsTheClientsBytes()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel) = await StartAsync(cluster);
        var bytes = Concat(Unknown(99, 7), AgentCluster.AddNegRequest(rows: 200).ToByteArray());

        var response = await SendAsync(channel, bytes);

        AgentCluster.AssertAddNegOutputs(response, rows: 200);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        Assert.Equal([bytes], recorder.Received);
    }

    [Fact]
    public async Task ModelInfer_FieldAfterTheTensors_HandledWholeWithTheLastValue()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel) = await StartAsync(cluster);
        var bytes = Concat(AgentCluster.AddNegRequest(rows: 200).ToByteArray(), new ModelInferRequest { Id = "late-id" }.ToByteArray());

        var response = await SendAsync(channel, bytes);

        AgentCluster.AssertAddNegOutputs(response, rows: 200);
        Assert.Equal("late-id", response.Id);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        // One complete request reached the peer (the cut-through call was abandoned before its last
        // byte), the same in meaning; a message protobuf would encode otherwise is sent re-encoded.
        var received = Assert.Single(recorder.Received);
        Assert.Equal(ModelInferRequest.Parser.ParseFrom(bytes), ModelInferRequest.Parser.ParseFrom(received));
    }

    [Fact]
    public async Task ModelInfer_MalformedTail_InvalidArgumentAndThePeerGetsNoRequest()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel) = await StartAsync(cluster);
        var bytes = Concat(AgentCluster.AddNegRequest(rows: 200).ToByteArray(), [0x47, 0x01]); // wire type 7: invalid

        var ex = await Assert.ThrowsAsync<RpcException>(() => SendAsync(channel, bytes));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("Malformed ModelInferRequest", ex.Status.Detail, StringComparison.Ordinal);
        // The abandoned forward did not count against the peer: the next request goes there.
        var response = await SendAsync(channel, AgentCluster.AddNegRequest(rows: 200).ToByteArray());
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        Assert.Single(recorder.Received);
    }

    [Fact]
    public async Task ModelInfer_TensorShorterThanItsShape_InvalidArgumentAndThePeerGetsNoRequest()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel) = await StartAsync(cluster);
        var request = AgentCluster.AddNegRequest(rows: 200);
        request.RawInputContents[1] = ByteString.CopyFrom(request.RawInputContents[1].Span[..^4]);

        var ex = await Assert.ThrowsAsync<RpcException>(() => SendAsync(channel, request.ToByteArray()));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("raw_input_contents[1]", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(recorder.Received);
    }

    [Fact]
    public async Task ModelInfer_UnknownModelInTheHead_NotFoundAsBuffered()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel) = await StartAsync(cluster);
        var request = AgentCluster.AddNegRequest(rows: 200);
        request.ModelName = "absent";

        var ex = await Assert.ThrowsAsync<RpcException>(() => SendAsync(channel, request.ToByteArray()));

        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
        Assert.Empty(recorder.Received);
    }

    [Fact]
    public async Task ModelInfer_OverTheMessageLimit_ResourceExhaustedAsGrpc()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel) = await StartAsync(cluster, ("Serving:MaxRequestBytes", "2048"));

        var ex = await Assert.ThrowsAsync<RpcException>(() => SendAsync(channel, AgentCluster.AddNegRequest(rows: 200).ToByteArray()));

        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("Received message exceeds the maximum configured message size.", ex.Status.Detail);
        Assert.Empty(recorder.Received);
    }

    [Fact]
    public async Task ModelInfer_PeerRefusesAfterTheBody_RunsLocallyWithTheWholeRequest()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel) = await StartAsync(cluster);
        recorder.Refuse = true;

        var response = await SendAsync(channel, AgentCluster.AddNegRequest(rows: 200).ToByteArray());

        AgentCluster.AssertAddNegOutputs(response, rows: 200);
        Assert.Equal("local", AgentCluster.Placement(response));
        Assert.Equal("cloud", response.Parameters[ResponseParameters.FallbackFrom].StringParam);
        Assert.Single(recorder.Received);
    }

    [Fact]
    public async Task ModelInfer_LargeRequest_BothNodesReceiveIntoTheLargeBlockPool()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel, agent, peer) = await StartNodesAsync(cluster);
        var pools = new[] { agent, peer }.Select(app => Assert.IsType<TransportMemoryPoolFactory>(app.Services.GetRequiredService<IMemoryPoolFactory<byte>>())).ToList();
        var rentsBefore = pools.Select(p => p.Rents).ToList();
        var bytes = AgentCluster.AddNegRequest(rows: 64 * 1024).ToByteArray(); // 2 MiB

        var response = await SendAsync(channel, bytes);

        AgentCluster.AssertAddNegOutputs(response, rows: 64 * 1024);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        Assert.Equal([bytes], recorder.Received);
        // Kestrel's transport on both nodes took its buffers from the 64 KiB pool, without the 1-byte wait for data.
        Assert.All(pools.Zip(rentsBefore), p => Assert.True(p.First.Rents > p.Second, "the node's transport rented no block from TransportMemoryPoolFactory"));
        Assert.All(new[] { agent, peer }, app => Assert.False(app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.WaitForDataBeforeAllocatingBuffer));
    }

    [Fact]
    public async Task ModelInfer_LargeAnswer_RelayedAsItArrivesWithTheAgentsFieldsAfterThePeers()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel) = await StartAsync(cluster, ("Agent:RelayMinBytes", "1024"));
        var request = AgentCluster.AddNegRequest(rows: 4096); // 128 KiB in, 128 KiB out
        request.Id = "relay-1";

        var raw = await SendForBytesAsync(channel, request.ToByteArray());
        var response = ModelInferResponse.Parser.ParseFrom(raw);

        AgentCluster.AssertAddNegOutputs(response, rows: 4096);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        Assert.Equal("relay-1", response.Id);
        Assert.Equal("add_neg", response.ModelName);
        Assert.Equal(InferParameter.ParameterChoiceOneofCase.DoubleParam, response.Parameters[ResponseParameters.ExecMs].ParameterChoiceCase);
        Assert.Equal(InferParameter.ParameterChoiceOneofCase.DoubleParam, response.Parameters[ResponseParameters.QueueMs].ParameterChoiceCase);
        Assert.False(response.Parameters.ContainsKey(ResponseParameters.FallbackFrom));
        // Relayed: the peer's own fields (its placement "local") are on the wire, the agent's after them.
        Assert.Equal(2, Occurrences(raw, System.Text.Encoding.UTF8.GetBytes(ResponseParameters.Placement)));
        Assert.Single(recorder.Received);
    }

    [Fact]
    public async Task ModelInfer_LargeAnswerWithTheRelayOffByDefault_WrittenWholeAsBefore()
    {
        await using var cluster = new AgentCluster();
        var (_, channel) = await StartAsync(cluster);
        var request = AgentCluster.AddNegRequest(rows: 4096);

        var raw = await SendForBytesAsync(channel, request.ToByteArray());
        var response = ModelInferResponse.Parser.ParseFrom(raw);

        AgentCluster.AssertAddNegOutputs(response, rows: 4096);
        Assert.Equal("peer:cloud", AgentCluster.Placement(response));
        Assert.Equal(1, Occurrences(raw, System.Text.Encoding.UTF8.GetBytes(ResponseParameters.Placement)));
    }

    [Fact]
    public async Task ModelInfer_PeerCutOffMidAnswer_CallerGetsAnErrorNotALocalRun()
    {
        await using var cluster = new AgentCluster();
        // A peer whose ModelInfer answer announces 1 MiB, sends 256 KiB of it and resets the stream.
        var peer = await cluster.StartPeerAsync("cloud", configure: b => b.Services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new CutOffAnswers()));
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()}") with
        {
            Extra = AgentCluster.FastAgentSettings(("Agent:CutThroughMinBytes", "1024"), ("Agent:RelayMinBytes", "1024")),
        });
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);

        var ex = await Assert.ThrowsAsync<RpcException>(() => SendAsync(channel, AgentCluster.AddNegRequest(rows: 200).ToByteArray()));

        // Part of the peer's answer had reached the caller: an error, not the local run a whole-written answer would get.
        Assert.NotEqual(StatusCode.OK, ex.StatusCode);
    }

    [Fact]
    public async Task ModelInfer_LargeAndSmallRequests_LargeSentInBatchesBothAsTheClientsBytes()
    {
        await using var cluster = new AgentCluster();
        var (recorder, channel, agent, _) = await StartNodesAsync(cluster);
        var batches = agent.Services.GetRequiredService<EdgeAgent.Node.Agent.PeerConnections>().Single().WriteBatches;
        Assert.NotNull(batches); // on by default for a plaintext single peer
        var small = AgentCluster.AddNegRequest(rows: 200).ToByteArray(); // 6.4 KB: one DATA frame
        var large = AgentCluster.AddNegRequest(rows: 64 * 1024).ToByteArray(); // 2 MiB

        var smallResponse = await SendAsync(channel, small);
        var batchedAfterSmall = batches.BatchedSends;
        var largeResponse = await SendAsync(channel, large);

        AgentCluster.AssertAddNegOutputs(smallResponse, rows: 200);
        AgentCluster.AssertAddNegOutputs(largeResponse, rows: 64 * 1024);
        Assert.All(new[] { smallResponse, largeResponse }, r => Assert.Equal("peer:cloud", AgentCluster.Placement(r)));
        Assert.Equal([small, large], recorder.Received);
        Assert.Equal(0, batchedAfterSmall);
        Assert.True(batches.BatchedSends > 0, "the large request's frames were never sent together");
        Assert.False(batches.Active);
    }

    [Fact]
    public async Task ModelInfer_PeerKilledMidRequest_FallsBackLocallyWithTheWholeRequest()
    {
        await using var cluster = new AgentCluster();
        var midBody = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var peer = await cluster.StartPeerAsync("cloud", configure: b => b.Services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new StallsMidBody(midBody, null)));
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()}") with
        {
            Extra = AgentCluster.FastAgentSettings(("Agent:CutThroughMinBytes", "1024")),
        });
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);

        var inFlight = SendAsync(channel, AgentCluster.AddNegRequest(rows: 64 * 1024).ToByteArray());
        await midBody.Task.WaitAsync(AgentCluster.Bound);
        await cluster.StopAsync(peer, abort: true);
        var response = await inFlight;

        AgentCluster.AssertAddNegOutputs(response, rows: 64 * 1024);
        Assert.Equal("local", AgentCluster.Placement(response));
        Assert.Equal("cloud", response.Parameters[ResponseParameters.FallbackFrom].StringParam);
    }

    [Fact]
    public async Task ModelInfer_CallerDeadlineNearsWhileThePeerHasTheRequest_LocalFallbackOrDeadlineExceededAndThePeerCallEnds()
    {
        await using var cluster = new AgentCluster();
        var (channel, midBody, peerCallEnded) = await StartStallingPeerAsync(cluster);

        var call = channel.CreateCallInvoker().AsyncUnaryCall(RawModelInfer, null, new CallOptions(deadline: DateTime.UtcNow + TimeSpan.FromSeconds(5)), AgentCluster.AddNegRequest(rows: 64 * 1024).ToByteArray());
        await midBody.Task.WaitAsync(AgentCluster.Bound);
        try
        {
            // The peer's budget is the caller's deadline less a reserve for running locally
            // (Dispatcher.OffloadBudget): when the local run fits in what is left, the caller gets
            // the local answer; when the machine is slow, the deadline passes first.
            var response = await call.ResponseAsync.WaitAsync(AgentCluster.Bound);
            Assert.Equal("local", AgentCluster.Placement(response));
            Assert.Equal("cloud", response.Parameters[ResponseParameters.FallbackFrom].StringParam);
        }
        catch (RpcException ex)
        {
            Assert.Equal(StatusCode.DeadlineExceeded, ex.StatusCode);
        }

        await peerCallEnded.Task.WaitAsync(AgentCluster.Bound);
    }

    [Fact]
    public async Task ModelInfer_CallerCancelsWhileForwarding_ThePeerCallEnds()
    {
        await using var cluster = new AgentCluster();
        var (channel, midBody, peerCallEnded) = await StartStallingPeerAsync(cluster);
        using var cancel = new CancellationTokenSource();

        var call = channel.CreateCallInvoker().AsyncUnaryCall(RawModelInfer, null, new CallOptions(deadline: DateTime.UtcNow + AgentCluster.Bound, cancellationToken: cancel.Token), AgentCluster.AddNegRequest(rows: 64 * 1024).ToByteArray());
        await midBody.Task.WaitAsync(AgentCluster.Bound);
        await cancel.CancelAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseAsync.WaitAsync(AgentCluster.Bound));

        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
        await peerCallEnded.Task.WaitAsync(AgentCluster.Bound);
    }

    /// <summary>An agent forwarding to a peer that stalls in the middle of every request body (midBody) until its call ends (peerCallEnded).</summary>
    private static async Task<(GrpcChannel Channel, TaskCompletionSource MidBody, TaskCompletionSource PeerCallEnded)> StartStallingPeerAsync(AgentCluster cluster)
    {
        var midBody = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var peerCallEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var peer = await cluster.StartPeerAsync("cloud", configure: b => b.Services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new StallsMidBody(midBody, peerCallEnded)));
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()}") with
        {
            OffloadTimeout = TimeSpan.FromSeconds(60),
            // No hung-peer detection: the stalled peer would be replaced by a local run before the caller's deadline or cancellation.
            Extra = AgentCluster.FastAgentSettings(("Agent:CutThroughMinBytes", "1024"), ("Agent:HungPeerFloor", "00:00:00")),
        });
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        return (channel, midBody, peerCallEnded);
    }

    private static async Task<(Recorder Recorder, GrpcChannel Channel)> StartAsync(AgentCluster cluster, params (string Key, string Value)[] extra)
    {
        var (recorder, channel, _, _) = await StartNodesAsync(cluster, extra);
        return (recorder, channel);
    }

    /// <summary>A recording peer and an agent forwarding to it as requests arrive; the nodes too, for tests that look inside them.</summary>
    private static async Task<(Recorder Recorder, GrpcChannel Channel, WebApplication Agent, WebApplication Peer)> StartNodesAsync(AgentCluster cluster, params (string Key, string Value)[] extra)
    {
        var recorder = new Recorder();
        var peer = await cluster.StartPeerAsync("cloud", configure: b => recorder.Install(b));
        var agent = await cluster.StartAgentAsync(cluster.AgentSettings("peer", $"cloud={peer.GetTcpAddress()}") with
        {
            Extra = AgentCluster.FastAgentSettings([("Agent:CutThroughMinBytes", "1024"), .. extra]),
        });
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "cloud", connected: true);
        return (recorder, channel, agent, peer);
    }

    private static async Task<ModelInferResponse> SendAsync(GrpcChannel channel, byte[] message) =>
        await channel.CreateCallInvoker().AsyncUnaryCall(RawModelInfer, null, new CallOptions(deadline: DateTime.UtcNow + AgentCluster.Bound), message)
            .ResponseAsync.WaitAsync(AgentCluster.Bound);

    private static readonly Method<byte[], byte[]> RawBothWays = new(
        MethodType.Unary, GRPCInferenceService.Descriptor.FullName, "ModelInfer",
        Marshallers.Create(bytes => bytes, bytes => bytes),
        Marshallers.Create(bytes => bytes, bytes => bytes));

    private static async Task<byte[]> SendForBytesAsync(GrpcChannel channel, byte[] message) =>
        await channel.CreateCallInvoker().AsyncUnaryCall(RawBothWays, null, new CallOptions(deadline: DateTime.UtcNow + AgentCluster.Bound), message)
            .ResponseAsync.WaitAsync(AgentCluster.Bound);

    private static int Occurrences(byte[] haystack, byte[] needle)
    {
        var count = 0;
        for (var i = haystack.AsSpan().IndexOf(needle); i >= 0;)
        {
            count++;
            var next = haystack.AsSpan(i + 1).IndexOf(needle);
            i = next < 0 ? -1 : i + 1 + next;
        }

        return count;
    }

    // Answers ModelInfer with the start of a 1 MiB message, then resets the stream; every other call passes.
    private sealed class CutOffAnswers : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                if (!context.Request.Path.Value!.EndsWith("/ModelInfer", StringComparison.Ordinal))
                {
                    await following(context);
                    return;
                }

                await context.Request.Body.CopyToAsync(Stream.Null);
                context.Response.ContentType = "application/grpc";
                var part = new byte[5 + (256 * 1024)];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(part.AsSpan(1), 1024 * 1024);
                part[5] = 0x0A; // field 1, length-delimited: a valid start
                await context.Response.Body.WriteAsync(part);
                await context.Response.Body.FlushAsync();
                await Task.Delay(200);
                context.Abort();
            });
            next(app);
        };
    }

    // Reads the first 512 KiB of a ModelInfer body, says so, then waits until the call ends (the
    // agent abandons it, or the peer is stopped) and says that; every other call passes.
    private sealed class StallsMidBody(TaskCompletionSource midBody, TaskCompletionSource? ended) : Microsoft.AspNetCore.Hosting.IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                if (!context.Request.Path.Value!.EndsWith("/ModelInfer", StringComparison.Ordinal))
                {
                    await following(context);
                    return;
                }

                var buffer = new byte[64 * 1024];
                long read = 0;
                try
                {
                    int n;
                    while (read < 512 * 1024 && (n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
                    {
                        read += n;
                    }

                    midBody.TrySetResult();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }
                catch (Exception ex) when (ex is OperationCanceledException or IOException or Microsoft.AspNetCore.Connections.ConnectionResetException)
                {
                    ended?.TrySetResult();
                }
            });
            next(app);
        };
    }

    private static byte[] Unknown(int field, ulong value)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteUInt64(value);
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];

    // The peer's backend, recording the bytes of each request it runs.
    private sealed class Recorder
    {
        private readonly ConcurrentQueue<byte[]> _received = new();

        public IReadOnlyList<byte[]> Received => [.. _received];

        /// <summary>When set, the peer refuses each request it received (RESOURCE_EXHAUSTED: its load), so the agent runs it locally.</summary>
        public bool Refuse { get; set; }

        public void Install(WebApplicationBuilder builder) =>
            builder.Services.AddSingleton<IInferenceBackend>(sp => new Backend(sp.GetRequiredService<LocalInferenceBackend>(), this));

        private sealed class Backend(LocalInferenceBackend local, Recorder recorder) : IInferenceBackend
        {
            public Task<InferenceOutcome> InferAsync(InferenceCall call, CancellationToken cancellationToken)
            {
                recorder._received.Enqueue(InferMessages.TryGetReceivedBytes(call.Request, out var bytes) ? bytes.ToArray() : call.Request.ToByteArray());
                if (recorder.Refuse)
                {
                    throw new InferenceException(InferenceError.ResourceExhausted, "The test peer refuses.");
                }

                return local.InferAsync(call, cancellationToken);
            }
        }
    }
}
