using System.Net;
using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Security;

/// <summary>
/// Refuses http:// peers on non-loopback hosts unless Security:Insecure (--insecure) is set: the
/// agent would send users' data in the clear.
/// </summary>
public sealed class PeerTransportValidator(IOptions<SecurityOptions> security) : IValidateOptions<AgentOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (security.Value.Insecure)
        {
            return ValidateOptionsResult.Success;
        }

        var errors = new List<string>();
        foreach (var (peerName, value) in options.Peers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (PeerEndpoint.TryParse(peerName, value, out var group, out _) && group.IsGroup && !group.GroupTls && !IsLoopbackHost(group.GroupHost))
            {
                errors.Add($"Agent:Peers:{peerName} (--peer): the group {group.Url} is plaintext to a non-loopback name; add ;tls=on (with Tls:CaPath, --tls-ca, to verify the members) or pass --insecure (Security:Insecure).");
            }
            else if (PeerEndpoint.TryParse(peerName, value, out var endpoint, out _) && endpoint.Url.Scheme == Uri.UriSchemeHttp && !IsLoopback(endpoint.Url))
            {
                errors.Add($"Agent:Peers:{peerName} (--peer): {endpoint.Url.GetLeftPart(UriPartial.Authority)} is plaintext to a non-loopback host; use https:// (with Tls:CaPath, --tls-ca, to verify the peer) or pass --insecure (Security:Insecure).");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>True for "localhost" and loopback addresses given as a host name.</summary>
    public static bool IsLoopbackHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));

    /// <summary>True for localhost and loopback addresses.</summary>
    public static bool IsLoopback(Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return url.IsLoopback || (IPAddress.TryParse(url.IdnHost, out var address) && IPAddress.IsLoopback(address));
    }
}
