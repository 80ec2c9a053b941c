using System.Net.Sockets;
using Grpc.Net.Client;

namespace EdgeAgent.Node.Control;

/// <summary>
/// gRPC channels to a running agent for operator tools (`edgeagent pref`, `edgeagent status`) and
/// local applications: <c>http://HOST:PORT</c> or <c>unix:/path/to/agent.sock</c>.
/// </summary>
public static class AgentChannel
{
    /// <summary>Parses an agent address; the error says what is expected.</summary>
    public static bool TryParse(string? address, out Uri uri, out string? socketPath, out string error)
    {
        uri = null!;
        socketPath = null;
        error = "";
        if (string.IsNullOrWhiteSpace(address))
        {
            error = "the agent address is empty; use http://HOST:PORT or unix:/path/to/agent.sock";
            return false;
        }

        if (address.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = address["unix:".Length..];
            if (path.Length == 0 || !Path.IsPathFullyQualified(path))
            {
                error = $"'{address}' needs an absolute socket path, as in unix:/run/edgeagent/agent.sock";
                return false;
            }

            socketPath = path;
            uri = new Uri("http://localhost");
            return true;
        }

        if (!Uri.TryCreate(address, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttp && parsed.Scheme != Uri.UriSchemeHttps))
        {
            error = $"'{address}' is not http://HOST:PORT, https://HOST:PORT or unix:/path/to/agent.sock";
            return false;
        }

        uri = parsed;
        return true;
    }

    /// <summary>Creates a channel to <paramref name="address"/>.</summary>
    /// <exception cref="ArgumentException">The address is malformed.</exception>
    public static GrpcChannel Create(string address, int maxMessageBytes = 64 * 1024 * 1024)
    {
        if (!TryParse(address, out var uri, out var socketPath, out var error))
        {
            throw new ArgumentException(error, nameof(address));
        }

        var handler = new SocketsHttpHandler { PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan };
        if (socketPath is not null)
        {
            handler.ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        return GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = maxMessageBytes,
            MaxSendMessageSize = maxMessageBytes,
        });
    }
}
