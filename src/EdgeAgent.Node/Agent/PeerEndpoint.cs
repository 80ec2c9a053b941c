using System.Globalization;
using System.Text.RegularExpressions;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// One configured peer: its name, its Open Inference Protocol address and an optional emulated
/// link. Written as <c>NAME=URL[;rtt=DURATION][;bw=RATE]</c> on the command line, for example
/// <c>--peer cloud=http://10.0.0.5:8001;rtt=40ms;bw=50mbit</c>, or as configuration key
/// <c>Agent:Peers:NAME</c> with value <c>URL[;rtt=..][;bw=..]</c>. DURATION is a number with
/// <c>us</c>, <c>ms</c> or <c>s</c> (plain numbers are milliseconds); RATE is a number with
/// <c>bit</c>, <c>kbit</c>, <c>mbit</c> or <c>gbit</c> (per second; plain numbers are Mbit/s);
/// <c>kind=edge|cloud</c> tells policies what sort of server it is (default cloud).
/// A peer group is written <c>NAME=dns:///HOST:PORT[;tls=on][;kind=..]</c>: every address HOST
/// resolves to (a Kubernetes headless Service, several A records) is a member; the agent balances
/// calls over the members with Grpc.Net.Client's <c>dns</c> resolver and <c>round_robin</c> policy and
/// offers the group to the policy as one candidate (see <see cref="PeerConnection"/>). A group is
/// plaintext unless <c>tls=on</c>; link emulation (rtt=, bw=) is for single peers only.
/// </summary>
/// <param name="Name">Peer name used in placements ("peer:NAME") and status.</param>
/// <param name="Url">Absolute http:// or https:// address of the peer's gRPC endpoint.</param>
/// <param name="Emulation">Added delay and bandwidth cap on the agent-to-peer channel; <see cref="LinkEmulation.None"/> for a real link.</param>
public sealed partial record PeerEndpoint(string Name, Uri Url, LinkEmulation Emulation)
{
    /// <summary>Whether the peer is a nearby edge server or a cloud server (<c>kind=edge|cloud</c>, default cloud); a feature for policies.</summary>
    public ServerKind Kind { get; init; } = ServerKind.Cloud;

    /// <summary>The URL scheme of a peer group, <c>dns:///HOST:PORT</c>.</summary>
    public const string GroupScheme = "dns";

    /// <summary>True for a peer group (<c>dns:///HOST:PORT</c>): many members behind one name.</summary>
    public bool IsGroup => Url.Scheme == GroupScheme;

    /// <summary>For a group, whether its members are called over TLS (<c>tls=on</c>); single peers follow their URL's scheme.</summary>
    public bool GroupTls { get; init; }

    /// <summary>For a group, the host name its members resolve from (empty for a single peer).</summary>
    public string GroupHost => IsGroup ? SplitGroupTarget(Url.AbsolutePath.TrimStart('/')).Host : "";

    /// <summary>For a group, the port of its members (0 for a single peer).</summary>
    public int GroupPort => IsGroup ? SplitGroupTarget(Url.AbsolutePath.TrimStart('/')).Port : 0;

    /// <summary>True when calls to this peer travel over TLS (https://, or a group with tls=on).</summary>
    public bool UsesTls => IsGroup ? GroupTls : Url.Scheme == Uri.UriSchemeHttps;

    /// <summary>Parses <c>NAME=URL[;rtt=..][;bw=..]</c> (the --peer form); the error names what was wrong.</summary>
    public static bool TryParse(string? text, out PeerEndpoint endpoint, out string error)
    {
        endpoint = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "a peer is written NAME=URL[;rtt=40ms][;bw=50mbit] but the value is empty";
            return false;
        }

        var equals = text.IndexOf('=', StringComparison.Ordinal);
        var semicolon = text.IndexOf(';', StringComparison.Ordinal);
        if (equals <= 0 || (semicolon >= 0 && semicolon < equals))
        {
            error = $"'{text}' is not NAME=URL[;rtt=40ms][;bw=50mbit]";
            return false;
        }

        return TryParse(text[..equals].Trim(), text[(equals + 1)..], out endpoint, out error);
    }

    /// <summary>
    /// Parses a peer given by name and <c>URL[;rtt=..][;bw=..]</c> (the configuration form,
    /// <c>Agent:Peers:NAME</c>); the error names what was wrong.
    /// </summary>
    public static bool TryParse(string name, string? value, out PeerEndpoint endpoint, out string error)
    {
        endpoint = null!;
        ArgumentNullException.ThrowIfNull(name);
        var parts = (value ?? "").Split(';', StringSplitOptions.TrimEntries);
        var urlText = parts[0];
        if (!NamePattern().IsMatch(name) || name.Equals("local", StringComparison.OrdinalIgnoreCase))
        {
            error = $"peer name '{name}' must be 1-32 letters, digits, '-' or '_' and not 'local'";
            return false;
        }

        if (urlText.StartsWith(GroupScheme + ":", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(urlText, UriKind.Absolute, out var groupUrl)
                || groupUrl.Authority.Length > 0
                || !urlText.StartsWith(GroupScheme + ":///", StringComparison.OrdinalIgnoreCase)
                || SplitGroupTarget(groupUrl.AbsolutePath.TrimStart('/')) is not { Host.Length: > 0, Port: > 0 })
            {
                error = $"peer '{name}' has URL '{urlText}'; a peer group is written dns:///HOST:PORT (no DNS server authority, an explicit port 1-65535)";
                return false;
            }
        }
        else if (!Uri.TryCreate(urlText, UriKind.Absolute, out var single)
            || (single.Scheme != Uri.UriSchemeHttp && single.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(single.Host))
        {
            error = $"peer '{name}' has URL '{urlText}', which is not an absolute http:// or https:// address, nor a group dns:///HOST:PORT";
            return false;
        }

        var url = new Uri(urlText, UriKind.Absolute);
        var isGroup = url.Scheme == GroupScheme;
        var groupTls = false;

        var kind = ServerKind.Cloud;
        var rtt = TimeSpan.Zero;
        double bandwidth = double.PositiveInfinity;
        foreach (var option in parts.Skip(1))
        {
            if (option.Length == 0)
            {
                continue;
            }

            var kv = option.Split('=', 2, StringSplitOptions.TrimEntries);
            var key = kv[0].ToUpperInvariant();
            var optionValue = kv.Length == 2 ? kv[1] : "";
            switch (key)
            {
                case "RTT" when TryParseDuration(optionValue, out rtt) && rtt >= TimeSpan.Zero && rtt <= TimeSpan.FromSeconds(10):
                    break;
                case "RTT":
                    error = $"peer '{name}' has rtt '{optionValue}'; use a duration from 0 to 10s such as 40ms";
                    return false;
                case "BW" when TryParseRate(optionValue, out bandwidth) && bandwidth >= 1000:
                    break;
                case "BW":
                    error = $"peer '{name}' has bw '{optionValue}'; use a rate of at least 1kbit such as 50mbit";
                    return false;
                case "KIND" when optionValue.Equals("edge", StringComparison.OrdinalIgnoreCase):
                    kind = ServerKind.Edge;
                    break;
                case "KIND" when optionValue.Equals("cloud", StringComparison.OrdinalIgnoreCase):
                    kind = ServerKind.Cloud;
                    break;
                case "KIND":
                    error = $"peer '{name}' has kind '{optionValue}'; use kind=edge or kind=cloud";
                    return false;
                case "TLS" when isGroup && optionValue.ToUpperInvariant() is "ON" or "TRUE":
                    groupTls = true;
                    break;
                case "TLS" when isGroup && optionValue.ToUpperInvariant() is "OFF" or "FALSE":
                    groupTls = false;
                    break;
                case "TLS" when isGroup:
                    error = $"peer '{name}' has tls '{optionValue}'; use tls=on or tls=off";
                    return false;
                case "TLS":
                    error = $"peer '{name}' has option '{option}', which only a group (dns:///HOST:PORT) takes; a single peer's scheme (http:// or https://) chooses TLS";
                    return false;
                default:
                    error = $"peer '{name}' has unknown option '{option}'; known options are rtt=, bw=, kind= and, for a group, tls=";
                    return false;
            }
        }

        if (isGroup && (rtt > TimeSpan.Zero || !double.IsPositiveInfinity(bandwidth)))
        {
            error = $"peer '{name}' is a group (dns:///); link emulation (rtt=, bw=) is for single peers only";
            return false;
        }

        endpoint = new PeerEndpoint(name, url, new LinkEmulation(rtt, bandwidth)) { Kind = kind, GroupTls = groupTls };
        error = "";
        return true;
    }

    /// <summary>The specification this endpoint parses from (NAME=URL[;rtt=..][;bw=..]).</summary>
    public override string ToString() => Name + "=" + ValueText;

    /// <summary>The configuration value: URL[;rtt=..][;bw=..].</summary>
    public string ValueText
    {
        get
        {
            var text = Url.ToString().TrimEnd('/');
            if (Emulation.RoundTrip > TimeSpan.Zero)
            {
                text += string.Create(CultureInfo.InvariantCulture, $";rtt={Emulation.RoundTrip.TotalMilliseconds:0.###}ms");
            }

            if (!double.IsPositiveInfinity(Emulation.BandwidthBitsPerSecond))
            {
                text += string.Create(CultureInfo.InvariantCulture, $";bw={Emulation.BandwidthBitsPerSecond / 1e6:0.###}mbit");
            }

            if (Kind == ServerKind.Edge)
            {
                text += ";kind=edge";
            }

            if (GroupTls)
            {
                text += ";tls=on";
            }

            return text;
        }
    }

    // "HOST:PORT" (HOST may be a bracketed IPv6 literal); port 0 when absent or out of range.
    private static (string Host, int Port) SplitGroupTarget(string target)
    {
        var colon = target.LastIndexOf(':');
        if (colon <= 0 || target.Contains('/', StringComparison.Ordinal))
        {
            return (colon <= 0 ? target : target[..colon], 0);
        }

        var host = target[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        return int.TryParse(target[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? (host, port)
            : (host, 0);
    }

    private static bool TryParseDuration(string value, out TimeSpan duration)
    {
        duration = default;
        var (number, unit) = Split(value);
        double scale = unit switch
        {
            "" or "ms" => 1e-3,
            "us" => 1e-6,
            "s" => 1.0,
            _ => double.NaN,
        };
        if (double.IsNaN(scale) || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || !double.IsFinite(n))
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(n * scale);
        return true;
    }

    private static bool TryParseRate(string value, out double bitsPerSecond)
    {
        bitsPerSecond = double.NaN;
        var (number, unit) = Split(value);
        double scale = unit switch
        {
            "bit" => 1.0,
            "kbit" => 1e3,
            "" or "mbit" => 1e6,
            "gbit" => 1e9,
            _ => double.NaN,
        };
        if (double.IsNaN(scale) || !double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || !double.IsFinite(n))
        {
            return false;
        }

        bitsPerSecond = n * scale;
        return true;
    }

    private static (string Number, string Unit) Split(string value)
    {
        var v = value.Trim().ToLowerInvariant();
        var i = v.Length;
        while (i > 0 && char.IsLetter(v[i - 1]))
        {
            i--;
        }

        return (v[..i].Trim(), v[i..]);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,32}$")]
    private static partial Regex NamePattern();
}

/// <summary>
/// Link emulation on the agent-to-peer channel, for demos and tests on one machine: every call
/// waits <see cref="RoundTrip"/>/2 before it is sent and again when its response headers arrive,
/// and request and response bytes are paced to <see cref="BandwidthBitsPerSecond"/> in each
/// direction (the link is shared by all calls to that peer).
/// </summary>
/// <param name="RoundTrip">Added round-trip time (zero for none).</param>
/// <param name="BandwidthBitsPerSecond">Bandwidth cap per direction (infinity for none).</param>
public sealed record LinkEmulation(TimeSpan RoundTrip, double BandwidthBitsPerSecond)
{
    /// <summary>No added delay, no cap.</summary>
    public static LinkEmulation None { get; } = new(TimeSpan.Zero, double.PositiveInfinity);

    /// <summary>True when the emulation changes nothing.</summary>
    public bool IsNone => RoundTrip <= TimeSpan.Zero && double.IsPositiveInfinity(BandwidthBitsPerSecond);
}
