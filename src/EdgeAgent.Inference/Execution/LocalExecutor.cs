using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Tensors;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Execution;

/// <summary>
/// Runs requests on the catalog's ONNX Runtime sessions with bounded concurrency and a bounded
/// queue, and measures what it does: per model and variant mean execution and queue time, the
/// service rate, and the residual work of everything queued or running (<see cref="GetLoadSnapshot"/>).
/// Thread-safe; one instance per node.
/// </summary>
public sealed partial class LocalExecutor : IDisposable
{
    private readonly ExecutionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly Lock _lock = new();
    private readonly HashSet<WorkItem> _work = [];
    private readonly Dictionary<(string Model, long Version, string Variant), ModelStats> _stats = [];
    private readonly Queue<long> _completions = new();
    private readonly long _startedAt;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ServedModel, DynamicBatcher<BatchRequest, InferenceResult>> _batchers = new();
    private int _queued;
    private int _running;
    // The idle-time execution probe running now (null when none): cancelled when a request is admitted.
    private WorkItem? _probe;
    private CancellationTokenSource? _probeCancel;
    private long? _lastProbeAt;

    /// <summary>Creates an executor over <paramref name="catalog"/>.</summary>
    public LocalExecutor(ModelCatalog catalog, ExecutionOptions options, TimeProvider? timeProvider = null, ILogger<LocalExecutor>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        Catalog = catalog;
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _startedAt = _time.GetTimestamp();
    }

    /// <summary>The served models.</summary>
    public ModelCatalog Catalog { get; }

    /// <summary>Execution slots.</summary>
    public int MaxConcurrency => _options.MaxConcurrency;

    /// <summary>Requests that may wait for a slot.</summary>
    public int QueueCapacity => _options.QueueCapacity;

    /// <summary>Emulated relative compute speed (1 = this machine).</summary>
    public double ComputeSpeedFactor => _options.ComputeSpeedFactor;

    /// <summary>The calling thread's CPU time so far (null where it cannot be read); a seam for tests.</summary>
    internal Func<TimeSpan?> ThreadCpuTime { get; init; } = ThreadCpuClock.Now;

    // The CPU clock reading before a run when the emulation stretches CPU time, else null.
    private TimeSpan? CpuMark() =>
        _options.ComputeSpeedFactor < 1.0 && _options.SpeedFactorClock == EmulationClock.ThreadCpu ? ThreadCpuTime() : null;

    // How much longer the slot is held after a run of wall time `exec` to emulate a device at
    // ComputeSpeedFactor: (exec or the run's thread CPU time) / factor - exec, never negative.
    private TimeSpan EmulatedExtra(TimeSpan exec, TimeSpan? cpuBefore)
    {
        var basis = cpuBefore is { } before && ThreadCpuTime() is { } after && after >= before ? after - before : exec;
        var extra = (basis / _options.ComputeSpeedFactor) - exec;
        return extra > TimeSpan.Zero ? extra : TimeSpan.Zero;
    }

    /// <summary>
    /// Runs <paramref name="inputs"/> on <paramref name="variant"/> of <paramref name="model"/>
    /// (<see cref="ModelVariant.IsDefault"/>: the default variant) and returns the requested outputs (all when
    /// <paramref name="outputNames"/> is null or empty). Inputs must already be validated against
    /// the model's metadata. Dispose the result.
    /// </summary>
    /// <exception cref="ExecutorQueueFullException">All slots are busy and the queue is full.</exception>
    /// <exception cref="ArgumentException">The variant is not served.</exception>
    /// <exception cref="ModelLoadException">The variant's session could not be created (first use); the message names the variant and its file.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while queued or running.</exception>
    /// <exception cref="InferenceException">ONNX Runtime failed the run: <see cref="InferenceError.InvalidArgument"/>
    /// when the model refused the inputs, <see cref="InferenceError.Internal"/> otherwise.</exception>
    public async Task<InferenceResult> RunAsync(
        ServedModel model,
        string? variant,
        IReadOnlyList<InferenceInput> inputs,
        IReadOnlyList<string>? outputNames,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        return await RunSessionAsync(model, model.GetSession(variant), inputs, outputNames, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs <paramref name="inputs"/> on <paramref name="session"/>, a session of
    /// <paramref name="model"/> the caller already resolved (<see cref="ServedModel.GetSession"/>), as
    /// <see cref="RunAsync(ServedModel, string?, IReadOnlyList{InferenceInput}, IReadOnlyList{string}?, CancellationToken)"/> does.
    /// </summary>
    /// <exception cref="ExecutorQueueFullException">All slots are busy and the queue is full.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while queued or running.</exception>
    /// <exception cref="InferenceException">ONNX Runtime failed the run (InvalidArgument or Internal).</exception>
    public async Task<InferenceResult> RunSessionAsync(
        ServedModel model,
        ModelSession session,
        IReadOnlyList<InferenceInput> inputs,
        IReadOnlyList<string>? outputNames,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(inputs);
        if (model.Batching is not null && BatchItems(model, inputs) is { } items)
        {
            return await RunBatchedAsync(model, session, inputs, outputNames, items, cancellationToken).ConfigureAwait(false);
        }

        var result = await RunAloneAsync(Admit(model, session, InputBytes(inputs)), model, session, inputs, outputNames, cancellationToken).ConfigureAwait(false);
        if (_options.IdleProbeIntervalSeconds > 0)
        {
            Retain(model, session, inputs, outputNames);
        }

        return result;
    }

    private async Task<InferenceResult> RunAloneAsync(
        WorkItem item,
        ServedModel model,
        ModelSession session,
        IReadOnlyList<InferenceInput> inputs,
        IReadOnlyList<string>? outputNames,
        CancellationToken cancellationToken)
    {
        var acquired = false;
        var succeeded = false;
        try
        {
            await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            acquired = true;
            var startedAt = _time.GetTimestamp();
            var queueTime = _time.GetElapsedTime(item.EnqueuedAt, startedAt);
            lock (_lock)
            {
                _queued--;
                _running++;
                item.StartedAt = startedAt;
            }

            RunOutputs result;
            var cpuBefore = CpuMark();
            try
            {
                result = Execute(model.Name, session, inputs, outputNames, _options.MaxOutputBytes, cancellationToken);
            }
            catch (OnnxRuntimeException ex) when (IsInputRejection(ex))
            {
                // Metadata cannot express every constraint (two dynamic dims that must agree, index
                // ranges): the model refused these inputs, so the caller's request is at fault.
                throw new InferenceException(InferenceError.InvalidArgument, $"Model '{model.Name}' rejected the inputs: {OnnxRuntimeErrors.ForCaller(ex.Message)}", ex);
            }
            catch (OnnxRuntimeException ex)
            {
                Log.RunFailed(_logger, model.Name, session.Variant, ex);
                throw new InferenceException(InferenceError.Internal, $"ONNX Runtime failed to run model '{model.Name}': {OnnxRuntimeErrors.ForCaller(ex.Message)}", ex);
            }

            try
            {
                if (_options.ComputeSpeedFactor < 1.0)
                {
                    // Emulate a slower device: hold the slot for exec / factor in total (the run's CPU
                    // time / factor with SpeedFactorClock = ThreadCpu).
                    var extra = EmulatedExtra(_time.GetElapsedTime(startedAt), cpuBefore);
                    if (extra > TimeSpan.Zero)
                    {
                        await Task.Delay(extra, _time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch
            {
                result.Dispose();
                throw;
            }

            var execTime = _time.GetElapsedTime(startedAt);
            succeeded = true;
            Complete([item], [queueTime], execTime);
            return new InferenceResult(result.Outputs, result, session.Variant, queueTime, execTime);
        }
        finally
        {
            Release(item, acquired, succeeded);
        }
    }

    // Items along the first dimension when every input has the same one and it is below the model's
    // max_batch_size (a request already that large runs alone); null when the request cannot batch.
    private static int? BatchItems(ServedModel model, IReadOnlyList<InferenceInput> inputs)
    {
        if (inputs.Count == 0 || inputs[0].Shape.Length == 0)
        {
            return null;
        }

        var items = inputs[0].Shape[0];
        foreach (var input in inputs)
        {
            if (input.Shape.Length == 0 || input.Shape[0] != items)
            {
                return null;
            }
        }

        return items >= 1 && items < model.MaxBatchSize ? (int)items : null;
    }

    private async Task<InferenceResult> RunBatchedAsync(ServedModel model, ModelSession session, IReadOnlyList<InferenceInput> inputs, IReadOnlyList<string>? outputNames, int items, CancellationToken cancellationToken)
    {
        var batcher = _batchers.GetOrAdd(model, m => new DynamicBatcher<BatchRequest, InferenceResult>(
            m.MaxBatchSize,
            m.Batching!.MaxQueueDelay,
            _time,
            r => r.Items,
            ct => _slots.WaitAsync(ct),
            () => _slots.Release(),
            batch => RunBatchAsync(m, batch)));
        var item = Admit(model, session, InputBytes(inputs));
        var succeeded = false;
        try
        {
            var result = await batcher.RunAsync(LaneKey(session, inputs, outputNames), new BatchRequest(item, session, inputs, outputNames, items), cancellationToken).ConfigureAwait(false);
            succeeded = true;
            return result;
        }
        finally
        {
            Release(item, acquired: false, succeeded);
        }
    }

    // Requests of one lane concatenate along the first dimension: same variant, outputs, and
    // inputs of the same names, datatypes and shapes past the first dimension.
    private static string LaneKey(ModelSession session, IReadOnlyList<InferenceInput> inputs, IReadOnlyList<string>? outputNames)
    {
        var key = new System.Text.StringBuilder(session.Variant).Append('|');
        if (outputNames is { Count: > 0 })
        {
            key.AppendJoin(',', outputNames);
        }

        foreach (var input in inputs.OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            key.Append('|').Append(input.Name).Append(':').Append((int)input.DataType);
            for (var d = 1; d < input.Shape.Length; d++)
            {
                key.Append('x').Append(input.Shape[d]);
            }
        }

        return key.ToString();
    }

    // Runs one batch in the slot the batcher holds: one ONNX Runtime call over the requests'
    // inputs concatenated along the first dimension, outputs split back by each request's rows.
    private async Task<IReadOnlyList<InferenceResult>> RunBatchAsync(ServedModel model, IReadOnlyList<BatchRequest> batch)
    {
        var startedAt = _time.GetTimestamp();
        var items = new List<WorkItem>(batch.Count);
        var queueTimes = new List<TimeSpan>(batch.Count);
        lock (_lock)
        {
            foreach (var request in batch)
            {
                // A caller that left before its batch started has already been released.
                if (!request.Item.Released)
                {
                    _queued--;
                    _running++;
                    request.Item.StartedAt = startedAt;
                    request.Item.BatchSize = batch.Count;
                    items.Add(request.Item);
                    queueTimes.Add(_time.GetElapsedTime(request.Item.EnqueuedAt, startedAt));
                }
            }
        }

        var session = batch[0].Session;
        List<InferenceResult> results;
        var cpuBefore = CpuMark();
        try
        {
            results = batch.Count == 1
                ? [Wrap(Execute(model.Name, session, batch[0].Inputs, batch[0].OutputNames, _options.MaxOutputBytes, CancellationToken.None), session, batch.Count)]
                : ExecuteMerged(model, session, batch);
        }
        catch (OnnxRuntimeException ex) when (IsInputRejection(ex))
        {
            throw new InferenceException(InferenceError.InvalidArgument, $"Model '{model.Name}' rejected the inputs: {ex.Message}", ex);
        }
        catch (OnnxRuntimeException ex)
        {
            Log.RunFailed(_logger, model.Name, session.Variant, ex);
            throw new InferenceException(InferenceError.Internal, $"ONNX Runtime failed to run model '{model.Name}': {ex.Message}", ex);
        }

        try
        {
            if (_options.ComputeSpeedFactor < 1.0)
            {
                var extra = EmulatedExtra(_time.GetElapsedTime(startedAt), cpuBefore);
                if (extra > TimeSpan.Zero)
                {
                    await Task.Delay(extra, _time).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            results.ForEach(r => r.Dispose());
            throw;
        }

        var execTime = _time.GetElapsedTime(startedAt);
        if (items.Count > 0)
        {
            Complete(items, queueTimes, execTime);
        }

        return results.Select((r, i) => new InferenceResult(r.Outputs, r, session.Variant, queueTimes.Count == batch.Count ? queueTimes[i] : TimeSpan.Zero, execTime) { BatchSize = batch.Count }).ToList();
    }

    private static InferenceResult Wrap(RunOutputs outputs, ModelSession session, int batchSize) =>
        new(outputs.Outputs, outputs, session.Variant, TimeSpan.Zero, TimeSpan.Zero) { BatchSize = batchSize };

    private List<InferenceResult> ExecuteMerged(ServedModel model, ModelSession session, IReadOnlyList<BatchRequest> batch)
    {
        var first = batch[0].Inputs;
        var total = batch.Sum(r => r.Items);
        var merged = new InferenceInput[first.Count];
        var rented = new List<byte[]>(first.Count);
        try
        {
            for (var j = 0; j < first.Count; j++)
            {
                var name = first[j].Name;
                var parts = batch.Select(r => r.Inputs.First(i => i.Name == name).Data).ToList();
                var length = parts.Sum(p => p.Length);
                var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
                rented.Add(buffer);
                var offset = 0;
                foreach (var part in parts)
                {
                    part.Span.CopyTo(buffer.AsSpan(offset));
                    offset += part.Length;
                }

                var shape = (long[])first[j].Shape.Clone();
                shape[0] = total;
                merged[j] = new InferenceInput(name, first[j].DataType, shape, buffer.AsMemory(0, length));
            }

            using var run = Execute(model.Name, session, merged, batch[0].OutputNames, _options.MaxOutputBytes, CancellationToken.None);
            var results = new List<InferenceResult>(batch.Count);
            try
            {
                var row = 0L;
                foreach (var request in batch)
                {
                    results.Add(Slice(model, run.Outputs, row, request.Items, total, session));
                    row += request.Items;
                }

                return results;
            }
            catch
            {
                results.ForEach(r => r.Dispose());
                throw;
            }
        }
        finally
        {
            rented.ForEach(b => ArrayPool<byte>.Shared.Return(b));
        }
    }

    private static InferenceResult Slice(ServedModel model, IReadOnlyList<InferenceOutput> outputs, long row, int rows, long total, ModelSession session)
    {
        var sliced = new List<InferenceOutput>(outputs.Count);
        var owned = new List<byte[]>(outputs.Count);
        foreach (var output in outputs)
        {
            if (output.Shape.Length == 0 || output.Shape[0] != total)
            {
                owned.ForEach(b => ArrayPool<byte>.Shared.Return(b));
                throw new InvalidOperationException(
                    $"Model '{model.Name}' returned output '{output.Name}' with shape [{string.Join(", ", output.Shape)}] for a batch of {total}: its first dimension is not the batch dimension, so dynamic_batching in {model.Files.Config.Path} cannot split it.");
            }

            var data = output.Data;
            var rowBytes = data.Length / (int)total;
            var length = rowBytes * rows;
            var bytes = ArrayPool<byte>.Shared.Rent(Math.Max(1, length));
            owned.Add(bytes);
            data.Slice((int)(row * rowBytes), length).CopyTo(bytes);
            var shape = (long[])output.Shape.Clone();
            shape[0] = rows;
            sliced.Add(new InferenceOutput(output.Name, output.DataType, shape, bytes, length));
        }

        return new InferenceResult(sliced, new PooledBuffers(owned), session.Variant, TimeSpan.Zero, TimeSpan.Zero);
    }

    private sealed class PooledBuffers(List<byte[]> buffers) : IDisposable
    {
        private List<byte[]>? _buffers = buffers;

        public void Dispose()
        {
            Interlocked.Exchange(ref _buffers, null)?.ForEach(b => ArrayPool<byte>.Shared.Return(b));
        }
    }

    private sealed record BatchRequest(WorkItem Item, ModelSession Session, IReadOnlyList<InferenceInput> Inputs, IReadOnlyList<string>? OutputNames, int Items);

    /// <summary>
    /// Mean measured execution time of a model's variant in milliseconds (robust and recency-weighted,
    /// <see cref="ExecTimeEstimate.MeanMs"/>); 0 before the first run.
    /// </summary>
    public double MeanExecMs(ServedModel model, string? variant = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = ModelVariant.IsDefault(variant) ? model.DefaultVariant : variant!;
        lock (_lock)
        {
            return _stats.TryGetValue((model.Name, model.Version, name), out var stats) ? stats.Exec.MeanMs : 0;
        }
    }

    /// <summary>
    /// The expected execution time in milliseconds of a run of a model's variant on
    /// <paramref name="inputBytes"/> bytes of input (<see cref="ExecTimeEstimate.ExpectedMs"/>: the fitted
    /// line in the input size, else the mean); 0 before the first run. A read; allocates nothing.
    /// </summary>
    public double ExpectedExecMs(ServedModel model, long inputBytes, string? variant = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var name = ModelVariant.IsDefault(variant) ? model.DefaultVariant : variant!;
        lock (_lock)
        {
            return _stats.TryGetValue((model.Name, model.Version, name), out var stats) ? stats.Exec.ExpectedMs(inputBytes) : 0;
        }
    }

    /// <summary>The total input bytes of a request (what <see cref="ExpectedExecMs"/> is fitted against).</summary>
    public static long InputBytes(IReadOnlyList<InferenceInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        long total = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            total += inputs[i].Data.Length;
        }

        return total;
    }

    /// <summary>True when Execution:IdleProbeIntervalSeconds is above 0.</summary>
    public bool ProbesEnabled => _options.IdleProbeIntervalSeconds > 0;

    /// <summary>Most idle-time probes per Execution:IdleProbeIntervalSeconds, over all model variants together.</summary>
    public const int ProbesPerInterval = 3;

    /// <summary>
    /// One idle-time execution probe, when one is due: if nothing is queued or running, the model
    /// variant whose estimate has gone longest without a run, and at least
    /// Execution:IdleProbeIntervalSeconds, runs its retained recent input (the inputs of a request,
    /// copied at most once per half interval) once, like a request, and the run enters its
    /// <see cref="ExecTimeEstimate"/>. So an estimate refreshed only by use (a placement the policy
    /// stopped using after a slow run) does not keep a stale value for good. At most
    /// <see cref="ProbesPerInterval"/> probes start per interval, over all model variants together
    /// (the stalest first), so their cost does not grow with the number of models. A request admitted
    /// while the probe runs cancels it (ONNX Runtime terminates the run; nothing is recorded; the
    /// result says <see cref="ExecutionProbe.Cancelled"/> with the time it held the slot, which still
    /// cost energy), so the request waits at most for the run's termination. The probe is not shown
    /// in <see cref="GetLoadSnapshot"/>, the service rate or the model's completed count. Returns what
    /// ran, or null (nothing due, not idle, over the budget, probes off, cancelled before it started,
    /// failed).
    /// </summary>
    public async Task<ExecutionProbe?> ProbeIdleAsync(CancellationToken cancellationToken)
    {
        if (!ProbesEnabled)
        {
            return null;
        }

        WorkItem item;
        Retained retained;
        CancellationTokenSource cancel;
        lock (_lock)
        {
            if (_queued != 0 || _running != 0 || _probe is not null)
            {
                return null;
            }

            var now = _time.GetTimestamp();
            var interval = TimeSpan.FromSeconds(_options.IdleProbeIntervalSeconds);
            if (_lastProbeAt is { } last && _time.GetElapsedTime(last, now) < interval / ProbesPerInterval)
            {
                // The budget: at most ProbesPerInterval probes per interval, whatever the number of models.
                return null;
            }

            ModelStats? due = null;
            foreach (var stats in _stats.Values)
            {
                if (stats.Retained is not null && _time.GetElapsedTime(stats.LastRunAt, now) >= interval
                    && (due is null || stats.LastRunAt < due.LastRunAt))
                {
                    due = stats;
                }
            }

            if (due is null)
            {
                return null;
            }

            retained = due.Retained!;
            cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            item = new WorkItem(due, now, retained.Bytes) { Probe = true };
            _work.Add(item);
            _queued++;
            _probe = item;
            _probeCancel = cancel;
            _lastProbeAt = now;
        }

        try
        {
            using var result = await RunAloneAsync(item, retained.Model, retained.Session, retained.Inputs, retained.OutputNames, cancel.Token).ConfigureAwait(false);
            return new ExecutionProbe(retained.Model.Name, result.Variant, retained.Bytes, result.ExecTime);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            // A request arrived: the probe gave way. What it ran until then still cost energy.
            long? started;
            lock (_lock)
            {
                started = item.StartedAt;
            }

            return started is { } at
                ? new ExecutionProbe(retained.Model.Name, retained.Session.Variant, retained.Bytes, _time.GetElapsedTime(at)) { Cancelled = true }
                : null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // The retained input failed: drop it, so it is not retried every tick; the next
            // successful request retains a fresh one.
            lock (_lock)
            {
                if (ReferenceEquals(item.Stats.Retained, retained))
                {
                    item.Stats.Retained = null;
                }
            }

            if (ex is InferenceException or ObjectDisposedException)
            {
                return null;
            }

            throw;
        }
        finally
        {
            lock (_lock)
            {
                _probe = null;
                _probeCancel = null;
            }

            cancel.Dispose();
        }
    }

    // Keeps a copy of this request's inputs as its model variant's probe input, when the retained
    // one is older than half the probe interval (or there is none): one copy per model variant and
    // half interval, not per request.
    private void Retain(ServedModel model, ModelSession session, IReadOnlyList<InferenceInput> inputs, IReadOnlyList<string>? outputNames)
    {
        ModelStats? stats;
        var now = _time.GetTimestamp();
        lock (_lock)
        {
            if (!_stats.TryGetValue((model.Name, model.Version, session.Variant), out stats)
                || (stats.Retained is not null && _time.GetElapsedTime(stats.Retained.At, now).TotalSeconds < _options.IdleProbeIntervalSeconds / 2))
            {
                return;
            }
        }

        var copies = new InferenceInput[inputs.Count];
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            copies[i] = new InferenceInput(input.Name, input.DataType, (long[])input.Shape.Clone(), input.Data.ToArray());
        }

        var retained = new Retained(model, session, copies, outputNames?.ToArray(), InputBytes(inputs), now);
        lock (_lock)
        {
            stats.Retained = retained;
        }
    }

    /// <summary>The queued and running work now, with the measured rates.</summary>
    public LoadSnapshot GetLoadSnapshot()
    {
        var now = _time.GetTimestamp();
        var bins = new int[_options.HistogramBins];
        double total = 0;
        int queued, running;
        double rate;
        ModelLoadStats[] models;
        lock (_lock)
        {
            queued = _queued;
            running = _running;
            if (_probe is { Released: false } probe)
            {
                // An idle-time probe yields to any request: not load.
                if (probe.StartedAt is null)
                {
                    queued--;
                }
                else
                {
                    running--;
                }
            }

            var fallback = FallbackMeanMs();
            foreach (var item in _work)
            {
                if (item.Probe)
                {
                    continue;
                }

                var expected = item.Stats.Completed > 0 ? item.Stats.Exec.ExpectedMs(item.InputBytes) : fallback;
                // A request running in a batch of n: the batch's expected n x share minus its
                // elapsed time, split evenly over its requests.
                var residual = item.StartedAt is { } started
                    ? Math.Max(0, (expected * item.BatchSize) - _time.GetElapsedTime(started, now).TotalMilliseconds) / item.BatchSize
                    : expected;
                total += residual;
                var bin = (int)Math.Min(bins.Length - 1, Math.Floor(residual / _options.HistogramBinMs));
                bins[bin]++;
            }

            rate = ServiceRate(now);
            models = _stats.Values
                .Select(s => new ModelLoadStats(s.Model, s.Version, s.Variant, s.Exec.MeanMs, s.MeanQueueMs, s.Completed, s.Failed) { Runs = s.Runs, ExecLine = s.Exec.Line })
                .OrderBy(s => s.Name, StringComparer.Ordinal).ThenBy(s => s.Variant, StringComparer.Ordinal)
                .ToArray();
        }

        return new LoadSnapshot
        {
            Timestamp = _time.GetUtcNow(),
            Queued = queued,
            Running = running,
            HistogramBinMs = _options.HistogramBinMs,
            ResidualWorkHistogram = bins,
            TotalResidualWorkMs = total,
            ServiceRatePerSecond = rate,
            MaxConcurrency = _options.MaxConcurrency,
            QueueCapacity = _options.QueueCapacity,
            Models = models,
        };
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private WorkItem Admit(ServedModel model, ModelSession session, long inputBytes)
    {
        WorkItem item;
        CancellationTokenSource? probe;
        lock (_lock)
        {
            if (_queued + _running >= _options.MaxConcurrency + _options.QueueCapacity)
            {
                Log.QueueFull(_logger, model.Name, _queued, _running);
                throw new ExecutorQueueFullException(
                    $"The executor is full: {_running} running and {_queued} queued (Execution:MaxConcurrency={_options.MaxConcurrency}, Execution:QueueCapacity={_options.QueueCapacity}); retry later.");
            }

            var key = (model.Name, model.Version, session.Variant);
            if (!_stats.TryGetValue(key, out var stats))
            {
                stats = new ModelStats(model.Name, model.VersionString, session.Variant);
                _stats[key] = stats;
            }

            item = new WorkItem(stats, _time.GetTimestamp(), inputBytes);
            _work.Add(item);
            _queued++;
            probe = _probeCancel;
        }

        // A request never waits behind an idle-time probe longer than its termination.
        if (probe is not null)
        {
            try
            {
                probe.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The probe ended meanwhile.
            }
        }

        return item;
    }

    // One run of one or more requests: each is charged its share of the run (the run's time over
    // the requests in it), so the mean execution time and the residual work describe the work the
    // executor really does per request, batched or not.
    private void Complete(IReadOnlyList<WorkItem> items, IReadOnlyList<TimeSpan> queueTimes, TimeSpan execTime)
    {
        lock (_lock)
        {
            var share = execTime.TotalMilliseconds / items.Count;
            var now = _time.GetTimestamp();
            for (var i = 0; i < items.Count; i++)
            {
                if (items[i].Probe)
                {
                    items[i].Stats.RecordProbe(items[i].InputBytes, share, now);
                    continue;
                }

                items[i].Stats.Record(queueTimes[i].TotalMilliseconds, share, items[i].InputBytes, now);
                _completions.Enqueue(now);
            }

            if (!items[0].Probe)
            {
                items[0].Stats.Runs++;
            }
        }
    }

    private void Release(WorkItem item, bool acquired, bool succeeded)
    {
        lock (_lock)
        {
            if (item.Released)
            {
                return;
            }

            item.Released = true;
            _work.Remove(item);
            if (item.StartedAt is null)
            {
                _queued--;
            }
            else
            {
                _running--;
            }

            if (!succeeded && !item.Probe)
            {
                item.Stats.Failed++;
            }
        }

        if (acquired)
        {
            _slots.Release();
        }
    }

    private double FallbackMeanMs()
    {
        double sum = 0;
        long count = 0;
        foreach (var stats in _stats.Values)
        {
            if (stats.Completed > 0)
            {
                sum += stats.Exec.MeanMs * stats.Completed;
                count += stats.Completed;
            }
        }

        return count > 0 ? sum / count : 0;
    }

    private double ServiceRate(long now)
    {
        var window = TimeSpan.FromSeconds(_options.ServiceRateWindowSeconds);
        while (_completions.Count > 0 && _time.GetElapsedTime(_completions.Peek(), now) > window)
        {
            _completions.Dequeue();
        }

        var observed = _time.GetElapsedTime(_startedAt, now);
        var seconds = Math.Max(1.0, Math.Min(window.TotalSeconds, observed.TotalSeconds));
        return _completions.Count / seconds;
    }

    private static bool IsInputRejection(OnnxRuntimeException ex) =>
        ex.Message.StartsWith("[ErrorCode:InvalidArgument]", StringComparison.Ordinal)
        || ex.Message.StartsWith("[ErrorCode:Fail]", StringComparison.Ordinal);

    private static RunOutputs Execute(string modelName, ModelSession session, IReadOnlyList<InferenceInput> inputs, IReadOnlyList<string>? outputNames, long maxOutputBytes, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> wanted = outputNames is { Count: > 0 } ? outputNames : session.Session.OutputNames;
        if (session.OutputBound.FindOversized(inputs, wanted, maxOutputBytes) is { } oversized)
        {
            throw new InferenceException(InferenceError.ResourceExhausted, string.Create(CultureInfo.InvariantCulture,
                $"Model '{modelName}' refused before running: {oversized}, over the limit of {maxOutputBytes:N0} bytes (Execution:MaxOutputBytes)."));
        }

        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        var pins = new PinnedInput[inputs.Count];
        var created = 0;
        try
        {
            for (var i = 0; i < inputs.Count; i++)
            {
                var input = inputs[i];
                names[i] = input.Name;
                pins[i] = PinnedInput.Pin(input.Data, input.DataType.ElementSize());
                values[i] = OrtValue.CreateTensorValueWithData(
                    OrtMemoryInfo.DefaultInstance, input.DataType.ToOnnx(), input.Shape, pins[i].Address, input.Data.Length);
                created++;
            }

            using var runOptions = new RunOptions();
            if (session.TakeArenaShrink())
            {
                // The session's last run was refused for its outputs' size: this run gives the
                // arena's free memory (the refused outputs' among it) back to the system when it
                // ends, so one huge output does not stay allocated. Shrinking on every run of a model
                // whose outputs only the run sizes made ocr-det's local path 3.7x slower (bench (a)).
                runOptions.AddRunConfigEntry("memory.enable_memory_arena_shrinkage", "cpu:0");
            }

            using var registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
            var results = session.Session.Run(runOptions, names, values, wanted);
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                long total = 0;
                for (var i = 0; i < results.Count; i++)
                {
                    if (results[i].IsTensor)
                    {
                        var info = results[i].GetTensorTypeAndShape();
                        total += info.ElementCount * TensorDataTypes.FromOnnx(info.ElementDataType).ElementSize();
                    }
                }

                if (total > maxOutputBytes)
                {
                    session.ShrinkArenaOnNextRun();
                    throw new InferenceException(InferenceError.ResourceExhausted, string.Create(CultureInfo.InvariantCulture,
                        $"Model '{modelName}' produced {total:N0} bytes of outputs, over the limit of {maxOutputBytes:N0} bytes (Execution:MaxOutputBytes)."));
                }

                var outputs = new InferenceOutput[results.Count];
                for (var i = 0; i < results.Count; i++)
                {
                    outputs[i] = new InferenceOutput(wanted[i], results[i]);
                }

                return new RunOutputs(outputs, results);
            }
            catch
            {
                results.Dispose();
                throw;
            }
        }
        catch (OnnxRuntimeException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        finally
        {
            for (var i = 0; i < created; i++)
            {
                values[i].Dispose();
            }

            foreach (var pin in pins)
            {
                pin.Dispose();
            }
        }
    }

    private sealed class RunOutputs(IReadOnlyList<InferenceOutput> outputs, IDisposable owner) : IDisposable
    {
        public IReadOnlyList<InferenceOutput> Outputs { get; } = outputs;

        public void Dispose() => owner.Dispose();
    }

    /// <summary>Input memory pinned for ONNX Runtime: the caller's array when aligned, else a pooled aligned copy.</summary>
    private struct PinnedInput : IDisposable
    {
        private GCHandle _handle;
        private byte[]? _rented;

        public IntPtr Address { get; private set; }

        public static PinnedInput Pin(ReadOnlyMemory<byte> data, int elementSize)
        {
            var pinned = default(PinnedInput);
            if (MemoryMarshal.TryGetArray(data, out var segment) && segment.Array is { } array)
            {
                pinned._handle = GCHandle.Alloc(array, GCHandleType.Pinned);
                var address = segment.Count == 0 ? pinned._handle.AddrOfPinnedObject() : Marshal.UnsafeAddrOfPinnedArrayElement(array, segment.Offset);
                if (elementSize <= 1 || address % elementSize == 0)
                {
                    pinned.Address = address;
                    return pinned;
                }

                pinned._handle.Free();
            }

            // Not array-backed or misaligned for the element type: one copy into a pooled array
            // (pooled arrays start 8-byte aligned).
            pinned._rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, data.Length));
            data.Span.CopyTo(pinned._rented);
            pinned._handle = GCHandle.Alloc(pinned._rented, GCHandleType.Pinned);
            pinned.Address = pinned._handle.AddrOfPinnedObject();
            return pinned;
        }

        public void Dispose()
        {
            if (_handle.IsAllocated)
            {
                _handle.Free();
            }

            if (_rented is not null)
            {
                ArrayPool<byte>.Shared.Return(_rented);
                _rented = null;
            }
        }
    }

    private sealed class WorkItem(ModelStats stats, long enqueuedAt, long inputBytes)
    {
        public ModelStats Stats { get; } = stats;

        public long EnqueuedAt { get; } = enqueuedAt;

        public long InputBytes { get; } = inputBytes;

        public long? StartedAt { get; set; }

        public int BatchSize { get; set; } = 1;

        public bool Released { get; set; }

        // An idle-time execution probe (ProbeIdleAsync), not a request.
        public bool Probe { get; init; }
    }

    // A request's inputs kept for idle-time probes of its model variant, copied when retained.
    private sealed record Retained(ServedModel Model, ModelSession Session, IReadOnlyList<InferenceInput> Inputs, IReadOnlyList<string>? OutputNames, long Bytes, long At);

    private sealed class ModelStats(string model, string version, string variant)
    {
        public string Model { get; } = model;

        public string Version { get; } = version;

        public string Variant { get; } = variant;

        public long Completed { get; private set; }

        public long Failed { get; set; }

        public long Runs { get; set; }

        public double MeanQueueMs { get; private set; }

        // Execution time from the recent runs (requests and probes): robust, recency-weighted, by input size.
        public ExecTimeEstimate Exec { get; } = new();

        // TimeProvider timestamp of the last run recorded (request or probe).
        public long LastRunAt { get; private set; }

        public Retained? Retained { get; set; }

        public void Record(double queueMs, double execMs, long inputBytes, long now)
        {
            Completed++;
            MeanQueueMs += Math.Max(1.0 / Completed, 0.1) * (queueMs - MeanQueueMs);
            RecordProbe(inputBytes, execMs, now);
        }

        public void RecordProbe(long inputBytes, double execMs, long now)
        {
            Exec.Record(inputBytes, execMs);
            LastRunAt = now;
        }
    }

    private static partial class Log
    {
        // Debug, not Warning: under overload this fires once per refused request. The node's
        // RejectedCallLog (Node/Serving) already counts every RESOURCE_EXHAUSTED answer, this
        // one's message included, in one summary line per Serving:RejectionLogInterval (issue 13).
        [LoggerMessage(EventId = 3100, Level = LogLevel.Debug, Message = "Refused a request for {Model}: the executor is full ({Queued} queued, {Running} running).")]
        public static partial void QueueFull(ILogger logger, string model, int queued, int running);

        [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "ONNX Runtime failed to run model {Model} (variant {Variant}).")]
        public static partial void RunFailed(ILogger logger, string model, string variant, Exception exception);
    }
}
