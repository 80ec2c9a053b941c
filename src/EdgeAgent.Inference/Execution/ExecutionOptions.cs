using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Inference.Execution;

/// <summary>Graph optimisation level of ONNX Runtime sessions.</summary>
public enum GraphOptimization
{
    /// <summary>No graph optimisation.</summary>
    Disabled,
    /// <summary>Basic (constant folding, redundant node removal).</summary>
    Basic,
    /// <summary>Basic plus extended fusions.</summary>
    Extended,
    /// <summary>Everything, including layout optimisations (ONNX Runtime's default).</summary>
    All,
}

/// <summary>
/// How the local executor runs ONNX Runtime sessions; bound from the "Execution" configuration
/// section (for example <c>Execution__MaxConcurrency=2</c> in the environment).
/// </summary>
public sealed class ExecutionOptions : IValidatableObject
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Execution";

    /// <summary>Threads ONNX Runtime uses inside one operator; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 256, ErrorMessage = "Execution:IntraOpThreads must be between 0 (ONNX Runtime decides) and 256.")]
    public int IntraOpThreads { get; set; }

    /// <summary>Threads ONNX Runtime uses across independent operators; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 256, ErrorMessage = "Execution:InterOpThreads must be between 0 (ONNX Runtime decides) and 256.")]
    public int InterOpThreads { get; set; }

    /// <summary>
    /// Session config <c>session.intra_op.allow_spinning</c>. Off by default: on small shared
    /// machines spinning threads steal the cores the work needs.
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>Graph optimisation level applied when sessions are created.</summary>
    public GraphOptimization GraphOptimization { get; set; } = GraphOptimization.All;

    /// <summary>Requests executing at once.</summary>
    /// <summary>
    /// Largest total size of one run's outputs, in bytes. A request whose outputs would be larger
    /// (known before the run from the model's fixed and input-named dimensions) is refused with
    /// RESOURCE_EXHAUSTED before ONNX Runtime allocates them; outputs whose size only the run
    /// tells are checked after it, and such models give their memory back after every run.
    /// </summary>
    [Range(1024, 1L << 31, ErrorMessage = "Execution:MaxOutputBytes must be between 1024 and 2147483648 bytes.")]
    public long MaxOutputBytes { get; set; } = 128L * 1024 * 1024;

    [Range(1, 1024, ErrorMessage = "Execution:MaxConcurrency must be between 1 and 1024.")]
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>Requests allowed to wait for a slot; one more is refused with RESOURCE_EXHAUSTED.</summary>
    [Range(0, 1_000_000, ErrorMessage = "Execution:QueueCapacity must be between 0 and 1000000.")]
    public int QueueCapacity { get; set; } = 64;

    /// <summary>
    /// Emulated relative compute speed: below 1 the executor holds the slot for exec/factor,
    /// so the node behaves like a slower device (used by the demo's emulated peers).
    /// </summary>
    [Range(0.001, 1.0, ErrorMessage = "Execution:ComputeSpeedFactor must be in (0, 1]; 1 means no emulated slow-down.")]
    public double ComputeSpeedFactor { get; set; } = 1.0;

    /// <summary>
    /// What <see cref="ComputeSpeedFactor"/> divides: <see cref="EmulationClock.Wall"/> (the default) the
    /// run's wall time, so whatever slows the run on this machine is stretched by 1/factor too;
    /// <see cref="EmulationClock.ThreadCpu"/> the CPU time of the thread that ran it (Linux, with
    /// IntraOpThreads = 1 so ONNX Runtime computes on that thread; elsewhere the wall time): an
    /// emulated device with a CPU of its own, which other nodes sharing this machine's cores do not
    /// slow (the slot is held for max(wall, cpu / factor)). The demo's emulated nodes use it.
    /// </summary>
    public EmulationClock SpeedFactorClock { get; set; } = EmulationClock.Wall;

    /// <summary>Width of one residual-work histogram bin, in milliseconds.</summary>
    [Range(0.001, 3_600_000, ErrorMessage = "Execution:HistogramBinMs must be a positive number of milliseconds.")]
    public double HistogramBinMs { get; set; } = 10;

    /// <summary>Number of residual-work histogram bins; the last is open-ended.</summary>
    [Range(1, 1024, ErrorMessage = "Execution:HistogramBins must be between 1 and 1024.")]
    public int HistogramBins { get; set; } = 16;

    /// <summary>Window over which the service rate (completions per second) is measured.</summary>
    [Range(0.1, 3600, ErrorMessage = "Execution:ServiceRateWindowSeconds must be between 0.1 and 3600.")]
    public double ServiceRateWindowSeconds { get; set; } = 10;

    /// <summary>Shortest idle-probe interval above 0, in seconds.</summary>
    public const double MinIdleProbeIntervalSeconds = 1;

    /// <summary>Longest idle-probe interval, in seconds (one day).</summary>
    public const double MaxIdleProbeIntervalSeconds = 86_400;

    /// <summary>
    /// Idle-time execution probes (<see cref="LocalExecutor.ProbeIdleAsync"/>): when the executor is
    /// idle, a model variant whose execution estimate has taken no run for this many seconds runs
    /// a retained recent input of its own once, so an estimate refreshed only by use cannot stay
    /// stale for good. 0 switches probes off; otherwise 1 to 86400. At most
    /// <see cref="LocalExecutor.ProbesPerInterval"/> probes start per interval over all model
    /// variants together, and only while nothing else runs: with the default of 30 s, at most one
    /// run every 10 s (the demo's OCR models: 5-90 ms each on the board).
    /// </summary>
    public double IdleProbeIntervalSeconds { get; set; } = 30;

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!double.IsFinite(IdleProbeIntervalSeconds) || (IdleProbeIntervalSeconds != 0
            && (IdleProbeIntervalSeconds < MinIdleProbeIntervalSeconds || IdleProbeIntervalSeconds > MaxIdleProbeIntervalSeconds)))
        {
            yield return new ValidationResult(
                $"Execution:IdleProbeIntervalSeconds is {IdleProbeIntervalSeconds}; use 0 (no idle-time execution probes) or {MinIdleProbeIntervalSeconds} to {MaxIdleProbeIntervalSeconds} seconds.",
                [nameof(IdleProbeIntervalSeconds)]);
        }
    }
}

/// <summary>The time an emulated slow-down (<see cref="ExecutionOptions.ComputeSpeedFactor"/>) stretches.</summary>
public enum EmulationClock
{
    /// <summary>The run's wall time.</summary>
    Wall,

    /// <summary>The CPU time of the thread that ran the model (wall time where it cannot be read).</summary>
    ThreadCpu,
}
