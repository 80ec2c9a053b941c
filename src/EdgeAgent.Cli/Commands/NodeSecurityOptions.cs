using System.CommandLine;

namespace EdgeAgent.Cli.Commands;

/// <summary>The TLS, exposure and socket flags `edgeagent agent` and `edgeagent peer` share.</summary>
internal sealed class NodeSecurityOptions
{
    private readonly Option<string?> _certificate = new("--tls-cert") { Description = "PEM certificate of this node (Tls:CertificatePath); with it the TCP listener serves HTTP/2 over TLS only. Re-read when the file changes." };
    private readonly Option<string?> _key = new("--tls-key") { Description = "PEM private key of --tls-cert (Tls:KeyPath; default: the certificate file)." };
    private readonly Option<string?> _ca = new("--tls-ca") { Description = "PEM bundle of trusted CA certificates (Tls:CaPath): verifies client certificates (a peer then requires one of role agent) and https:// peers' certificates." };
    private readonly Option<bool> _insecure = new("--insecure") { Description = "Allow plaintext on a non-loopback --listen address and to non-loopback http:// peers (Security:Insecure); logged as a warning at start." };
    private readonly Option<bool> _plaintext = new("--listen-plaintext") { Description = "Serve plaintext on a loopback --listen even with --tls-cert, which then only identifies the agent to its peers (Endpoint:Plaintext)." };
    private readonly Option<string?> _socketGroup = new("--socket-group") { Description = "Group of the --socket file, which gets mode 0660 (Endpoint:SocketGroup)." };

    private readonly Option<string?> _healthListen = new("--health-listen") { Description = "Also serve grpc.health.v1 alone, in plaintext, on this HOST:PORT (Endpoint:HealthListen): for Kubernetes' gRPC probes, which speak no TLS; every other call there is UNIMPLEMENTED." };

    public IEnumerable<Option> All => [_certificate, _key, _ca, _plaintext, _insecure, _socketGroup, _healthListen];

    public void AddTo(Command command)
    {
        foreach (var option in All)
        {
            command.Options.Add(option);
        }
    }

    public void Apply(ParseResult parseResult, Dictionary<string, string?> overrides)
    {
        Set(overrides, "Tls:CertificatePath", parseResult.GetValue(_certificate));
        Set(overrides, "Tls:KeyPath", parseResult.GetValue(_key));
        Set(overrides, "Tls:CaPath", parseResult.GetValue(_ca));
        Set(overrides, "Endpoint:SocketGroup", parseResult.GetValue(_socketGroup));
        Set(overrides, "Endpoint:HealthListen", parseResult.GetValue(_healthListen));
        if (parseResult.GetValue(_plaintext))
        {
            overrides["Endpoint:Plaintext"] = "true";
        }

        if (parseResult.GetValue(_insecure))
        {
            overrides["Security:Insecure"] = "true";
        }
    }

    private static void Set(Dictionary<string, string?> overrides, string key, string? value)
    {
        if (value is not null)
        {
            overrides[key] = value;
        }
    }
}
