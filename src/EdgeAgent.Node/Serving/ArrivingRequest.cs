using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// A ModelInfer request message that is still arriving in the body of a call, read by the node
/// itself (issue 17, cut-through forwarding): its fields before the first raw input tensor
/// (model, inputs with their shapes, parameters, requested outputs: the "head") are parsed as soon
/// as they are in, so the agent can decide and start the peer call while the tensors still arrive,
/// and the peer is sent the received bytes as they come (<see cref="CopyToAsync"/>). The whole
/// message is kept in one array, so a local run or a local fallback gets it as usual.
/// </summary>
/// <remarks>
/// The message is read as grpc-dotnet reads a unary request (the same statuses for a message over
/// the size limit, a body that ends early, data after the message) and parsed by
/// <see cref="InferMessages"/> with the same errors for malformed bytes, only incrementally.
/// <para>
/// A forward never completes a message the agent would refuse: the last byte is held back until
/// <see cref="ReleaseTail"/>, which the agent calls after parsing and validating the whole message.
/// The head is what decisions are made from; the message's meaning differs from it when a field
/// other than a raw input follows the first raw input (protobuf allows any field order; canonical
/// encoders put raw_input_contents, field 7, last): <see cref="CompleteAsync"/> then says so
/// (<see cref="ArrivingRequestException.HeadNotFinal"/>) and the agent handles the whole message
/// as it handles a buffered one.
/// </para>
/// </remarks>
public sealed class ArrivingRequest : IDisposable
{
    /// <summary>The gRPC message prefix: compressed flag and 4-byte big-endian length.</summary>
    public const int PrefixBytes = 5;

    /// <summary>Most bytes of a message's head that are scanned for the first raw input; a message whose first raw input starts later is read whole.</summary>
    public const int MaxHeadBytes = 64 * 1024;

    private const int RawInputContentsField = 7;

    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _tail = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _buffer;
    private readonly int _offset;
    private readonly bool _pooled;
    private TaskCompletionSource? _progress;
    private int _arrived;
    private Exception? _fault;
    private int _readers;
    private bool _disposed;
    private bool _returned;
    private bool _pumpDone;
    private Task? _pump;
    private ModelInferRequest? _complete;

    private ArrivingRequest(byte[] buffer, int offset, bool pooled, int length, int headLength, ModelInferRequest? head)
    {
        _buffer = buffer;
        _offset = offset;
        _pooled = pooled;
        Length = length;
        HeadLength = headLength;
        Head = head;
    }

    /// <summary>The message's length in bytes (without the 5-byte prefix).</summary>
    public int Length { get; }

    /// <summary>Bytes before the first raw input tensor's tag (the whole message when it has none).</summary>
    public int HeadLength { get; }

    /// <summary>
    /// The fields before the first raw input tensor, parsed; null when the message has no raw input
    /// within its first <see cref="MaxHeadBytes"/> or those fields do not parse (the message is then
    /// only read whole: nothing is forwarded before it is complete).
    /// </summary>
    public ModelInferRequest? Head { get; }

    /// <summary>Bytes of the message received so far.</summary>
    public int Arrived => Volatile.Read(ref _arrived);

    /// <summary>
    /// Starts reading a unary call's request from <paramref name="body"/> when it is a message this
    /// class handles: uncompressed, of at least <paramref name="minimumBytes"/> and at most
    /// <paramref name="maxBytes"/>. Returns null, with nothing consumed from <paramref name="body"/>,
    /// for any other body (compressed, small, over the limit, shorter than a prefix): grpc-dotnet
    /// reads it then, with its own statuses. Otherwise the rest of the message is read in the
    /// background (<see cref="CompleteAsync"/>).
    /// </summary>
    public static async Task<ArrivingRequest?> TryStartAsync(PipeReader body, int minimumBytes, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        int length;
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= PrefixBytes)
            {
                Span<byte> prefix = stackalloc byte[PrefixBytes];
                buffer.Slice(0, PrefixBytes).CopyTo(prefix);
                var declared = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
                if (prefix[0] != 0 || declared > (uint)maxBytes || declared < (uint)Math.Max(1, minimumBytes))
                {
                    body.AdvanceTo(buffer.Start, buffer.Start);
                    return null;
                }

                length = (int)declared;
                body.AdvanceTo(buffer.GetPosition(PrefixBytes));
                break;
            }

            if (result.IsCompleted || result.IsCanceled)
            {
                body.AdvanceTo(buffer.Start, buffer.Start);
                return null;
            }

            body.AdvanceTo(buffer.Start, buffer.End);
        }

        // The head: read until the first raw input's tag and length are in (or the scan gives up).
        var scanLimit = Math.Min(length, MaxHeadBytes);
        var head = ArrayPool<byte>.Shared.Rent(scanLimit);
        try
        {
            var have = 0;
            var found = ScanResult.NeedMore;
            var headLength = 0;
            var dataStart = 0;
            while (true)
            {
                var result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                var take = (int)Math.Min(buffer.Length, scanLimit - have);
                buffer.Slice(0, take).CopyTo(head.AsSpan(have));
                have += take;
                body.AdvanceTo(buffer.GetPosition(take));
                found = ScanHead(head.AsSpan(0, have), length, out headLength, out dataStart);
                if (found != ScanResult.NeedMore || have == scanLimit || result.IsCompleted || result.IsCanceled)
                {
                    break;
                }
            }

            ModelInferRequest? parsedHead = null;
            if (found == ScanResult.Found)
            {
                try
                {
                    parsedHead = ModelInferRequest.Parser.ParseFrom(head, 0, headLength);
                }
                catch (InvalidProtocolBufferException)
                {
                    // Parsed again whole at the end, which gives the caller its error.
                }
            }
            else
            {
                headLength = length;
                dataStart = -1;
            }

            var (array, offset, pooled) = InferMessages.RentFor(length, dataStart);
            var request = new ArrivingRequest(array, offset, pooled, length, headLength, parsedHead);
            head.AsSpan(0, have).CopyTo(array.AsSpan(offset));
            request._arrived = have;
            request._pump = request.PumpAsync(body, cancellationToken);
            return request;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    /// <summary>
    /// Waits for the whole message and parses it (raw tensors as views of this object's array).
    /// </summary>
    /// <exception cref="RpcException">The body ended early or carried data after the message (INTERNAL, as grpc-dotnet), or the bytes are malformed (INVALID_ARGUMENT, as <see cref="Hosting.MalformedMessages"/>).</exception>
    /// <exception cref="ArrivingRequestException">The message's fields after its first raw input include others (<see cref="ArrivingRequestException.HeadNotFinal"/>): it is complete and parsed, its meaning is not the head's.</exception>
    public async Task<ModelInferRequest> CompleteAsync()
    {
        await _pump!.ConfigureAwait(false);
        lock (_gate)
        {
            if (_complete is null)
            {
                ModelInferRequest parsed;
                try
                {
                    parsed = InferMessages.ParseRequestIn(_buffer, _offset, Length);
                }
                catch (Exception ex) when (ex is not RpcException and not OutOfMemoryException)
                {
                    throw InferenceStatus.ToRpcException(new InferenceException(InferenceError.InvalidArgument,
                        Hosting.MalformedMessages.Describe(ex, nameof(ModelInferRequest), "ModelInfer")));
                }

                _complete = parsed;
            }
        }

        if (Head is not null && !OnlyRawInputsFrom(_buffer.AsSpan(_offset, Length), HeadLength))
        {
            throw new ArrivingRequestException(_complete);
        }

        return _complete;
    }

    /// <summary>Lets <see cref="CopyToAsync"/> write the message's last byte: call it once the whole message is parsed and valid.</summary>
    public void ReleaseTail() => _tail.TrySetResult();

    /// <summary>
    /// Writes the gRPC prefix and the message's bytes to <paramref name="destination"/> as they
    /// arrive, in pieces of at least <paramref name="minimumChunk"/> bytes (or the rest), the last
    /// byte only after <see cref="ReleaseTail"/>.
    /// </summary>
    /// <param name="destination">The forward's request stream.</param>
    /// <param name="minimumChunk">Fewest bytes per write, but for the last ones.</param>
    /// <param name="arrivedWhole">Called once, when the whole message has arrived, with the bytes of it written by then.</param>
    /// <param name="cancellationToken">Ends the copy (the forward is abandoned).</param>
    /// <param name="beforeWait">Called before each wait for more of the message or for the tail's release (the forward's batched sends go out then).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired, or the call ended before the tail was released.</exception>
    /// <exception cref="RpcException">The body failed (see <see cref="CompleteAsync"/>), once <paramref name="cancellationToken"/> fired or the call ended.</exception>
    public async Task CopyToAsync(Stream destination, int minimumChunk, Action<int>? arrivedWhole, CancellationToken cancellationToken, Func<ValueTask>? beforeWait = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _readers++;
        }

        try
        {
            var prefix = new byte[PrefixBytes];
            BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), (uint)Length);
            await destination.WriteAsync(prefix, cancellationToken).ConfigureAwait(false);
            var sent = 0;
            var held = Length - 1;
            var whole = false;
            while (sent < held)
            {
                var wanted = Math.Min(held, sent + Math.Max(1, minimumChunk));
                if (beforeWait is not null && Arrived < wanted)
                {
                    await beforeWait().ConfigureAwait(false);
                }

                var arrived = await WaitForAsync(wanted, cancellationToken).ConfigureAwait(false);
                if (arrived == Length && !whole)
                {
                    whole = true;
                    arrivedWhole?.Invoke(sent);
                }

                var upTo = Math.Min(arrived, held);
                if (upTo > sent)
                {
                    await destination.WriteAsync(_buffer.AsMemory(_offset + sent, upTo - sent), cancellationToken).ConfigureAwait(false);
                    sent = upTo;
                }
            }

            if (beforeWait is not null && !_tail.Task.IsCompleted)
            {
                await beforeWait().ConfigureAwait(false);
            }

            await _tail.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!whole)
            {
                arrivedWhole?.Invoke(sent);
            }

            await destination.WriteAsync(_buffer.AsMemory(_offset + sent, Length - sent), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _readers--;
                ReturnIfUnused();
            }
        }
    }

    /// <summary>Ends the request's use of its array: given back to the pool once no <see cref="CopyToAsync"/> reads it; a forward still waiting for the tail is cancelled.</summary>
    public void Dispose()
    {
        _tail.TrySetCanceled();
        lock (_gate)
        {
            _disposed = true;
            ReturnIfUnused();
        }
    }

    // Bytes arrived once at least `count` are in (or all of the message); throws when the body failed.
    private async Task<int> WaitForAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task wait;
            Exception? fault = null;
            lock (_gate)
            {
                if (_fault is not null)
                {
                    // A failed body ends a forward only through its caller's cancellation (the agent
                    // abandons the peer call when the request is refused), so the peer's connection
                    // is never taken for failed because the client's body was.
                    wait = _tail.Task;
                    fault = _fault;
                }
                else if (_arrived >= count || _arrived == Length)
                {
                    return _arrived;
                }
                else
                {
                    _progress ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    wait = _progress.Task;
                }
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (fault is not null)
            {
                throw fault;
            }
        }
    }

    private async Task PumpAsync(PipeReader body, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var result = await body.ReadAsync(cancellationToken).ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "Incoming message cancelled."));
                }

                var arrived = Volatile.Read(ref _arrived);
                var take = (int)Math.Min(buffer.Length, Length - arrived);
                if (take > 0)
                {
                    buffer.Slice(0, take).CopyTo(_buffer.AsSpan(_offset + arrived));
                    Signal(arrived + take);
                }

                var extra = buffer.Length - take;
                body.AdvanceTo(buffer.GetPosition(take), buffer.End);
                if (extra > 0)
                {
                    throw new RpcException(new Status(StatusCode.Internal, "Additional data after the message received."));
                }

                if (result.IsCompleted)
                {
                    if (arrived + take < Length)
                    {
                        throw new RpcException(new Status(StatusCode.Internal, "Incomplete message."));
                    }

                    return;
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
            throw;
        }
        finally
        {
            lock (_gate)
            {
                _pumpDone = true;
                ReturnIfUnused();
            }
        }
    }

    private void Signal(int arrived)
    {
        TaskCompletionSource? progress;
        lock (_gate)
        {
            _arrived = arrived;
            progress = _progress;
            _progress = null;
        }

        progress?.TrySetResult();
    }

    private void Fail(Exception exception)
    {
        TaskCompletionSource? progress;
        lock (_gate)
        {
            _fault = exception;
            progress = _progress;
            _progress = null;
        }

        progress?.TrySetResult();
    }

    private void ReturnIfUnused()
    {
        // The pump writes into the array until it ends: only then may the array serve another message.
        if (_disposed && _readers == 0 && _pumpDone && !_returned)
        {
            _returned = true;
            if (_pooled)
            {
                InferMessages.ReturnArray(_buffer);
            }
        }
    }

    private enum ScanResult
    {
        NeedMore,
        Found,
        None,
    }

    // Walks the top-level fields of a message of `length` bytes whose first bytes are `head`: Found
    // with the first raw input's tag offset and data offset, None when the message has none or is
    // not a sequence of well-formed fields there, NeedMore when `head` ends first.
    private static ScanResult ScanHead(ReadOnlySpan<byte> head, int length, out int tagOffset, out int dataOffset)
    {
        tagOffset = 0;
        dataOffset = 0;
        var position = 0;
        while (position < length)
        {
            var start = position;
            if (!InferMessages.TryReadVarint(head, ref position, out var tag))
            {
                return position >= head.Length && head.Length < length ? ScanResult.NeedMore : ScanResult.None;
            }

            if (tag > uint.MaxValue || (tag >> 3) == 0)
            {
                return ScanResult.None;
            }

            switch ((int)(tag & 7))
            {
                case 0:
                    if (!InferMessages.TryReadVarint(head, ref position, out _))
                    {
                        return head.Length < length ? ScanResult.NeedMore : ScanResult.None;
                    }

                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    if (!InferMessages.TryReadVarint(head, ref position, out var size))
                    {
                        return head.Length < length ? ScanResult.NeedMore : ScanResult.None;
                    }

                    if (size > (ulong)(length - position))
                    {
                        return ScanResult.None;
                    }

                    if ((int)(tag >> 3) == RawInputContentsField)
                    {
                        tagOffset = start;
                        dataOffset = position;
                        return ScanResult.Found;
                    }

                    position += (int)size;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    return ScanResult.None;
            }

            if (position > length)
            {
                return ScanResult.None;
            }

            if (position > head.Length)
            {
                return ScanResult.NeedMore;
            }
        }

        return ScanResult.None;
    }

    // True when every top-level field from `from` on is a raw input (field 7, length-delimited).
    internal static bool OnlyRawInputsFrom(ReadOnlySpan<byte> message, int from)
    {
        var position = from;
        while (position < message.Length)
        {
            if (!InferMessages.TryReadVarint(message, ref position, out var tag) || tag != ((RawInputContentsField << 3) | 2)
                || !InferMessages.TryReadVarint(message, ref position, out var size) || size > (ulong)(message.Length - position))
            {
                return false;
            }

            position += (int)size;
        }

        return true;
    }
}

/// <summary>
/// Why an arriving ModelInfer request (<see cref="ArrivingRequest"/>) is not handled as it arrives:
/// the service refuses the whole request (<see cref="Refusal"/>: what the caller gets), or the whole
/// request means something other than its head (<see cref="HeadNotFinal"/>: fields other than raw
/// inputs follow the first raw input), so it is handled whole.
/// </summary>
public sealed class ArrivingRequestException : Exception
{
    /// <summary>The whole request means something other than its head: it is handled as a buffered request.</summary>
    public ArrivingRequestException(ModelInferRequest request)
        : base("The request's fields after its first raw input include others than raw inputs; it is handled whole.")
    {
        HeadNotFinal = request;
    }

    /// <summary>The service refuses the whole request with <paramref name="refusal"/>.</summary>
    public ArrivingRequestException(Exception refusal)
        : base("The request was refused once it had arrived whole.", refusal)
    {
        Refusal = refusal;
    }

    /// <summary>The whole request, parsed, when its head is not final; else null.</summary>
    public ModelInferRequest? HeadNotFinal { get; }

    /// <summary>What the caller gets when the request is refused; else null.</summary>
    public Exception? Refusal { get; }
}
