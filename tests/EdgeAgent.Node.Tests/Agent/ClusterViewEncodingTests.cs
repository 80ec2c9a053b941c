using EdgeAgent.Contracts.Inference;
using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Serving;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

/// <summary>
/// The live agent and the simulator see the same features: one situation, built once as the live
/// <see cref="ClusterView"/> state (executor load, profiled variants, peers' load reports, measured
/// link) and once in the simulator's raw form (<see cref="TaskState"/> and a
/// <see cref="CandidateState"/> per candidate through <see cref="ObservationEncoder.WriteCandidate"/>,
/// the simulator's entry point), encodes to the same rows of the agent layout.
/// </summary>
public sealed class ClusterViewEncodingTests
{
    private static readonly DevicePowerTable Power = new(5, 10, 2, 0.5);

    private static (ClusterView View, FakeTimeProvider Time) LiveSituation(bool ownTraffic = false)
    {
        var time = new FakeTimeProvider();
        var options = new AgentOptions
        {
            Energy = new EnergyModelOptions { IdleWatts = Power.IdleWatts, BusyWatts = Power.BusyWatts, RadioWatts = Power.RadioWatts, WaitWatts = Power.WaitWatts },
            StaleAfter = TimeSpan.FromSeconds(3),
        };
        var local = new FixedLocal(new LocalLoad
        {
            Executing = 1,
            Queued = 2,
            MaxConcurrency = 1,
            ResidualWorkSeconds = 0.095,
            ResidualWorkHistogram = new double[] { 1, 0, 1, 0, 0, 0, 1 },
            HistogramBinSeconds = 0.01,
            MeanExecSeconds = 0.04,
            DefaultVariant = "fp32",
            Variants = [new LocalVariantCost("fp32", 0.03, null, 0), new LocalVariantCost("int8", 0.012, 0.05, 0.4)],
        });
        var peers = new[] { Peer("edge", "kind=edge", 0.005, 2e8, time, options, running: 2, queued: 3, residual: 0.25, [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], execSeconds: 0.02),
            Peer("cloud", "kind=cloud", 0.04, 5e7, time, options, running: 0, queued: 0, residual: 0, [], execSeconds: 0.008) };
        var view = new ClusterView(local, peers, new DeviceEnergyModel(options.Energy), options);
        view.RecordResponseBytes("det", 20_000);
        if (ownTraffic)
        {
            // This agent sent two 600 KB requests to the edge and one to the cloud, 10 ms ago.
            peers[0].NoteSent(new ForwardShape(600_000, 0.02));
            peers[0].NoteSent(new ForwardShape(600_000, 0.02));
            peers[1].NoteSent(new ForwardShape(600_000, 0.008));
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        return (view, time);
    }

    private static PeerConnection Peer(string name, string kind, double rtt, double bitsPerSecond, FakeTimeProvider time, AgentOptions options,
        int running, int queued, double residual, double[] histogram, double execSeconds)
    {
        Assert.True(PeerEndpoint.TryParse(name, $"http://127.0.0.1:9;{kind}", out var endpoint, out var error), error);
        var peer = new PeerConnection(endpoint, options, time, new Random(1), NullLogger.Instance);
        peer.Link.AddRoundTrip(TimeSpan.FromSeconds(rtt));
        // 1 MB each way in 0.08 s of transfer: rtt and the peer's 0.1 s of work are taken off the elapsed time.
        var transfer = 1_000_000 * 8.0 / bitsPerSecond;
        Assert.True(peer.Link.AddTransfer(1_000_000, TimeSpan.FromSeconds(transfer + rtt + 0.1), TimeSpan.FromSeconds(0.1)));
        peer.ApplyLoad(new PeerLoad
        {
            Connected = true,
            ReceivedTimestamp = time.GetTimestamp(),
            Running = running,
            Queued = queued,
            MaxConcurrency = 2,
            ResidualWorkSeconds = residual,
            ResidualWorkHistogram = histogram,
            HistogramBinSeconds = 0.01,
            Models = new HashSet<string>(["det"], StringComparer.Ordinal),
            MeanExecSeconds = new Dictionary<string, double>(StringComparer.Ordinal) { ["det"] = execSeconds },
        });
        return peer;
    }

    /// <summary>The simulator's raw form of the same situation: what its state says, in SI units.</summary>
    private static CandidateState SimulatorCandidate(int index, TaskState task, double edgeLink, double cloudLink, bool ownTraffic = false)
    {
        var localFp32 = new CandidateState
        {
            IsLocal = true, ExpectedExecSeconds = 0.03, Running = 1, Queued = 2, MaxConcurrency = 1, ResidualWorkSeconds = 0.095,
            ResidualSeconds = [0.005, 0.025, 0.065], UplinkBitsPerSecond = double.PositiveInfinity, DownlinkBitsPerSecond = double.PositiveInfinity,
            EnergyJoules = Power.LocalJoules(0.03),
            OwnTrafficEnergyJoules = Power.LocalJoules(0.03),
        };
        var localInt8 = localFp32;
        localInt8.IsQuantizedVariant = true;
        localInt8.AccuracyDropPoints = 0.4;
        localInt8.ExpectedExecSeconds = 0.012;
        localInt8.EnergyJoules = Power.LocalJoules(0.012, 0.05);
        localInt8.OwnTrafficEnergyJoules = localInt8.EnergyJoules;
        return index switch
        {
            0 => localFp32,
            1 => localInt8,
            // The simulator's link for the agent's own uploads, by hand: edge 600 KB at 200 Mbit/s = 24 ms each,
            // back to back from t = 0, so at t = 10 ms the link is busy until 48 ms (backlog 38 ms) and both
            // requests arrive later (26.5 and 50.5 ms, with half the 5 ms round trip); cloud 600 KB at
            // 50 Mbit/s = 96 ms (backlog 86 ms), arriving at 116 ms.
            2 => PeerCandidate(task, 0.005, edgeLink, 0.02, running: 2, queued: 3, residual: 0.25, [0.005, 0.005, 0.015, 0.15, 0.15],
                ownTraffic ? (2, 0.038, 2, 0.04) : default),
            _ => PeerCandidate(task, 0.04, cloudLink, 0.008, running: 0, queued: 0, residual: 0, [],
                ownTraffic ? (1, 0.086, 1, 0.008) : default),
        };
    }

    private static CandidateState PeerCandidate(TaskState task, double rtt, double link, double exec, int running, int queued, double residual, double[] residuals,
        (int InFlight, double Backlog, int Arriving, double ArrivingWork) own = default)
    {
        var candidate = new CandidateState
        {
            RoundTripSeconds = rtt, UplinkBitsPerSecond = link, DownlinkBitsPerSecond = link, ExpectedExecSeconds = exec,
            Running = running, Queued = queued, MaxConcurrency = 2, ResidualWorkSeconds = residual, ResidualSeconds = residuals,
            OwnInFlight = own.InFlight, UploadBacklogSeconds = own.Backlog, ArrivingTasks = own.Arriving, ArrivingWorkSeconds = own.ArrivingWork,
        };
        var transfer = ((task.RequestBytes + task.ResponseBytes) * 8.0) / link;
        candidate.EnergyJoules = Power.OffloadJoules(transfer, ObservationEncoder.EstimateDelaySeconds(task, candidate) - transfer);
        // With own traffic the simulator prices the wait for the link behind the agent's uploads as radio
        // time and waits for the rest of the own-traffic estimate (written out here, not through the encoder's helper).
        var radio = own.Backlog + transfer;
        candidate.OwnTrafficEnergyJoules = Power.OffloadJoules(radio, ObservationEncoder.OwnTrafficDelaySeconds(task, candidate) - radio);
        return candidate;
    }

    [Theory]
    [InlineData(0.5, false, false)]
    [InlineData(double.PositiveInfinity, false, false)]
    [InlineData(0.5, true, false)]
    [InlineData(double.PositiveInfinity, true, false)]
    [InlineData(0.5, true, true)]
    [InlineData(double.PositiveInfinity, true, true)]
    [InlineData(0.5, true, true, true)]
    [InlineData(double.PositiveInfinity, true, true, true)]
    [InlineData(0.5, true, true, true, true)]
    public void Encode_SameSituationLiveAndSimulated_GivesTheSameFeatures(double deadlineSeconds, bool ownTraffic, bool ownRate, bool ownPipeline = false, bool ownBatch = false)
    {
        // ownTraffic: the layout with the agent's own traffic per peer (in flight, upload backlog,
        // arriving work), the live counters of PeerConnection against the simulator's link rule.
        // ownRate: also the agent's own request rate, fed live at each request's arrival (as the
        // Dispatcher does, on the agent's clock) and in the simulator at each decision (on the
        // episode's clock, which starts at the first request).
        // ownPipeline: also the agent's own followed requests in flight: live, three requests marked
        // followed were decided and one of them answered (the Dispatcher's Begin/EndFollowed); in the
        // simulator two placed requests with follow-ups are not answered yet (AgentVecEnv.FollowedInFlight).
        // ownBatch: also the requests of the same fan-out decided right after this one: live, the client's
        // edgeagent.batch_after = 3 (RequestParameters.BatchAfterOf, as the Dispatcher reads it); in the
        // simulator three of the page's lines are ready at the same instant (AgentVecEnv.PendingReadyCount).
        var layout = FeatureLayout.Agent(ownTraffic: ownTraffic, ownRate: ownRate, ownPipeline: ownPipeline, ownBatch: ownBatch);
        var encoder = new ObservationEncoder(layout);
        var (view, _) = LiveSituation(ownTraffic);
        view.BeginFollowed();
        view.BeginFollowed();
        view.EndFollowed();
        view.BeginFollowed();
        Assert.Equal(2, view.FollowedInFlight);
        double[] arrivals = [0, 0.05, 0.12, 0.2, 0.21, 0.4, 0.43, 0.7, 1.3];
        var liveRate = 0.0;
        var simulatedRate = 0.0;
        var simulatedEstimator = default(OwnRequestRate);
        foreach (var t in arrivals)
        {
            liveRate = view.RecordRequestArrival(5_000 + t);
            simulatedRate = simulatedEstimator.Arrive(t);
        }

        Assert.Equal(simulatedRate, liveRate, 1e-9);
        Assert.True(liveRate > 1);
        var request = new ModelInferRequest();
        RequestParameters.MarkBatchAfter(request, 3);
        var observation = view.Observe("det", 600_000, double.IsFinite(deadlineSeconds) ? TimeSpan.FromSeconds(deadlineSeconds) : null, ownRate ? liveRate : 0, RequestParameters.BatchAfterOf(request));
        var live = new float[layout.MaxServers * layout.FeatureCount];
        var liveMask = new float[layout.MaxServers];
        encoder.Encode(observation, new Preference(0.3), live, liveMask, new float[2]);

        // The simulator writes the same candidates in the same order (device variants, then peers)
        // with the link rates the live estimator measured (the EWMA's first sample is exact).
        var edgeLink = view.Peers[0].Link.ThroughputBitsPerSecond;
        var cloudLink = view.Peers[1].Link.ThroughputBitsPerSecond;
        Assert.Equal(2e8, edgeLink, 1e-3 * 2e8);
        var task = new TaskState(RequestBytes: 600_000, ResponseBytes: 20_000, DeadlineSeconds: deadlineSeconds) { OwnRequestsPerSecond = ownRate ? simulatedRate : 0, OwnFollowedInFlight = 2, OwnBatchAfter = 3 };
        const int Candidates = 4;
        var delays = new double[Candidates];
        var bestEnergy = double.PositiveInfinity;
        for (var i = 0; i < Candidates; i++)
        {
            var candidate = SimulatorCandidate(i, task, edgeLink, cloudLink, ownTraffic);
            delays[i] = ObservationEncoder.EstimateDelaySeconds(task, candidate);
            bestEnergy = Math.Min(bestEnergy, candidate.EnergyJoules);
        }

        var simulated = new float[live.Length];
        for (var i = 0; i < layout.MaxServers; i++)
        {
            var row = simulated.AsSpan(i * layout.FeatureCount, layout.FeatureCount);
            if (i < Candidates)
            {
                encoder.WriteCandidate(row, task, SimulatorCandidate(i, task, edgeLink, cloudLink, ownTraffic), delays[i], delays.Min(), bestEnergy);
            }
            else
            {
                ObservationEncoder.WriteAbsent(row);
            }
        }

        Assert.Equal([1f, 1f, 1f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f], liveMask);
        var names = layout.ColumnNames();
        for (var i = 0; i < live.Length; i++)
        {
            var (server, column) = Math.DivRem(i, layout.FeatureCount);
            Assert.True(Math.Abs(live[i] - simulated[i]) <= 1e-5f * Math.Max(1f, Math.Abs(simulated[i])),
                $"candidate {server} ({(server < observation.Servers.Count ? observation.Servers[server].Placement : "absent")}), column {column} '{names[column]}': live {live[i]}, simulated {simulated[i]}");
        }
    }
}
