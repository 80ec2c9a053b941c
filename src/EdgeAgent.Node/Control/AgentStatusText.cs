using System.Globalization;
using System.Text;
using EdgeAgent.Contracts.V1;

namespace EdgeAgent.Node.Control;

/// <summary>Renders an <see cref="AgentStatus"/> as the plain text `edgeagent status` prints.</summary>
public static class AgentStatusText
{
    /// <summary>The status as a few aligned lines and a peer table.</summary>
    public static string Format(AgentStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(c, $"policy      {status.Policy}");
        if (status.PolicyFile.Length > 0)
        {
            text.AppendLine(c, $"policy file {status.PolicyFile} (trained on profile {(status.PolicyProfile.Length > 0 ? status.PolicyProfile : "unknown")}, reloaded {status.PolicyReloads} times)");
        }

        text.AppendLine(c, $"preference  w_delay={status.DelayWeight:0.###} w_energy={1 - status.DelayWeight:0.###}");
        text.AppendLine(c, $"requests    local={status.RequestsLocal} offloaded={status.RequestsOffloaded} fallback={status.RequestsFallback}");
        if (status.Peers.Count == 0)
        {
            text.AppendLine("peers       none");
            return text.ToString();
        }

        text.AppendLine(c, $"{"peer",-12} {"state",-12} {"rtt ms",10} {"Mbit/s",12} {"queued",7} {"running",8}  url");
        var anyPrior = false;
        foreach (var peer in status.Peers)
        {
            // An estimate nothing has measured yet is marked: RTT "-" (none), throughput "prior".
            var rtt = peer.RttSamples > 0 ? peer.RttMs.ToString("0.0", c) : "-";
            var throughput = peer.ThroughputSamples > 0
                ? peer.ThroughputMbitPerSecond.ToString("0.0", c)
                : peer.ThroughputMbitPerSecond.ToString("0.0", c) + " prior";
            anyPrior |= peer.RttSamples == 0 || peer.ThroughputSamples == 0;
            var url = peer.Members.Count > 0 || peer.Url.StartsWith("dns:", StringComparison.Ordinal)
                ? string.Create(c, $"{peer.Url} (group of {peer.Members.Count}, {peer.Members.Count(m => m.Connected)} connected)")
                : peer.Url;
            text.AppendLine(c, $"{peer.Name,-12} {(peer.Connected ? "connected" : "unavailable"),-12} {rtt,10} {throughput,12} {peer.Queued,7} {peer.Running,8}  {url}");
            if (peer.Resolution.Length > 0)
            {
                text.AppendLine(c, $"  {"",-10} no members: {peer.Resolution}");
            }

            foreach (var member in peer.Members)
            {
                var memberRtt = member.RttSamples > 0 ? member.RttMs.ToString("0.0", c) : "-";
                text.AppendLine(c, $"  {"- member",-10} {(member.Connected ? "connected" : "unavailable"),-12} {memberRtt,10} {"",12} {member.Queued,7} {member.Running,8}  {member.Address}");
            }
        }

        if (anyPrior)
        {
            text.AppendLine("(rtt \"-\": not measured yet; \"prior\": the configured Agent:PriorThroughputMbit, no transfer of Agent:ThroughputSampleMinBytes or more measured yet)");
        }

        return text.ToString();
    }
}
