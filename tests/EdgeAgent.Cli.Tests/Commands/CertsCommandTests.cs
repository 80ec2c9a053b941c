using System.Security.Cryptography.X509Certificates;
using EdgeAgent.Cli.Commands;
using EdgeAgent.Node.Security;

namespace EdgeAgent.Cli.Tests.Commands;

public sealed class CertsCommandTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "edgeagent-cli-certs-" + Guid.NewGuid().ToString("N"));

    public CertsCommandTests() => Directory.CreateDirectory(_root);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static (int Code, string Output, string Error) Run(params string[] args) => CliRunner.Run([CertsCommand.Create()], args, 60);

    private string CaDir => Path.Combine(_root, "ca");

    private string TlsDir => Path.Combine(_root, "tls");

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Issue_PeerWithSans_WritesChainingCertificateWithRoleAndKeyMode0600()
    {
        Assert.Equal(0, Run("certs", "ca", "--out", CaDir).Code);

        var (code, output, error) = Run("certs", "issue", "--ca", CaDir, "--role", "peer", "--name", "cloud-1", "--san", "DNS:cloud-1.example", "--san", "IP:10.0.0.5", "--days", "30", "--out", TlsDir);

        Assert.True(code == 0, error);
        Assert.Contains("role         peer", output, StringComparison.Ordinal);
        var keyPath = Path.Combine(TlsDir, "cloud-1.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(CaDir, "ca.key")));
        using var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(TlsDir, "cloud-1.crt"), keyPath);
        Assert.Equal([NodeRole.Peer], NodeRoles.Of(certificate));
        Assert.Equal(["DNS:cloud-1.example", "IP:10.0.0.5"], SubjectAltName.Of(certificate).Select(n => n.ToString()));
        Assert.Equal([NodeRoles.ServerAuthOid], NodeRoles.KeyUsagesOf(certificate));
        Assert.InRange((certificate.NotAfter - certificate.NotBefore).TotalDays, 29.9, 30.1);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.AddRange(PemFiles.ReadCertificates(Path.Combine(CaDir, "ca.crt")));
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void Rotate_NodeCertificate_NewKeySameNameRoleAndSans()
    {
        Run("certs", "ca", "--out", CaDir);
        Run("certs", "issue", "--ca", CaDir, "--role", "agent", "--name", "board-1", "--san", "IP:127.0.0.1", "--out", TlsDir);
        var certificatePath = Path.Combine(TlsDir, "board-1.crt");
        var oldKey = File.ReadAllText(Path.Combine(TlsDir, "board-1.key"));
        using var old = PemFiles.ReadCertificates(certificatePath)[0];

        var (code, output, error) = Run("certs", "rotate", "--ca", CaDir, "--cert", certificatePath);

        Assert.True(code == 0, error);
        Assert.Contains("replaced", output, StringComparison.Ordinal);
        Assert.NotEqual(oldKey, File.ReadAllText(Path.Combine(TlsDir, "board-1.key")));
        using var renewed = X509Certificate2.CreateFromPemFile(certificatePath, Path.Combine(TlsDir, "board-1.key"));
        Assert.NotEqual(old.SerialNumber, renewed.SerialNumber);
        Assert.Equal(old.Subject, renewed.Subject);
        Assert.Equal([NodeRole.Agent], NodeRoles.Of(renewed));
        Assert.Equal(["IP:127.0.0.1"], SubjectAltName.Of(renewed).Select(n => n.ToString()));
    }

    [Theory]
    [InlineData("--role", "admin", "--role is 'admin'; use agent, peer or operator")]
    [InlineData("--san", "bad name", "--san 'bad name' is not a DNS name or IP address")]
    [InlineData("--san", "IP:10.0.0.300", "--san 'IP:10.0.0.300' is not an IP address")]
    [InlineData("--days", "20000", "the CA 'EdgeAgent CA' is valid from")]
    public void Issue_BadArgument_ExitsTwoNamingIt(string option, string value, string expected)
    {
        Run("certs", "ca", "--out", CaDir, "--days", "365");
        var args = new List<string> { "certs", "issue", "--ca", CaDir, "--name", "n1", "--out", TlsDir, option, value };
        if (option != "--role")
        {
            args.AddRange(["--role", "peer"]);
        }


        var (code, _, error) = Run([.. args]);

        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(TlsDir, "n1.key")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("Fleet\nCA")]
    [InlineData("Fleet\u001bCA")]
    [InlineData("A name longer than sixty-four characters, which X.509 does not allow")]
    public void Ca_BadName_ExitsTwoInOneLineWritingNothing(string name)
    {
        var (code, output, error) = Run("certs", "ca", "--out", CaDir, "--name", name);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(error.Trim().Split('\n'));
        Assert.EndsWith("must be 1-64 characters without control characters.", line, StringComparison.Ordinal);
        Assert.StartsWith("edgeagent certs: --name '", line, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(CaDir, "ca.key")));
    }

    [Theory]
    [InlineData("node\u0007")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    public void Issue_NameNotUsableAsFileOrWithControlCharacter_ExitsTwoWritingNothing(string name)
    {
        Run("certs", "ca", "--out", CaDir);

        var (code, _, error) = Run("certs", "issue", "--ca", CaDir, "--role", "peer", "--name", name, "--out", TlsDir);

        Assert.Equal(2, code);
        Assert.Contains("must be 1-64 characters usable in a file name, without control characters.", error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(TlsDir) && Directory.EnumerateFiles(TlsDir).Any());
    }

    [Fact]
    public void Issue_ExistingFiles_RefusesWithoutForce()
    {
        Run("certs", "ca", "--out", CaDir);
        Run("certs", "issue", "--ca", CaDir, "--role", "operator", "--name", "ops", "--out", TlsDir);
        var before = File.ReadAllText(Path.Combine(TlsDir, "ops.crt"));

        var (code, _, error) = Run("certs", "issue", "--ca", CaDir, "--role", "operator", "--name", "ops", "--out", TlsDir);

        Assert.Equal(2, code);
        Assert.Contains("exists; pass --force", error, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(Path.Combine(TlsDir, "ops.crt")));
    }

    [Fact]
    public void Issue_MissingCa_ExitsOneNamingTheFile()
    {
        var (code, _, error) = Run("certs", "issue", "--ca", CaDir, "--role", "peer", "--name", "p", "--out", TlsDir);

        Assert.Equal(1, code);
        Assert.Contains($"CA certificate '{Path.Combine(CaDir, "ca.crt")}' cannot be read:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_KeyFile_ExitsOneSayingItHoldsNoCertificate()
    {
        Run("certs", "ca", "--out", CaDir);

        var (code, _, error) = Run("certs", "inspect", Path.Combine(CaDir, "ca.key"));

        Assert.Equal(1, code);
        Assert.Contains("holds no PEM certificate", error, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Inspect_Bundle_ListsEachCertificate()
    {
        Run("certs", "ca", "--out", CaDir, "--name", "Fleet CA");
        Run("certs", "issue", "--ca", CaDir, "--role", "peer", "--name", "p1", "--out", TlsDir);

        var (code, output, _) = Run("certs", "inspect", Path.Combine(TlsDir, "p1.crt"));

        Assert.Equal(0, code);
        Assert.Contains("certificate 1 of 2", output, StringComparison.Ordinal);
        Assert.Contains("role         certificate authority", output, StringComparison.Ordinal);
        Assert.Contains("names        DNS:p1", output, StringComparison.Ordinal);
        Assert.Contains("days left", output, StringComparison.Ordinal);
    }
}
