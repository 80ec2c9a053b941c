using System.Net;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// Applies a <see cref="LinkEmulation"/> to an HTTP/2 (gRPC) channel: half the added round trip
/// before a request leaves and half when its response headers arrive, and request and response
/// bodies paced to the bandwidth cap. Pacing is per direction and shared by every call through
/// this handler, like a real link: two concurrent uploads take twice as long.
/// </summary>
public sealed class EmulatedLinkHandler : DelegatingHandler
{
    private readonly LinkEmulation _emulation;
    private readonly TimeProvider _time;
    private readonly LinkPacer _uplink;
    private readonly LinkPacer _downlink;

    /// <summary>Wraps <paramref name="inner"/> with the emulated link.</summary>
    public EmulatedLinkHandler(LinkEmulation emulation, TimeProvider time, HttpMessageHandler inner)
        : base(inner)
    {
        ArgumentNullException.ThrowIfNull(emulation);
        ArgumentNullException.ThrowIfNull(time);
        _emulation = emulation;
        _time = time;
        _uplink = new LinkPacer(emulation.BandwidthBitsPerSecond, time);
        _downlink = new LinkPacer(emulation.BandwidthBitsPerSecond, time);
    }

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var halfRtt = _emulation.RoundTrip / 2;
        if (halfRtt > TimeSpan.Zero)
        {
            await Task.Delay(halfRtt, _time, cancellationToken).ConfigureAwait(false);
        }

        if (request.Content is not null && _uplink.Limited)
        {
            request.Content = WrappedContent.OnWrite(request.Content, stream => new PacedStream(stream, _uplink));
        }

        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (halfRtt > TimeSpan.Zero)
        {
            await Task.Delay(halfRtt, _time, cancellationToken).ConfigureAwait(false);
        }

        if (_downlink.Limited)
        {
            response.Content = WrappedContent.OnRead(response.Content, stream => new PacedStream(stream, _downlink));
        }

        return response;
    }

    /// <summary>A stream that waits on the pacer for every chunk written or read.</summary>
    private sealed class PacedStream(Stream inner, LinkPacer pacer) : WrappingStream(inner)
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await pacer.WaitAsync(buffer.Length, cancellationToken).ConfigureAwait(false);
            await Inner.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await Inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            if (n > 0)
            {
                await pacer.WaitAsync(n, cancellationToken).ConfigureAwait(false);
            }

            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override Task FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

        public override void Flush() => Inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The paced stream is asynchronous only.");

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The paced stream is asynchronous only.");
    }
}

/// <summary>
/// One direction of an emulated link: bytes leave no faster than the bandwidth allows. It keeps
/// the time the link becomes free, so short waits that the timer cannot resolve are carried
/// forward instead of lost.
/// </summary>
internal sealed class LinkPacer(double bitsPerSecond, TimeProvider time)
{
    private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(1);
    private readonly object _gate = new();
    private long _freeAtTicks;

    public bool Limited => double.IsFinite(bitsPerSecond) && bitsPerSecond > 0;

    /// <summary>Waits until <paramref name="bytes"/> more bytes have crossed the link.</summary>
    public Task WaitAsync(int bytes, CancellationToken cancellationToken)
    {
        if (!Limited || bytes <= 0)
        {
            return Task.CompletedTask;
        }

        var now = time.GetTimestamp();
        TimeSpan wait;
        lock (_gate)
        {
            var start = Math.Max(now, _freeAtTicks);
            _freeAtTicks = start + (long)(bytes * 8.0 / bitsPerSecond * time.TimestampFrequency);
            wait = time.GetElapsedTime(now, _freeAtTicks);
        }

        return wait >= MinimumWait ? Task.Delay(wait, time, cancellationToken) : Task.CompletedTask;
    }
}
