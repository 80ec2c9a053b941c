using EdgeAgent.Hardware.Energy;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class AgentOptionsValidatorTests
{
    private static string Failures(AgentOptions options) =>
        string.Join("\n", new AgentOptionsValidator().Validate(null, options).Failures ?? []);

    [Fact]
    public void Validate_Defaults_Succeed()
    {
        Assert.True(new AgentOptionsValidator().Validate(null, new AgentOptions { Peers = { ["cloud"] = "http://127.0.0.1:5001" } }).Succeeded);
    }

    [Fact]
    public void Validate_BadPeerUrl_NamesSettingAndPeer()
    {
        var message = Failures(new AgentOptions { Peers = { ["cloud"] = "http://127.0.0.1:5001", ["edge"] = "tcp://x:1" } });
        Assert.Contains("Agent:Peers:edge (--peer)", message, StringComparison.Ordinal);
        Assert.Contains("peer 'edge'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PeerNamedLocal_Fails()
    {
        var message = Failures(new AgentOptions { Peers = { ["local"] = "http://127.0.0.1:5001" } });
        Assert.Contains("Agent:Peers:local (--peer): peer name 'local'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_UnknownPolicy_ListsKnownOnes()
    {
        var message = Failures(new AgentOptions { Policy = "random" });
        Assert.Contains("Agent:Policy (--policy) is 'random'; use one of learned, heuristic, local, peer", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_RegisteredPolicyName_Succeeds()
    {
        var validator = new AgentOptionsValidator([new OffloadPolicyRegistration("learned", _ => new EdgeAgent.Core.Offloading.Policies.LocalOnlyPolicy())]);
        Assert.True(validator.Validate(null, new AgentOptions { Policy = "Learned" }).Succeeded);
        Assert.Contains("use one of learned, heuristic, local, peer", string.Join("", validator.Validate(null, new AgentOptions { Policy = "x" }).Failures ?? []), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Validate_PreferenceOutOfRange_Fails(double weight)
    {
        Assert.Contains("Agent:Preference (--preference)", Failures(new AgentOptions { Preference = weight }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void Validate_GroupMaxAttemptsOutOfRange_NamesTheSetting(int attempts)
    {
        Assert.Contains($"Agent:GroupMaxAttempts is {attempts}; use 2 to 5", Failures(new AgentOptions { GroupMaxAttempts = attempts }), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_GroupPeerWithEmulation_NamesThePeer()
    {
        var message = Failures(new AgentOptions { Peers = { ["cloud"] = "dns:///peers.example:8001;bw=10mbit" } });
        Assert.Contains("Agent:Peers:cloud (--peer): peer 'cloud' is a group (dns:///); link emulation (rtt=, bw=) is for single peers only", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonPositiveGroupRefresh_Fails()
    {
        Assert.Contains("Agent:GroupRefreshInterval", Failures(new AgentOptions { GroupRefreshInterval = TimeSpan.Zero }), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NonPositiveTimeout_Fails()
    {
        Assert.Contains("Agent:OffloadTimeout", Failures(new AgentOptions { OffloadTimeout = TimeSpan.Zero }), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BusyBelowIdle_Fails()
    {
        Assert.Contains("Agent:Energy", Failures(new AgentOptions { Energy = new EnergyModelOptions { IdleWatts = 5, BusyWatts = 4 } }), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.5)]
    [InlineData(double.NaN)]
    [InlineData(double.NegativeInfinity)]
    public void Validate_MaxAccuracyDropNegativeOrNaN_FailsNamingSetting(double points)
    {
        var message = Failures(new AgentOptions { MaxAccuracyDropPoints = points });
        Assert.Contains("Agent:MaxAccuracyDropPoints (--max-accuracy-drop) is", message, StringComparison.Ordinal);
        Assert.Contains("accuracy points >= 0", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(2.5)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_MaxAccuracyDropZeroOrMore_Succeeds(double points)
    {
        Assert.True(new AgentOptionsValidator().Validate(null, new AgentOptions { MaxAccuracyDropPoints = points }).Succeeded);
    }

    [Theory]
    [InlineData("")]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData("..")]
    public void Validate_ProfileDeviceNotAFileName_FailsNamingSetting(string device)
    {
        var message = Failures(new AgentOptions { ProfileDevice = device });
        Assert.Contains("Agent:ProfileDevice (--profile-device)", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1024L)]
    [InlineData(64L * 1024 - 1)]
    [InlineData(4L * 1024 * 1024 + 1)]
    [InlineData(-1L)]
    public void Validate_LinkProbeMaxBytesOutOfRange_NamesTheSetting(long bytes)
    {
        var message = Failures(new AgentOptions { LinkProbeMaxBytes = bytes });
        Assert.Contains($"Agent:LinkProbeMaxBytes is {bytes}; use 0 (no link probes) or 65536 to 4194304 bytes", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(64L * 1024)]
    [InlineData(4L * 1024 * 1024)]
    public void Validate_LinkProbeMaxBytesZeroOrInRange_Succeeds(long bytes) =>
        Assert.True(new AgentOptionsValidator().Validate(null, new AgentOptions { LinkProbeMaxBytes = bytes }).Succeeded);

    [Fact]
    public void Validate_SampleMinimumAboveTheLargestProbe_SaysToSwitchProbesOffOrLowerIt()
    {
        var message = Failures(new AgentOptions { ThroughputSampleMinBytes = 16L * 1024 * 1024 });
        Assert.Contains("Agent:LinkProbeMaxBytes is 1048576, but Agent:ThroughputSampleMinBytes (16777216) is above the largest probe", message, StringComparison.Ordinal);
        Assert.True(new AgentOptionsValidator().Validate(null, new AgentOptions { ThroughputSampleMinBytes = 16L * 1024 * 1024, LinkProbeMaxBytes = 0 }).Succeeded);
    }

    [Fact]
    public void Validate_LinkProbeBudgetTooSmall_NamesTheSetting()
    {
        var message = Failures(new AgentOptions { LinkProbeBudgetBytesPerSecond = 100 });
        Assert.Contains("Agent:LinkProbeBudgetBytesPerSecond is 100; use at least 1024 bytes per second", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_LinkProbeAfterNotPositive_NamesTheSetting() =>
        Assert.Contains("Agent:LinkProbeAfter must be a positive duration", Failures(new AgentOptions { LinkProbeAfter = TimeSpan.Zero }), StringComparison.Ordinal);

    [Theory]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    [InlineData(5000.0)]
    public void Validate_HungPeerFactorOutOfRange_NamesTheSetting(double factor) =>
        Assert.Contains("Agent:HungPeerFactor is", Failures(new AgentOptions { HungPeerFactor = factor }), StringComparison.Ordinal);

    [Fact]
    public void Validate_HungPeerFloorNegative_SaysHowToSwitchItOff_AndAFloorOverAShortOffloadTimeoutIsAccepted()
    {
        var message = Failures(new AgentOptions { HungPeerFloor = TimeSpan.FromSeconds(-1) });
        Assert.Contains("Agent:HungPeerFloor is -00:00:01; use 00:00:00 (no hung-peer detection) or a positive duration below Agent:OffloadTimeout (00:00:05)", message, StringComparison.Ordinal);
        // The default floor (250 ms) with only the offload timeout shortened: detection simply never acts first.
        Assert.True(new AgentOptionsValidator().Validate(null, new AgentOptions { OffloadTimeout = TimeSpan.FromMilliseconds(200) }).Succeeded);
        Assert.True(new AgentOptionsValidator().Validate(null, new AgentOptions { HungPeerFloor = TimeSpan.Zero }).Succeeded);
    }
}
