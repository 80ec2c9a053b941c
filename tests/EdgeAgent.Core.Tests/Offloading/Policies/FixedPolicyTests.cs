using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using static EdgeAgent.Core.Tests.Offloading.Policies.PolicyScenarios;

namespace EdgeAgent.Core.Tests.Offloading.Policies;

public sealed class FixedPolicyTests
{
    [Fact]
    public void LocalOnly_PeerMuchBetter_StaysLocal()
    {
        var observation = Observe(Task(), Local(5, 50), Peer("cloud", 0.01, 0.01));
        Assert.Equal(Placement.Local(), new LocalOnlyPolicy().Decide(observation, new Preference(1.0)));
    }

    [Fact]
    public void LocalOnly_SeveralVariants_TakesFirstAvailable()
    {
        var int8 = Local(0.2, 1, available: true) with { Placement = Placement.Local("int8") };
        var observation = Observe(Task(), Local(0.5, 5, available: false), int8);
        Assert.Equal(Placement.Local("int8"), new LocalOnlyPolicy().Decide(observation, Preference.Balanced));
    }

    [Fact]
    public void PeerOnly_TwoPeers_PicksSmallestEstimatedTime()
    {
        // edge: 0.1 s upload at 80 Mbit/s + 0.005 + 0.2 = 0.305 s; cloud: 0.01 s upload + 0.05 + 0.05 = 0.11 s.
        var observation = Observe(Task(bytes: 1_000_000), Local(0.01, 0.01), Peer("edge", 0.2, 0.1, uplinkBps: 80e6, rtt: 0.005), Peer("cloud", 0.05, 0.1, uplinkBps: 800e6, rtt: 0.05));
        Assert.Equal(Placement.Peer("cloud"), new PeerOnlyPolicy().Decide(observation, Preference.Balanced));
    }

    [Fact]
    public void PeerOnly_NoPeerAvailable_FallsBackToLocal()
    {
        var observation = Observe(Task(), Local(0.5, 5), Peer("cloud", 0.05, 0.1, available: false));
        Assert.Equal(Placement.Local(), new PeerOnlyPolicy().Decide(observation, Preference.Balanced));
    }

    [Theory]
    [InlineData("heuristic", "heuristic")]
    [InlineData("LOCAL", "local")]
    [InlineData(" peer ", "peer")]
    public void TryCreate_KnownName_ReturnsPolicy(string name, string expected)
    {
        Assert.True(OffloadPolicies.TryCreate(name, out var policy));
        Assert.Equal(expected, policy.Name);
    }

    [Theory]
    [InlineData("learned")]
    [InlineData("")]
    [InlineData(null)]
    public void TryCreate_UnknownName_ReturnsFalse(string? name)
    {
        Assert.False(OffloadPolicies.TryCreate(name, out _));
    }
}
