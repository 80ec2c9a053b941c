using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Node.Security;

/// <summary>Which client certificates a TLS listener asks for.</summary>
public enum ClientCertificateMode
{
    /// <summary>Clients are not asked for a certificate.</summary>
    None,

    /// <summary>Clients may present one; a presented certificate must chain to Tls:CaPath.</summary>
    Optional,

    /// <summary>Clients must present a certificate that chains to Tls:CaPath (mutual TLS).</summary>
    Required,
}

/// <summary>
/// TLS settings of a node; bound from the "Tls" section (flags --tls-cert, --tls-key, --tls-ca).
/// With <see cref="CertificatePath"/> set the TCP listener serves HTTP/2 over TLS only; the same
/// certificate is the agent's client certificate towards its peers, and <see cref="CaPath"/> is
/// the trust anchors for clients' certificates and for the agent's https:// peers. Every file is
/// re-read when it changes (checked at most every <see cref="ReloadCheckInterval"/>).
/// </summary>
public sealed class TlsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Tls";

    /// <summary>PEM certificate of this node, optionally followed by intermediates (and its key, when <see cref="KeyPath"/> is not set).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of <see cref="CertificatePath"/> (unencrypted PKCS#8, SEC1 or PKCS#1).</summary>
    public string? KeyPath { get; set; }

    /// <summary>PEM bundle of the CA certificates trusted for client certificates and for https:// peers (empty: the system trust store for peers, no client certificates).</summary>
    public string? CaPath { get; set; }

    /// <summary>Client certificates on the listener; default Required on a peer and Optional on an agent when <see cref="CaPath"/> is set, else None.</summary>
    public ClientCertificateMode? ClientCertificates { get; set; }

    /// <summary>Roles a client certificate must carry to connect (comma-separated agent, peer, operator, or "any"); default "agent" on a peer, "any" on an agent.</summary>
    public string? ClientRoles { get; set; }

    /// <summary>How often at most the files are checked for changes (on the next TLS handshake after it passed).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Tls:ReloadCheckInterval must be between 00:00:00 and 01:00:00.")]
    public TimeSpan ReloadCheckInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>Authentication and exposure settings of a node; bound from the "Security" section.</summary>
public sealed class SecurityOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Security";

    /// <summary>
    /// Allows plaintext on a non-loopback listener and to non-loopback http:// peers (flag
    /// --insecure). Without it such a setting stops start-up.
    /// </summary>
    public bool Insecure { get; set; }

    /// <summary>
    /// File holding the operator bearer token (at least 16 characters; surrounding white space is
    /// ignored), for example a systemd credential or a mounted Kubernetes secret. Re-read when it changes.
    /// </summary>
    public string? OperatorTokenFile { get; set; }

    /// <summary>
    /// When true, inference calls over TCP need a client certificate from Tls:CaPath (any role) or
    /// the operator token; callers on the Unix socket are admitted by the socket's mode.
    /// </summary>
    public bool RequireInferenceCredential { get; set; }
}
