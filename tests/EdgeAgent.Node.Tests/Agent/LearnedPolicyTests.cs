using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Node.Agent;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class LearnedPolicyTests : IDisposable
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("edgeagent-learned-").FullName;

    /// <summary>A small layout with the columns the test policies read.</summary>
    private static FeatureLayout Layout { get; } = new("agent-test", 4, [FeatureKind.Bias, FeatureKind.IsLocal, FeatureKind.UploadSeconds, FeatureKind.Executing], 0, 0);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PolicyPath => Path.Combine(_dir, "policy.onnx");

    private static OffloadObservation Situation(bool peerAvailable = true, bool localAvailable = true) => new(
        new TaskObservation("det", 40_000, null),
        [
            new ServerObservation { Placement = Placement.Local(), Kind = ServerKind.Local, Available = localAvailable, ExpectedExecSeconds = 0.05 },
            new ServerObservation { Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, Available = peerAvailable, UplinkBitsPerSecond = 1e8, RoundTripSeconds = 0.005, ExpectedExecSeconds = 0.02 },
            new ServerObservation { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, Available = false, UplinkBitsPerSecond = 5e7, RoundTripSeconds = 0.04, ExpectedExecSeconds = 0.01 },
        ]);

    private LearnedPolicy Create(FakeTimeProvider time, ListLogger<LearnedPolicy>? logger = null) =>
        new(PolicyPath, Layout, runner: null, Poll, time, logger, watch: false);

    [Fact]
    public void Ctor_PolicyOfAnotherLayout_ThrowsNamingFileAndDifferingFeature()
    {
        var other = new FeatureLayout("agent-test", 4, [FeatureKind.Bias, FeatureKind.IsLocal, FeatureKind.TaskMbit, FeatureKind.Executing], 0, 0);
        PolicyFiles.Untrained(PolicyPath, other);

        var e = Assert.Throws<PolicyFileException>(() => Create(new FakeTimeProvider()));

        Assert.Contains(PolicyPath, e.Message, StringComparison.Ordinal);
        Assert.Contains("policy expects feature 'task_size[Mbit]' at column 2; this agent produces 'upload_time[s]'", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Ctor_PolicyOfAnotherProfile_ThrowsNamingTheProfiles()
    {
        PolicyFiles.Untrained(PolicyPath, FeatureLayout.Gmorl());

        var e = Assert.Throws<PolicyFileException>(() => Create(new FakeTimeProvider()));

        Assert.Contains(PolicyPath, e.Message, StringComparison.Ordinal);
        Assert.Contains("refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ctor_MissingOrCorruptFile_ThrowsNamingTheFile()
    {
        var missing = Assert.Throws<PolicyFileException>(() => Create(new FakeTimeProvider()));
        Assert.Contains($"'{PolicyPath}' does not exist", missing.Message, StringComparison.Ordinal);

        File.WriteAllText(PolicyPath, "not an onnx file");
        var corrupt = Assert.Throws<PolicyFileException>(() => Create(new FakeTimeProvider()));
        Assert.Contains(PolicyPath, corrupt.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_UnavailableCandidates_AreNeverChosen()
    {
        PolicyFiles.PreferPeer(PolicyPath, Layout);
        using var policy = Create(new FakeTimeProvider());

        // The cloud row is unavailable in every situation: the peer-preferring policy takes edge.
        Assert.Equal(Placement.Peer("edge"), policy.Decide(Situation(), new Preference(0.5)));
        // With edge unavailable too, only the device is left.
        Assert.Equal(Placement.Local(), policy.Decide(Situation(peerAvailable: false), new Preference(0.5)));
    }

    [Fact]
    public void Decide_NoCandidateAvailable_PlacesLocally()
    {
        PolicyFiles.PreferPeer(PolicyPath, Layout);
        using var policy = Create(new FakeTimeProvider());

        Assert.Equal(Placement.Local(), policy.Decide(Situation(peerAvailable: false, localAvailable: false), new Preference(1)));
    }

    [Fact]
    public void CheckForChange_GoodFileAfterPoll_SwapsInAndCountsTheReload()
    {
        PolicyFiles.PreferLocal(PolicyPath, Layout);
        var time = new FakeTimeProvider();
        var logger = new ListLogger<LearnedPolicy>();
        using var policy = Create(time, logger);
        Assert.Equal(Placement.Local(), policy.Decide(Situation(), new Preference(0.5)));

        Replace(() => PolicyFiles.PreferPeer(PolicyPath + ".new", Layout));
        time.Advance(Poll);

        Assert.Equal(Placement.Peer("edge"), policy.Decide(Situation(), new Preference(0.5)));
        Assert.Equal(1, policy.Reloads);
        Assert.Contains(logger.Entries, e => e.Message.Contains("reloaded", StringComparison.Ordinal));
        Assert.Empty(logger.Warnings);
    }

    [Fact]
    public void CheckForChange_BadFile_KeepsRunningPolicyAndWarnsOnceWithTheReason()
    {
        PolicyFiles.PreferLocal(PolicyPath, Layout);
        var time = new FakeTimeProvider();
        var logger = new ListLogger<LearnedPolicy>();
        using var policy = Create(time, logger);

        // A file of another layout, then garbage: neither replaces the running policy.
        Replace(() => PolicyFiles.Untrained(PolicyPath + ".new", FeatureLayout.Gmorl()));
        time.Advance(Poll);
        time.Advance(Poll);
        Assert.Equal(Placement.Local(), policy.Decide(Situation(), new Preference(0.5)));
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains(PolicyPath, warning, StringComparison.Ordinal);
        Assert.Contains("the running policy stays", warning, StringComparison.Ordinal);
        Assert.Contains("another observation layout", warning, StringComparison.Ordinal);

        File.WriteAllText(PolicyPath, "truncated");
        time.Advance(Poll);
        Assert.Equal(Placement.Local(), policy.Decide(Situation(), new Preference(0.5)));
        Assert.Equal(2, logger.Warnings.Count());
        Assert.Equal(0, policy.Reloads);

        // A good file after the bad ones is taken.
        Replace(() => PolicyFiles.PreferPeer(PolicyPath + ".new", Layout));
        time.Advance(Poll);
        Assert.Equal(Placement.Peer("edge"), policy.Decide(Situation(), new Preference(0.5)));
    }

    [Fact]
    public void CheckForChange_FileWithANaNWeight_KeepsRunningPolicyAndNamesTheWeight()
    {
        // A damaged or diverged file loads in ONNX Runtime; run, its NaN logits would pick the first row every time.
        PolicyFiles.PreferPeer(PolicyPath, Layout);
        var time = new FakeTimeProvider();
        var logger = new ListLogger<LearnedPolicy>();
        using var policy = Create(time, logger);

        Replace(() => PolicyFiles.LinearCost(PolicyPath + ".new", Layout,
            new Dictionary<FeatureKind, float> { [FeatureKind.IsLocal] = float.NaN }, new Dictionary<FeatureKind, float> { [FeatureKind.IsLocal] = -1 }));
        time.Advance(Poll);

        Assert.Equal(Placement.Peer("edge"), policy.Decide(Situation(), new Preference(0.5)));
        Assert.Equal(0, policy.Reloads);
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains("weight 'w' holds NaN", warning, StringComparison.Ordinal);
        Assert.Contains("the running policy stays", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckForChange_FileDeleted_KeepsRunningPolicy()
    {
        PolicyFiles.PreferPeer(PolicyPath, Layout);
        var time = new FakeTimeProvider();
        var logger = new ListLogger<LearnedPolicy>();
        using var policy = Create(time, logger);

        File.Delete(PolicyPath);
        time.Advance(Poll);

        Assert.Equal(Placement.Peer("edge"), policy.Decide(Situation(), new Preference(0.5)));
        Assert.Contains("does not exist", Assert.Single(logger.Warnings), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decide_WhileReloadsSwapPolicies_EveryDecisionCompletesOnALivePolicy()
    {
        var local = PolicyFiles.PreferLocal(Path.Combine(_dir, "local.onnx"), Layout);
        var peer = PolicyFiles.PreferPeer(Path.Combine(_dir, "peer.onnx"), Layout);
        File.Copy(local, PolicyPath);
        using var policy = Create(new FakeTimeProvider());
        using var stop = new CancellationTokenSource();
        var situation = Situation();
        var seen = new HashSet<Placement>();

        var deciders = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var mine = new HashSet<Placement>();
            while (!stop.IsCancellationRequested)
            {
                mine.Add(policy.Decide(situation, new Preference(0.5)));
            }

            return mine;
        })).ToArray();
        for (var i = 0; i < 20; i++)
        {
            var source = i % 2 == 0 ? peer : local;
            Replace(() => File.Copy(source, PolicyPath + ".new"));
            Assert.True(policy.CheckForChange());
        }

        await stop.CancelAsync();
        foreach (var placements in await Task.WhenAll(deciders).WaitAsync(Bound))
        {
            seen.UnionWith(placements);
        }

        Assert.Equal(20, policy.Reloads);
        Assert.Subset(new HashSet<Placement> { Placement.Local(), Placement.Peer("edge") }, seen);
    }

    [Fact]
    public void Decide_AgentLayoutAfterWarmUp_AllocatesNothing()
    {
        PolicyFiles.Untrained(PolicyPath, FeatureLayout.Agent(), seed: 3);
        using var policy = new LearnedPolicy(PolicyPath, FeatureLayout.Agent(), runner: null, Poll, new FakeTimeProvider(), logger: null, watch: false);
        var histogram = new double[] { 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
        var situation = new OffloadObservation(
            new TaskObservation("det", 40_000, TimeSpan.FromSeconds(1)) { ExpectedResponseBytes = 2_000 },
            [.. Situation().Servers.Select(s => s with { ResidualWorkHistogram = histogram, HistogramBinSeconds = 0.01, ResidualWorkSeconds = 0.3, Executing = 1, Queued = 3 })]);
        var preference = new Preference(0.3);
        for (var i = 0; i < 100; i++)
        {
            policy.Decide(situation, preference);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            policy.Decide(situation, preference);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Decide_FortyTwoColumnFileUnderTheAgentsLayout_DecidesAsUnderTheFortyThreeColumnAgent()
    {
        // A file of the 42-column layout (agent-default.onnx until 6 December) keeps loading under the
        // agent's 45-column layout and reads its own columns, which do not depend on the newer ones:
        // every decision is the 43-column agent's.
        PolicyFiles.Untrained(PolicyPath, FeatureLayout.Agent(ownTraffic: true), seed: 6, hidden: 32);
        var old = FeatureLayout.Agent(ownTraffic: true, ownRate: true);
        Assert.Equal(45, LearnedPolicy.AgentLayout.FeatureCount);
        using var now = new LearnedPolicy(PolicyPath, LearnedPolicy.AgentLayout, runner: null, Poll, new FakeTimeProvider(), logger: null, watch: false);
        using var before = new LearnedPolicy(PolicyPath, old, runner: null, Poll, new FakeTimeProvider(), logger: null, watch: false);
        var random = new Random(12);
        var placements = new HashSet<Placement>();
        for (var k = 0; k < 400; k++)
        {
            var situation = RandomAgentSituation(random, followed: random.Next(6));
            var preference = new Preference(random.Next(101) / 100.0);
            var decided = now.Decide(situation, preference);
            Assert.Equal(before.Decide(situation, preference), decided);
            Assert.Equal(decided, now.Decide(situation with { Task = situation.Task with { OwnFollowedInFlight = 0, OwnBatchAfter = random.Next(8) } }, preference));
            placements.Add(decided);
        }

        Assert.True(placements.Count >= 2, "the situations move the decision");
    }

    [Fact]
    public void Decide_CommittedFile_ReadsTheAgentsLayoutIncludingTheFollowedCount()
    {
        // The committed agent-default.onnx records own_followed_in_flight (since 6 December) in a layout
        // the agent produces, and its decisions depend on it: the same situation with and without the
        // agent's followed requests in flight is decided differently somewhere.
        var file = Path.Combine(RepositoryRoot(), "policies", "agent-default.onnx");
        using (var session = OnnxPolicySession.Open(file, null))
        {
            LearnedPolicy.AgentLayout.EnsureProducible(session.Layout);
            Assert.True(session.Layout.IndexOf(FeatureKind.OwnFollowedInFlightLog) >= 0, "the committed file reads own_followed_in_flight");
        }

        using var policy = new LearnedPolicy(file, LearnedPolicy.AgentLayout, runner: null, Poll, new FakeTimeProvider(), logger: null, watch: false);
        var random = new Random(12);
        var placements = new HashSet<Placement>();
        var moved = 0;
        for (var k = 0; k < 400; k++)
        {
            var situation = RandomAgentSituation(random, followed: 1 + random.Next(6));
            var preference = new Preference(random.Next(101) / 100.0);
            var decided = policy.Decide(situation, preference);
            placements.Add(decided);
            if (policy.Decide(situation with { Task = situation.Task with { OwnFollowedInFlight = 0 } }, preference) != decided)
            {
                moved++;
            }
        }

        Assert.True(placements.Count >= 2, "the situations move the decision");
        Assert.True(moved > 0, "no decision of 400 depends on own_followed_in_flight");
    }

    [Fact]
    public void Ctor_FortyFourColumnFileUnderAFortyThreeColumnProducer_ThrowsNamingTheFeature()
    {
        PolicyFiles.Untrained(PolicyPath, LearnedPolicy.AgentLayout, seed: 4);

        var e = Assert.Throws<PolicyFileException>(() => new LearnedPolicy(PolicyPath, FeatureLayout.Agent(ownTraffic: true, ownRate: true), runner: null, Poll, new FakeTimeProvider(), logger: null, watch: false));

        Assert.Contains("policy expects feature 'own_followed_in_flight[log2(1 + requests)]' at column 27, which this agent does not produce", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_FortyFourColumnFileAfterWarmUp_AllocatesNothing()
    {
        PolicyFiles.Untrained(PolicyPath, LearnedPolicy.AgentLayout, seed: 5);
        using var policy = new LearnedPolicy(PolicyPath, LearnedPolicy.AgentLayout, runner: null, Poll, new FakeTimeProvider(), logger: null, watch: false);
        var situation = RandomAgentSituation(new Random(3), followed: 2);
        var preference = new Preference(0.6);
        for (var i = 0; i < 100; i++)
        {
            policy.Decide(situation, preference);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            policy.Decide(situation, preference);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // A device with its three variants and two peers, loads and links drawn at random.
    private static OffloadObservation RandomAgentSituation(Random random, int followed)
    {
        double[] Histogram() => [.. Enumerable.Range(0, 16).Select(_ => (double)random.Next(3))];
        var queued = random.Next(6);
        var running = random.Next(2);
        ServerObservation Local(string? variant, double exec, double drop) => new()
        {
            Placement = variant is null ? Placement.Local() : Placement.Local(variant), Kind = ServerKind.Local, ExpectedExecSeconds = exec, AccuracyDropPoints = drop,
            Executing = running, Queued = queued, ResidualWorkSeconds = 0.02 * (queued + running), EstimatedEnergyJoules = exec * 3,
        };
        ServerObservation Peer(string name, ServerKind kind) => new()
        {
            Placement = Placement.Peer(name), Kind = kind, UplinkBitsPerSecond = Math.Pow(10, 6 + (3 * random.NextDouble())), DownlinkBitsPerSecond = 2e8,
            RoundTripSeconds = 0.001 + (0.1 * random.NextDouble()), ExpectedExecSeconds = 0.005 + (0.05 * random.NextDouble()), Executing = random.Next(3), Queued = random.Next(4),
            MaxConcurrency = 2, ResidualWorkSeconds = 0.05 * random.NextDouble(), ResidualWorkHistogram = Histogram(), HistogramBinSeconds = 0.01, EstimatedEnergyJoules = 0.05 * random.NextDouble(),
            OwnInFlight = random.Next(3), UploadBacklogSeconds = 0.01 * random.NextDouble(),
        };
        var exec = 0.02 + (0.08 * random.NextDouble());
        return new OffloadObservation(
            new TaskObservation("rec", random.Next(10_000, 2_000_000), random.Next(3) == 0 ? TimeSpan.FromSeconds(0.5) : null)
            {
                ExpectedResponseBytes = 2_000, OwnRequestsPerSecond = 10 * random.NextDouble(), OwnFollowedInFlight = followed,
            },
            [Local(null, exec, 0), Local("int8", exec * 0.6, 1.5), Local("mixed", exec * 0.8, 0.4), Peer("edge", ServerKind.Edge), Peer("cloud", ServerKind.Cloud)]);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EdgeAgent.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (EdgeAgent.sln) was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Writes the new file beside the policy and renames it over, as deployment tools do; the stamp always changes.</summary>
    private void Replace(Action writeNew)
    {
        var before = File.Exists(PolicyPath) ? File.GetLastWriteTimeUtc(PolicyPath) : DateTime.MinValue;
        writeNew();
        File.Move(PolicyPath + ".new", PolicyPath, overwrite: true);
        if (File.GetLastWriteTimeUtc(PolicyPath) <= before)
        {
            File.SetLastWriteTimeUtc(PolicyPath, before.AddSeconds(1));
        }
    }
}
