namespace EdgeAgent.Node.Telemetry;

/// <summary>
/// What a node exports about itself, section "Telemetry". Everything is off by default; one
/// setting turns each exporter on: <see cref="OtlpEndpoint"/> (traces and metrics over OTLP),
/// <see cref="PrometheusListen"/> (a scrape endpoint), <see cref="LogFormat"/> (JSON console logs).
/// </summary>
public sealed class TelemetryOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Telemetry";

    /// <summary>Path of the Prometheus scrape endpoint on <see cref="PrometheusListen"/>.</summary>
    public const string PrometheusPath = "/metrics";

    /// <summary>
    /// OTLP collector address (flag --otlp-endpoint), e.g. http://127.0.0.1:4317 for gRPC or
    /// http://127.0.0.1:4318 for HTTP/protobuf; traces and metrics are exported there. Empty: off.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>OTLP transport: "grpc" (default) or "http/protobuf" (Telemetry:OtlpProtocol).</summary>
    public string OtlpProtocol { get; set; } = "grpc";

    /// <summary>
    /// HOST:PORT of an HTTP/1.1 listener serving Prometheus text at /metrics (flag
    /// --metrics-listen, e.g. 127.0.0.1:9464). Plaintext: a non-loopback address needs
    /// <see cref="PrometheusOnNetwork"/> or Security:Insecure. Empty: off.
    /// </summary>
    public string? PrometheusListen { get; set; }

    /// <summary>
    /// Allows <see cref="PrometheusListen"/> on a non-loopback address without Security:Insecure
    /// (Telemetry:PrometheusOnNetwork): for a pod scraped by Prometheus over the cluster network,
    /// where the node's own listeners keep TLS. The scrape endpoint serves metrics only.
    /// </summary>
    public bool PrometheusOnNetwork { get; set; }

    /// <summary>
    /// Share of the requests a node serves that start a recorded trace when the caller sent no
    /// <c>traceparent</c> (Telemetry:TraceSampleRatio, flag --trace-sample-ratio, 0 to 1; default
    /// <see cref="DefaultTraceSampleRatio"/>). Parent-based: a request that carries a caller's
    /// trace context follows the caller's decision, and a peer follows its agent's, so a trace is
    /// whole or absent, never half. 1 traces every request; 0 only those a caller sampled.
    /// The choice is by trace id (W3C random bits), so it needs no state and no lock.
    /// </summary>
    public double TraceSampleRatio { get; set; } = DefaultTraceSampleRatio;

    /// <summary>Default of <see cref="TraceSampleRatio"/>: one request in ten.</summary>
    public const double DefaultTraceSampleRatio = 0.1;

    /// <summary>
    /// Also export ASP.NET Core's <c>http.server.*</c> and Kestrel's <c>kestrel.*</c> meters
    /// (Telemetry:AspNetCoreMetrics, default false). Off by default: every call a node serves is a
    /// gRPC call, which <c>rpc.server.duration</c> already times with its method and status, and
    /// subscribing to them adds five recordings with five to seven tags each to every call.
    /// </summary>
    public bool AspNetCoreMetrics { get; set; }

    /// <summary>
    /// Also export the .NET runtime's own meter, <c>System.Runtime</c> (Telemetry:RuntimeMetrics,
    /// default false): managed heap per generation and the GC's committed memory after the last
    /// collection, collections, the process's working set, JIT-compiled methods and bytes, thread
    /// pool and lock contention. Nearly all of them are observable instruments read at each export or
    /// scrape (no cost per call; <c>dotnet.exceptions</c> counts each exception). Tells managed from
    /// native memory on a running node (<c>edgeagent bench soak</c> reads them per row).
    /// </summary>
    public bool RuntimeMetrics { get; set; }

    /// <summary>Console log format: "text" (default) or "json" (one JSON object per line; flag --log-format).</summary>
    public string LogFormat { get; set; } = "text";

    /// <summary>Interval of the periodic OTLP metric export (Telemetry:OtlpMetricInterval, 1 s to 1 h).</summary>
    public TimeSpan OtlpMetricInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>True when JSON console logs are asked for.</summary>
    public bool JsonLogs => string.Equals(LogFormat, "json", StringComparison.OrdinalIgnoreCase);
}
