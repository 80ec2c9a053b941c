using EdgeAgent.Contracts.V1;
using EdgeAgent.Node.Control;
using EdgeAgent.Node.Hosting;

namespace EdgeAgent.Node.Tests.Control;

public sealed class AgentStatusTextTests
{
    [Fact]
    public void Format_UnmeasuredLink_MarksPriorAndMissingRtt()
    {
        var status = new AgentStatus { Policy = "heuristic", DelayWeight = 0.5 };
        status.Peers.Add(new PeerStatus { Name = "cloud", Url = "http://10.0.0.5:8001/", ThroughputMbitPerSecond = 100 });
        status.Peers.Add(new PeerStatus { Name = "edge", Url = "http://10.0.0.6:8001/", Connected = true, RttMs = 4.2, RttSamples = 3, ThroughputMbitPerSecond = 180.4, ThroughputSamples = 2 });

        var lines = AgentStatusText.Format(status).Split('\n');

        var cloud = lines.Single(l => l.StartsWith("cloud", StringComparison.Ordinal));
        var edge = lines.Single(l => l.StartsWith("edge", StringComparison.Ordinal));
        Assert.Contains(" - ", cloud, StringComparison.Ordinal);
        Assert.Contains("100.0 prior", cloud, StringComparison.Ordinal);
        Assert.Contains("4.2", edge, StringComparison.Ordinal);
        Assert.Contains("180.4", edge, StringComparison.Ordinal);
        Assert.DoesNotContain("prior", edge, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.Contains("\"prior\": the configured Agent:PriorThroughputMbit", StringComparison.Ordinal));
    }

    [Fact]
    public void Format_AllMeasured_NoPriorNote()
    {
        var status = new AgentStatus { Policy = "heuristic" };
        status.Peers.Add(new PeerStatus { Name = "edge", RttMs = 1, RttSamples = 1, ThroughputMbitPerSecond = 50, ThroughputSamples = 1 });
        Assert.DoesNotContain("prior", AgentStatusText.Format(status), StringComparison.Ordinal);
    }

    [Fact]
    public void Format_Group_ListsMembersUnderTheGroup()
    {
        var status = new AgentStatus { Policy = "peer" };
        var group = new PeerStatus { Name = "cloud", Url = "dns:///peers.example:8001", Connected = true, Queued = 3, Running = 2, RttMs = 2, RttSamples = 1, ThroughputMbitPerSecond = 50, ThroughputSamples = 1 };
        group.Members.Add(new PeerMemberStatus { Address = "http://10.0.0.7:8001", Connected = true, Queued = 3, Running = 2, RttMs = 1.5, RttSamples = 4 });
        group.Members.Add(new PeerMemberStatus { Address = "http://10.0.0.8:8001" });
        status.Peers.Add(group);

        var lines = AgentStatusText.Format(status).Split('\n');

        Assert.Contains(lines, l => l.StartsWith("cloud", StringComparison.Ordinal) && l.Contains("dns:///peers.example:8001 (group of 2, 1 connected)", StringComparison.Ordinal));
        var members = lines.Where(l => l.Contains("- member", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, members.Count);
        Assert.Contains("connected", members[0], StringComparison.Ordinal);
        Assert.Contains("1.5", members[0], StringComparison.Ordinal);
        Assert.EndsWith("http://10.0.0.7:8001", members[0].TrimEnd('\r'), StringComparison.Ordinal);
        Assert.Contains("unavailable", members[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Format_GroupWithoutMembers_SaysWhy()
    {
        var status = new AgentStatus { Policy = "peer" };
        status.Peers.Add(new PeerStatus { Name = "cloud", Url = "dns:///nothing.example:8001", Resolution = "it resolved to no address", RttSamples = 1, ThroughputSamples = 1 });

        var text = AgentStatusText.Format(status);

        Assert.Contains("(group of 0, 0 connected)", text, StringComparison.Ordinal);
        Assert.Contains("no members: it resolved to no address", text, StringComparison.Ordinal);
    }
}

public sealed class StartupMessagesTests
{
    [Fact]
    public void WithoutValidatorPrefix_DataAnnotationFailure_KeepsOnlyTheError() =>
        Assert.Equal("Execution:ComputeSpeedFactor must be in (0, 1]; 1 means no emulated slow-down.",
            StartupMessages.WithoutValidatorPrefix("DataAnnotation validation failed for 'ExecutionOptions' members: 'ComputeSpeedFactor' with the error: 'Execution:ComputeSpeedFactor must be in (0, 1]; 1 means no emulated slow-down.'."));

    [Fact]
    public void WithoutValidatorPrefix_OtherMessage_Unchanged() =>
        Assert.Equal("Agent:Policy (--policy) is 'x'.", StartupMessages.WithoutValidatorPrefix("Agent:Policy (--policy) is 'x'."));
}
