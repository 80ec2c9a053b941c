using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeAgent.Node.Security;

/// <summary>What a node certificate may be used for; encoded in the certificate's subject.</summary>
public enum NodeRole
{
    /// <summary>An agent: serves applications (TLS server) and calls peers (TLS client).</summary>
    Agent,

    /// <summary>A peer: serves agents (TLS server).</summary>
    Peer,

    /// <summary>An operator tool (`edgeagent pref`, `edgeagent status`): TLS client only.</summary>
    Operator,
}

/// <summary>
/// How a role is written in a certificate: one subject organizational unit (OU) named
/// <c>edgeagent-agent</c>, <c>edgeagent-peer</c> or <c>edgeagent-operator</c>, next to the extended
/// key usages the role needs (agent: serverAuth and clientAuth; peer: serverAuth; operator:
/// clientAuth). Any CA can issue such certificates (cert-manager <c>subject.organizationalUnits</c>,
/// an OpenSSL <c>-subj "/CN=board-1/OU=edgeagent-agent"</c>).
/// </summary>
public static class NodeRoles
{
    /// <summary>Prefix of the OU value that carries the role.</summary>
    public const string UnitPrefix = "edgeagent-";

    /// <summary>OID of the extended key usage "TLS web server authentication".</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>OID of the extended key usage "TLS web client authentication".</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private const string OrganizationalUnitOid = "2.5.4.11";

    /// <summary>Every role, in the order help texts list them.</summary>
    public static IReadOnlyList<NodeRole> All { get; } = [NodeRole.Agent, NodeRole.Peer, NodeRole.Operator];

    /// <summary>The role's name on the command line and in configuration: agent, peer, operator.</summary>
    public static string Name(this NodeRole role) => role switch
    {
        NodeRole.Agent => "agent",
        NodeRole.Peer => "peer",
        NodeRole.Operator => "operator",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>The OU value that marks the role (edgeagent-agent).</summary>
    public static string OrganizationalUnit(this NodeRole role) => UnitPrefix + role.Name();

    /// <summary>Parses agent, peer or operator (case-insensitive).</summary>
    public static bool TryParse(string? text, out NodeRole role)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(text?.Trim(), candidate.Name(), StringComparison.OrdinalIgnoreCase))
            {
                role = candidate;
                return true;
            }
        }

        role = default;
        return false;
    }

    /// <summary>The extended key usages a certificate of this role carries.</summary>
    public static IReadOnlyList<string> KeyUsages(this NodeRole role) => role switch
    {
        NodeRole.Agent => [ServerAuthOid, ClientAuthOid],
        NodeRole.Peer => [ServerAuthOid],
        NodeRole.Operator => [ClientAuthOid],
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    /// <summary>The roles a certificate's subject names (OU edgeagent-ROLE); empty when it names none.</summary>
    public static IReadOnlyList<NodeRole> Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var roles = new List<NodeRole>();
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements || rdn.GetSingleElementType().Value != OrganizationalUnitOid)
            {
                continue;
            }

            var value = rdn.GetSingleElementValue();
            if (value is not null && value.StartsWith(UnitPrefix, StringComparison.OrdinalIgnoreCase)
                && TryParse(value[UnitPrefix.Length..], out var role) && !roles.Contains(role))
            {
                roles.Add(role);
            }
        }

        return roles;
    }

    /// <summary>The extended key usage OIDs of a certificate (empty when it has no such extension: any usage).</summary>
    public static IReadOnlyList<string> KeyUsagesOf(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var usages = new List<string>();
        foreach (var extension in certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>())
        {
            foreach (var oid in extension.EnhancedKeyUsages)
            {
                if (oid.Value is not null)
                {
                    usages.Add(oid.Value);
                }
            }
        }

        return usages;
    }

    /// <summary>SHA-256 fingerprint as upper-case hex pairs separated by colons.</summary>
    public static string Fingerprint(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return string.Join(':', SHA256.HashData(certificate.RawData).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
