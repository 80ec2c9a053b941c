namespace EdgeAgent.Node.Agent;

/// <summary>
/// What every stream the agent puts around another one shares (the emulated link's
/// <c>PacedStream</c>, the relay's <c>RelayingStream</c>, <see cref="ReadAheadStream"/>): forward
/// only (no length, position or seeking), reading and writing as the inner stream allows unless
/// the wrapper says otherwise, and disposing the inner stream with it.
/// </summary>
internal abstract class WrappingStream(Stream inner) : Stream
{
    /// <summary>The wrapped stream.</summary>
    protected Stream Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public override bool CanRead => Inner.CanRead;

    public override bool CanSeek => false;

    public override bool CanWrite => Inner.CanWrite;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            Inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await Inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
