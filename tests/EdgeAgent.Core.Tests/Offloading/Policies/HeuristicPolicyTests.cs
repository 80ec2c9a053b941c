using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using static EdgeAgent.Core.Tests.Offloading.Policies.PolicyScenarios;

namespace EdgeAgent.Core.Tests.Offloading.Policies;

public sealed class HeuristicPolicyTests
{
    private readonly HeuristicPolicy _policy = new();

    // Local: 0.5 s, 5 J. Cloud: 0.1 s upload + 0.01 s RTT + 0.05 s exec = 0.16 s, 0.3 J.
    private static OffloadObservation FastCheapPeer() => Observe(Task(bytes: 1_250_000), Local(0.5, 5), Peer("cloud", 0.05, 0.3));

    [Fact]
    public void Decide_PeerFasterAndCheaper_OffloadsAtAnyPreference()
    {
        Assert.Equal(Placement.Peer("cloud"), _policy.Decide(FastCheapPeer(), new Preference(1.0)));
        Assert.Equal(Placement.Peer("cloud"), _policy.Decide(FastCheapPeer(), new Preference(0.0)));
    }

    [Fact]
    public void Decide_PeerFasterButCostlier_FollowsPreference()
    {
        // Local 0.5 s / 1 J; edge 0.2 s / 4 J (slow radio costs energy).
        var observation = Observe(Task(bytes: 0), Local(0.5, 1), Peer("edge", 0.19, 4));

        Assert.Equal(Placement.Peer("edge"), _policy.Decide(observation, new Preference(1.0)));
        Assert.Equal(Placement.Local(), _policy.Decide(observation, new Preference(0.0)));
        // Normalised: local (1.0, 0.25), edge (0.4, 1.0). At w=0.6: local 0.7, edge 0.64.
        Assert.Equal(Placement.Peer("edge"), _policy.Decide(observation, new Preference(0.6)));
        // At w=0.5: local 0.625, edge 0.7.
        Assert.Equal(Placement.Local(), _policy.Decide(observation, new Preference(0.5)));
    }

    [Fact]
    public void Decide_LocalBacklogged_OffloadsForDelay()
    {
        var observation = Observe(Task(bytes: 0), Local(0.1, 1, executing: 1, queued: 8, residual: 2.0), Peer("edge", 0.1, 1, rtt: 0.02));
        Assert.Equal(Placement.Peer("edge"), _policy.Decide(observation, new Preference(1.0)));
    }

    [Fact]
    public void Decide_UnavailablePeer_IsNeverChosen()
    {
        var observation = Observe(Task(), Local(0.5, 5), Peer("cloud", 0.01, 0.01, available: false));
        Assert.Equal(Placement.Local(), _policy.Decide(observation, new Preference(1.0)));
    }

    [Fact]
    public void Decide_NothingAvailable_ReturnsLocal()
    {
        var observation = Observe(Task(), Local(0.5, 5, available: false), Peer("cloud", 0.01, 0.01, available: false));
        Assert.Equal(Placement.Local(), _policy.Decide(observation, Preference.Balanced));
    }

    [Fact]
    public void Decide_Deadline_PrefersCandidatesThatMeetIt()
    {
        // Energy alone would pick the peer (0.1 J), but it needs 1.01 s against a 0.6 s deadline.
        var observation = Observe(Task(bytes: 0, deadline: TimeSpan.FromSeconds(0.6)), Local(0.5, 5), Peer("cloud", 1.0, 0.1));
        Assert.Equal(Placement.Local(), _policy.Decide(observation, new Preference(0.0)));
    }

    [Fact]
    public void Decide_NoCandidateMeetsDeadline_StillDecidesOnAll()
    {
        var observation = Observe(Task(bytes: 0, deadline: TimeSpan.FromSeconds(0.01)), Local(0.5, 5), Peer("cloud", 1.0, 0.1));
        Assert.Equal(Placement.Peer("cloud"), _policy.Decide(observation, new Preference(0.0)));
    }

    [Fact]
    public void Decide_UnknownUplinkZero_PeerLosesOnDelay()
    {
        var observation = Observe(Task(), Local(0.5, 5), Peer("cloud", 0.01, 5, uplinkBps: 0));
        Assert.Equal(Placement.Local(), _policy.Decide(observation, new Preference(1.0)));
    }

    [Fact]
    public void Decide_EqualCosts_PrefersEarlierCandidate()
    {
        var observation = Observe(Task(bytes: 0), Local(0.2, 1), Peer("edge", 0.2, 1, rtt: 0));
        Assert.Equal(Placement.Local(), _policy.Decide(observation, Preference.Balanced));
    }

    // Local variants share the executor's queue and differ in exec time, energy and accuracy.
    private static ServerObservation Variant(string variant, double execSeconds, double joules, int queued = 0, double residual = 0) =>
        Local(execSeconds, joules, executing: queued > 0 ? 1 : 0, queued: queued, residual: residual) with { Placement = Placement.Local(variant) };

    [Fact]
    public void Decide_Int8FasterAndCheaper_PicksInt8AtAnyPreference()
    {
        var observation = Observe(Task(bytes: 0), Local(0.020, 0.08), Variant("int8", 0.008, 0.03));

        Assert.Equal(Placement.Local("int8"), _policy.Decide(observation, new Preference(0.0)));
        Assert.Equal(Placement.Local("int8"), _policy.Decide(observation, new Preference(0.2)));
        Assert.Equal(Placement.Local("int8"), _policy.Decide(observation, new Preference(1.0)));
    }

    [Fact]
    public void Decide_VariantFasterButCostlier_FollowsPreference()
    {
        // fp32 0.020 s / 0.05 J; mixed 0.012 s / 0.08 J. Normalised: fp32 (1, 0.625), mixed (0.6, 1).
        var observation = Observe(Task(bytes: 0), Local(0.020, 0.05), Variant("mixed-3", 0.012, 0.08));

        Assert.Equal(Placement.Local("mixed-3"), _policy.Decide(observation, new Preference(0.9)));
        Assert.Equal(Placement.Local(), _policy.Decide(observation, new Preference(0.1)));
    }

    [Fact]
    public void Decide_BackloggedExecutor_QueueWaitAddsToEveryLocalVariantAndPeerWins()
    {
        // Both local rows wait 1 s for the backlog; the peer needs 0.05 + 0.01 s.
        var observation = Observe(Task(bytes: 0),
            Local(0.020, 0.08, executing: 1, queued: 4, residual: 1.0), Variant("int8", 0.008, 0.03, queued: 4, residual: 1.0), Peer("edge", 0.05, 0.5));

        Assert.Equal(Placement.Peer("edge"), _policy.Decide(observation, new Preference(1.0)));
        Assert.Equal(Placement.Local("int8"), _policy.Decide(observation, new Preference(0.0)));
    }
}
