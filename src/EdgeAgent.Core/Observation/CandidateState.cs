namespace EdgeAgent.Core.Observation;

/// <summary>
/// One placement candidate at decision time in raw SI quantities: what the agent profile's
/// <see cref="ObservationEncoder.WriteCandidate"/> turns into a row. The simulator fills it from
/// its state; <see cref="ObservationEncoder.Encode"/> fills it from a live
/// <c>ServerObservation</c> (<see cref="ObservationEncoder.ToCandidate"/>). A ref struct so residual
/// work can be handed over as spans without copying or allocating.
/// </summary>
public ref struct CandidateState
{
    /// <summary>True for a row of this device (any variant).</summary>
    public bool IsLocal { get; set; }

    /// <summary>True for a local row other than the default variant (int8, mixed, ...).</summary>
    public bool IsQuantizedVariant { get; set; }

    /// <summary>Accuracy loss against the float model, points (0 for peers and the default variant).</summary>
    public double AccuracyDropPoints { get; set; }

    /// <summary>Round-trip time, seconds (0 for local).</summary>
    public double RoundTripSeconds { get; set; }

    /// <summary>Uplink throughput, bits per second (+infinity for local: no transfer).</summary>
    public double UplinkBitsPerSecond { get; set; }

    /// <summary>Downlink throughput, bits per second (+infinity for local or not measured: no download term).</summary>
    public double DownlinkBitsPerSecond { get; set; }

    /// <summary>Expected execution time of the task's model on the candidate when alone, seconds.</summary>
    public double ExpectedExecSeconds { get; set; }

    /// <summary>Tasks executing on the candidate's executor.</summary>
    public int Running { get; set; }

    /// <summary>Tasks waiting in the candidate's queue.</summary>
    public int Queued { get; set; }

    /// <summary>Bounded concurrency of the candidate's executor (at least 1).</summary>
    public int MaxConcurrency { get; set; }

    /// <summary>Sum of residual work of running and queued tasks, seconds of execution on the candidate.</summary>
    public double ResidualWorkSeconds { get; set; }

    /// <summary>Residual work of each running and queued task, seconds (the simulator's exact form); binned directly.</summary>
    public ReadOnlySpan<double> ResidualSeconds { get; set; }

    /// <summary>Counts of tasks by residual work in bins of <see cref="HistogramBinSeconds"/>, last bin open-ended (the executors' report form).</summary>
    public ReadOnlySpan<double> ResidualHistogram { get; set; }

    /// <summary>Bin width of <see cref="ResidualHistogram"/>, seconds.</summary>
    public double HistogramBinSeconds { get; set; }

    /// <summary>This device's estimated energy if the task is placed here, joules (<c>DevicePowerTable</c>).</summary>
    public double EnergyJoules { get; set; }

    /// <summary>
    /// This device's estimated energy with the agent's own traffic, joules: for a peer the power table
    /// on <see cref="ObservationEncoder.OwnTrafficOffloadSeconds"/> (the wait for the link behind the
    /// agent's earlier uploads priced as radio time); for a local row equal to <see cref="EnergyJoules"/>.
    /// </summary>
    public double OwnTrafficEnergyJoules { get; set; }

    /// <summary>This agent's own requests sent to the candidate and not yet answered (0 for local rows).</summary>
    public int OwnInFlight { get; set; }

    /// <summary>Seconds until the candidate's link is through this agent's earlier uploads (0 for local rows).</summary>
    public double UploadBacklogSeconds { get; set; }

    /// <summary>This agent's requests on their way to the candidate (not yet in its queue counts).</summary>
    public int ArrivingTasks { get; set; }

    /// <summary>Expected execution seconds on the candidate of the <see cref="ArrivingTasks"/>.</summary>
    public double ArrivingWorkSeconds { get; set; }
}

/// <summary>The task being placed, in raw quantities (the agent profile's task columns).</summary>
/// <param name="RequestBytes">Bytes that travel to a peer if offloaded.</param>
/// <param name="ResponseBytes">Expected bytes of the response (0 when unknown).</param>
/// <param name="DeadlineSeconds">Time left until the deadline, seconds; +infinity (or NaN) when the task has none.</param>
public readonly record struct TaskState(long RequestBytes, long ResponseBytes, double DeadlineSeconds)
{
    /// <summary>True when the task has a finite deadline.</summary>
    public bool HasDeadline => double.IsFinite(DeadlineSeconds);

    /// <summary>
    /// This agent's own recent request arrival rate when the task arrived, requests per second
    /// (<see cref="OwnRequestRate.Arrive"/>; 0 when the producer does not measure it).
    /// </summary>
    public double OwnRequestsPerSecond { get; init; }

    /// <summary>
    /// This agent's own requests in flight (decided, not yet answered) that a later stage of their page
    /// follows, not counting this task (0 when the producer does not count them).
    /// </summary>
    public int OwnFollowedInFlight { get; init; }

    /// <summary>
    /// This agent's own requests that arrive with this task and are decided right after it (the rest of a
    /// fan-out, such as a page's other lines), not counting this task (0 when the producer does not know them).
    /// </summary>
    public int OwnBatchAfter { get; init; }
}
