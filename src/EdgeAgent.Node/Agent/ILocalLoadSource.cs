using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Node.Agent;

/// <summary>The local executor as the cluster view sees it: which models run here and how busy it is.</summary>
public interface ILocalLoadSource
{
    /// <summary>True when this device can run <paramref name="model"/>.</summary>
    bool Serves(string model);

    /// <summary>The executor's load now and what it knows of <paramref name="model"/>'s cost; a read, no I/O.</summary>
    LocalLoad GetLoad(string model);

    /// <summary>
    /// The expected execution seconds of the model's default variant here for a request of
    /// <paramref name="inputBytes"/> of input (tensor data), from the executor's recent runs
    /// (<see cref="EdgeAgent.Inference.Execution.ExecTimeEstimate"/>); null before the first run or
    /// when the source does not estimate by size (then <see cref="LocalLoad.MeanExecSeconds"/> is the estimate).
    /// A read; no I/O, no allocation.
    /// </summary>
    double? ExpectedExecSeconds(string model, long inputBytes) => null;
}

/// <summary>A snapshot of the local executor for one model.</summary>
public sealed record LocalLoad
{
    /// <summary>Tasks executing now.</summary>
    public int Executing { get; init; }

    /// <summary>Tasks queued now.</summary>
    public int Queued { get; init; }

    /// <summary>Bounded concurrency (at least 1).</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>Residual work of queued and running tasks, in seconds.</summary>
    public double ResidualWorkSeconds { get; init; }

    /// <summary>Counts by residual work, bins of <see cref="HistogramBinSeconds"/>.</summary>
    public IReadOnlyList<double> ResidualWorkHistogram { get; init; } = [];

    /// <summary>Histogram bin width in seconds.</summary>
    public double HistogramBinSeconds { get; init; }

    /// <summary>Measured mean execution seconds of the model's default variant here, null before the first run.</summary>
    public double? MeanExecSeconds { get; init; }

    /// <summary>The variant that runs when none is named ("fp32" when model.onnx exists).</summary>
    public string DefaultVariant { get; init; } = ModelVariant.Fp32;

    /// <summary>
    /// Variants offered with profile figures for this device, the default one first when it is
    /// profiled (<see cref="LocalVariantProfiles"/>); empty when the model has no usable profile.
    /// </summary>
    public IReadOnlyList<LocalVariantCost> Variants { get; init; } = [];
}
