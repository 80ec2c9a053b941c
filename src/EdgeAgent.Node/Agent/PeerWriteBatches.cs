using System.Buffers.Binary;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// Fewer, larger sends of a forwarded request's body to a single peer (issue 17, the offload hop).
/// .NET's HTTP/2 client writes a request body as 16 KiB DATA frames and, because two full frames do
/// not fit its 32 KiB send buffer, hands each frame to the connection's stream alone: about 300
/// sends of 16,393 bytes for a 4.9 MB request, each on the path between the two thread-pool
/// hand-offs of every frame, and each a separate segment the peer wakes up for. While a request is
/// being forwarded as it arrives (<see cref="ForwardedBodies"/>, cut-through) the connection's
/// <see cref="BatchedWriteStream"/> keeps such frames and sends them together, up to
/// <see cref="BatchBytes"/>; anything else (headers, a frame that ends a stream, window updates,
/// pings, resets) is sent at once, after what is kept, so the bytes on the wire are the same and
/// in the same order. What is kept is sent as soon as the forward has to wait (for the client's
/// next bytes or for the request's validation: <see cref="FlushAsync"/>) and when it ends; as a
/// safety net, while a forward runs, a connection that has kept bytes through a whole
/// <see cref="SafetyPeriod"/> without sending sends them then.
/// </summary>
/// <remarks>
/// Frames are kept only on a connection whose peer opened it with a stream window and a connection
/// window of at least twice <see cref="BatchBytes"/> (its first SETTINGS and WINDOW_UPDATE, as
/// Kestrel sends them): a peer acknowledges received bytes once it has read about half its window,
/// so bytes kept here can never be what the HTTP/2 client's flow control is waiting for. Other
/// peers' connections, and every connection while no request is being forwarded, pass writes
/// straight through.
/// </remarks>
internal sealed class PeerWriteBatches(int batchBytes, TimeProvider time)
{
    /// <summary>The default of <see cref="AgentOptions.PeerWriteBatchBytes"/>: seven full DATA frames per send.</summary>
    public const int DefaultBytes = 128 * 1024;

    /// <summary>The largest batch allowed: half of this project's own peer stream window (Http2Windows).</summary>
    public const int MaxBytes = 256 * 1024;

    /// <summary>A full DATA frame as .NET's HTTP/2 client writes it: 9 bytes of header, 16 KiB of payload.</summary>
    public const int FullFrameBytes = 9 + (16 * 1024);

    /// <summary>How often, while a forward runs, connections that kept bytes without sending since the last look send them (a safety net: forwards send theirs when they wait). One timer for all connections, armed and disarmed once per forward, not per batch.</summary>
    public static readonly TimeSpan SafetyPeriod = TimeSpan.FromMilliseconds(10);

    private readonly Lock _lock = new();
    private readonly List<BatchedWriteStream> _streams = [];
    private ITimer? _safety;
    private int _active;
    private long _batchedSends;

    /// <summary>Most bytes kept for one send.</summary>
    public int BatchBytes { get; } = batchBytes >= FullFrameBytes && batchBytes <= MaxBytes
        ? batchBytes
        : throw new ArgumentOutOfRangeException(nameof(batchBytes), batchBytes, $"A batch holds {FullFrameBytes} to {MaxBytes} bytes.");

    /// <summary>Sends that carried more than one kept frame, over every connection so far.</summary>
    public long BatchedSends => Interlocked.Read(ref _batchedSends);

    /// <summary>True while at least one request is being forwarded as it arrives.</summary>
    public bool Active => Volatile.Read(ref _active) > 0;


    /// <summary>Puts batching around a new connection to the peer.</summary>
    public Stream Wrap(Stream connection)
    {
        var stream = new BatchedWriteStream(connection, this);
        lock (_lock)
        {
            _streams.Add(stream);
        }

        return stream;
    }

    /// <summary>A forward starts writing its body.</summary>
    public void Begin()
    {
        lock (_lock)
        {
            if (++_active == 1)
            {
                _safety ??= time.CreateTimer(static state => ((PeerWriteBatches)state!).OnSafetyTick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _safety.Change(SafetyPeriod, SafetyPeriod);
            }
        }
    }

    /// <summary>A forward has written its body (or gave up): sends what is kept.</summary>
    public ValueTask EndAsync()
    {
        lock (_lock)
        {
            if (--_active == 0)
            {
                _safety?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        return FlushAsync();
    }

    /// <summary>Sends what every connection keeps (a forward is about to wait).</summary>
    public async ValueTask FlushAsync()
    {
        BatchedWriteStream[] streams;
        lock (_lock)
        {
            streams = [.. _streams];
        }

        foreach (var stream in streams)
        {
            await stream.FlushKeptAsync().ConfigureAwait(false);
        }
    }

    private void OnSafetyTick()
    {
        BatchedWriteStream[] streams;
        lock (_lock)
        {
            streams = [.. _streams];
        }

        foreach (var stream in streams)
        {
            _ = stream.FlushIfIdleAsync();
        }
    }

    internal void CountBatchedSend() => Interlocked.Increment(ref _batchedSends);

    internal void Remove(BatchedWriteStream stream)
    {
        lock (_lock)
        {
            _streams.Remove(stream);
        }
    }
}

/// <summary>One connection to a peer with its writes batched by <see cref="PeerWriteBatches"/>; reads pass through.</summary>
internal sealed class BatchedWriteStream : WrappingStream
{
    private const byte DataFrame = 0;
    private const byte SettingsFrame = 4;
    private const byte WindowUpdateFrame = 8;
    private const ushort InitialWindowSizeSetting = 4;

    private readonly PeerWriteBatches _batches;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly byte[] _kept;
    private int _length;
    private long _sendsAtLastLook;
    private int _windowsChecked;
    private bool _enabled;
    private bool _disposed;

    public BatchedWriteStream(Stream inner, PeerWriteBatches batches)
        : base(inner)
    {
        _batches = batches;
        _kept = new byte[batches.BatchBytes];
    }

    /// <summary>Send calls made on the connection so far.</summary>
    public long Sends { get; private set; }

    /// <summary>True once the peer's opening windows allowed batching on this connection.</summary>
    public bool Enabled => Volatile.Read(ref _enabled);

    public override bool CanRead => Inner.CanRead;

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _windowsChecked) != 0)
        {
            return Inner.ReadAsync(buffer, cancellationToken);
        }

        return ReadFirstAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = Inner.Read(buffer);
        CheckWindows(buffer[..read]);
        return read;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _enabled) && _batches.Active && IsDataFrameWithoutFlags(buffer.Span) && _length + buffer.Length <= _kept.Length)
            {
                buffer.Span.CopyTo(_kept.AsSpan(_length));
                _length += buffer.Length;
                if (_kept.Length - _length < PeerWriteBatches.FullFrameBytes)
                {
                    await SendKeptAsync().ConfigureAwait(false);
                }

                return;
            }

            if (_length > 0 && _length + buffer.Length <= _kept.Length)
            {
                // What is kept goes first, in one send with this write.
                buffer.Span.CopyTo(_kept.AsSpan(_length));
                _length += buffer.Length;
                await SendKeptAsync().ConfigureAwait(false);
                return;
            }

            await SendKeptAsync().ConfigureAwait(false);
            Sends++;
            await Inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _gate.Wait();
        try
        {
            SendKept();

            Sends++;
            Inner.Write(buffer);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override void Flush()
    {
        _gate.Wait();
        try
        {
            SendKept();

            Inner.Flush();
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await FlushKeptAsync().ConfigureAwait(false);
        await Inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends what is kept, if anything. A failed send is left to the next write to report (the connection is gone).</summary>
    public ValueTask FlushKeptAsync() => FlushKeptAsync(onlyIfIdle: false);

    /// <summary>The safety net's look: sends what is kept if nothing was sent since the last look.</summary>
    public ValueTask FlushIfIdleAsync() => FlushKeptAsync(onlyIfIdle: true);

    private async ValueTask FlushKeptAsync(bool onlyIfIdle)
    {
        if (Volatile.Read(ref _length) == 0 && !onlyIfIdle)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var idle = Sends == _sendsAtLastLook;
            _sendsAtLastLook = Sends;
            if (!onlyIfIdle || idle)
            {
                await SendKeptAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
        {
            // The HTTP/2 client learns of a broken connection from its own next write or read.
        }
        finally
        {
            _gate.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _batches.Remove(this);
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            _batches.Remove(this);
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    // One DATA frame, whole, with no flags (not the end of its stream, not padded).
    internal static bool IsDataFrameWithoutFlags(ReadOnlySpan<byte> write) =>
        write.Length > 9 && write[3] == DataFrame && write[4] == 0
        && ((write[0] << 16) | (write[1] << 8) | write[2]) == write.Length - 9;

    // The peer's opening frames (SETTINGS, then Kestrel's connection WINDOW_UPDATE) in the first
    // bytes it sends: batching is allowed only when both windows are at least twice a batch.
    internal static bool WindowsAllowBatching(ReadOnlySpan<byte> opening, int batchBytes)
    {
        long streamWindow = 65_535;
        long connectionWindow = 65_535;
        var position = 0;
        var frames = 0;
        while (opening.Length - position >= 9 && frames < 4)
        {
            var length = (opening[position] << 16) | (opening[position + 1] << 8) | opening[position + 2];
            var type = opening[position + 3];
            var flags = opening[position + 4];
            var streamId = BinaryPrimitives.ReadUInt32BigEndian(opening[(position + 5)..]) & 0x7FFF_FFFF;
            if (opening.Length - position - 9 < length)
            {
                break;
            }

            var payload = opening.Slice(position + 9, length);
            if (type == SettingsFrame && (flags & 1) == 0 && streamId == 0)
            {
                for (var i = 0; i + 6 <= payload.Length; i += 6)
                {
                    if (BinaryPrimitives.ReadUInt16BigEndian(payload[i..]) == InitialWindowSizeSetting)
                    {
                        streamWindow = BinaryPrimitives.ReadUInt32BigEndian(payload[(i + 2)..]);
                    }
                }
            }
            else if (type == WindowUpdateFrame && streamId == 0 && length == 4)
            {
                connectionWindow += BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFF_FFFF;
            }

            position += 9 + length;
            frames++;
        }

        return streamWindow >= 2L * batchBytes && connectionWindow >= 2L * batchBytes;
    }

    private async ValueTask<int> ReadFirstAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var read = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        CheckWindows(buffer.Span[..read]);
        return read;
    }

    private void CheckWindows(ReadOnlySpan<byte> first)
    {
        // A zero-byte read (the HTTP/2 client's wait for data) says nothing yet.
        if (first.Length > 0 && Interlocked.Exchange(ref _windowsChecked, 1) == 0)
        {
            Volatile.Write(ref _enabled, WindowsAllowBatching(first, _kept.Length));
        }
    }

    // Under the gate.
    private async ValueTask SendKeptAsync()
    {
        if (TakeKept() is int length)
        {
            await Inner.WriteAsync(_kept.AsMemory(0, length)).ConfigureAwait(false);
        }
    }

    private void SendKept()
    {
        if (TakeKept() is int length)
        {
            Inner.Write(_kept.AsSpan(0, length));
        }
    }

    /// <summary>Counts the send of what is kept and empties it; null when nothing is kept.</summary>
    private int? TakeKept()
    {
        if (_length == 0)
        {
            return null;
        }

        var length = _length;
        _length = 0;
        Sends++;
        if (length > PeerWriteBatches.FullFrameBytes)
        {
            _batches.CountBatchedSend();
        }

        return length;
    }
}
