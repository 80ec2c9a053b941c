using System.Diagnostics.Metrics;
using EdgeAgent.Inference.Execution;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// The local executor's load as observable gauges on meter <c>EdgeAgent.Execution</c> (both
/// roles): the residual work queued and running (the load figure a peer also streams in its
/// LoadReports, and the metric deploy/kubernetes scales peers on), requests queued and running,
/// and the service rate. Read from <see cref="LocalExecutor.GetLoadSnapshot"/> when collected.
/// </summary>
public sealed class ExecutorMetrics : IDisposable
{
    /// <summary>Meter name; an exporter (OpenTelemetry, Prometheus) selects it by this name.</summary>
    public const string MeterName = "EdgeAgent.Execution";

    /// <summary>Instrument: residual work of every queued and running request, in seconds.</summary>
    public const string ResidualWork = "edgeagent.executor.residual_work";

    private readonly Meter _meter;

    /// <summary>Creates the gauges over <paramref name="executor"/>.</summary>
    public ExecutorMetrics(LocalExecutor executor, IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(executor);
        ArgumentNullException.ThrowIfNull(meterFactory);
        _meter = meterFactory.Create(MeterName);
        _meter.CreateObservableGauge(ResidualWork, () => executor.GetLoadSnapshot().TotalResidualWorkMs / 1000.0, "s",
            "Expected execution time still ahead of every queued and running request (running: mean minus elapsed).");
        _meter.CreateObservableGauge("edgeagent.executor.queued", () => executor.GetLoadSnapshot().Queued, "{request}",
            "Requests waiting for an execution slot.");
        _meter.CreateObservableGauge("edgeagent.executor.running", () => executor.GetLoadSnapshot().Running, "{request}",
            "Requests executing.");
        _meter.CreateObservableGauge("edgeagent.executor.service_rate", () => executor.GetLoadSnapshot().ServiceRatePerSecond, "{request}/s",
            "Requests completed per second over Execution:ServiceRateWindowSeconds.");
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
