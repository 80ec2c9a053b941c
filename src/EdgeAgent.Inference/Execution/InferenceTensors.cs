using EdgeAgent.Inference.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Execution;

/// <summary>
/// One input handed to the executor: raw little-endian row-major data of the stated type and
/// shape. The executor pins <see cref="Data"/> and runs on it without copying (it copies only
/// when the memory is not array-backed or not aligned for the element type).
/// </summary>
/// <param name="Name">Model input name.</param>
/// <param name="DataType">Element type.</param>
/// <param name="Shape">Concrete shape.</param>
/// <param name="Data">Exactly elements x element-size bytes.</param>
public sealed record InferenceInput(string Name, TensorDataType DataType, long[] Shape, ReadOnlyMemory<byte> Data);

/// <summary>One output of a run, valid until its <see cref="InferenceResult"/> is disposed.</summary>
public sealed class InferenceOutput
{
    private readonly OrtValue? _value;
    private readonly byte[]? _bytes;
    private readonly int _length;

    internal InferenceOutput(string name, OrtValue value)
    {
        Name = name;
        _value = value;
        var info = value.GetTensorTypeAndShape();
        DataType = TensorDataTypes.FromOnnx(info.ElementDataType);
        Shape = info.Shape;
    }

    // One request's rows of a batched output, copied into a pooled array its result returns.
    internal InferenceOutput(string name, TensorDataType dataType, long[] shape, byte[] bytes, int length)
    {
        Name = name;
        DataType = dataType;
        Shape = shape;
        _bytes = bytes;
        _length = length;
    }

    /// <summary>Output name.</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public TensorDataType DataType { get; }

    /// <summary>Concrete shape.</summary>
    public long[] Shape { get; }

    /// <summary>The raw bytes (row-major, little-endian), owned by ONNX Runtime.</summary>
    public ReadOnlySpan<byte> Data => _value is not null ? _value.GetTensorMutableRawData() : _bytes.AsSpan(0, _length);
}

/// <summary>The outputs and timings of one run; dispose to release the native output buffers.</summary>
public sealed class InferenceResult : IDisposable
{
    private readonly IDisposable? _owner;

    internal InferenceResult(IReadOnlyList<InferenceOutput> outputs, IDisposable? owner, string variant, TimeSpan queueTime, TimeSpan execTime)
    {
        Outputs = outputs;
        _owner = owner;
        Variant = variant;
        QueueTime = queueTime;
        ExecTime = execTime;
    }

    /// <summary>Outputs in the requested order (all model outputs when none were requested).</summary>
    public IReadOnlyList<InferenceOutput> Outputs { get; }

    /// <summary>Variant that ran.</summary>
    public string Variant { get; }

    /// <summary>Time spent waiting for an execution slot.</summary>
    public TimeSpan QueueTime { get; }

    /// <summary>Time the slot was held (includes the emulated slow-down of ComputeSpeedFactor); for a batched request, the whole batch's run.</summary>
    public TimeSpan ExecTime { get; }

    /// <summary>Requests in the ONNX Runtime run that produced these outputs (1 unless dynamically batched).</summary>
    public int BatchSize { get; init; } = 1;

    /// <inheritdoc />
    public void Dispose() => _owner?.Dispose();
}

/// <summary>The executor's queue is full; the request was refused without running (<see cref="InferenceError.ResourceExhausted"/>).</summary>
public sealed class ExecutorQueueFullException : InferenceException
{
    /// <summary>Creates the exception.</summary>
    public ExecutorQueueFullException(string message) : base(InferenceError.ResourceExhausted, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public ExecutorQueueFullException() : base(InferenceError.ResourceExhausted, "The executor is full; retry later.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public ExecutorQueueFullException(string message, Exception innerException) : base(InferenceError.ResourceExhausted, message, innerException)
    {
    }
}

/// <summary>Per-model load figures in a <see cref="LoadSnapshot"/>.</summary>
/// <param name="Name">Model name.</param>
/// <param name="Version">Served version.</param>
/// <param name="Variant">Variant.</param>
/// <param name="MeanExecMs">Mean measured execution time per request in milliseconds (0 before the first run; robust and recency-weighted over the last runs, <see cref="ExecTimeEstimate"/>); a batched run's time is shared evenly by its requests.</param>
/// <param name="MeanQueueMs">Mean measured queue wait in milliseconds.</param>
/// <param name="Completed">Runs completed.</param>
/// <param name="Failed">Runs that failed.</param>
public sealed record ModelLoadStats(string Name, string Version, string Variant, double MeanExecMs, double MeanQueueMs, long Completed, long Failed)
{
    /// <summary>ONNX Runtime runs that completed them: fewer than <see cref="Completed"/> when requests were batched (mean batch = Completed / Runs).</summary>
    public long Runs { get; init; }

    /// <summary>Execution time as a line in the input size (<see cref="ExecTimeLine.None"/> until enough runs of different sizes).</summary>
    public ExecTimeLine ExecLine { get; init; }
}

/// <summary>One idle-time execution probe that ran (<see cref="LocalExecutor.ProbeIdleAsync"/>).</summary>
/// <param name="Model">The model.</param>
/// <param name="Variant">The variant that ran.</param>
/// <param name="InputBytes">Its input, bytes.</param>
/// <param name="ExecTime">The time the slot was held (with the emulated slow-down, as for a request); for a cancelled probe, until it gave way.</param>
public sealed record ExecutionProbe(string Model, string Variant, long InputBytes, TimeSpan ExecTime)
{
    /// <summary>True when a request arrived and the probe gave way before it ended (nothing recorded in the estimate).</summary>
    public bool Cancelled { get; init; }
}

/// <summary>
/// The executor's queued and running work at one instant. Residual work of a running task is its
/// expected execution time minus the time it has run (at least 0); of a queued task its full
/// expected time. Expected time is its model variant's estimate for its input size (<see cref="ExecTimeEstimate.ExpectedMs"/>).
/// </summary>
public sealed record LoadSnapshot
{
    /// <summary>When the snapshot was taken.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Requests waiting for a slot.</summary>
    public required int Queued { get; init; }

    /// <summary>Requests executing.</summary>
    public required int Running { get; init; }

    /// <summary>Width of one histogram bin in milliseconds.</summary>
    public required double HistogramBinMs { get; init; }

    /// <summary>Counts of queued and running tasks by residual work; the last bin is open-ended.</summary>
    public required IReadOnlyList<int> ResidualWorkHistogram { get; init; }

    /// <summary>Sum of residual work of all queued and running tasks in milliseconds.</summary>
    public required double TotalResidualWorkMs { get; init; }

    /// <summary>Completions per second over the recent window.</summary>
    public required double ServiceRatePerSecond { get; init; }

    /// <summary>Execution slots.</summary>
    public required int MaxConcurrency { get; init; }

    /// <summary>Queue capacity.</summary>
    public required int QueueCapacity { get; init; }

    /// <summary>Per model and variant figures.</summary>
    public required IReadOnlyList<ModelLoadStats> Models { get; init; }
}
