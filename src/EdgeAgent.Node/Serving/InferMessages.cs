using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeAgent.Contracts.Inference;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// How ModelInfer messages cross the wire without copies of their tensor bytes (issue 17: the
/// agent's offload hop). A received message is copied once out of the transport's buffers into
/// an array of its own; its raw tensors (<c>raw_input_contents</c>, <c>raw_output_contents</c>) are
/// parsed as views of that array (<see cref="UnsafeByteOperations.UnsafeWrap(ReadOnlyMemory{byte})"/>),
/// and a received request keeps its bytes, so the agent forwards them to a peer as they came,
/// without serialising the message again.
/// </summary>
/// <remarks>
/// Protobuf's own parser copies every bytes field; here only the other fields (names, shapes,
/// parameters: small) are parsed by it, from the message with the raw tensor fields cut out, and
/// the tensors are appended in the order they came, which is what parsing the whole message gives
/// (a repeated field's values keep their order; its occurrences may be interleaved with other
/// fields). A message that is not a sequence of well-formed top-level fields, or that carries
/// groups, is parsed whole by protobuf's parser, so malformed input gets the same error as before.
/// The arrays are never written after parsing. The first raw tensor starts at an offset of the
/// array that is a multiple of 64; <see cref="RequestTensors"/> copies a tensor that is not 8-byte
/// aligned before a local run.
/// </remarks>
public static class InferMessages
{
    private const int RawInputContentsField = 7;
    private const int RawOutputContentsField = 6;
    private const int Alignment = 64;
    private const int HeadBytes = 1024;

    // Messages of 128 KiB (above the large-object threshold) to 16 MiB are parsed into pooled arrays;
    // smaller ones are cheap young-generation allocations, larger ones get fresh arrays.
    private const int MinPooledBytes = 128 * 1024;

    // A large message copied into a fresh array faults in every page of it (about 1,200 minor
    // faults for a 4.9 MB detection request): pooled arrays are touched once. Two per size class,
    // held weakly, so an idle node's next full collection frees them (WeakArrayPool).
    private static readonly WeakArrayPool Buffers = new(MinPooledBytes, 16 * 1024 * 1024, perClass: 2);

    private static readonly ConditionalWeakTable<IMessage, Received> ReceivedRanges = new();

    /// <summary>
    /// Bytes of received messages copied into arrays reused from earlier messages (no allocation),
    /// since the process started. The idle memory trim counts them as work with the allocated bytes:
    /// a node forwarding 4.9 MB requests through reused arrays allocates little, and must not be
    /// taken for idle (a trim frees the pool's arrays, so the next requests fault fresh ones in).
    /// </summary>
    public static long ReusedBytes => Buffers.ReusedBytes;

    /// <summary>The server's ModelInfer request marshaller: parses as above and remembers the received bytes.</summary>
    public static Marshaller<ModelInferRequest> ReceivingRequest { get; } = new(SerializeMessage, DeserializeRequest);

    /// <summary>
    /// The agent's request marshaller towards a peer: a request received by this process and not
    /// changed since is written as the bytes that were received; any other is serialised.
    /// </summary>
    public static Marshaller<ModelInferRequest> ForwardingRequest { get; } = new(SerializeForwarded, DeserializeRequest);

    /// <summary>The agent's response marshaller from a peer: raw outputs parsed as views of the received bytes.</summary>
    public static Marshaller<ModelInferResponse> ReceivingResponse { get; } = new(SerializeMessage, DeserializeResponse);

    /// <summary>The bytes <paramref name="request"/> was parsed from, when this process received it and it is unchanged in size.</summary>
    public static bool TryGetReceivedBytes(ModelInferRequest request, out ReadOnlyMemory<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (ReceivedRanges.TryGetValue(request, out var received) && !received.IsReturned && request.CalculateSize() == received.Length)
        {
            bytes = received.Buffer.AsMemory(received.Offset, received.Length);
            return true;
        }

        bytes = default;
        return false;
    }

    /// <summary>Parses a ModelInferRequest from <paramref name="payload"/> as described on the class.</summary>
    public static ModelInferRequest ParseRequest(ReadOnlySequence<byte> payload)
    {
        var (buffer, offset, pooled) = Copy(payload, RawInputContentsField);
        var request = Parse(buffer, offset, (int)payload.Length, RawInputContentsField, ModelInferRequest.Parser, static (m, b) => m.RawInputContents.Add(b));
        ReceivedRanges.AddOrUpdate(request, new Received(buffer, offset, (int)payload.Length, pooled));
        return request;
    }

    /// <summary>
    /// An array for a message of <paramref name="length"/> bytes whose first raw tensor's data starts
    /// at <paramref name="firstTensorData"/> (-1: none known), and the offset to place the message at
    /// so that data starts at a multiple of 64; pooled for large messages (<see cref="ReturnArray"/>).
    /// </summary>
    internal static (byte[] Buffer, int Offset, bool Pooled) RentFor(int length, int firstTensorData)
    {
        var offset = firstTensorData < 0 ? 0 : (Alignment - (firstTensorData % Alignment)) % Alignment;
        var size = offset + length;
        var pooled = size >= MinPooledBytes && size <= Buffers.MaxBytes;
        var buffer = pooled ? Buffers.Rent(size) : GC.AllocateUninitializedArray<byte>(size);
        return (buffer, offset, pooled);
    }

    /// <summary>Gives an array from <see cref="RentFor"/> back to the pool.</summary>
    internal static void ReturnArray(byte[] buffer) => Buffers.Return(buffer);

    /// <summary>
    /// Parses a ModelInferRequest whose bytes are <paramref name="length"/> bytes of
    /// <paramref name="buffer"/> at <paramref name="offset"/> (raw tensors as views), and remembers
    /// them as received (<see cref="TryGetReceivedBytes"/>); the array belongs to the caller.
    /// </summary>
    internal static ModelInferRequest ParseRequestIn(byte[] buffer, int offset, int length)
    {
        var request = Parse(buffer, offset, length, RawInputContentsField, ModelInferRequest.Parser, static (m, b) => m.RawInputContents.Add(b));
        ReceivedRanges.AddOrUpdate(request, new Received(buffer, offset, length, pooled: false));
        return request;
    }

    /// <summary>
    /// Gives the pooled array <paramref name="message"/> (a request or response parsed by this
    /// class) was parsed into back to the pool. Call only when nothing reads the message's bytes any
    /// more; the message must not be used afterwards. Messages parsed into arrays of their own, or
    /// not parsed here, are left to the garbage collector; a second call does nothing.
    /// </summary>
    public static void Return(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (ReceivedRanges.TryGetValue(message, out var received))
        {
            received.Return();
        }
    }

    /// <summary>
    /// Returns <paramref name="message"/>'s pooled array (<see cref="Return"/>) once the server call
    /// of <paramref name="context"/> has finished, its response written: a request the call
    /// received, or a response it answers with that came from a peer. Without an ASP.NET Core call
    /// behind <paramref name="context"/> (a test's), the array is left to the garbage collector.
    /// </summary>
    public static void ReturnAfterCall(ServerCallContext context, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(message);
        if (!ReceivedRanges.TryGetValue(message, out var received) || !received.Pooled)
        {
            return;
        }

        Microsoft.AspNetCore.Http.HttpContext http;
        try
        {
            http = context.GetHttpContext();
        }
        catch (InvalidOperationException)
        {
            return;
        }

        // OnCompleted: after the response has been sent, so a response's raw outputs are written first.
        http.Response.RegisterForDispose(received);
    }

    /// <summary>Parses a ModelInferResponse from <paramref name="payload"/> as described on the class.</summary>
    public static ModelInferResponse ParseResponse(ReadOnlySequence<byte> payload)
    {
        var (buffer, offset, pooled) = Copy(payload, RawOutputContentsField);
        var response = Parse(buffer, offset, (int)payload.Length, RawOutputContentsField, ModelInferResponse.Parser, static (m, b) => m.RawOutputContents.Add(b));
        if (pooled)
        {
            ReceivedRanges.AddOrUpdate(response, new Received(buffer, offset, (int)payload.Length, pooled));
        }

        return response;
    }

    private static ModelInferRequest DeserializeRequest(DeserializationContext context) => ParseRequest(context.PayloadAsReadOnlySequence());

    private static ModelInferResponse DeserializeResponse(DeserializationContext context) => ParseResponse(context.PayloadAsReadOnlySequence());

    private static void SerializeMessage<T>(T message, SerializationContext context)
        where T : IBufferMessage
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    private static readonly ConditionalWeakTable<ModelInferRequest, object> Placeholders = new();

    /// <summary>
    /// A message for a cut-through forward to hand to grpc-dotnet while the agent's HTTP handler sends
    /// the arriving bytes instead (Agent/ForwardedBodies); <see cref="ForwardingRequest"/> refuses to
    /// serialise it, so a forward whose body was not replaced fails in the agent instead of sending a
    /// peer an empty request.
    /// </summary>
    internal static ModelInferRequest NewForwardPlaceholder()
    {
        var placeholder = new ModelInferRequest();
        Placeholders.Add(placeholder, Placeholders);
        return placeholder;
    }

    private static void SerializeForwarded(ModelInferRequest request, SerializationContext context)
    {
        if (Placeholders.TryGetValue(request, out _))
        {
            throw new InvalidOperationException("A cut-through forward's body was not replaced by its arriving bytes.");
        }

        if (TryGetReceivedBytes(request, out var bytes))
        {
            context.SetPayloadLength(bytes.Length);
            var writer = context.GetBufferWriter();
            // One copy, into the transport's buffer (gRPC frames it from there); no serialisation.
            var span = writer.GetSpan(bytes.Length);
            bytes.Span.CopyTo(span);
            writer.Advance(bytes.Length);
            context.Complete();
            return;
        }

        SerializeMessage(request, context);
    }

    // Copies the payload into an array of its own (pooled for large messages), placing it so that
    // the first raw tensor's bytes start at a multiple of Alignment (found by scanning the fields in
    // the payload's first bytes).
    private static (byte[] Buffer, int Offset, bool Pooled) Copy(ReadOnlySequence<byte> payload, int field)
    {
        var length = checked((int)payload.Length);
        Span<byte> head = stackalloc byte[HeadBytes];
        var headLength = Math.Min(length, HeadBytes);
        payload.Slice(0, headLength).CopyTo(head);
        var (buffer, offset, pooled) = RentFor(length, FirstField(head[..headLength], length, field));
        payload.CopyTo(buffer.AsSpan(offset));
        return (buffer, offset, pooled);
    }

    private static T Parse<T>(byte[] buffer, int offset, int length, int field, MessageParser<T> parser, Action<T, ByteString> add)
        where T : IMessage<T>
    {
        var message = buffer.AsSpan(offset, length);
        var slices = new List<(int Start, int Length)>();
        var cut = new List<(int Start, int End)>();
        var position = 0;
        while (position < message.Length)
        {
            var fieldStart = position;
            if (!TryReadVarint(message, ref position, out var tag) || tag > uint.MaxValue || (tag >> 3) == 0)
            {
                return parser.ParseFrom(message);
            }

            var number = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    if (!TryReadVarint(message, ref position, out _))
                    {
                        return parser.ParseFrom(message);
                    }

                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    if (!TryReadVarint(message, ref position, out var size) || size > (ulong)(message.Length - position))
                    {
                        return parser.ParseFrom(message);
                    }

                    if (number == field)
                    {
                        slices.Add((offset + position, (int)size));
                        cut.Add((fieldStart, position + (int)size));
                    }

                    position += (int)size;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    // Groups (and invalid wire types): protobuf's parser decides.
                    return parser.ParseFrom(message);
            }

            if (position > message.Length)
            {
                return parser.ParseFrom(message);
            }
        }

        T parsed;
        if (cut.Count == 0)
        {
            parsed = parser.ParseFrom(message);
        }
        else
        {
            // Everything but the raw tensor fields: small (names, shapes, parameters).
            var restLength = message.Length - cut.Sum(c => c.End - c.Start);
            var rest = ArrayPool<byte>.Shared.Rent(Math.Max(1, restLength));
            try
            {
                var written = 0;
                var from = 0;
                foreach (var (start, end) in cut)
                {
                    message[from..start].CopyTo(rest.AsSpan(written));
                    written += start - from;
                    from = end;
                }

                message[from..].CopyTo(rest.AsSpan(written));
                written += message.Length - from;
                parsed = parser.ParseFrom(rest.AsSpan(0, written));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rest);
            }
        }

        foreach (var (start, size) in slices)
        {
            add(parsed, UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(start, size)));
        }

        return parsed;
    }

    // Offset of the first length-delimited occurrence of `field`'s data in a message of `length`
    // bytes whose first bytes are `head`, or -1 (not among the fields that start in `head`).
    private static int FirstField(ReadOnlySpan<byte> head, int length, int field)
    {
        var position = 0;
        while (position < head.Length)
        {
            if (!TryReadVarint(head, ref position, out var tag) || tag > uint.MaxValue)
            {
                return -1;
            }

            switch ((int)(tag & 7))
            {
                case 0:
                    if (!TryReadVarint(head, ref position, out _))
                    {
                        return -1;
                    }

                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    if (!TryReadVarint(head, ref position, out var size) || size > (ulong)(length - position))
                    {
                        return -1;
                    }

                    if ((int)(tag >> 3) == field)
                    {
                        return position;
                    }

                    position += (int)size;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    return -1;
            }
        }

        return -1;
    }

    /// <summary>Reads one protobuf base-128 varint at <paramref name="position"/>; false when it is cut short or longer than 10 bytes.</summary>
    internal static bool TryReadVarint(ReadOnlySpan<byte> data, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (position >= data.Length)
            {
                return false;
            }

            var b = data[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return true;
            }
        }

        return false;
    }

    // The array a message was parsed from; disposing it (at the end of a server call) returns a pooled array once.
    private sealed class Received(byte[] buffer, int offset, int length, bool pooled) : IDisposable
    {
        private int _returned;

        public byte[] Buffer { get; } = buffer;

        public int Offset { get; } = offset;

        public int Length { get; } = length;

        public bool Pooled { get; } = pooled;

        public bool IsReturned => Volatile.Read(ref _returned) != 0;

        public void Return()
        {
            if (Pooled && Interlocked.Exchange(ref _returned, 1) == 0)
            {
                Buffers.Return(Buffer);
            }
        }

        public void Dispose() => Return();
    }

    /// <summary>True when <paramref name="data"/> starts at a multiple of <paramref name="alignment"/> bytes from its array's start (or is not array-backed).</summary>
    internal static bool IsAligned(ReadOnlyMemory<byte> data, int alignment) =>
        !MemoryMarshal.TryGetArray(data, out var segment) || segment.Offset % alignment == 0;
}
