using System.Net;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// An <see cref="HttpContent"/> that passes another one through a stream wrapper: on the way out
/// (<see cref="OnWrite"/>: what the inner content writes goes through the wrapper, as the emulated
/// uplink paces a request) or on the way in (<see cref="OnRead"/>: whoever reads the body reads it
/// through the wrapper, as the emulated downlink paces an answer and the relay sees each read).
/// The inner content's headers are copied; its length is not announced; disposing disposes it.
/// </summary>
internal sealed class WrappedContent : HttpContent
{
    private readonly HttpContent _inner;
    private readonly Func<Stream, Stream>? _onWrite;
    private readonly Func<Stream, Stream>? _onRead;

    private WrappedContent(HttpContent inner, Func<Stream, Stream>? onWrite, Func<Stream, Stream>? onRead)
    {
        _inner = inner;
        _onWrite = onWrite;
        _onRead = onRead;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    /// <summary>The inner content written through <paramref name="wrap"/>(destination).</summary>
    public static WrappedContent OnWrite(HttpContent inner, Func<Stream, Stream> wrap) => new(inner, wrap, null);

    /// <summary>The inner content's body read through <paramref name="wrap"/>(its stream).</summary>
    public static WrappedContent OnRead(HttpContent inner, Func<Stream, Stream> wrap) => new(inner, null, wrap);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        if (_onWrite is not null)
        {
            var wrapped = _onWrite(stream);
            await using (wrapped.ConfigureAwait(false))
            {
                await _inner.CopyToAsync(wrapped, context, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var source = await CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (source.ConfigureAwait(false))
        {
            await source.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        }
    }

    protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

    protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
        _onRead is not null
            ? _onRead(await _inner.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
            : await base.CreateContentReadStreamAsync(cancellationToken).ConfigureAwait(false);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
