using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using EdgeAgent.Node.Security;
using Grpc.Net.Client;

namespace EdgeAgent.Node.Control;

/// <summary>
/// What an operator tool presents to an agent: a bearer token file, and for https:// agents a
/// client certificate and the CA bundle that verifies the agent.
/// </summary>
public sealed record AgentCredentials
{
    /// <summary>File holding the operator bearer token (--token-file).</summary>
    public string? TokenFile { get; init; }

    /// <summary>PEM client certificate with role operator (--cert).</summary>
    public string? CertificatePath { get; init; }

    /// <summary>Its key (--key; default: the certificate file).</summary>
    public string? KeyPath { get; init; }

    /// <summary>CA bundle that verifies the agent's certificate (--ca; default: the system trust store).</summary>
    public string? CaPath { get; init; }
}

/// <summary>
/// gRPC channels to a running agent for operator tools (`edgeagent pref`, `edgeagent status`) and
/// local applications: <c>http://HOST:PORT</c>, <c>https://HOST:PORT</c> or <c>unix:/path/to/agent.sock</c>.
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
            error = "the agent address is empty; use http://HOST:PORT, https://HOST:PORT or unix:/path/to/agent.sock";
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
    /// <exception cref="CertificateFileException">A credential file cannot be used; the message names it.</exception>
    public static GrpcChannel Create(string address, int maxMessageBytes = 64 * 1024 * 1024) => Create(address, null, maxMessageBytes);

    /// <summary>Creates a channel to <paramref name="address"/> that presents <paramref name="credentials"/>.</summary>
    /// <exception cref="ArgumentException">The address is malformed.</exception>
    /// <exception cref="CertificateFileException">A credential file cannot be used (unreadable, not PEM, or a TLS file given for an address without TLS); the message names it.</exception>
    public static GrpcChannel Create(string address, AgentCredentials? credentials, int maxMessageBytes = 64 * 1024 * 1024)
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

        HttpMessageHandler outer = handler;
        if (credentials is not null)
        {
            if (uri.Scheme == Uri.UriSchemeHttps)
            {
                ConfigureTls(handler, credentials);
            }
            else if (TlsFlagsGiven(credentials) is { } flags)
            {
                // Silently ignoring them would let an operator believe the call is verified and encrypted.
                throw new CertificateFileException($"{flags} apply to https:// agents only; '{address}' is not TLS (use https://HOST:PORT, or leave {flags} out)");
            }

            if (!string.IsNullOrWhiteSpace(credentials.TokenFile))
            {
                outer = new BearerTokenHandler(OperatorToken.ReadFile(credentials.TokenFile, "--token-file"), handler);
            }
        }

        return GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            HttpHandler = outer,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = maxMessageBytes,
            MaxSendMessageSize = maxMessageBytes,
        });
    }

    // The TLS flags given, as the operator typed them ("--cert, --ca"), or null when none is.
    private static string? TlsFlagsGiven(AgentCredentials credentials)
    {
        var flags = new[] { ("--cert", credentials.CertificatePath), ("--key", credentials.KeyPath), ("--ca", credentials.CaPath) }
            .Where(f => !string.IsNullOrWhiteSpace(f.Item2))
            .Select(f => f.Item1)
            .ToArray();
        return flags.Length == 0 ? null : string.Join(", ", flags);
    }

    private static void ConfigureTls(SocketsHttpHandler handler, AgentCredentials credentials)
    {
        if (string.IsNullOrWhiteSpace(credentials.CertificatePath) && !string.IsNullOrWhiteSpace(credentials.KeyPath))
        {
            throw new CertificateFileException("--key is the key of --cert; give --cert too (the client certificate it belongs to)");
        }

        var options = new SslClientAuthenticationOptions { ApplicationProtocols = [SslApplicationProtocol.Http2] };
        if (!string.IsNullOrWhiteSpace(credentials.CertificatePath))
        {
            try
            {
                var (leaf, chain) = PemFiles.ReadCertificateWithKey(credentials.CertificatePath, string.IsNullOrWhiteSpace(credentials.KeyPath) ? null : credentials.KeyPath);
                options.ClientCertificateContext = SslStreamCertificateContext.Create(leaf, chain, offline: true);
            }
            catch (CertificateFileException ex)
            {
                throw new CertificateFileException("--cert/--key: " + ex.Message, ex);
            }
        }

        if (!string.IsNullOrWhiteSpace(credentials.CaPath))
        {
            X509Certificate2Collection anchors;
            try
            {
                anchors = PemFiles.ReadCertificates(credentials.CaPath, "CA bundle");
            }
            catch (CertificateFileException ex)
            {
                throw new CertificateFileException("--ca: " + ex.Message, ex);
            }

            options.CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            options.CertificateChainPolicy.CustomTrustStore.AddRange(anchors);
        }

        handler.SslOptions = options;
    }

    // Adds "authorization: Bearer TOKEN" to every call; the token never leaves this handler otherwise.
    private sealed class BearerTokenHandler(string token, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly AuthenticationHeaderValue _header = new("Bearer", token);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Authorization = _header;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
