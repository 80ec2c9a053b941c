using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Inference.Execution;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Node.Serving;

/// <summary>What the <see cref="ExecutionProber"/> has spent: probes run, their execution time and device joules.</summary>
/// <param name="Probes">Probes that held the executor's slot (including those that gave way to a request).</param>
/// <param name="Seconds">Their execution time (slot held), seconds.</param>
/// <param name="Joules">Their device energy by the agent's energy estimator (0 on a node without one: a peer).</param>
public readonly record struct ExecutionProbeTotals(long Probes, double Seconds, double Joules);

/// <summary>
/// Keeps the local executor's execution estimates fresh when nothing uses them. An estimate is
/// measured from the runs of requests (<see cref="ExecTimeEstimate"/>), so a placement a policy
/// stopped using after slow runs (the demo's agents: a board estimate from a warm-up under load,
/// 165 ms for a 90 ms recognition, kept for a whole comparison) would keep it for good, and so
/// would a peer's for the models no client sends it. Every <see cref="Tick"/> (at most a tenth of
/// the interval) it asks the executor for one idle-time probe (<see cref="LocalExecutor.ProbeIdleAsync"/>:
/// only when nothing is queued or running, for the model variant whose estimate is the stalest and
/// older than Execution:IdleProbeIntervalSeconds, on a retained recent input, at most
/// <see cref="LocalExecutor.ProbesPerInterval"/> per interval over all models; a request arriving
/// meanwhile cancels it). On a peer a probe is skipped whenever the peer is busy, is not shown in
/// its load reports, and costs the peer nothing else. Each probe's device energy (the energy
/// estimator's figure for a local run of the time it held the slot, as the dispatcher's for a
/// request; for a probe that gave way, the part it ran) is counted in <see cref="Totals"/>
/// and, when the node has an <see cref="EnergyMeter"/>, recorded on it with placement
/// <c>probe:local</c>. Execution:IdleProbeIntervalSeconds = 0 switches it off.
/// </summary>
public sealed partial class ExecutionProber : BackgroundService
{
    private readonly LocalExecutor _executor;
    private readonly ExecutionOptions _options;
    private readonly IEnergyEstimator? _energy;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EnergyMeter? _meter;
    private readonly Lock _gate = new();
    private ExecutionProbeTotals _totals;

    /// <summary>Creates the prober; nothing runs until it is started.</summary>
    public ExecutionProber(LocalExecutor executor, ExecutionOptions options, IEnergyEstimator? energy, TimeProvider time, ILogger<ExecutionProber> logger, EnergyMeter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(options);
        _executor = executor;
        _options = options;
        _energy = energy;
        _time = time;
        _logger = logger;
        _meter = meter;
    }

    /// <summary>True when Execution:IdleProbeIntervalSeconds is above 0.</summary>
    public bool Enabled => _options.IdleProbeIntervalSeconds > 0;

    /// <summary>How often the executor is asked for a probe: a tenth of the interval, 0.1 to 1 s.</summary>
    public TimeSpan Tick => TimeSpan.FromSeconds(Math.Clamp(_options.IdleProbeIntervalSeconds / 10, 0.1, 1.0));

    /// <summary>Probes, execution seconds and device joules since start.</summary>
    public ExecutionProbeTotals Totals
    {
        get
        {
            lock (_gate)
            {
                return _totals;
            }
        }
    }

    /// <summary>One look: runs a probe if one is due and the executor is idle; returns it, or null.</summary>
    public async Task<ExecutionProbe?> ProbeDueAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return null;
        }

        var probe = await _executor.ProbeIdleAsync(cancellationToken).ConfigureAwait(false);
        if (probe is null)
        {
            return null;
        }

        var seconds = probe.ExecTime.TotalSeconds;
        var joules = _energy?.LocalJoules(seconds, probe.Variant) ?? 0.0;
        lock (_gate)
        {
            _totals = new ExecutionProbeTotals(_totals.Probes + 1, _totals.Seconds + seconds, _totals.Joules + joules);
        }

        var provenance = _energy?.LocalProvenance ?? EnergyProvenance.Modelled;
        _meter?.RecordRequest("probe:local", new TaskEnergy(new EnergyFigure(joules, provenance), EnergyFigure.Zero));
        Log.Probed(_logger, probe.Model, probe.Variant, probe.InputBytes, probe.ExecTime.TotalMilliseconds, joules, probe.Cancelled);
        return probe;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(Tick, _time, stoppingToken).ConfigureAwait(false);
                try
                {
                    await ProbeDueAsync(stoppingToken).ConfigureAwait(false);
                }
#pragma warning disable CA1031 // A failed probe only means no refresh this time; it must not stop the node.
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
                {
                    Log.ProbeFailed(_logger, ex.GetType().Name, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3221, Level = LogLevel.Debug, Message = "An idle-time execution probe failed ({Error}: {Message}); the next is tried at the next tick.")]
        public static partial void ProbeFailed(ILogger logger, string error, string message);

        [LoggerMessage(EventId = 3222, Level = LogLevel.Debug, Message = "Idle-time execution probe of {Model} ({Variant}, {InputBytes} input bytes): {ExecMs:0.0} ms, {Joules:0.0000} J (gave way to a request: {Cancelled}).")]
        public static partial void Probed(ILogger logger, string model, string variant, long inputBytes, double execMs, double joules, bool cancelled);
    }
}
