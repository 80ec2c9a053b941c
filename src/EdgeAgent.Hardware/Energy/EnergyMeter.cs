using System.Diagnostics;
using System.Diagnostics.Metrics;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Power;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAgent.Hardware.Energy;

/// <summary>
/// Samples a power source on a background loop, integrates power over time (trapezoidal rule, or
/// exact differences for sources with a cumulative counter) and attributes energy to tasks: a task
/// executed locally is charged its share of the power above idle over its execution interval,
/// shared equally among the tasks running at the same moment. It owns the one energy instrument:
/// meter "EdgeAgent.Energy", counter <c>edgeagent.energy</c> (J; tag <c>scope</c> = device for this
/// machine's total, task.compute and task.radio for energy charged to tasks, and <c>provenance</c> =
/// measured, modelled or reported), where the agent also records each request's figures
/// (<see cref="RecordRequest"/>, with its <c>placement</c>); and the gauge <c>edgeagent.power</c> (W).
/// <c>edgeagent.energy</c> is an observable counter: the meter keeps each tag set's total and reports
/// them when collected, so neither a sample nor a request makes a metric recording of its own.
/// </summary>
public sealed partial class EnergyMeter : IDisposable
{
    /// <summary>Name of the System.Diagnostics.Metrics meter.</summary>
    public const string MeterName = "EdgeAgent.Energy";

    /// <summary>Tag of <c>edgeagent.energy</c> saying what the energy was spent on: device, task.compute or task.radio.</summary>
    public const string ScopeTag = "scope";

    /// <summary>Tag of <c>edgeagent.energy</c> and <c>edgeagent.power</c> saying how a figure was obtained: measured, modelled or reported.</summary>
    public const string ProvenanceTag = "provenance";

    /// <summary>Tag of a request's <c>edgeagent.energy</c> figures: where it ran.</summary>
    public const string PlacementTag = "placement";

    private static readonly KeyValuePair<string, object?> DeviceScope = new(ScopeTag, "device");
    private static readonly KeyValuePair<string, object?> TaskComputeScope = new(ScopeTag, "task.compute");
    private static readonly KeyValuePair<string, object?> TaskRadioScope = new(ScopeTag, "task.radio");

    private readonly IPowerSource _source;
    private readonly EnergyMeterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly ObservableCounter<double> _energy;

    // The totals edgeagent.energy reports when collected, one cell per tag set (scope, placement of
    // an agent's request or none, provenance). Samples (50 per second by default) and requests add
    // to a cell instead of each making an OpenTelemetry aggregation update (a lookup of the tag set
    // in the SDK's store per call). The device cell is made up front: a sample allocates nothing.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string Scope, string? Placement, string Provenance), EnergyCell> _totals = new();
    private readonly EnergyCell _deviceTotal;
    private readonly EnergyCell _chargedTotal;
    private readonly long _origin;
    private readonly EnergyProvenance _provenance;
    private readonly KeyValuePair<string, object?> _provenanceTag;
    private readonly Lock _gate = new();
    private readonly List<LocalTask> _tasks = [];
    private readonly List<double> _breakpoints = [];
    private double _lastTime;
    private double _lastWatts;
    private double? _lastCumulativeJoules;
    private bool _hasLast;
    private double? _trackedIdle;
    private PowerSample? _latest;
    private volatile bool _running;
    private long _failedReads;
    private int _samplesSinceFull;
    private double _latestTotalWatts;
    private double? _wattsPerTask;

    /// <summary>Creates a meter over <paramref name="source"/>; call <see cref="RunAsync"/> (or <see cref="SampleOnce"/>) to sample.</summary>
    public EnergyMeter(IPowerSource source, EnergyMeterOptions options, TimeProvider time,
        IMeterFactory? meterFactory = null, ILogger<EnergyMeter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (!(options.SampleRateHz is >= 1.0 and <= 1000.0))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SampleRateHz,
                $"{EnergyMeterOptions.Section}:SampleRateHz must be between 1 and 1000 samples per second.");
        }

        _source = source;
        _options = options;
        _time = time;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _origin = time.GetTimestamp();
        _provenance = source.Kind == PowerSourceKind.Measured ? EnergyProvenance.Measured : EnergyProvenance.Modelled;
        _provenanceTag = new(ProvenanceTag, ProvenanceName(_provenance));
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _deviceTotal = _totals.GetOrAdd(("device", null, ProvenanceName(_provenance)), static _ => new EnergyCell());
        _chargedTotal = _totals.GetOrAdd(("task.compute", null, ProvenanceName(_provenance)), static _ => new EnergyCell());
        _energy = _meter.CreateObservableCounter("edgeagent.energy", ObserveEnergy, "J",
            "Energy: scope=device is this machine's total; task.compute and task.radio are charged to tasks (by placement for the agent's requests); provenance measured, modelled or reported.");
        _meter.CreateObservableGauge("edgeagent.power", ObservePower, "W",
            "Latest power of this machine (rail=total) and of each rail the source reports.");
    }

    /// <summary>The source being sampled.</summary>
    public IPowerSource Source => _source;

    /// <summary>Measured when the source reads a sensor, modelled otherwise.</summary>
    public EnergyProvenance Provenance => _provenance;

    /// <summary>Energy integrated since the first sample, in joules.</summary>
    public double TotalJoules { get; private set; }

    /// <summary>Part of <see cref="TotalJoules"/> above the idle power, in joules.</summary>
    public double AboveIdleJoules { get; private set; }

    /// <summary>Part of <see cref="AboveIdleJoules"/> charged to local tasks, in joules.</summary>
    public double AttributedJoules { get; private set; }

    /// <summary>Successful samples so far.</summary>
    public long SampleCount { get; private set; }

    /// <summary>Reads that returned no sample so far.</summary>
    public long FailedReads => Interlocked.Read(ref _failedReads);

    /// <summary>The most recent sample, or null before the first.</summary>
    public PowerSample? Latest
    {
        get
        {
            lock (_gate)
            {
                return _latest;
            }
        }
    }

    /// <summary>Total power of the most recent sample (every sample updates it), in watts; 0 before the first.</summary>
    public double LatestTotalWatts
    {
        get
        {
            lock (_gate)
            {
                return _latestTotalWatts;
            }
        }
    }

    /// <summary>The idle power tasks are charged above: configured, or tracked while nothing runs (null until known).</summary>
    public double? IdleWatts
    {
        get
        {
            lock (_gate)
            {
                return _options.IdleWatts ?? _trackedIdle;
            }
        }
    }

    /// <summary>
    /// Optional count of tasks executing on this device, from the executor (for tasks not charged
    /// through <see cref="BeginLocalTask"/>). The meter uses the larger of it and its own count to
    /// learn <see cref="WattsPerTask"/> and to keep busy periods out of the idle baseline.
    /// </summary>
    public Func<int>? RunningTasksSignal { get; set; }

    /// <summary>
    /// Power above idle per executing task, averaged over recent busy samples (time constant
    /// <see cref="EnergyMeterOptions.IdleTrackingSeconds"/>); null until a busy sample was seen.
    /// </summary>
    public double? WattsPerTask
    {
        get
        {
            lock (_gate)
            {
                return _wattsPerTask;
            }
        }
    }

    /// <summary>Local tasks currently running.</summary>
    public int RunningTasks
    {
        get
        {
            lock (_gate)
            {
                return _tasks.Count(t => t.End is null);
            }
        }
    }

    /// <summary>
    /// Samples the source every period of <see cref="EnergyMeterOptions.SampleRateHz"/> until cancelled,
    /// on a dedicated thread that sleeps to absolute deadlines on a fixed grid (no drift; missed grid
    /// points are skipped, not sampled back to back). On the system clock under Linux each sleep is
    /// one <c>clock_nanosleep(TIMER_ABSTIME)</c>: a timer-driven async loop woke thread-pool workers
    /// that spin before sleeping and cost about 5 % of a core at 100 Hz (measured with
    /// <c>edgeagent hw bench</c>). Other clocks (tests) wake the thread with that clock's timer.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        return DedicatedThread.Run("EdgeAgent energy meter", () => RunOnThread(cancellationToken));
    }

    /// <summary>What the last <see cref="RunAsync"/> loop cost its own thread; null until one has finished.</summary>
    internal SamplingLoopStatistics? LastLoop { get; private set; }

    /// <summary>
    /// The grid point the loop is about to sleep until (clock timestamp; 0 before the first). Once this
    /// is later than the clock's now, the loop has finished its last sample and chosen its next
    /// deadline, so a test may move a fake clock without racing the loop's own reading of it.
    /// </summary>
    internal long NextDeadline => Volatile.Read(ref _nextDeadline);

    private long _nextDeadline;

    // Fully optimised from the first call: the loop runs for the life of the process and would
    // otherwise start in unoptimised code until on-stack replacement.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void RunOnThread(CancellationToken cancellationToken)
    {
        _running = true;
        Log.Started(_logger, _source.Name, _options.SampleRateHz, ProvenanceName(_provenance));
        using var sleeper = DeadlineSleeper.Create(_time);
        var slack = _options.TimerSlack;
        var slackSet = slack is { } s && _time == TimeProvider.System && LinuxClock.TrySetTimerSlack(s);
        var cpuBefore = LinuxClock.CurrentThreadCpuTime();
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var samplesBefore = SampleCount;
        var period = Math.Max(1L, (long)Math.Round(_time.TimestampFrequency / _options.SampleRateHz));
        var schedule = new SamplingSchedule(_time.GetTimestamp(), period);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                SampleOnce();
                var deadline = schedule.Next(_time.GetTimestamp());
                Volatile.Write(ref _nextDeadline, deadline);
                if (!sleeper.SleepUntil(deadline, cancellationToken))
                {
                    break;
                }
            }
        }
        finally
        {
            var cpuAfter = LinuxClock.CurrentThreadCpuTime();
            LastLoop = new SamplingLoopStatistics(
                sleeper.Mechanism,
                slackSet ? slack : null,
                SampleCount - samplesBefore,
                schedule.Skipped,
                cpuAfter - cpuBefore,
                GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
            _running = false;
            FinishAll();
        }
    }

    /// <summary>
    /// Reads the source once and integrates up to now; false when the source gave no reading. Every
    /// <see cref="EnergyMeterOptions.RailRefreshEvery"/>-th sample (and the first) reads all rails
    /// for <see cref="Latest"/> and the power gauge; the others read only what the total needs.
    /// </summary>
    public bool SampleOnce()
    {
        PowerSample? sample = null;
        double watts;
        double? cumulative;
        var full = _latest is null || _samplesSinceFull + 1 >= _options.RailRefreshEvery;
        bool ok;
        if (full)
        {
            ok = _source.TryRead(out sample);
            (watts, cumulative) = sample is null ? (0.0, null) : (sample.TotalWatts, sample.CumulativeJoules);
        }
        else
        {
            ok = _source.TryReadTotal(out watts, out cumulative);
        }

        if (!ok)
        {
            if (Interlocked.Increment(ref _failedReads) == 1)
            {
                Log.ReadFailed(_logger, _source.Name);
            }

            // Do not keep finished tasks waiting on a source that stopped answering.
            lock (_gate)
            {
                CompleteFinished(Now() - (5 * _options.Period.TotalSeconds));
            }

            return false;
        }

        var now = Now();
        double deltaJoules;
        lock (_gate)
        {
            if (sample is not null)
            {
                _latest = sample;
                _samplesSinceFull = 0;
            }
            else
            {
                _samplesSinceFull++;
            }

            _latestTotalWatts = watts;
            SampleCount++;
            if (!_hasLast)
            {
                _hasLast = true;
                (_lastTime, _lastWatts, _lastCumulativeJoules) = (now, watts, cumulative);
                _trackedIdle ??= _tasks.Count == 0 ? watts : null;
                return true;
            }

            deltaJoules = Integrate(now, watts, cumulative);
        }

        if (deltaJoules > 0)
        {
            _deviceTotal.Add(deltaJoules);
        }

        return true;
    }

    /// <summary>Starts charging a task executing locally from now until its <see cref="LocalTask.Complete"/>.</summary>
    public LocalTask BeginLocalTask()
    {
        lock (_gate)
        {
            var task = new LocalTask(this, Now());
            _tasks.Add(task);
            return task;
        }
    }

    /// <summary>True while something listens to <c>edgeagent.energy</c> (<see cref="RecordRequest"/> counts).</summary>
    public bool RecordsRequests => _energy.Enabled;

    /// <summary>
    /// Records the energy this device spent on one request the agent served, as the dispatcher
    /// figured it (compute and radio, each with its provenance), tagged with where it ran.
    /// </summary>
    /// <param name="placement">Where the request ran ("local", "local:int8", "peer:cloud").</param>
    /// <param name="energy">The request's figures; zero figures are not recorded.</param>
    public void RecordRequest(string placement, TaskEnergy energy)
    {
        ArgumentNullException.ThrowIfNull(placement);
        ArgumentNullException.ThrowIfNull(energy);
        AddFigure(energy.Compute, "task.compute", placement);
        AddFigure(energy.Radio, "task.radio", placement);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        FinishAll();
        _meter.Dispose();
    }

    private double Now() => (_time.GetTimestamp() - _origin) / (double)_time.TimestampFrequency;

    // Called under _gate. Returns the energy of the interval [last, now].
    private double Integrate(double now, double endWatts, double? endCumulativeJoules)
    {
        var start = _lastTime;
        var seconds = now - start;
        if (seconds <= 0)
        {
            return 0;
        }

        var startWatts = _lastWatts;
        var joules = endCumulativeJoules is { } cumulative && _lastCumulativeJoules is { } previous && cumulative >= previous
            ? cumulative - previous
            : 0.5 * (startWatts + endWatts) * seconds;

        var idle = _options.IdleWatts ?? _trackedIdle ?? Math.Min(startWatts, endWatts);
        var above = Math.Max(0.0, joules - (idle * seconds));
        TotalJoules += joules;
        AboveIdleJoules += above;

        var anyTask = AttributeInterval(start, now, startWatts, endWatts, idle, above);
        var live = 0;
        foreach (var task in _tasks)
        {
            if (task.End is null)
            {
                live++;
            }
        }

        var running = Math.Max(live, SafeSignal());
        var alpha = 1.0 - Math.Exp(-seconds / _options.IdleTrackingSeconds);
        if (running > 0)
        {
            var perTask = above / seconds / running;
            _wattsPerTask = _wattsPerTask is { } w ? w + (alpha * (perTask - w)) : perTask;
        }
        else if (!anyTask && _options.IdleWatts is null)
        {
            var watts = joules / seconds;
            _trackedIdle = _trackedIdle is { } tracked ? tracked + (alpha * (watts - tracked)) : watts;
        }

        (_lastTime, _lastWatts, _lastCumulativeJoules) = (now, endWatts, endCumulativeJoules);
        CompleteFinished(now);
        return joules;
    }

    // Splits `above` joules of [a, b] among the tasks running in each part of it. Within the interval
    // power is taken as linear between the two samples, so a part's weight is its mean power above
    // idle times its length; weights are scaled so the parts with tasks get exactly their share of
    // `above`. Returns whether any task overlapped the interval.
    private bool AttributeInterval(double a, double b, double wattsA, double wattsB, double idle, double above)
    {
        _breakpoints.Clear();
        _breakpoints.Add(a);
        _breakpoints.Add(b);
        var any = false;
        foreach (var task in _tasks)
        {
            var s = Math.Max(task.Start, a);
            var e = Math.Min(task.End ?? b, b);
            if (e > s)
            {
                any = true;
                if (s > a)
                {
                    _breakpoints.Add(s);
                }

                if (e < b)
                {
                    _breakpoints.Add(e);
                }
            }
        }

        if (!any || above <= 0)
        {
            return any;
        }

        _breakpoints.Sort();
        var length = b - a;
        double Watts(double t) => wattsA + ((wattsB - wattsA) * (t - a) / length);

        // Total weight over the whole interval, to scale parts to `above`.
        var totalWeight = 0.0;
        for (var i = 1; i < _breakpoints.Count; i++)
        {
            var (x, y) = (_breakpoints[i - 1], _breakpoints[i]);
            totalWeight += Math.Max(0.0, (0.5 * (Watts(x) + Watts(y))) - idle) * (y - x);
        }

        for (var i = 1; i < _breakpoints.Count; i++)
        {
            var (x, y) = (_breakpoints[i - 1], _breakpoints[i]);
            if (y <= x)
            {
                continue;
            }

            var count = 0;
            foreach (var task in _tasks)
            {
                if (Covers(task, x, y, b))
                {
                    count++;
                }
            }

            if (count == 0)
            {
                continue;
            }

            var part = totalWeight > 0
                ? above * (Math.Max(0.0, (0.5 * (Watts(x) + Watts(y))) - idle) * (y - x)) / totalWeight
                : above * (y - x) / length;
            var share = part / count;
            foreach (var task in _tasks)
            {
                if (Covers(task, x, y, b))
                {
                    task.Joules += share;
                }
            }

            AttributedJoules += part;
        }

        return true;
    }

    private int SafeSignal()
    {
        try
        {
            return RunningTasksSignal?.Invoke() ?? 0;
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
    }

    private static bool Covers(LocalTask task, double x, double y, double b) =>
        task.Start <= x && (task.End ?? b) >= y;

    // Called under _gate: tasks that ended at or before the last integrated instant are final.
    private void CompleteFinished(double integratedUpTo)
    {
        for (var i = _tasks.Count - 1; i >= 0; i--)
        {
            var task = _tasks[i];
            if (task.End is { } end && end <= integratedUpTo)
            {
                _tasks.RemoveAt(i);
                task.Finish(_provenance);
            }
        }
    }

    private void FinishAll()
    {
        LocalTask[] pending;
        lock (_gate)
        {
            pending = [.. _tasks.Where(t => t.End is not null)];
            _tasks.RemoveAll(t => t.End is not null);
        }

        foreach (var task in pending)
        {
            task.Finish(_provenance);
        }
    }

    private void TaskEnded(LocalTask task)
    {
        lock (_gate)
        {
            task.End = Now();
            if (_running || (_hasLast && task.End.Value - _lastTime <= 5 * _options.Period.TotalSeconds))
            {
                return;
            }

            // Nobody is sampling: the task gets what has been integrated so far.
            _tasks.Remove(task);
        }

        task.Finish(_provenance);
    }

    private void Charged(double joules)
    {
        if (joules > 0)
        {
            _chargedTotal.Add(joules);
        }
    }

    private void AddFigure(EnergyFigure figure, string scope, string placement)
    {
        if (figure.Joules > 0 && double.IsFinite(figure.Joules))
        {
            _totals.GetOrAdd((scope, placement, ProvenanceName(figure.Provenance)), static _ => new EnergyCell()).Add(figure.Joules);
        }
    }

    // Every tag set's total so far; a set appears once something was added to it (as a counter's
    // series appears with its first recording).
    private IEnumerable<Measurement<double>> ObserveEnergy()
    {
        foreach (var ((scope, placement, provenance), cell) in _totals)
        {
            if (cell.Total is > 0 and var joules)
            {
                var scopeTag = scope switch
                {
                    "device" => DeviceScope,
                    "task.compute" => TaskComputeScope,
                    "task.radio" => TaskRadioScope,
                    _ => new KeyValuePair<string, object?>(ScopeTag, scope),
                };
                yield return placement is null
                    ? new Measurement<double>(joules, scopeTag, new KeyValuePair<string, object?>(ProvenanceTag, provenance))
                    : new Measurement<double>(joules, scopeTag, new KeyValuePair<string, object?>(PlacementTag, placement), new KeyValuePair<string, object?>(ProvenanceTag, provenance));
            }
        }
    }

    // A running total in joules, added to from any thread.
    private sealed class EnergyCell
    {
        private double _total;

        public double Total => Volatile.Read(ref _total);

        public void Add(double joules)
        {
            var seen = Volatile.Read(ref _total);
            while (true)
            {
                var found = Interlocked.CompareExchange(ref _total, seen + joules, seen);
                if (found.Equals(seen))
                {
                    return;
                }

                seen = found;
            }
        }
    }

    private IEnumerable<Measurement<double>> ObservePower()
    {
        var sample = Latest;
        if (sample is null)
        {
            yield break;
        }

        yield return new Measurement<double>(LatestTotalWatts, new("edgeagent.power.rail", "total"), _provenanceTag);
        foreach (var rail in sample.Rails)
        {
            yield return new Measurement<double>(rail.Watts, new("edgeagent.power.rail", rail.Name), _provenanceTag);
        }
    }

    /// <summary>The value of the provenance tag for <paramref name="provenance"/>.</summary>
    public static string ProvenanceName(EnergyProvenance provenance) => provenance switch
    {
        EnergyProvenance.Measured => "measured",
        EnergyProvenance.Modelled => "modelled",
        _ => "reported",
    };

    /// <summary>A task executing locally; complete it when it stops executing.</summary>
    public sealed class LocalTask
    {
        private readonly EnergyMeter _meter;
        private readonly TaskCompletionSource<TaskEnergy> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal LocalTask(EnergyMeter meter, double start)
        {
            _meter = meter;
            Start = start;
        }

        /// <summary>Start, in seconds since the meter was created.</summary>
        public double Start { get; }

        /// <summary>End, in seconds since the meter was created; null while running.</summary>
        public double? End { get; internal set; }

        /// <summary>Energy charged so far.</summary>
        internal double Joules { get; set; }

        /// <summary>The task's energy, available once the meter has sampled past its end.</summary>
        public Task<TaskEnergy> Energy => _result.Task;

        /// <summary>
        /// Marks the end of execution and returns the task's energy, which completes at the meter's
        /// next sample (within one sampling period) or at once when the meter is not sampling (no
        /// loop running and no sample in the last five periods).
        /// </summary>
        public Task<TaskEnergy> Complete()
        {
            if (End is null)
            {
                _meter.TaskEnded(this);
            }

            return _result.Task;
        }

        internal void Finish(EnergyProvenance provenance)
        {
            if (_result.TrySetResult(new TaskEnergy(new EnergyFigure(Joules, provenance), EnergyFigure.Zero)))
            {
                _meter.Charged(Joules);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4001, Level = LogLevel.Information,
            Message = "Energy meter sampling {Source} at {RateHz} Hz; energy figures are {Provenance}.")]
        public static partial void Started(ILogger logger, string source, double rateHz, string provenance);

        [LoggerMessage(EventId = 4002, Level = LogLevel.Warning,
            Message = "Power source {Source} returned no reading; the meter keeps the previous value and counts failures.")]
        public static partial void ReadFailed(ILogger logger, string source);
    }
}
