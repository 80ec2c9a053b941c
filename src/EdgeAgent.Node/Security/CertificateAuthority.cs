using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;

namespace EdgeAgent.Node.Security;

/// <summary>A subject alternative name: a DNS name or an IP address.</summary>
/// <param name="Value">The name ("board-1.local", "*.peers.example") or address text ("10.0.0.7").</param>
/// <param name="IsAddress">True for an IP address.</param>
public sealed partial record SubjectAltName(string Value, bool IsAddress)
{
    /// <summary>Parses DNS:NAME, IP:ADDRESS, or a bare address or name; the error says what is expected.</summary>
    public static bool TryParse(string? text, out SubjectAltName name, out string error)
    {
        name = null!;
        error = "";
        var value = text?.Trim() ?? "";
        bool? address = null;
        if (value.StartsWith("DNS:", StringComparison.OrdinalIgnoreCase))
        {
            value = value[4..];
            address = false;
        }
        else if (value.StartsWith("IP:", StringComparison.OrdinalIgnoreCase))
        {
            value = value[3..];
            address = true;
        }

        if (address != false && IPAddress.TryParse(value, out var ip))
        {
            name = new SubjectAltName(ip.ToString(), true);
            return true;
        }

        if (address == true)
        {
            error = $"'{text}' is not an IP address (IP:10.0.0.7, IP:::1)";
            return false;
        }

        if (!DnsPattern().IsMatch(value))
        {
            error = $"'{text}' is not a DNS name or IP address (DNS:board-1.local, DNS:*.peers.example, IP:10.0.0.7)";
            return false;
        }

        name = new SubjectAltName(value.ToLowerInvariant(), false);
        return true;
    }

    /// <summary>DNS:NAME or IP:ADDRESS.</summary>
    public override string ToString() => (IsAddress ? "IP:" : "DNS:") + Value;

    /// <summary>The names of a certificate's subject alternative name extension.</summary>
    public static IReadOnlyList<SubjectAltName> Of(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var names = new List<SubjectAltName>();
        foreach (var extension in certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            names.AddRange(extension.EnumerateDnsNames().Select(d => new SubjectAltName(d, false)));
            names.AddRange(extension.EnumerateIPAddresses().Select(a => new SubjectAltName(a.ToString(), true)));
        }

        return names;
    }

    [GeneratedRegex(@"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")]
    private static partial Regex DnsPattern();
}

/// <summary>What a node certificate says.</summary>
/// <param name="Name">Common name (CN), for example the node's host name.</param>
/// <param name="Role">The role, written as OU edgeagent-ROLE with the role's key usages.</param>
/// <param name="AltNames">DNS names and IP addresses the certificate is valid for.</param>
/// <param name="NotBefore">Start of validity.</param>
/// <param name="NotAfter">End of validity.</param>
public sealed record NodeCertificateRequest(string Name, NodeRole Role, IReadOnlyList<SubjectAltName> AltNames, DateTimeOffset NotBefore, DateTimeOffset NotAfter);

/// <summary>
/// A small certificate authority for a fleet: a self-signed ECDSA P-256 root that signs node
/// certificates (ECDSA P-256 keys, SHA-256 signatures) with the role, names and validity asked for.
/// Files: <c>ca.crt</c> (share it with every node) and <c>ca.key</c> (mode 0600; keep it off the nodes).
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    /// <summary>File name of the CA certificate in its folder.</summary>
    public const string CertificateFileName = "ca.crt";

    /// <summary>File name of the CA private key in its folder.</summary>
    public const string KeyFileName = "ca.key";

    private readonly ECDsa _key;

    private CertificateAuthority(X509Certificate2 certificate, ECDsa key)
    {
        Certificate = certificate;
        _key = key;
    }

    /// <summary>The CA certificate (public part).</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Creates a new root valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
    public static CertificateAuthority Create(string name, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + Escape(name)), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var selfSigned = request.CreateSelfSigned(notBefore, notAfter);
        var certificate = X509CertificateLoader.LoadCertificate(selfSigned.RawData);
        return new CertificateAuthority(certificate, key);
    }

    /// <summary>Loads a CA from <c>DIR/ca.crt</c> and <c>DIR/ca.key</c>.</summary>
    /// <exception cref="CertificateFileException">A file is missing or unreadable, the key does not match, or the certificate is not a CA.</exception>
    public static CertificateAuthority Load(string directory)
    {
        var certificatePath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        var certificates = PemFiles.ReadCertificates(certificatePath, "CA certificate");
        var certificate = certificates[0];
        var key = PemFiles.ReadKey(keyPath) as ECDsa;
        if (key is null)
        {
            throw new CertificateFileException($"CA key '{keyPath}' is not an EC key; `edgeagent certs` signs with ECDSA CAs only (use your own CA's tooling for RSA).");
        }

        using var own = certificate.GetECDsaPublicKey();
        if (own is null || !own.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            key.Dispose();
            throw new CertificateFileException($"CA key '{keyPath}' does not belong to the certificate '{certificatePath}'.");
        }

        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            key.Dispose();
            throw new CertificateFileException($"'{certificatePath}' is not a CA certificate (its basic constraints do not allow signing).");
        }

        return new CertificateAuthority(certificate, key);
    }

    /// <summary>Writes <c>DIR/ca.crt</c> (0644) and <c>DIR/ca.key</c> (0600).</summary>
    /// <exception cref="CertificateFileException">A file cannot be written.</exception>
    public void Save(string directory)
    {
        PemFiles.WriteKey(Path.Combine(directory, KeyFileName), _key);
        PemFiles.WriteCertificates(Path.Combine(directory, CertificateFileName), Certificate);
    }

    /// <summary>Issues a node certificate for a new P-256 key; the returned certificate carries the key.</summary>
    /// <exception cref="ArgumentException">The validity is empty or outlives the CA.</exception>
    public X509Certificate2 Issue(NodeCertificateRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.Name);
        if (request.NotAfter <= request.NotBefore)
        {
            throw new ArgumentException("the certificate's end of validity must come after its start", nameof(request));
        }

        if (request.NotAfter > Certificate.NotAfter.ToUniversalTime() || request.NotBefore < Certificate.NotBefore.ToUniversalTime())
        {
            throw new ArgumentException(
                $"the certificate would be valid until {request.NotAfter.UtcDateTime:yyyy-MM-dd HH:mm} UTC but the CA '{Certificate.GetNameInfo(X509NameType.SimpleName, false)}' is valid from {Certificate.NotBefore.ToUniversalTime():yyyy-MM-dd} to {Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd} UTC; ask for fewer days or create a new CA",
                nameof(request));
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedName($"CN={Escape(request.Name)}, OU={request.Role.OrganizationalUnit()}");
        var csr = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        csr.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        csr.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var usages = new OidCollection();
        foreach (var oid in request.Role.KeyUsages())
        {
            usages.Add(new Oid(oid));
        }

        csr.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        if (request.AltNames.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in request.AltNames)
            {
                if (name.IsAddress)
                {
                    san.AddIpAddress(IPAddress.Parse(name.Value));
                }
                else
                {
                    san.AddDnsName(name.Value);
                }
            }

            csr.CertificateExtensions.Add(san.Build());
        }

        csr.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(csr.PublicKey, false));
        csr.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var signed = csr.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), request.NotBefore, request.NotAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }

    // Commas, plus signs and the like would start a new name component.
    private static string Escape(string value) => value.IndexOfAny([',', '+', '"', '\\', '<', '>', ';', '=']) >= 0
        ? "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
        : value;
}
