using System.Collections.Concurrent;
using EdgeAgent.Inference;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Peer;

/// <summary>
/// Bounds the WatchLoad streams a peer serves: <c>Peer:MaxLoadStreams</c> in total and
/// <c>Peer:MaxLoadStreamsPerClient</c> per client (its certificate's subject when it presented one,
/// else its address; every caller on the Unix socket is one client). Each stream wakes a timer
/// at its interval; 500 streams from one client cost half a core (issue 13).
/// </summary>
public sealed class LoadStreamLimiter(IOptions<PeerOptions> options)
{
    private readonly ConcurrentDictionary<string, int> _perClient = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private int _total;

    /// <summary>Streams open now.</summary>
    public int Open => Volatile.Read(ref _total);

    /// <summary>Takes a stream slot for the caller of <paramref name="context"/>; dispose the result when the stream ends.</summary>
    /// <exception cref="InferenceException"><see cref="InferenceError.ResourceExhausted"/> naming the limit that was reached.</exception>
    public IDisposable Acquire(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Acquire(ClientKey(context.GetHttpContext()));
    }

    /// <summary>Takes a stream slot for <paramref name="client"/>; dispose the result when the stream ends.</summary>
    /// <exception cref="InferenceException"><see cref="InferenceError.ResourceExhausted"/> naming the limit that was reached.</exception>
    public IDisposable Acquire(string client)
    {
        var limits = options.Value;
        lock (_lock)
        {
            if (_total >= limits.MaxLoadStreams)
            {
                throw new InferenceException(InferenceError.ResourceExhausted,
                    $"This peer already serves {_total} load streams, its limit (Peer:MaxLoadStreams = {limits.MaxLoadStreams}); retry later.");
            }

            var mine = _perClient.GetValueOrDefault(client);
            if (mine >= limits.MaxLoadStreamsPerClient)
            {
                throw new InferenceException(InferenceError.ResourceExhausted,
                    $"This client already has {mine} load streams open, the limit per client (Peer:MaxLoadStreamsPerClient = {limits.MaxLoadStreamsPerClient}); close one first.");
            }

            _perClient[client] = mine + 1;
            _total++;
        }

        return new Slot(this, client);
    }

    private void Release(string client)
    {
        lock (_lock)
        {
            _total--;
            var left = _perClient.GetValueOrDefault(client) - 1;
            if (left <= 0)
            {
                _perClient.TryRemove(client, out _);
            }
            else
            {
                _perClient[client] = left;
            }
        }
    }

    private static string ClientKey(HttpContext http)
    {
        var certificate = http.Connection.ClientCertificate;
        if (certificate is not null)
        {
            return "cert:" + certificate.Subject;
        }

        return http.Connection.RemoteIpAddress is { } address ? "ip:" + address : "local";
    }

    private sealed class Slot(LoadStreamLimiter owner, string client) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(client);
            }
        }
    }
}
