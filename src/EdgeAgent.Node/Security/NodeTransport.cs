namespace EdgeAgent.Node.Security;

/// <summary>How a node's TCP listener is exposed, decided once at start from Tls and Security.</summary>
/// <param name="Tls">Certificate and CA material, or null when neither is configured.</param>
/// <param name="ClientCertificates">What the listener asks of clients.</param>
/// <param name="ClientRoles">Roles a client certificate must carry (null: any).</param>
/// <param name="PlaintextOnNetwork">The non-loopback address served in plaintext because of --insecure, else null.</param>
public sealed record NodeTransport(TlsCertificateStore? Tls, ClientCertificateMode ClientCertificates, IReadOnlySet<NodeRole>? ClientRoles, string? PlaintextOnNetwork)
{
    /// <summary>
    /// Reads the TLS material and resolves the role's defaults: with Tls:CaPath a peer requires
    /// client certificates of role agent and an agent asks for them optionally (any role).
    /// </summary>
    /// <exception cref="Hosting.NodeStartupException">A file or setting is unusable; the message names it.</exception>
    public static NodeTransport Create(TlsOptions tls, SecurityOptions security, NodeRole role)
    {
        ArgumentNullException.ThrowIfNull(tls);
        ArgumentNullException.ThrowIfNull(security);
        TlsCertificateStore? store;
        try
        {
            store = TlsCertificateStore.Create(tls, TimeProvider.System);
        }
        catch (CertificateFileException ex)
        {
            throw new Hosting.NodeStartupException(ex.Message, ex);
        }

        var hasAnchors = store?.HasTrustAnchors == true;
        var mode = tls.ClientCertificates ?? (!hasAnchors || store?.HasCertificate != true ? ClientCertificateMode.None
            : role == NodeRole.Peer ? ClientCertificateMode.Required : ClientCertificateMode.Optional);
        if (mode != ClientCertificateMode.None && (!hasAnchors || store?.HasCertificate != true))
        {
            store?.Dispose();
            throw new Hosting.NodeStartupException(
                $"Tls:ClientCertificates is {mode} but {(store?.HasCertificate == true ? "Tls:CaPath (--tls-ca)" : "Tls:CertificatePath (--tls-cert)")} is not set; client certificates need TLS and a CA bundle to verify them.");
        }

        if (!TlsCertificateStore.TryParseRoles(tls.ClientRoles ?? (role == NodeRole.Peer ? "agent" : "any"), out var roles, out var error))
        {
            store?.Dispose();
            throw new Hosting.NodeStartupException(error + ".");
        }

        return new NodeTransport(store, mode, roles, null);
    }
}
