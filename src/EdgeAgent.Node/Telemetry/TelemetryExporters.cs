using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace EdgeAgent.Node.Telemetry;

/// <summary>
/// Extra exporters for a node started in-process (tests, benchmarks, an embedding host): register
/// one in the host's <c>configure</c> callback and the node's tracing or metrics pipeline is on and
/// also sends to it, e.g. <c>Traces = t =&gt; t.AddInMemoryExporter(spans)</c>. The daemon's own
/// exporters are turned on by <see cref="TelemetryOptions"/> only.
/// </summary>
public sealed class TelemetryExporters
{
    /// <summary>Adds to the node's tracer provider (turns tracing on).</summary>
    public Action<TracerProviderBuilder>? Traces { get; init; }

    /// <summary>Adds to the node's meter provider (turns metrics on).</summary>
    public Action<MeterProviderBuilder>? Metrics { get; init; }
}
