using EdgeAgent.Cli.Commands;

namespace EdgeAgent.Cli.Tests.Commands;

/// <summary>
/// `edgeagent status`, `pref set` and `health`: credential flags that cannot take effect are refused
/// before any call (no server needed), in one line naming the flags.
/// </summary>
public sealed class ControlCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-control-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string[], string> TlsFlagsWithoutTls => new()
    {
        { ["status", "--agent", "http://127.0.0.1:1", "--ca", "/nonexistent/ca.pem"], "--ca" },
        { ["status", "--agent", "unix:/tmp/edgeagent-none.sock", "--cert", "/nonexistent/op.pem"], "--cert" },
        { ["pref", "set", "0.5", "--agent", "http://127.0.0.1:1", "--cert", "c.pem", "--key", "k.pem", "--ca", "ca.pem"], "--cert, --key, --ca" },
        { ["health", "--node", "http://127.0.0.1:1", "--ca", "/nonexistent/ca.pem"], "--ca" },
    };

    [Theory]
    [MemberData(nameof(TlsFlagsWithoutTls))]
    public void TlsFlags_OnAnAddressWithoutTls_RefusedNamingThem(string[] args, string flags)
    {
        var (code, output, error) = Run(args);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"edgeagent: {flags} apply to https:// agents only;", error, StringComparison.Ordinal);
        Assert.Contains("is not TLS", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Key_WithoutCert_Refused()
    {
        var (code, _, error) = Run(["status", "--agent", "https://127.0.0.1:1", "--key", Path.Combine(_dir, "op.key")]);

        Assert.Equal(2, code);
        Assert.Equal("edgeagent: --key is the key of --cert; give --cert too (the client certificate it belongs to).", error.Trim());
    }

    [Theory]
    [InlineData("status")]
    [InlineData("health")]
    public void Ca_Missing_OnHttps_RefusedNamingTheFile(string command)
    {
        var missing = Path.Combine(_dir, "missing-ca.pem");
        string[] args = command == "status"
            ? ["status", "--agent", "https://127.0.0.1:1", "--ca", missing]
            : ["health", "--node", "https://127.0.0.1:1", "--ca", missing];

        var (code, _, error) = Run(args);

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("edgeagent: --ca:", error, StringComparison.Ordinal);
        Assert.Contains(missing, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ca_NotPem_OnHttps_RefusedNamingTheFlag()
    {
        var text = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(text, "not a certificate\n");

        var (code, _, error) = Run(["status", "--agent", "https://127.0.0.1:1", "--ca", text]);

        Assert.Equal(2, code);
        Assert.StartsWith("edgeagent: --ca:", error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
    }

    private static (int Code, string Output, string Error) Run(string[] args) =>
        CliRunner.Run([ControlCommands.CreateStatus(), ControlCommands.CreatePref(), HealthCommand.Create()], args, timeoutSeconds: 60);
}
