using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Node.Serving;
using Grpc.Core;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The HTTP handler under a peer's gRPC channel that sends a request still arriving at the agent
/// (<see cref="ArrivingRequest"/>) as the body of a ModelInfer call (issue 17, cut-through). grpc-dotnet
/// serialises a unary call's whole message before it writes it; this handler replaces that body
/// with the arriving bytes, prefixed as gRPC frames a message, so everything else about the call
/// stays grpc-dotnet's: headers, deadline, cancellation, the response and its status, telemetry.
/// A call is marked for it by a request header naming one of the bodies added here; the header
/// is removed before the request leaves the process. With <paramref name="batches"/>, the body's
/// frames are sent to the peer in batches while it is written, and what is kept is sent whenever
/// the body has to wait (<see cref="PeerWriteBatches"/>).
/// </summary>
internal sealed class ForwardedBodies(TimeProvider time, HttpMessageHandler inner, PeerWriteBatches? batches = null) : DelegatingHandler(inner)
{
    /// <summary>The header (never sent) that names the body of a forwarded call.</summary>
    public const string Header = "edgeagent-forwarded-body";

    // Bytes handed to the HTTP/2 stream per write at least (or the rest): fewer, larger writes than
    // the arrival's own pieces, without waiting long for them on a fast client.
    private const int MinimumChunk = 64 * 1024;

    private readonly ConcurrentDictionary<long, Forwarded> _bodies = new();
    private readonly ConcurrentDictionary<ModelInferRequest, Forwarded> _byPlaceholder = new(ReferenceEqualityComparer.Instance);
    private long _next;

    /// <summary>
    /// Registers <paramref name="body"/> for one call: make the call with <see cref="Forwarded.Placeholder"/>
    /// as its message, and <see cref="Remove"/> it afterwards. With a <paramref name="relay"/>, the
    /// peer's answer is handed to it as the call's reader reads it (response cut-through).
    /// </summary>
    public Forwarded Add(ArrivingRequest body, ResponseRelay? relay = null)
    {
        var forwarded = new Forwarded(Interlocked.Increment(ref _next), body, InferMessages.NewForwardPlaceholder()) { Relay = relay };
        _bodies[forwarded.Id] = forwarded;
        _byPlaceholder[forwarded.Placeholder] = forwarded;
        return forwarded;
    }

    /// <summary>Forgets a call's body.</summary>
    public void Remove(Forwarded forwarded)
    {
        ArgumentNullException.ThrowIfNull(forwarded);
        _bodies.TryRemove(forwarded.Id, out _);
        _byPlaceholder.TryRemove(forwarded.Placeholder, out _);
    }

    /// <summary>The registered call whose message is <paramref name="request"/>, or null.</summary>
    public Forwarded? Find(ModelInferRequest request) => _byPlaceholder.GetValueOrDefault(request);

    /// <summary>The headers that mark a call with <paramref name="request"/> as its message (null for any other message).</summary>
    public Metadata? HeadersOf(ModelInferRequest request) => Find(request)?.Headers;

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        Forwarded? relayed = null;
        if (request.Headers.TryGetValues(Header, out var values))
        {
            request.Headers.Remove(Header);
            if (!long.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) || !_bodies.TryGetValue(id, out var forwarded))
            {
                throw new InvalidOperationException("A forwarded call names no body registered with its peer connection.");
            }

            var content = new BodyContent(forwarded, time, batches);
            if (request.Content is { } original)
            {
                foreach (var header in original.Headers)
                {
                    content.Headers.TryAddWithoutValidation(header.Key, header.Value);
                }
            }

            request.Content = content;
            relayed = forwarded.Relay is null ? null : forwarded;
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (relayed?.Relay is { } relay && response.StatusCode == HttpStatusCode.OK)
        {
            response.Content = WrappedContent.OnRead(response.Content, stream => new RelayingStream(stream, relay));
        }

        return response;
    }

    /// <summary>One forwarded call's body and when it had arrived whole.</summary>
    internal sealed class Forwarded(long id, ArrivingRequest body, ModelInferRequest placeholder)
    {
        public long Id { get; } = id;

        public ArrivingRequest Body { get; } = body;

        /// <summary>The call's message for grpc-dotnet (never serialised: the body replaces it).</summary>
        public ModelInferRequest Placeholder { get; } = placeholder;

        public Metadata Headers { get; } = new() { { Header, id.ToString(CultureInfo.InvariantCulture) } };

        /// <summary>When the last byte of the request had arrived at the agent (TimeProvider timestamp), once it has.</summary>
        public long? ArrivedAt { get; set; }

        /// <summary>Bytes of the message already written to the peer at <see cref="ArrivedAt"/>.</summary>
        public int SentAtArrival { get; set; }

        /// <summary>Called once the message's last byte has been written to the peer's stream (hung-peer detection judges the call from then on).</summary>
        public Action? BodySent { get; set; }

        /// <summary>Where the peer's answer goes on to the caller as it is read (null: not relayed).</summary>
        public ResponseRelay? Relay { get; init; }
    }

    // The peer's response body as grpc-dotnet reads it (through WrappedContent.OnRead), each read also handed to the relay.
    private sealed class RelayingStream(Stream inner, ResponseRelay relay) : WrappingStream(inner)
    {
        public override bool CanRead => true;

        public override bool CanWrite => false;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (read > 0)
            {
                await relay.OnReadAsync(buffer[..read], cancellationToken).ConfigureAwait(false);
            }

            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Flush()
        {
        }

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class BodyContent(Forwarded forwarded, TimeProvider time, PeerWriteBatches? batches) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            batches?.Begin();
            try
            {
                await forwarded.Body.CopyToAsync(stream, MinimumChunk, sent =>
                {
                    forwarded.ArrivedAt = time.GetTimestamp();
                    forwarded.SentAtArrival = sent;
                }, cancellationToken, batches is null ? null : batches.FlushAsync).ConfigureAwait(false);
            }
            finally
            {
                if (batches is not null)
                {
                    await batches.EndAsync().ConfigureAwait(false);
                }
            }

            // The peer has the whole message only now; until here the client's upload set the pace.
            forwarded.BodySent?.Invoke();
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
