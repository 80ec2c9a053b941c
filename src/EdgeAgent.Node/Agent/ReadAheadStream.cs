namespace EdgeAgent.Node.Agent;

/// <summary>
/// The agent's connection to a single peer as its HTTP/2 client sees it, with receives of up to
/// <see cref="DefaultBytes"/> (issue 17, the offload hop). .NET's HTTP/2 client reads one frame's
/// worth at a time (16,393 bytes for a full DATA frame) and, with nothing buffered, first waits
/// for data with a zero-byte read, which the socket layer makes a 1-byte peek: two receive calls
/// per 16 KiB of a peer's answer, about 200 for a 1.6 MB one. Here one receive takes what the
/// socket holds, up to the buffer, and the client's reads (the zero-byte ones included) are
/// served from it while it holds bytes. Writes pass straight through.
/// </summary>
internal sealed class ReadAheadStream : WrappingStream
{
    /// <summary>Bytes one receive takes at most.</summary>
    public const int DefaultBytes = 64 * 1024;

    private readonly byte[] _buffer;
    private int _start;
    private int _end;

    public ReadAheadStream(Stream inner, int bufferBytes = DefaultBytes)
        : base(inner)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferBytes, 1);
        _buffer = new byte[bufferBytes];
    }

    /// <summary>Receive calls made on the inner stream so far.</summary>
    public long Receives { get; private set; }

    public override bool CanRead => true;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_start == _end)
        {
            if (buffer.Length >= _buffer.Length)
            {
                // A read as large as the buffer takes the socket's bytes directly.
                Receives++;
                return await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }

            // Nothing held: one receive waits for data and takes what is there (a zero-byte read
            // is answered once it has, as the socket would answer it).
            Receives++;
            var read = await Inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return 0;
            }

            _start = 0;
            _end = read;
        }

        var take = Math.Min(buffer.Length, _end - _start);
        _buffer.AsSpan(_start, take).CopyTo(buffer.Span);
        _start += take;
        return take;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_start == _end)
        {
            Receives++;
            var read = Inner.Read(_buffer);
            if (read == 0)
            {
                return 0;
            }

            _start = 0;
            _end = read;
        }

        var take = Math.Min(buffer.Length, _end - _start);
        _buffer.AsSpan(_start, take).CopyTo(buffer);
        _start += take;
        return take;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
        Inner.WriteAsync(buffer, cancellationToken);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Inner.WriteAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count) => Inner.Write(buffer, offset, count);

    public override void Write(ReadOnlySpan<byte> buffer) => Inner.Write(buffer);

    public override void Flush() => Inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);
}
