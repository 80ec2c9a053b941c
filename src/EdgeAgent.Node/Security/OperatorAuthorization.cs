using System.Security.Cryptography;
using System.Text;
using EdgeAgent.Inference;
using EdgeAgent.Node.Serving;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Security;

/// <summary>
/// The operator bearer token, read from Security:OperatorTokenFile and re-read when the file
/// changes. Compared in constant time (SHA-256 of both sides, then
/// <see cref="CryptographicOperations.FixedTimeEquals"/>); the token never appears in a log or an error.
/// </summary>
public sealed class OperatorToken
{
    /// <summary>Shortest token accepted.</summary>
    public const int MinimumLength = 16;

    private readonly string _path;
    private readonly Lock _gate = new();
    private (DateTime, long)? _stamp;
    private byte[] _hash;

    private OperatorToken(string path)
    {
        _path = path;
        _stamp = PemFiles.Stamp(path);
        _hash = Read(path);
    }

    /// <summary>Reads the token file; null when no file is configured.</summary>
    /// <exception cref="CertificateFileException">The file is missing, unreadable or its token is shorter than <see cref="MinimumLength"/>.</exception>
    public static OperatorToken? Create(string? path) => string.IsNullOrWhiteSpace(path) ? null : new OperatorToken(Path.GetFullPath(path));

    /// <summary>Reads a token file as `edgeagent pref --token-file` and the agent do.</summary>
    /// <exception cref="CertificateFileException">The file is missing, unreadable or its token is shorter than <see cref="MinimumLength"/>.</exception>
    public static string ReadFile(string path, string setting)
    {
        string text;
        try
        {
            text = File.ReadAllText(path).Trim();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CertificateFileException($"{setting}: '{path}' cannot be read: {PemFiles.Describe(ex)}.", ex);
        }

        if (text.Length < MinimumLength || text.Any(char.IsWhiteSpace))
        {
            throw new CertificateFileException($"{setting}: '{path}' must hold one token of at least {MinimumLength} characters without spaces (for example from `openssl rand -hex 32`).");
        }

        return text;
    }

    /// <summary>True when <paramref name="presented"/> is the current token.</summary>
    public bool Matches(string presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var expected = Current();
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private byte[] Current()
    {
        var stamp = PemFiles.Stamp(_path);
        if (stamp == _stamp)
        {
            return Volatile.Read(ref _hash);
        }

        lock (_gate)
        {
            try
            {
                Volatile.Write(ref _hash, Read(_path));
            }
            catch (CertificateFileException)
            {
                // A token file being replaced (or removed) keeps the last good token until it is whole again.
            }

            _stamp = stamp;
            return _hash;
        }
    }

    private static byte[] Read(string path) => SHA256.HashData(Encoding.UTF8.GetBytes(ReadFile(path, "Security:OperatorTokenFile (--operator-token-file)")));
}

/// <summary>
/// Who may call a service: an operator call (ControlService) needs a client certificate with the
/// operator role or the operator bearer token; an inference call, when
/// Security:RequireInferenceCredential is set, a client certificate from Tls:CaPath of any role or
/// the operator token. Calls on the Unix socket are admitted: the socket's mode (0660) and group
/// are the credential there. Certificates reach this point already verified against Tls:CaPath
/// by the TLS handshake.
/// </summary>
public sealed class CallerAuthorization(OperatorToken? token, TlsCertificateStore? tls)
{
    /// <summary>The operator token (null when Security:OperatorTokenFile is not set); the dashboard's HTTP API checks it too.</summary>
    public OperatorToken? Token => token;

    /// <summary>True when <paramref name="http"/> arrived on the Unix socket (Kestrel gives such connections no IP endpoint).</summary>
    public static bool IsUnixSocket(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Connection.LocalIpAddress is null && http.Connection.RemoteIpAddress is null;
    }

    /// <summary>Throws Unauthenticated or PermissionDenied unless the caller may use <paramref name="what"/> (InferenceStatus maps them to the gRPC codes).</summary>
    /// <param name="context">The call.</param>
    /// <param name="what">"the operator API" or "inference", for the message.</param>
    /// <param name="role">The certificate role required, or null for any role.</param>
    /// <exception cref="InferenceException">The caller has no acceptable credential.</exception>
    public void Demand(ServerCallContext context, string what, NodeRole? role)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.GetHttpContext();
        if (IsUnixSocket(http))
        {
            return;
        }

        var certificate = http.Connection.ClientCertificate;
        if (certificate is not null)
        {
            var roles = NodeRoles.Of(certificate);
            if (role is null || roles.Contains(role.Value))
            {
                return;
            }
        }

        var header = http.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                throw new InferenceException(InferenceError.Unauthenticated, $"{Capital(what)} accepts only 'authorization: Bearer TOKEN' headers.");
            }

            if (token is null)
            {
                throw new InferenceException(InferenceError.Unauthenticated, $"A bearer token was sent but this agent has no Security:OperatorTokenFile; {Accepted(what, role)}.");
            }

            if (token.Matches(header["Bearer ".Length..].Trim()))
            {
                return;
            }

            throw new InferenceException(InferenceError.PermissionDenied, $"The bearer token does not match Security:OperatorTokenFile; {what} was refused.");
        }

        if (certificate is not null)
        {
            var roles = NodeRoles.Of(certificate);
            throw new InferenceException(InferenceError.PermissionDenied,
                $"The client certificate '{certificate.Subject}' has role {(roles.Count == 0 ? "none" : string.Join(", ", roles.Select(r => r.Name())))}; {what} needs role {role?.Name()} (OU {role?.OrganizationalUnit()}) or the operator token.");
        }

        throw new InferenceException(InferenceError.Unauthenticated, $"{Capital(what)} needs a credential: {Accepted(what, role)}.");
    }

    private string Accepted(string what, NodeRole? role)
    {
        var ways = new List<string>();
        if (tls is { HasCertificate: true, HasTrustAnchors: true })
        {
            ways.Add(role is null ? "a client certificate from this node's CA (--cert, --key)" : $"a client certificate with role {role.Value.Name()} (--cert, --key)");
        }

        if (token is not null)
        {
            ways.Add("the operator bearer token (--token-file)");
        }

        ways.Add("or a connection on the agent's Unix socket");
        return ways.Count == 1
            ? $"this agent has no Security:OperatorTokenFile and no TLS client certificates (Tls:CaPath), so {what} is served only on its Unix socket"
            : "use " + string.Join(", ", ways);
    }

    private static string Capital(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}

/// <summary>Refuses ControlService calls without an operator credential (see <see cref="CallerAuthorization"/>).</summary>
public sealed partial class OperatorAuthorizationInterceptor(CallerAuthorization authorization, ILogger<OperatorAuthorizationInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            authorization.Demand(context, "the operator API", NodeRole.Operator);
        }
        catch (InferenceException ex)
        {
            Log.Refused(logger, context.Method, context.Peer, InferenceStatus.Code(ex.Error));
            throw;
        }

        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        authorization.Demand(context, "the operator API", NodeRole.Operator);
        return continuation(request, responseStream, context);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2311, Level = LogLevel.Warning, Message = "Operator call {Method} from {Peer} refused with {Status}.")]
        public static partial void Refused(ILogger logger, string method, string peer, StatusCode status);
    }
}

/// <summary>When Security:RequireInferenceCredential is set, refuses inference calls without a credential.</summary>
public sealed class InferenceAuthorizationInterceptor(CallerAuthorization authorization, IOptions<SecurityOptions> options) : Interceptor
{
    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (options.Value.RequireInferenceCredential)
        {
            authorization.Demand(context, "inference", role: null);
        }

        return continuation(request, context);
    }

    /// <inheritdoc />
    /// <remarks>
    /// The agent's ModelInfer (client-streaming, so it runs before the body is read): a refused
    /// call's body is read and discarded first, as a unary call's was, so the refusal never ends a
    /// stream the client is still sending on (see the admission refusal in ServingServiceCollectionExtensions).
    /// </remarks>
    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        if (options.Value.RequireInferenceCredential)
        {
            try
            {
                authorization.Demand(context, "inference", role: null);
            }
            catch (RpcException)
            {
                try
                {
                    await context.GetHttpContext().Request.Body.CopyToAsync(Stream.Null, context.CancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or Microsoft.AspNetCore.Http.BadHttpRequestException)
                {
                    // The client left, or no HTTP call is behind the context: refuse anyway.
                }

                throw;
            }
        }

        return await continuation(requestStream, context).ConfigureAwait(false);
    }
}
