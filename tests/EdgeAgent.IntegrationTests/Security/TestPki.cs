using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EdgeAgent.Node.Security;
using Grpc.Net.Client;

namespace EdgeAgent.IntegrationTests.Security;

/// <summary>
/// Certificates made with the project's own CA code into a temporary folder: a CA, node and
/// operator certificates, and a second, untrusted CA. Disposing deletes the folder.
/// </summary>
internal sealed class TestPki : IDisposable
{
    private readonly CertificateAuthority _ca;
    private readonly CertificateAuthority _otherCa;

    public TestPki()
    {
        Root = Path.Combine(Path.GetTempPath(), "edgeagent-pki-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        var now = TimeProvider.System.GetUtcNow();
        _ca = CertificateAuthority.Create("Test CA", now.AddDays(-30), now.AddDays(365));
        _ca.Save(Path.Combine(Root, "ca"));
        _otherCa = CertificateAuthority.Create("Other CA", now.AddDays(-30), now.AddDays(365));
        _otherCa.Save(Path.Combine(Root, "other-ca"));
    }

    public string Root { get; }

    public string CaPath => Path.Combine(Root, "ca", CertificateAuthority.CertificateFileName);

    /// <summary>Issues NAME.crt / NAME.key (certificate then CA certificate, as `certs issue` writes them).</summary>
    public (string Certificate, string Key) Issue(string name, NodeRole role, string[]? sans = null, bool fromOtherCa = false, TimeSpan? validFor = null, TimeSpan? startsIn = null)
    {
        var authority = fromOtherCa ? _otherCa : _ca;
        var start = TimeProvider.System.GetUtcNow().AddMinutes(-5) + (startsIn ?? TimeSpan.Zero);
        var names = (sans ?? ["IP:127.0.0.1", "DNS:localhost"]).Select(s => SubjectAltName.TryParse(s, out var n, out _) ? n : throw new ArgumentException(s)).ToList();
        using var certificate = authority.Issue(new NodeCertificateRequest(name, role, names, start, start + (validFor ?? TimeSpan.FromDays(30))));
        var certificatePath = Path.Combine(Root, name + ".crt");
        var keyPath = Path.Combine(Root, name + ".key");
        using var key = certificate.GetECDsaPrivateKey()!;
        PemFiles.WriteKey(keyPath, key);
        PemFiles.WriteCertificates(certificatePath, certificate, authority.Certificate);
        return (certificatePath, keyPath);
    }

    /// <summary>Tls settings of a node serving <paramref name="files"/> and trusting this CA.</summary>
    public Dictionary<string, string?> NodeTls((string Certificate, string Key) files, params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Tls:CertificatePath"] = files.Certificate,
            ["Tls:KeyPath"] = files.Key,
            ["Tls:CaPath"] = CaPath,
            ["Tls:ReloadCheckInterval"] = "00:00:00",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A channel to an https:// node trusting this CA, presenting <paramref name="client"/> when given.</summary>
    public GrpcChannel Channel(Uri address, (string Certificate, string Key)? client, Action<X509Certificate2>? seenServer = null)
    {
        var anchors = PemFiles.ReadCertificates(CaPath);
        var ssl = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                {
                    return false;
                }

                var presented = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                seenServer?.Invoke(presented);
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
                return chain.Build(presented);
            },
        };
        if (client is { } files)
        {
            var (leaf, _) = PemFiles.ReadCertificateWithKey(files.Certificate, files.Key);
            ssl.ClientCertificates = [leaf];
        }

        // A fresh connection per channel: no pooling across tests.
        var handler = new SocketsHttpHandler { SslOptions = ssl, ConnectTimeout = TimeSpan.FromSeconds(10) };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
    }

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        Directory.Delete(Root, recursive: true);
    }
}
