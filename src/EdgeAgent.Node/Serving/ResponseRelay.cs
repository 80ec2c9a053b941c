using System.Buffers;
using System.Buffers.Binary;
using EdgeAgent.Contracts.Inference;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// The agent's answer to a forwarded call written while the peer's answer arrives (issue 17,
/// response cut-through): the peer's message bytes go on to the caller as the agent reads them,
/// followed by the agent's own fields (<see cref="ResponseParameters"/>, model name and version,
/// the request's id) encoded after them. Protobuf merges a field that appears twice (the last
/// value of a singular field, the last entry of a map key), so the caller parses the same answer
/// the agent would have serialised whole, without the agent's second copy and send of the
/// megabytes after the peer's last byte.
/// </summary>
/// <remarks>
/// The relay starts at the peer's gRPC message prefix (compressed flag, length), only for an
/// uncompressed message of at least <see cref="MinBytes"/> that fits the node's send limit and once
/// the placement is known; the prefix the caller gets counts the agent's fields too (their length
/// does not depend on their values: doubles are fixed 8 bytes). From the first byte written on,
/// the answer is committed: a peer that fails, sends malformed bytes or is cut off after that (or
/// the offload's deadline passing mid-answer) can no longer be replaced by a local run, and the
/// caller's stream is reset instead (<see cref="Abort"/>). A caller that goes away mid-relay stops the
/// relay; the peer call then ends as the caller's cancellation ends it. Everything before the
/// prefix (the peer refusing, failing, or missing its deadline before it answers) falls back as before.
/// <para>
/// An empty request id is not encoded (protobuf omits empty strings), so the caller gets the peer's
/// id there, which a peer answering as this project's does echoes from the same request (empty).
/// </para>
/// </remarks>
public sealed class ResponseRelay
{
    /// <summary>The answer a handler returns once the relay has written the whole message: its serializer writes nothing.</summary>
    public static ModelInferResponse Written { get; } = new();

    // Bytes the relay hands Kestrel per flush at least (or the message's rest).
    private const int FlushBytes = 64 * 1024;

    private readonly HttpContext _http;
    private readonly ServerCallContext _context;
    private readonly int _maxSendBytes;
    private readonly byte[] _prefix = new byte[ArrivingRequest.PrefixBytes];
    private int _prefixRead;
    private int _remaining;
    private int _unflushed;
    private int _state;

    private const int Waiting = 0;
    private const int Relaying = 1;
    private const int Declined = 2;
    private const int Broken = 3;

    /// <summary>Creates a relay writing to <paramref name="context"/>'s response.</summary>
    /// <param name="context">The agent's call.</param>
    /// <param name="minBytes">The smallest peer message relayed (smaller answers are written whole, as before).</param>
    /// <param name="maxSendBytes">The node's gRPC send limit: a longer answer is not relayed (grpc-dotnet refuses it whole).</param>
    /// <param name="modelName">The model name the answer carries.</param>
    /// <param name="modelVersion">The model version the answer carries.</param>
    /// <param name="id">The request's id.</param>
    public ResponseRelay(ServerCallContext context, int minBytes, int maxSendBytes, string modelName, string modelVersion, string id)
    {
        ArgumentNullException.ThrowIfNull(context);
        _context = context;
        _http = context.GetHttpContext();
        MinBytes = Math.Max(1, minBytes);
        _maxSendBytes = maxSendBytes;
        ModelName = modelName;
        ModelVersion = modelVersion;
        Id = id;
    }

    /// <summary>The smallest peer message relayed.</summary>
    public int MinBytes { get; }

    /// <summary>The model name the answer carries.</summary>
    public string ModelName { get; }

    /// <summary>The model version the answer carries.</summary>
    public string ModelVersion { get; }

    /// <summary>The request's id.</summary>
    public string Id { get; }

    /// <summary>The placement the answer names (set by the dispatcher before it forwards; no relay without it).</summary>
    public string? Placement { get; set; }

    /// <summary>Whether bytes of the answer have been written to the caller (the answer is committed).</summary>
    public bool Began => Volatile.Read(ref _state) is Relaying or Broken;

    /// <summary>Whether the relay stopped writing after it began (the caller went away or its stream failed).</summary>
    public bool IsBroken => Volatile.Read(ref _state) == Broken;

    /// <summary>Bytes of the peer's message relayed so far (its prefix not counted).</summary>
    public long RelayedBytes { get; private set; }

    /// <summary>
    /// Takes the next bytes of the peer's response body as the agent reads them (gRPC framing
    /// included); relays them once the prefix says the message is to be relayed.
    /// </summary>
    public async ValueTask OnReadAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (data.IsEmpty || _state is Declined or Broken)
        {
            return;
        }

        if (_state == Waiting)
        {
            var take = Math.Min(_prefix.Length - _prefixRead, data.Length);
            data.Span[..take].CopyTo(_prefix.AsSpan(_prefixRead));
            _prefixRead += take;
            data = data[take..];
            if (_prefixRead < _prefix.Length)
            {
                return;
            }

            var length = BinaryPrimitives.ReadUInt32BigEndian(_prefix.AsSpan(1));
            var total = length + (ulong)SuffixLength();
            if (_prefix[0] != 0 || Placement is null || length < (ulong)MinBytes || total > (ulong)_maxSendBytes || _http.Response.HasStarted)
            {
                _state = Declined;
                return;
            }

            try
            {
                await _context.WriteResponseHeadersAsync(new Metadata()).ConfigureAwait(false);
                var prefix = _http.Response.BodyWriter.GetSpan(ArrivingRequest.PrefixBytes);
                prefix[0] = 0;
                BinaryPrimitives.WriteUInt32BigEndian(prefix[1..], (uint)total);
                _http.Response.BodyWriter.Advance(ArrivingRequest.PrefixBytes);
            }
#pragma warning disable CA1031 // The caller's stream failing ends the relay, not the peer call.
            catch (Exception)
#pragma warning restore CA1031
            {
                _state = Broken;
                return;
            }

            _remaining = (int)length;
            _state = Relaying;
        }

        if (data.IsEmpty || _remaining == 0)
        {
            return;
        }

        var part = data[..Math.Min(data.Length, _remaining)];
        _remaining -= part.Length;
        RelayedBytes += part.Length;
        try
        {
            _http.Response.BodyWriter.Write(part.Span);
            _unflushed += part.Length;
            if (_unflushed >= FlushBytes || _remaining == 0)
            {
                _unflushed = 0;
                var flushed = await _http.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    _state = Broken;
                }
            }
        }
#pragma warning disable CA1031 // As above.
        catch (Exception)
#pragma warning restore CA1031
        {
            _state = Broken;
        }
    }

    /// <summary>
    /// Ends a relayed answer: writes the agent's fields after the peer's message and returns
    /// <see cref="Written"/> for the handler to return.
    /// </summary>
    /// <exception cref="InvalidOperationException">The relay has not begun, is broken, or the peer's message was not relayed whole.</exception>
    public async Task<ModelInferResponse> CompleteAsync(double queueMs, double execMs, CancellationToken cancellationToken)
    {
        if (_state != Relaying || _remaining != 0)
        {
            throw new InvalidOperationException("The peer's answer was not relayed whole.");
        }

        var suffix = Suffix(queueMs, execMs);
        _http.Response.BodyWriter.Write(suffix.ToByteArray());
        await _http.Response.BodyWriter.FlushAsync(cancellationToken).ConfigureAwait(false);
        return Written;
    }

    /// <summary>Resets the caller's stream: an answer that began cannot end well (the peer failed after it).</summary>
    public void Abort()
    {
        _state = Broken;
        _http.Abort();
    }

    /// <summary>The agent's fields encoded after the peer's message (the last value of each wins).</summary>
    internal ModelInferResponse Suffix(double queueMs, double execMs)
    {
        var suffix = new ModelInferResponse { ModelName = ModelName, ModelVersion = ModelVersion, Id = Id };
        suffix.Parameters[ResponseParameters.Placement] = new InferParameter { StringParam = Placement ?? "" };
        suffix.Parameters[ResponseParameters.QueueMs] = new InferParameter { DoubleParam = queueMs };
        suffix.Parameters[ResponseParameters.ExecMs] = new InferParameter { DoubleParam = execMs };
        return suffix;
    }

    private int SuffixLength() => Suffix(0, 0).CalculateSize();
}
