namespace EdgeAgent.Core.Offloading;

/// <summary>The outcome of one request as the agent's dispatcher recorded it: what the policy saw and decided, where the request ran, and what it cost.</summary>
/// <param name="Timestamp">When the request finished (TimeProvider clock).</param>
/// <param name="Model">Requested model.</param>
/// <param name="InputBytes">Serialized request size.</param>
/// <param name="Decided">What the policy chose.</param>
/// <param name="RanAt">Where the request finally ran ("local" after a fallback).</param>
/// <param name="FallbackFrom">The peer that failed or was late, or null.</param>
/// <param name="Preference">The preference the decision used.</param>
/// <param name="DelaySeconds">Measured end-to-end delay inside the agent.</param>
/// <param name="QueueSeconds">Queue time reported by the executor that ran it.</param>
/// <param name="ExecSeconds">Execution time reported by the executor that ran it.</param>
/// <param name="Energy">This device's energy for what actually ran (compute and radio, with provenance).</param>
/// <param name="Success">False when the request failed everywhere.</param>
/// <param name="Observation">What the policy saw.</param>
public sealed record DecisionRecord(
    DateTimeOffset Timestamp,
    string Model,
    long InputBytes,
    Placement Decided,
    Placement RanAt,
    string? FallbackFrom,
    Preference Preference,
    double DelaySeconds,
    double QueueSeconds,
    double ExecSeconds,
    TaskEnergy Energy,
    bool Success,
    OffloadObservation Observation)
{
    /// <summary>
    /// Seconds the peer call that answered spent outside the peer's queue and execution (wire time
    /// including round trips: elapsed minus the peer's reported queue and exec times); 0 when the
    /// request ran locally.
    /// </summary>
    public double TransferSeconds { get; init; }

    /// <summary>The gRPC status code the caller got (0 = OK).</summary>
    public int StatusCode { get; init; }
}
