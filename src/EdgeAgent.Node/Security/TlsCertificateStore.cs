using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAgent.Node.Security;

/// <summary>
/// A node's TLS material: its certificate with key (Tls:CertificatePath, Tls:KeyPath) and the
/// trusted CA bundle (Tls:CaPath). The files are re-read when their modification time or length
/// changes (checked at most once per Tls:ReloadCheckInterval, on the next handshake), so a
/// rotated certificate is served without a restart; a change that cannot be loaded (a key that no
/// longer matches while the pair is being replaced) keeps the previous material and is logged.
/// Provides the listener's <see cref="SslServerAuthenticationOptions"/> and configures outgoing
/// connections (the agent to its peers) to present the certificate and verify the server's
/// certificate and name against the bundle.
/// </summary>
public sealed partial class TlsCertificateStore : IDisposable
{
    private readonly string? _certificatePath;
    private readonly string? _keyPath;
    private readonly string? _caPath;
    private readonly TimeSpan _checkInterval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Material _current;
    private long _lastCheck;
    private (DateTime, long)?[] _failedStamps = [];
    private ILogger _logger = NullLogger.Instance;

    private TlsCertificateStore(TlsOptions options, TimeProvider time)
    {
        _certificatePath = Blank(options.CertificatePath) ? null : Path.GetFullPath(options.CertificatePath!);
        _keyPath = Blank(options.KeyPath) ? null : Path.GetFullPath(options.KeyPath!);
        _caPath = Blank(options.CaPath) ? null : Path.GetFullPath(options.CaPath!);
        _checkInterval = options.ReloadCheckInterval;
        _time = time;
        _current = Load();
        _lastCheck = time.GetTimestamp();
    }

    /// <summary>True when the node has a certificate of its own (its listener serves TLS).</summary>
    public bool HasCertificate => _certificatePath is not null;

    /// <summary>True when a CA bundle is configured (client certificates can be verified).</summary>
    public bool HasTrustAnchors => _caPath is not null;

    /// <summary>Incremented on every successful reload (1 after the first load).</summary>
    public int Generation => Refresh().Generation;

    /// <summary>The node's current certificate (with its key), or null when it has none.</summary>
    public X509Certificate2? Certificate => Refresh().Leaf;

    /// <summary>
    /// Reads the files named by <paramref name="options"/>; null when neither a certificate nor a
    /// CA bundle is configured.
    /// </summary>
    /// <exception cref="CertificateFileException">A file is missing or unusable; the message names the setting.</exception>
    public static TlsCertificateStore? Create(TlsOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (Blank(options.CertificatePath) && !Blank(options.KeyPath))
        {
            throw new CertificateFileException("Tls:KeyPath (--tls-key) is set but Tls:CertificatePath (--tls-cert) is not; give the certificate too.");
        }

        return Blank(options.CertificatePath) && Blank(options.CaPath) ? null : new TlsCertificateStore(options, time);
    }

    /// <summary>Where reloads and rejected certificates are logged (the store exists before the host's logging).</summary>
    public void UseLogger(ILogger logger) => _logger = logger ?? NullLogger.Instance;

    /// <summary>The listener's TLS options for one connection: HTTP/2, this node's certificate, and client certificates as asked.</summary>
    public SslServerAuthenticationOptions ServerOptions(ClientCertificateMode mode, IReadOnlySet<NodeRole>? clientRoles)
    {
        var material = Refresh();
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = material.Context ?? throw new InvalidOperationException("The node has no certificate (Tls:CertificatePath)."),
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ClientCertificateRequired = mode != ClientCertificateMode.None,
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
            {
                if (mode == ClientCertificateMode.None)
                {
                    return true;
                }

                if (certificate is null)
                {
                    if (mode == ClientCertificateMode.Required)
                    {
                        Log.ClientRejected(_logger, "(none)", "no client certificate was presented");
                        return false;
                    }

                    return true;
                }

                using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                if (!ValidateChain(presented, chain, NodeRoles.ClientAuthOid, out var reason)
                    || !HasAllowedRole(presented, clientRoles, out reason))
                {
                    Log.ClientRejected(_logger, presented.Subject, reason);
                    return false;
                }

                return true;
            },
        };
    }

    /// <summary>
    /// Sets <paramref name="handler"/>'s TLS options for calls to https:// servers: present this
    /// node's current certificate when it has one, and accept the server only when its
    /// certificate matches the host name and chains to Tls:CaPath (or, without a bundle, to the
    /// system trust store).
    /// </summary>
    public void ConfigureClient(SocketsHttpHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        handler.SslOptions = new SslClientAuthenticationOptions
        {
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            LocalCertificateSelectionCallback = (_, _, _, _, _) => Certificate!,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => ValidateServer(certificate, chain, errors),
        };
    }

    /// <summary>Verifies a server's certificate as <see cref="ConfigureClient"/> does.</summary>
    public bool ValidateServer(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            Log.ServerRejected(_logger, certificate?.Subject ?? "(none)", certificate is null ? "no certificate was presented" : "its names do not include the host name called");
            return false;
        }

        if (!HasTrustAnchors)
        {
            return errors == SslPolicyErrors.None;
        }

        using var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        if (!ValidateChain(presented, chain, NodeRoles.ServerAuthOid, out var reason))
        {
            Log.ServerRejected(_logger, presented.Subject, reason);
            return false;
        }

        return true;
    }

    /// <summary>Checks that <paramref name="certificate"/> chains to Tls:CaPath now, for <paramref name="usageOid"/>.</summary>
    public bool ValidateChain(X509Certificate2 certificate, X509Chain? presentedChain, string usageOid, out string reason)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var material = Refresh();
        if (material.Anchors.Count == 0)
        {
            reason = "no CA bundle (Tls:CaPath) is configured to verify it";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(material.Anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _time.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(usageOid));
        if (presentedChain is not null)
        {
            foreach (var element in presentedChain.ChainElements.Skip(1))
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        if (chain.Build(certificate))
        {
            reason = "";
            return true;
        }

        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        reason = flags switch
        {
            _ when (flags & X509ChainStatusFlags.NotTimeValid) != 0 => "it has expired or is not yet valid",
            _ when (flags & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0 => "it is not issued by a CA in Tls:CaPath",
            _ when (flags & X509ChainStatusFlags.NotValidForUsage) != 0 => usageOid == NodeRoles.ClientAuthOid
                ? "its extended key usage does not allow client authentication"
                : "its extended key usage does not allow server authentication",
            _ => "its chain is invalid (" + flags + ")",
        };
        return false;
    }

    /// <summary>Parses Tls:ClientRoles: "any" (or empty) for every role, else a comma-separated list.</summary>
    public static bool TryParseRoles(string? text, out IReadOnlySet<NodeRole>? roles, out string error)
    {
        roles = null;
        error = "";
        if (string.IsNullOrWhiteSpace(text) || string.Equals(text.Trim(), "any", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var set = new HashSet<NodeRole>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!NodeRoles.TryParse(part, out var role))
            {
                error = $"Tls:ClientRoles is '{text}'; use any, or a comma-separated list of agent, peer, operator";
                return false;
            }

            set.Add(role);
        }

        roles = set;
        return true;
    }

    /// <inheritdoc />
    public void Dispose() => _current.Leaf?.Dispose();

    private static bool HasAllowedRole(X509Certificate2 certificate, IReadOnlySet<NodeRole>? allowed, out string reason)
    {
        reason = "";
        if (allowed is null)
        {
            return true;
        }

        var roles = NodeRoles.Of(certificate);
        if (roles.Any(allowed.Contains))
        {
            return true;
        }

        reason = $"its role is {(roles.Count == 0 ? "none" : string.Join(", ", roles.Select(r => r.Name())))}; this listener admits {string.Join(", ", allowed.Select(r => r.Name()))} (Tls:ClientRoles)";
        return false;
    }

    private Material Refresh()
    {
        var current = Volatile.Read(ref _current);
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(Volatile.Read(ref _lastCheck), now) < _checkInterval)
        {
            return current;
        }

        lock (_gate)
        {
            Volatile.Write(ref _lastCheck, now);
            var stamps = Stamps();
            if (stamps.SequenceEqual(_current.Stamps) || stamps.SequenceEqual(_failedStamps))
            {
                return _current;
            }

            try
            {
                var loaded = Load(_current.Generation + 1);
                _current.Leaf?.Dispose();
                Volatile.Write(ref _current, loaded);
                Log.Reloaded(_logger, loaded.Leaf?.Subject ?? "(none)", loaded.Leaf?.NotAfter.ToUniversalTime() ?? DateTime.MaxValue, loaded.Anchors.Count);
            }
            catch (CertificateFileException ex)
            {
                _failedStamps = stamps;
                Log.ReloadFailed(_logger, ex.Message);
            }

            return _current;
        }
    }

    private (DateTime, long)?[] Stamps() =>
        [.. new[] { _certificatePath, _keyPath, _caPath }.Select(p => p is null ? null : PemFiles.Stamp(p))];

    private Material Load(int generation = 1)
    {
        var stamps = Stamps();
        X509Certificate2? leaf = null;
        SslStreamCertificateContext? context = null;
        if (_certificatePath is not null)
        {
            try
            {
                var (certificate, chain) = PemFiles.ReadCertificateWithKey(_certificatePath, _keyPath);
                leaf = certificate;
                context = SslStreamCertificateContext.Create(certificate, chain, offline: true);
            }
            catch (CertificateFileException ex)
            {
                throw new CertificateFileException($"Tls:CertificatePath (--tls-cert) / Tls:KeyPath (--tls-key): {ex.Message}", ex);
            }
        }

        var anchors = new X509Certificate2Collection();
        if (_caPath is not null)
        {
            try
            {
                anchors = PemFiles.ReadCertificates(_caPath, "CA bundle");
            }
            catch (CertificateFileException ex)
            {
                leaf?.Dispose();
                throw new CertificateFileException($"Tls:CaPath (--tls-ca): {ex.Message}", ex);
            }
        }

        return new Material(leaf, context, anchors, stamps, generation);
    }

    private static bool Blank(string? value) => string.IsNullOrWhiteSpace(value);

    private sealed record Material(X509Certificate2? Leaf, SslStreamCertificateContext? Context, X509Certificate2Collection Anchors, (DateTime, long)?[] Stamps, int Generation);

    private static partial class Log
    {
        [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "TLS files reloaded: certificate {Subject} valid until {NotAfter:u}, {Anchors} trusted CA certificates.")]
        public static partial void Reloaded(ILogger logger, string subject, DateTime notAfter, int anchors);

        [LoggerMessage(EventId = 2302, Level = LogLevel.Warning, Message = "TLS files changed but cannot be loaded; the previous certificate stays in use until they change again: {Reason}")]
        public static partial void ReloadFailed(ILogger logger, string reason);

        [LoggerMessage(EventId = 2303, Level = LogLevel.Debug, Message = "TLS client {Subject} refused: {Reason}.")]
        public static partial void ClientRejected(ILogger logger, string subject, string reason);

        [LoggerMessage(EventId = 2304, Level = LogLevel.Warning, Message = "TLS server certificate {Subject} refused: {Reason}.")]
        public static partial void ServerRejected(ILogger logger, string subject, string reason);
    }
}
