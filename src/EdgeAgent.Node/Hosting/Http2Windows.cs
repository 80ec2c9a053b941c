using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// The HTTP/2 flow-control windows of a node's Kestrel endpoints, chosen so that inference calls
/// waiting for admission (their bodies unread) can never block the bodies of admitted calls.
/// </summary>
/// <remarks>
/// HTTP/2 credits the connection window only when the application reads a stream's data. A call
/// waiting for an admission permit does not read, so the bytes a client has already sent for it
/// hold part of the connection window. With the old windows (8 MB connection, 4 MB per stream)
/// three waiting 2 MB calls could hold the whole connection window: the admitted calls on the same
/// connection then never received the rest of their bodies, kept their permits until their
/// deadlines, and every other connection's calls queued behind them (issue 13: 24 x 2 MB or
/// 64 x 512 KB on a fresh node, all 24 / 64 calls DEADLINE_EXCEEDED after 20 s in the reproduction).
/// The invariant kept here: the most that waiting streams can hold
/// (<see cref="MaxStreamsPerConnection"/> x <see cref="StreamWindowBytes"/>) plus the most that
/// Kestrel leaves unacknowledged before it sends a WINDOW_UPDATE (half the connection window) is
/// below the connection window, so an admitted stream always has connection credit.
/// <para>
/// The stream limit is the 100 streams HTTP/2 clients assume before the server's SETTINGS frame
/// reaches them (.NET's SocketsHttpHandler, Go's and Chrome's clients). With a lower limit, a
/// client that opened a new connection to a node too busy to answer the preface at once (starved
/// of CPU, stopped) sent more streams than the node allowed: Kestrel refused the excess
/// (REFUSED_STREAM) and, once it tracked more than twice its limit, forgot refused streams whose
/// DATA frames were still arriving and closed the whole connection (GOAWAY STREAM_CLOSED): every
/// call on it, admitted ones included, failed with INTERNAL at the client (issue 13: the 1-hour
/// soak's INTERNAL and UNAVAILABLE under mass admission refusal; Faults/ConnectionBurstTests).
/// </para>
/// </remarks>
public static class Http2Windows
{
    /// <summary>
    /// Concurrent streams a client may open on one connection (clients open another connection
    /// beyond it): the 100 that clients assume before they have the server's SETTINGS.
    /// </summary>
    public const int MaxStreamsPerConnection = 100;

    /// <summary>Per-stream receive window: 512 KiB, about 100 Mbit/s per stream at 40 ms RTT.</summary>
    public const int StreamWindowBytes = 512 * 1024;

    /// <summary>Connection receive window: twice what all streams can hold, plus one stream window.</summary>
    public const int ConnectionWindowBytes = (2 * MaxStreamsPerConnection * StreamWindowBytes) + StreamWindowBytes;

    /// <summary>Sets the windows and the stream limit on Kestrel's HTTP/2 limits.</summary>
    public static void Apply(Http2Limits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.MaxStreamsPerConnection = MaxStreamsPerConnection;
        limits.InitialStreamWindowSize = StreamWindowBytes;
        limits.InitialConnectionWindowSize = ConnectionWindowBytes;
    }
}
