namespace EdgeAgent.Learning.Simulation.Agent.Calibration;

/// <summary>
/// What calibration reads of one request the agent served (a row of the durable decision log):
/// when it finished, what it carried, what the policy saw (features in the log's layout, one row
/// per candidate in <see cref="Candidates"/> order) and what happened (where it ran, its measured
/// times and this device's energy).
/// </summary>
public sealed record LoggedRequest
{
    /// <summary>When the agent recorded the outcome (the reply).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Model name.</summary>
    public required string Model { get; init; }

    /// <summary>Request tensor bytes.</summary>
    public long InputBytes { get; init; }

    /// <summary>Placements of the observation's candidates, in row order ("local", "local:int8", "peer:edge").</summary>
    public required IReadOnlyList<string> Candidates { get; init; }

    /// <summary>Observation features, [rows, feature count] row-major, in the log's layout.</summary>
    public required float[] Features { get; init; }

    /// <summary>Presence of each row (1 present, 0 absent: an unavailable candidate's row holds no measurements).</summary>
    public required float[] Mask { get; init; }

    /// <summary>Where it ran.</summary>
    public required string RanAt { get; init; }

    /// <summary>Preference used (delay weight).</summary>
    public double DelayWeight { get; init; }

    /// <summary>End-to-end time in the agent, s.</summary>
    public double DelaySeconds { get; init; }

    /// <summary>Queue wait where it ran, s.</summary>
    public double QueueSeconds { get; init; }

    /// <summary>Wire time of an offload (peer call minus the peer's queue and exec), s; 0 locally.</summary>
    public double TransferSeconds { get; init; }

    /// <summary>Execution time where it ran, s.</summary>
    public double ExecSeconds { get; init; }

    /// <summary>This device's compute energy, J.</summary>
    public double ComputeJoules { get; init; }

    /// <summary>This device's radio (and waiting) energy, J.</summary>
    public double RadioJoules { get; init; }

    /// <summary>The peer the policy chose that failed or was late, so the request ran on the device (null: none).</summary>
    public string? FallbackFrom { get; init; }

    /// <summary>False when the request failed.</summary>
    public bool Success { get; init; } = true;

    /// <summary>The device's energy for this request, J.</summary>
    public double EnergyJoules => ComputeJoules + RadioJoules;

    /// <summary>True when it ran on a peer.</summary>
    public bool Offloaded => RanAt.StartsWith("peer:", StringComparison.Ordinal);

    /// <summary>When the request arrived (reply time minus delay).</summary>
    public DateTimeOffset ArrivedAt => Timestamp - TimeSpan.FromSeconds(Math.Max(0, DelaySeconds));
}
