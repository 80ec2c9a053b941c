using EdgeAgent.Inference.Execution;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// What the agent last heard from one peer: its load report and capabilities. Immutable; the
/// <see cref="PeerConnection"/> swaps in a new instance per report, so reading it is free.
/// </summary>
public sealed record PeerLoad
{
    /// <summary>Nothing heard yet.</summary>
    public static PeerLoad Unknown { get; } = new();

    /// <summary>True while the load stream is open and the last call to the peer did not fail.</summary>
    public bool Connected { get; init; }

    /// <summary>
    /// When the last report came (0 before the first), on the receiving connection's clock of observed
    /// time (<see cref="PeerConnection.Lag"/>: TimeProvider timestamps less the time the agent was not
    /// running). A TimeProvider timestamp given to <see cref="PeerConnection.ApplyLoad"/> reads as at
    /// least as fresh as it is.
    /// </summary>
    public long ReceivedTimestamp { get; init; }

    /// <summary>Tasks waiting in the peer's queue.</summary>
    public int Queued { get; init; }

    /// <summary>Tasks executing on the peer.</summary>
    public int Running { get; init; }

    /// <summary>The peer executor's bounded concurrency (at least 1).</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Residual work of all queued and running tasks, in seconds of execution.</summary>
    public double ResidualWorkSeconds { get; init; }

    /// <summary>Counts of tasks by residual work, bins of <see cref="HistogramBinSeconds"/>.</summary>
    public IReadOnlyList<double> ResidualWorkHistogram { get; init; } = [];

    /// <summary>Histogram bin width in seconds.</summary>
    public double HistogramBinSeconds { get; init; }

    /// <summary>Completed tasks per second over the peer's recent window.</summary>
    public double ServiceRatePerSecond { get; init; }

    /// <summary>True for a plain Open Inference Protocol peer (no PeerService): it may serve any model.</summary>
    public bool ServesAnyModel { get; init; }

    /// <summary>Models the peer serves (from its capabilities and load reports).</summary>
    public IReadOnlySet<string> Models { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Measured mean execution seconds per model on the peer (absent when unknown).</summary>
    public IReadOnlyDictionary<string, double> MeanExecSeconds { get; init; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>
    /// Execution time per model on the peer as a line in the request's input bytes, fitted by the
    /// peer on its recent runs (absent when the peer has too few runs of different sizes, or for a
    /// peer group).
    /// </summary>
    public IReadOnlyDictionary<string, ExecTimeLine> ExecLines { get; init; } = new Dictionary<string, ExecTimeLine>(StringComparer.Ordinal);

    /// <summary>
    /// The expected execution seconds on the peer of a request for <paramref name="model"/> with
    /// <paramref name="inputBytes"/> of input: the peer's line at that size when it sent one, else its
    /// mean; false when the peer has not measured the model. A read; allocates nothing.
    /// </summary>
    public bool TryGetExpectedExecSeconds(string model, long inputBytes, out double seconds)
    {
        if (!MeanExecSeconds.TryGetValue(model, out var mean))
        {
            seconds = 0;
            return false;
        }

        seconds = ExecLines.TryGetValue(model, out var line) && line.At(inputBytes) is { } ms ? Math.Max(ms / 1000.0, 0.1 * mean) : mean;
        return true;
    }

    /// <summary>Compute speed the peer declares (1 = reference).</summary>
    public double ComputeSpeed { get; init; } = 1.0;

    /// <summary>Load reports received over the connection's lifetime.</summary>
    public long Reports { get; init; }

    /// <summary>Times the load stream was (re)established.</summary>
    public int Connects { get; init; }
}
