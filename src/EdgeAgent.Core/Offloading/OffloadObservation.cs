namespace EdgeAgent.Core.Offloading;

/// <summary>The kind of server a placement candidate is.</summary>
public enum ServerKind
{
    /// <summary>This device.</summary>
    Local,

    /// <summary>A nearby edge server.</summary>
    Edge,

    /// <summary>A cloud server.</summary>
    Cloud,
}

/// <summary>The task to place: what the policy knows about one request before it runs.</summary>
/// <param name="Model">Model name as requested.</param>
/// <param name="InputBytes">Tensor bytes the request carries: what travels to a peer if offloaded (the message's framing aside).</param>
/// <param name="Deadline">Time left for this request, or null when the caller set none.</param>
public sealed record TaskObservation(string Model, long InputBytes, TimeSpan? Deadline)
{
    /// <summary>
    /// Expected bytes of the response that travel back from a peer (for example the model's mean
    /// response size so far); 0 when unknown, which makes the download term of the delay estimate 0.
    /// </summary>
    public long ExpectedResponseBytes { get; init; }

    /// <summary>
    /// This agent's own recent request arrival rate when this request arrived, requests per second
    /// (<c>EdgeAgent.Core.Observation.OwnRequestRate</c>, fed at every request's arrival); 0 when not measured.
    /// </summary>
    public double OwnRequestsPerSecond { get; init; }

    /// <summary>
    /// This agent's own requests in flight when this one was decided (decided, not yet answered; on the
    /// device or a peer) whose client said a later stage of the same page follows them (the live agent:
    /// the request parameter <c>edgeagent.followed</c>); 0 when not counted.
    /// </summary>
    public int OwnFollowedInFlight { get; init; }

    /// <summary>
    /// This agent's own requests that arrive together with this one and are decided right after it, as
    /// their client announced them (the live agent: the request parameter <c>edgeagent.batch_after</c>,
    /// the rest of a fan-out such as a page's other lines); 0 when not announced.
    /// </summary>
    public int OwnBatchAfter { get; init; }
}

/// <summary>
/// One placement candidate as the cluster view sees it at decision time. Quantities are in SI
/// units (seconds, bits per second, joules). The live agent fills these from measurements; the
/// simulator fills them from its state.
/// </summary>
public sealed record ServerObservation
{
    /// <summary>What choosing this candidate means.</summary>
    public required Placement Placement { get; init; }

    /// <summary>Local device, edge or cloud.</summary>
    public required ServerKind Kind { get; init; }

    /// <summary>False when the candidate cannot take work now (peer disconnected, model absent).</summary>
    public bool Available { get; init; } = true;

    /// <summary>Measured uplink throughput to the candidate; infinity for local.</summary>
    public double UplinkBitsPerSecond { get; init; } = double.PositiveInfinity;

    /// <summary>
    /// Measured downlink throughput from the candidate, bits per second; infinity for local and
    /// while not measured (the download term of the delay estimate is then 0).
    /// </summary>
    public double DownlinkBitsPerSecond { get; init; } = double.PositiveInfinity;

    /// <summary>Measured round-trip time to the candidate; 0 for local.</summary>
    public double RoundTripSeconds { get; init; }

    /// <summary>Measured mean execution time of this task's model on the candidate when alone.</summary>
    public double ExpectedExecSeconds { get; init; }

    /// <summary>Relative compute speed (1 = reference); informational for policies.</summary>
    public double ComputeSpeed { get; init; } = 1.0;

    /// <summary>Tasks executing on the candidate now.</summary>
    public int Executing { get; init; }

    /// <summary>Tasks waiting in the candidate's queue now.</summary>
    public int Queued { get; init; }

    /// <summary>Bounded concurrency of the candidate's executor (at least 1).</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Sum of residual work (seconds of execution) of queued and running tasks.</summary>
    public double ResidualWorkSeconds { get; init; }

    /// <summary>Counts of queued and running tasks by residual work, in bins of <see cref="HistogramBinSeconds"/>; last bin open-ended.</summary>
    public IReadOnlyList<double> ResidualWorkHistogram { get; init; } = [];

    /// <summary>Width of one histogram bin in seconds of work.</summary>
    public double HistogramBinSeconds { get; init; }

    /// <summary>Energy this device spends if the task is placed here, in joules (execution for local, radio for offload).</summary>
    public double EstimatedEnergyJoules { get; init; }

    /// <summary>
    /// Where <see cref="EstimatedEnergyJoules"/> comes from: measured (a power sensor, directly or
    /// through the variant's profile on this device) or modelled (a device power table, a radio model).
    /// </summary>
    public EnergyProvenance EnergyProvenance { get; init; } = EnergyProvenance.Modelled;

    /// <summary>
    /// Energy this device spends if the task is placed here counting this agent's own traffic, joules:
    /// for a peer, radio power also while the upload waits for the link behind the agent's earlier
    /// uploads (<see cref="UploadBacklogSeconds"/>) and waiting power for the rest of the own-traffic
    /// delay estimate (<c>ObservationEncoder.OwnTrafficOffloadSeconds</c>), as the Dispatcher prices the
    /// finished offload. Null (producers that do not compute it): <see cref="EstimatedEnergyJoules"/>,
    /// which is the same for local rows and for a peer without own traffic.
    /// </summary>
    public double? OwnTrafficEnergyJoules { get; init; }

    /// <summary>Accuracy loss of the variant against the float model, in points (0 for peers and the float model).</summary>
    public double AccuracyDropPoints { get; init; }

    /// <summary>
    /// This agent's own requests sent to the candidate and not yet answered (uploading, at the peer or
    /// on their way back); 0 for local rows (the device's executor reports all its jobs itself).
    /// </summary>
    public int OwnInFlight { get; init; }

    /// <summary>
    /// Seconds until the link to the candidate is through this agent's earlier uploads (its estimated
    /// busy-until minus now, by the uplink estimate at each send); 0 for local rows and an idle link.
    /// </summary>
    public double UploadBacklogSeconds { get; init; }

    /// <summary>
    /// This agent's requests sent to the candidate whose estimated arrival there (end of their upload
    /// + half the round trip) is still ahead: jobs the peer's load report cannot show yet. 0 for local rows.
    /// </summary>
    public int ArrivingTasks { get; init; }

    /// <summary>Expected execution seconds on the candidate of the <see cref="ArrivingTasks"/> (as estimated when each was sent).</summary>
    public double ArrivingWorkSeconds { get; init; }

    /// <summary>
    /// What carries out this candidate, for the code that built the observation (the live agent puts
    /// the peer's connection here, so executing a decision needs no second lookup); null when the
    /// placement itself says enough. Policies and encoders ignore it.
    /// </summary>
    public object? Handle { get; init; }
}

/// <summary>Everything a policy sees for one decision.</summary>
public sealed record OffloadObservation(TaskObservation Task, IReadOnlyList<ServerObservation> Servers)
{
    /// <summary>The candidate a policy's <paramref name="placement"/> chose, or null when it is not one of <see cref="Servers"/>.</summary>
    public ServerObservation? Candidate(Placement placement)
    {
        foreach (var server in Servers)
        {
            if (server.Placement == placement)
            {
                return server;
            }
        }

        return null;
    }
}
