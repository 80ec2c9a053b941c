using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Security;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Tests.Security;

public sealed class SecurityPiecesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgeagent-security-" + Guid.NewGuid().ToString("N"));

    public SecurityPiecesTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("DNS:Board-1.Local", "DNS:board-1.local")]
    [InlineData("IP:10.0.0.7", "IP:10.0.0.7")]
    [InlineData("::1", "IP:::1")]
    [InlineData("*.peers.example", "DNS:*.peers.example")]
    public void SubjectAltNameTryParse_ValidName_Normalised(string text, string expected)
    {
        Assert.True(SubjectAltName.TryParse(text, out var name, out var error), error);
        Assert.Equal(expected, name.ToString());
    }

    [Theory]
    [InlineData("IP:board-1", "is not an IP address")]
    [InlineData("bad name", "is not a DNS name or IP address")]
    [InlineData("", "is not a DNS name or IP address")]
    public void SubjectAltNameTryParse_Invalid_ErrorSaysWhatIsExpected(string text, string expected)
    {
        Assert.False(SubjectAltName.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("any", null)]
    [InlineData("", null)]
    [InlineData("agent", "agent")]
    [InlineData(" Agent , operator ", "agent,operator")]
    public void TryParseRoles_ListOrAny_Parsed(string text, string? expected)
    {
        Assert.True(TlsCertificateStore.TryParseRoles(text, out var roles, out var error), error);
        Assert.Equal(expected, roles is null ? null : string.Join(',', roles.Select(r => r.Name()).Order(StringComparer.Ordinal)));
    }

    [Fact]
    public void TryParseRoles_UnknownRole_NamesTheSetting()
    {
        Assert.False(TlsCertificateStore.TryParseRoles("agent,admin", out _, out var error));
        Assert.StartsWith("Tls:ClientRoles is 'agent,admin'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void OperatorToken_MatchesOnlyTheFileContentAndFollowsChanges()
    {
        var path = Path.Combine(_dir, "token");
        File.WriteAllText(path, "first-token-0123456789\n");
        var token = OperatorToken.Create(path)!;

        Assert.True(token.Matches("first-token-0123456789"));
        Assert.False(token.Matches("first-token-012345678"));
        File.WriteAllText(path, "second-token-0123456789abc");
        File.SetLastWriteTimeUtc(path, File.GetLastWriteTimeUtc(path).AddSeconds(5));
        Assert.True(token.Matches("second-token-0123456789abc"));
        Assert.False(token.Matches("first-token-0123456789"));
    }

    [Fact]
    public void OperatorToken_TooShort_RefusedWithoutShowingIt()
    {
        var path = Path.Combine(_dir, "token");
        File.WriteAllText(path, "short-secret");

        var ex = Assert.Throws<CertificateFileException>(() => OperatorToken.Create(path));

        Assert.Contains("Security:OperatorTokenFile (--operator-token-file)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("at least 16 characters", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-secret", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://10.0.0.5:8001", false, false)]
    [InlineData("http://peer.example:8001", false, false)]
    [InlineData("http://127.0.0.1:8001", false, true)]
    [InlineData("http://localhost:8001", false, true)]
    [InlineData("http://[::1]:8001", false, true)]
    [InlineData("https://10.0.0.5:8001", false, true)]
    [InlineData("http://10.0.0.5:8001", true, true)]
    [InlineData("dns:///peers.example:8001", false, false)]
    [InlineData("dns:///peers.example:8001;tls=on", false, true)]
    [InlineData("dns:///localhost:8001", false, true)]
    [InlineData("dns:///peers.example:8001", true, true)]
    public void PeerTransportValidator_PlaintextToNetwork_RefusedUnlessInsecure(string url, bool insecure, bool valid)
    {
        var validator = new PeerTransportValidator(Options.Create(new SecurityOptions { Insecure = insecure }));
        var options = new AgentOptions { Peers = { ["cloud"] = url } };

        var result = validator.Validate(null, options);

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Agent:Peers:cloud (--peer)", result.FailureMessage, StringComparison.Ordinal);
            Assert.Contains("--insecure", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TlsCertificateStoreCreate_KeyWithoutCertificate_NamesBothSettings()
    {
        var ex = Assert.Throws<CertificateFileException>(() => TlsCertificateStore.Create(new TlsOptions { KeyPath = "/x.key" }, TimeProvider.System));

        Assert.Contains("Tls:KeyPath (--tls-key) is set but Tls:CertificatePath (--tls-cert) is not", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsCertificateStoreCreate_NothingConfigured_Null()
    {
        Assert.Null(TlsCertificateStore.Create(new TlsOptions(), TimeProvider.System));
    }

    [Fact]
    public void CertificateAuthorityIssue_OperatorRole_ClientAuthOnlyAndRoleReadBack()
    {
        var now = TimeProvider.System.GetUtcNow();
        using var ca = CertificateAuthority.Create("Unit CA", now.AddDays(-1), now.AddDays(10));

        using var certificate = ca.Issue(new NodeCertificateRequest("alice", NodeRole.Operator, [], now, now.AddDays(1)));

        Assert.Equal([NodeRole.Operator], NodeRoles.Of(certificate));
        Assert.Equal([NodeRoles.ClientAuthOid], NodeRoles.KeyUsagesOf(certificate));
        Assert.True(certificate.HasPrivateKey);
        Assert.Throws<ArgumentException>(() => ca.Issue(new NodeCertificateRequest("late", NodeRole.Peer, [], now, now.AddDays(30))));
    }
}
