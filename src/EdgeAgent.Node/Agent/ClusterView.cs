using System.Collections.Concurrent;
using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The agent's picture of where a request could run: this device and every configured peer,
/// kept current in the background by the <see cref="PeerConnection"/>s (load streams, link
/// probes) and the local executor. <see cref="Observe"/> is a read of that state, never I/O.
/// Candidates are listed local first, then peers in name order (ordinal: <see cref="AgentOptions.ParsePeers"/> sorts them).
/// </summary>
public sealed class ClusterView
{
    private readonly ILocalLoadSource _local;
    private readonly IEnergyEstimator _energy;
    private readonly double _localSpeed;
    private readonly ConcurrentDictionary<string, long> _responseBytes = new(StringComparer.Ordinal);
    private readonly Lock _arrivalLock = new();
    private OwnRequestRate _ownRate;
    private int _followedInFlight;

    /// <summary>Creates the view over the local executor and the peer connections.</summary>
    public ClusterView(ILocalLoadSource local, IReadOnlyList<PeerConnection> peers, IEnergyEstimator energy, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _local = local;
        Peers = peers;
        _energy = energy;
        _localSpeed = options.LocalComputeSpeed;
    }

    /// <summary>The peer connections, in name order.</summary>
    public IReadOnlyList<PeerConnection> Peers { get; }

    /// <summary>
    /// Records the size of a response of <paramref name="model"/>: the next observations expect
    /// responses of this size (smoothed, weight 0.3 on the newest) for the download term.
    /// </summary>
    public void RecordResponseBytes(string model, long bytes)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (bytes > 0)
        {
            _responseBytes.AddOrUpdate(model, bytes, (_, previous) => (long)Math.Round((0.3 * bytes) + (0.7 * previous)));
        }
    }

    /// <summary>
    /// Records a request reaching this agent at <paramref name="nowSeconds"/> (the Dispatcher calls it
    /// once per request, on arrival) and returns the agent's own recent request rate before it,
    /// requests per second: Core's <see cref="OwnRequestRate"/>, the estimator the simulator feeds
    /// at each decision, for the observation's <see cref="TaskObservation.OwnRequestsPerSecond"/>.
    /// </summary>
    public double RecordRequestArrival(double nowSeconds)
    {
        lock (_arrivalLock)
        {
            return _ownRate.Arrive(nowSeconds);
        }
    }

    /// <summary>
    /// This agent's own requests in flight (decided, not yet answered) that their client marked as
    /// followed by a later stage of the same page (<see cref="Serving.RequestParameters.Followed"/>):
    /// the observation's <see cref="TaskObservation.OwnFollowedInFlight"/>, the count the simulator keeps
    /// from its pending pipeline stages (AgentVecEnv.FollowedInFlight).
    /// </summary>
    public int FollowedInFlight => Volatile.Read(ref _followedInFlight);

    /// <summary>A followed request was decided (the Dispatcher calls it after the decision); pair with <see cref="EndFollowed"/>.</summary>
    public void BeginFollowed() => Interlocked.Increment(ref _followedInFlight);

    /// <summary>A followed request was answered or failed.</summary>
    public void EndFollowed() => Interlocked.Decrement(ref _followedInFlight);

    /// <summary>The expected response size of <paramref name="model"/> (0 before its first response).</summary>
    public long ExpectedResponseBytes(string model) => _responseBytes.GetValueOrDefault(model);

    /// <summary>
    /// The observation for one task. Local rows come first: the default variant ("local"), then
    /// one row per other variant offered with a profile for this device ("local:int8"), each with
    /// its profile's p50 execution time, its energy (the profile's measured figure when a sensor
    /// measured it, else the energy estimator's for that time) and its accuracy drop; all local
    /// rows share the executor's queue. The default row without a profile keeps the executor's
    /// measured estimate for this task's input size (<see cref="ILocalLoadSource.ExpectedExecSeconds"/>:
    /// a robust, recency-weighted line in the input bytes over the recent runs, else their mean);
    /// a peer's row likewise its load report's line at this size, else its mean. Peers follow in
    /// name order. A candidate without a measured execution
    /// time borrows another's scaled by compute speed (exec_peer = exec_local * speed_local / speed_peer),
    /// and is 0 when nobody has run the model yet. The task carries the model's expected response
    /// size (<see cref="RecordResponseBytes"/>); a peer's downlink is its link's measured throughput
    /// (the estimator measures both directions together), and its energy covers the upload, the
    /// download and the wait between them; its <see cref="ServerObservation.OwnTrafficEnergyJoules"/> also
    /// prices the wait for the link behind this agent's earlier uploads as radio time and waits for the
    /// own-traffic delay estimate (<see cref="ObservationEncoder.OwnTrafficOffloadSeconds"/>). A peer's row carries its <see cref="PeerConnection"/> as
    /// <see cref="ServerObservation.Handle"/>: the dispatcher sends the work there. A peer's row also
    /// carries this agent's own traffic to it (<see cref="ServerObservation.OwnInFlight"/>,
    /// <see cref="ServerObservation.UploadBacklogSeconds"/>, <see cref="ServerObservation.ArrivingTasks"/>,
    /// <see cref="ServerObservation.ArrivingWorkSeconds"/>: <see cref="PeerConnection.InFlight"/> and
    /// <see cref="PeerConnection.Traffic"/>), which the peer's load report cannot show yet. The task
    /// carries <paramref name="ownRequestsPerSecond"/>, the agent's own request rate when the request
    /// arrived (<see cref="RecordRequestArrival"/>; 0 for an observation that is not a request's), and
    /// <see cref="FollowedInFlight"/>, the agent's own followed requests in flight now, and
    /// <paramref name="batchAfter"/>, the requests its client sends at once right after this one
    /// (<see cref="Serving.RequestParameters.BatchAfter"/>; 0 when not announced).
    /// </summary>
    public OffloadObservation Observe(string model, long inputBytes, TimeSpan? deadline, double ownRequestsPerSecond = 0, int batchAfter = 0)
    {
        var responseBytes = ExpectedResponseBytes(model);
        var task = new TaskObservation(model, inputBytes, deadline) { ExpectedResponseBytes = responseBytes, OwnRequestsPerSecond = ownRequestsPerSecond, OwnFollowedInFlight = FollowedInFlight, OwnBatchAfter = Math.Max(0, batchAfter) };
        var localServes = _local.Serves(model);
        var localLoad = _local.GetLoad(model);
        LocalVariantCost? defaultCost = null;
        foreach (var cost in localLoad.Variants)
        {
            if (cost.Variant == localLoad.DefaultVariant)
            {
                defaultCost = cost;
            }
        }

        // This task's expected execution here from the executor's recent runs, by input size.
        var localMeasured = _local.ExpectedExecSeconds(model, inputBytes) ?? localLoad.MeanExecSeconds;

        // Reference exec time at speed 1, from whichever candidate has measured the model.
        double? referenceExec = (localMeasured ?? defaultCost?.ExecSeconds) * _localSpeed;
        var peerLoads = new PeerLoad[Peers.Count];
        for (var i = 0; i < Peers.Count; i++)
        {
            peerLoads[i] = Peers[i].Load;
            if (referenceExec is null && peerLoads[i].TryGetExpectedExecSeconds(model, inputBytes, out var peerExec))
            {
                referenceExec = peerExec * peerLoads[i].ComputeSpeed;
            }
        }

        var servers = new List<ServerObservation>(localLoad.Variants.Count + 1 + Peers.Count);
        var localExec = defaultCost?.ExecSeconds ?? localMeasured ?? ((referenceExec ?? 0.0) / _localSpeed);
        servers.Add(LocalRow(Placement.Local(), ModelVariant.Default, localExec, defaultCost, localServes, localLoad));
        foreach (var cost in localLoad.Variants)
        {
            if (cost.Variant != localLoad.DefaultVariant)
            {
                servers.Add(LocalRow(Placement.Local(cost.Variant), cost.Variant, cost.ExecSeconds, cost, localServes, localLoad));
            }
        }

        for (var i = 0; i < Peers.Count; i++)
        {
            var peer = Peers[i];
            var load = peerLoads[i];
            var exec = load.TryGetExpectedExecSeconds(model, inputBytes, out var measured) ? measured : (referenceExec ?? 0.0) / load.ComputeSpeed;
            var uplink = peer.Link.ThroughputBitsPerSecond;
            var rtt = peer.Link.RoundTripSeconds;
            var own = peer.Traffic;

            // The energy from the same quantities the row carries (transfer = upload + download,
            // total = CompletionEstimate.Seconds of the row), so the row is built once, not copied.
            var transfer = CompletionEstimate.TransferSeconds(inputBytes, uplink) + CompletionEstimate.TransferSeconds(responseBytes, uplink);
            var total = CompletionEstimate.Seconds(inputBytes, responseBytes, uplink, uplink, rtt, exec, load.Running, load.Queued, load.MaxConcurrency, load.ResidualWorkSeconds);

            // The energy with this agent's own traffic: the times from the encoder's one rule
            // (ObservationEncoder.OwnTrafficOffloadSeconds, as the simulator's observation takes them).
            var state = new CandidateState
            {
                RoundTripSeconds = rtt, UplinkBitsPerSecond = uplink, DownlinkBitsPerSecond = uplink, ExpectedExecSeconds = exec,
                Running = load.Running, Queued = load.Queued, MaxConcurrency = load.MaxConcurrency, ResidualWorkSeconds = load.ResidualWorkSeconds,
                UploadBacklogSeconds = own.UploadBacklogSeconds, ArrivingTasks = own.ArrivingTasks, ArrivingWorkSeconds = own.ArrivingWorkSeconds,
            };
            ObservationEncoder.OwnTrafficOffloadSeconds(new TaskState(inputBytes, responseBytes, double.PositiveInfinity), state, out var radio, out var wait);
            servers.Add(new ServerObservation
            {
                Placement = Placement.Peer(peer.Name),
                Handle = peer,
                Kind = peer.Endpoint.Kind,
                Available = peer.IsAvailable && (load.ServesAnyModel || load.Models.Contains(model)),
                UplinkBitsPerSecond = uplink,
                DownlinkBitsPerSecond = uplink,
                RoundTripSeconds = rtt,
                ExpectedExecSeconds = exec,
                ComputeSpeed = load.ComputeSpeed,
                Executing = load.Running,
                Queued = load.Queued,
                MaxConcurrency = load.MaxConcurrency,
                ResidualWorkSeconds = load.ResidualWorkSeconds,
                ResidualWorkHistogram = load.ResidualWorkHistogram,
                HistogramBinSeconds = load.HistogramBinSeconds,
                OwnInFlight = peer.InFlight,
                UploadBacklogSeconds = own.UploadBacklogSeconds,
                ArrivingTasks = own.ArrivingTasks,
                ArrivingWorkSeconds = own.ArrivingWorkSeconds,
                EstimatedEnergyJoules = _energy.OffloadJoules(inputBytes, responseBytes, transfer, total - transfer),
                OwnTrafficEnergyJoules = _energy.OffloadJoules(inputBytes, responseBytes, radio, wait),
                EnergyProvenance = EnergyProvenance.Modelled,
            });
        }

        return new OffloadObservation(task, servers);
    }

    private ServerObservation LocalRow(Placement placement, string variant, double exec, LocalVariantCost? cost, bool available, LocalLoad load) => new()
    {
        Placement = placement,
        Kind = ServerKind.Local,
        Available = available,
        ExpectedExecSeconds = exec,
        ComputeSpeed = _localSpeed,
        Executing = load.Executing,
        Queued = load.Queued,
        MaxConcurrency = Math.Max(1, load.MaxConcurrency),
        ResidualWorkSeconds = load.ResidualWorkSeconds,
        ResidualWorkHistogram = load.ResidualWorkHistogram,
        HistogramBinSeconds = load.HistogramBinSeconds,
        EstimatedEnergyJoules = cost?.MeasuredEnergyJoules ?? _energy.LocalJoules(exec, variant),
        EnergyProvenance = cost?.MeasuredEnergyJoules is not null ? EnergyProvenance.Measured : _energy.LocalProvenance,
        AccuracyDropPoints = cost?.AccuracyDropPoints ?? 0.0,
    };
}
