using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Core.Tests.Observation;

/// <summary>The own-traffic layout (FeatureLayout.Agent(ownTraffic: true)): its columns, its delay estimate, and older files under it.</summary>
public sealed class OwnTrafficTests
{
    private static readonly FeatureLayout Own = FeatureLayout.Agent(ownTraffic: true);

    [Fact]
    public void Agent_OwnTraffic_AppendsFiveNamedColumnsBeforeTheHistogram()
    {
        var old = FeatureLayout.Agent();
        Assert.Equal(old.FeatureCount + 5, Own.FeatureCount);
        Assert.Equal(42, Own.FeatureCount);
        var names = Own.ColumnNames();
        Assert.Equal(old.ColumnNames().Take(21), names.Take(21));
        Assert.Equal("own_in_flight[log2(1 + tasks)]", names[21]);
        Assert.Equal("upload_backlog[log10(s + 1e-4)]", names[22]);
        Assert.Equal("arriving_work[log10(s + 1e-4)]", names[23]);
        Assert.Equal("delay_estimate_own[log10(s + 1e-4)]", names[24]);
        Assert.Equal("device_energy_estimate_own[log10(J + 1e-6)]", names[25]);
        Assert.Equal("residual_hist_0[tasks with residual in [0, 10) ms]", names[26]);
        Assert.Equal(Own, FeatureLayout.FromMetadata(Own.ToMetadata()));
    }

    [Fact]
    public void EnsureProducible_OlderSubsetLayout_AcceptedAndMappedByName()
    {
        var old = FeatureLayout.Agent();
        Own.EnsureProducible(old);
        var map = Own.ColumnMap(old);
        Assert.Equal(old.FeatureCount, map.Length);
        var oldNames = old.ColumnNames();
        var ownNames = Own.ColumnNames();
        for (var c = 0; c < map.Length; c++)
        {
            Assert.Equal(oldNames[c], ownNames[map[c]]);
        }
    }

    [Fact]
    public void EnsureProducible_The41ColumnOwnTrafficLayout_AcceptedWithoutTheEnergyColumn()
    {
        // The own-traffic files before the energy estimate with own traffic (agent-default.onnx of 4 December).
        var own41 = new FeatureLayout("agent", 11, FeatureLayout.AgentScalars.Concat(FeatureLayout.OwnTrafficScalars.Take(4)), 16, 0.01, HistogramUnit.Seconds);
        Assert.Equal(41, own41.FeatureCount);
        Own.EnsureProducible(own41);
        var map = Own.ColumnMap(own41);
        Assert.DoesNotContain(Own.IndexOf(FeatureKind.OwnEnergyLog), map);
        Assert.Equal(Own.IndexOf(FeatureKind.EnergyLog), map[own41.IndexOf(FeatureKind.EnergyLog)]);
        var ex = Assert.Throws<InvalidOperationException>(() => own41.EnsureProducible(Own));
        Assert.Contains("policy expects feature 'device_energy_estimate_own[log10(J + 1e-6)]' at column 25, which this agent does not produce", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OwnTrafficOffloadSeconds_LinkWaitBehindOwnUploadsIsRadioTime()
    {
        // 1 MB over 80 Mbit/s = 0.1 s upload, 10 kB back at 8 Mbit/s = 0.01 s, rtt 0.02 s, exec 0.05 s, idle peer.
        var task = new TaskState(1_000_000, 10_000, double.PositiveInfinity);
        var peer = new CandidateState
        {
            RoundTripSeconds = 0.02, UplinkBitsPerSecond = 80e6, DownlinkBitsPerSecond = 8e6, ExpectedExecSeconds = 0.05, MaxConcurrency = 1,
        };

        // No own traffic: the classic split (transfer, estimate - transfer).
        ObservationEncoder.OwnTrafficOffloadSeconds(task, peer, out var radio, out var wait);
        Assert.Equal(0.11, radio, 12);
        Assert.Equal(ObservationEncoder.EstimateDelaySeconds(task, peer) - 0.11, wait, 12);

        // 0.5 s of the agent's earlier uploads ahead on the link: the radio is on while the upload waits
        // (as the Dispatcher and the simulator price it); the wait is the round trip and the execution.
        peer.UploadBacklogSeconds = 0.5;
        ObservationEncoder.OwnTrafficOffloadSeconds(task, peer, out radio, out wait);
        Assert.Equal(0.61, radio, 12);
        Assert.Equal(0.02 + 0.05, wait, 12);
        var power = new DevicePowerTable(5, 10, 2, 0.5);
        Assert.Equal((2 * 0.61) + (0.5 * 0.07), power.OffloadJoules(radio, wait), 12);

        // A queue at the peer longer than the travel: its rest is waiting time.
        peer.Running = 1;
        peer.ResidualWorkSeconds = 0.9;
        ObservationEncoder.OwnTrafficOffloadSeconds(task, peer, out radio, out wait);
        Assert.Equal(0.61, radio, 12);
        Assert.Equal(0.9 + 0.05 + 0.01 + 0.01 - 0.61, wait, 12);

        // A dead link stays finite in the power table and loses.
        peer.UplinkBitsPerSecond = 0;
        ObservationEncoder.OwnTrafficOffloadSeconds(task, peer, out radio, out wait);
        Assert.True(double.IsPositiveInfinity(radio));
        Assert.Equal(0.0, wait);
        Assert.Equal(2e6, power.OffloadJoules(radio, wait));
    }

    [Fact]
    public void Encode_OwnTrafficEnergy_WrittenForPeersAndTheClassicEnergyWhenNotGiven()
    {
        var observation = new OffloadObservation(
            new TaskObservation("m", 1_000_000, null),
            [
                new ServerObservation { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.2, EstimatedEnergyJoules = 1.0 },
                new ServerObservation { Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 80e6, EstimatedEnergyJoules = 0.2, OwnTrafficEnergyJoules = 1.2 },
                new ServerObservation { Placement = Placement.Peer("cloud"), Kind = ServerKind.Cloud, UplinkBitsPerSecond = 80e6, EstimatedEnergyJoules = 0.3 },
            ]);
        var encoder = new ObservationEncoder(Own);
        var servers = new float[Own.MaxServers * Own.FeatureCount];
        encoder.Encode(observation, new Preference(0.5), servers, new float[Own.MaxServers], new float[2]);
        var f = Own.FeatureCount;
        float Column(int row, FeatureKind kind) => servers[(row * f) + Own.IndexOf(kind)];

        Assert.Equal((float)Math.Log10(1.0 + 1e-6), Column(0, FeatureKind.OwnEnergyLog), 6);
        Assert.Equal((float)Math.Log10(1.2 + 1e-6), Column(1, FeatureKind.OwnEnergyLog), 6);
        Assert.Equal((float)Math.Log10(0.2 + 1e-6), Column(1, FeatureKind.EnergyLog), 6);
        Assert.Equal(Column(2, FeatureKind.EnergyLog), Column(2, FeatureKind.OwnEnergyLog));
    }

    [Fact]
    public void EnsureProducible_FeatureTheAgentLacks_RefusedNamingIt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => FeatureLayout.Agent().EnsureProducible(Own));
        Assert.Contains("policy expects feature 'own_in_flight[log2(1 + tasks)]' at column 21, which this agent does not produce", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsureProducible_OtherProfileOrRows_KeepsEnsureCompatiblesMessage()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => Own.EnsureProducible(FeatureLayout.Gmorl()));
        Assert.Contains("policy expects feature 'compute_speed[GHz]' at column 1; this agent produces 'is_local[1]'", ex.Message, StringComparison.Ordinal);
        var rows = Assert.Throws<InvalidOperationException>(() => Own.EnsureProducible(FeatureLayout.Agent(maxPeers: 4, ownTraffic: true)));
        Assert.Contains("policy expects S = 7 candidate rows", rows.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OwnTrafficDelaySeconds_UploadWaitsForBacklogAndOverlapsTheQueue()
    {
        // 1 MB over 80 Mbit/s = 0.1 s upload, 10 kB back at 8 Mbit/s = 0.01 s, rtt 0.02 s, exec 0.05 s.
        var task = new TaskState(1_000_000, 10_000, double.PositiveInfinity);
        var peer = new CandidateState
        {
            RoundTripSeconds = 0.02, UplinkBitsPerSecond = 80e6, DownlinkBitsPerSecond = 8e6, ExpectedExecSeconds = 0.05,
            Running = 1, Queued = 0, MaxConcurrency = 1, ResidualWorkSeconds = 0.3,
        };

        // Queue (0.3 s) longer than the travel (0.1 + 0.01): the task starts when the queue is through.
        Assert.Equal(0.3 + 0.05 + 0.01 + 0.01, ObservationEncoder.OwnTrafficDelaySeconds(task, peer), 12);
        Assert.Equal(0.3 + 0.1 + 0.02 + 0.05 + 0.01, ObservationEncoder.EstimateDelaySeconds(task, peer), 12);

        // A 0.5 s backlog on the link: travel 0.5 + 0.1 + 0.01 outlasts the queue.
        peer.UploadBacklogSeconds = 0.5;
        Assert.Equal(0.61 + 0.05 + 0.01 + 0.01, ObservationEncoder.OwnTrafficDelaySeconds(task, peer), 12);

        // Two of the agent's jobs still on their way (0.4 s of work) join the queue ahead of the task.
        peer.UploadBacklogSeconds = 0;
        peer.ArrivingTasks = 2;
        peer.ArrivingWorkSeconds = 0.4;
        Assert.Equal(0.7 + 0.05 + 0.01 + 0.01, ObservationEncoder.OwnTrafficDelaySeconds(task, peer), 12);

        // A free slot even with the arrivals counted: no queue wait, travel alone.
        peer.MaxConcurrency = 4;
        Assert.Equal(0.11 + 0.05 + 0.01 + 0.01, ObservationEncoder.OwnTrafficDelaySeconds(task, peer), 12);
    }

    [Fact]
    public void OwnTrafficDelaySeconds_LocalRow_EqualsTheClassicEstimate()
    {
        var task = new TaskState(1_000_000, 10_000, double.PositiveInfinity);
        var local = new CandidateState
        {
            IsLocal = true, UplinkBitsPerSecond = double.PositiveInfinity, DownlinkBitsPerSecond = double.PositiveInfinity,
            ExpectedExecSeconds = 0.05, Running = 2, Queued = 3, MaxConcurrency = 2, ResidualWorkSeconds = 0.7,
        };
        Assert.Equal(ObservationEncoder.EstimateDelaySeconds(task, local), ObservationEncoder.OwnTrafficDelaySeconds(task, local), 15);
    }

    [Fact]
    public void Encode_OwnTrafficFields_WrittenForPeersAndZeroForLocalRows()
    {
        var observation = new OffloadObservation(
            new TaskObservation("m", 1_000_000, null) { ExpectedResponseBytes = 10_000 },
            [
                new ServerObservation { Placement = Placement.Local(), Kind = ServerKind.Local, ExpectedExecSeconds = 0.2, OwnInFlight = 9, UploadBacklogSeconds = 9 },
                new ServerObservation
                {
                    Placement = Placement.Peer("edge"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 80e6, DownlinkBitsPerSecond = 8e6, RoundTripSeconds = 0.02,
                    ExpectedExecSeconds = 0.05, Executing = 1, MaxConcurrency = 1, ResidualWorkSeconds = 0.3,
                    OwnInFlight = 3, UploadBacklogSeconds = 0.5, ArrivingTasks = 2, ArrivingWorkSeconds = 0.4,
                },
            ]);
        var encoder = new ObservationEncoder(Own);
        var servers = new float[Own.MaxServers * Own.FeatureCount];
        encoder.Encode(observation, new Preference(0.5), servers, new float[Own.MaxServers], new float[2]);
        var f = Own.FeatureCount;
        float Column(int row, FeatureKind kind) => servers[(row * f) + Own.IndexOf(kind)];

        Assert.Equal(0f, Column(0, FeatureKind.OwnInFlightLog));
        Assert.Equal((float)Math.Log10(1e-4), Column(0, FeatureKind.UploadBacklogLog));
        Assert.Equal(Column(0, FeatureKind.DelayEstimateLog), Column(0, FeatureKind.OwnDelayEstimateLog));
        Assert.Equal(2f, Column(1, FeatureKind.OwnInFlightLog));
        Assert.Equal((float)Math.Log10(0.5 + 1e-4), Column(1, FeatureKind.UploadBacklogLog));
        Assert.Equal((float)Math.Log10(0.4 + 1e-4), Column(1, FeatureKind.ArrivingWorkLog));
        // max(0.5 + 0.1 + 0.01, (0.3 + 0.4) / 1) + 0.05 + 0.01 + 0.01
        Assert.Equal((float)Math.Log10(0.77 + 1e-4), Column(1, FeatureKind.OwnDelayEstimateLog), 5);
        // The classic columns do not change with own traffic: 0.3 + 0.1 + 0.02 + 0.05 + 0.01.
        Assert.Equal((float)Math.Log10(0.48 + 1e-4), Column(1, FeatureKind.DelayEstimateLog), 5);
    }
}
