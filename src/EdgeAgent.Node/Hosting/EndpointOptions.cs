using System.Globalization;
using System.Net;

namespace EdgeAgent.Node.Hosting;

/// <summary>Where a node listens; bound from the "Endpoint" section (flags --listen and --socket).</summary>
public sealed class EndpointOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Endpoint";

    /// <summary>TCP endpoint as HOST:PORT ("127.0.0.1:8001", "0.0.0.0:8001", "[::1]:0"); port 0 picks a free port.</summary>
    public string Listen { get; set; } = "127.0.0.1:8001";

    /// <summary>Optional Unix domain socket path served in addition to <see cref="Listen"/>.</summary>
    public string? Socket { get; set; }

    /// <summary>Group given to <see cref="Socket"/> (a name or number; default the process's group); the socket's mode is 0660.</summary>
    public string? SocketGroup { get; set; }

    /// <summary>
    /// Serve plaintext on <see cref="Listen"/> even when Tls:CertificatePath is set (flag
    /// --listen-plaintext): the certificate is then only the agent's client certificate towards
    /// its peers. Loopback only, unless Security:Insecure.
    /// </summary>
    public bool Plaintext { get; set; }

    /// <summary>
    /// Optional second TCP endpoint HOST:PORT (flag --health-listen) serving only grpc.health.v1,
    /// always in plaintext and on any address: Kubernetes' native gRPC probes speak neither TLS nor
    /// client certificates, and health status is all this endpoint reveals. Every other call on it
    /// is answered UNIMPLEMENTED.
    /// </summary>
    public string? HealthListen { get; set; }

    /// <summary>Parses HOST:PORT where HOST is an IP address or "localhost" and PORT is 0-65535.</summary>
    public static bool TryParseListen(string? text, out IPEndPoint endpoint, out string error)
    {
        endpoint = new IPEndPoint(IPAddress.Loopback, 0);
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "it is empty; expected HOST:PORT such as 127.0.0.1:8001";
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"'{text}' is not HOST:PORT (for example 127.0.0.1:8001 or [::]:8001)";
            return false;
        }

        var host = text[..colon];
        var portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > IPEndPoint.MaxPort)
        {
            error = $"'{portText}' in '{text}' is not a port number between 0 and 65535";
            return false;
        }

        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        IPAddress? address;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
        }
        else if (!IPAddress.TryParse(host, out address))
        {
            error = $"'{host}' in '{text}' is not an IP address (use 127.0.0.1, 0.0.0.0, [::] or localhost)";
            return false;
        }

        endpoint = new IPEndPoint(address, port);
        return true;
    }
}

/// <summary>A node that cannot start, with one message naming the setting at fault.</summary>
public sealed class NodeStartupException : Exception
{
    /// <summary>Creates the exception.</summary>
    public NodeStartupException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public NodeStartupException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public NodeStartupException()
    {
    }
}
