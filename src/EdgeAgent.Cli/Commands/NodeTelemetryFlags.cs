using System.CommandLine;

namespace EdgeAgent.Cli.Commands;

/// <summary>The telemetry flags `edgeagent agent` and `edgeagent peer` share; each turns one exporter on.</summary>
internal sealed class NodeTelemetryFlags
{
    private readonly Option<string?> _otlp = new("--otlp-endpoint") { Description = "Export traces and metrics over OTLP to this collector, e.g. http://127.0.0.1:4317 (Telemetry:OtlpEndpoint; Telemetry:OtlpProtocol grpc or http/protobuf). Default: off." };
    private readonly Option<string?> _prometheus = new("--metrics-listen") { Description = "Serve Prometheus metrics at http://HOST:PORT/metrics on a separate HTTP/1.1 listener, e.g. 127.0.0.1:9464 (Telemetry:PrometheusListen; loopback unless --insecure). Default: off." };
    private readonly Option<string?> _sampleRatio = new("--trace-sample-ratio") { Description = "Share of requests traced when the caller sent no traceparent, 0 to 1 (Telemetry:TraceSampleRatio, default 0.1; a caller's sampled traceparent is always followed). 1 traces every request." };
    private readonly Option<string?> _logFormat = new("--log-format") { Description = "Console logs as text (default) or json, one JSON object per line (Telemetry:LogFormat)." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { _otlp, _prometheus, _sampleRatio, _logFormat })
        {
            command.Options.Add(option);
        }
    }

    public void Apply(ParseResult parseResult, Dictionary<string, string?> overrides)
    {
        Set(overrides, "Telemetry:OtlpEndpoint", parseResult.GetValue(_otlp));
        Set(overrides, "Telemetry:PrometheusListen", parseResult.GetValue(_prometheus));
        Set(overrides, "Telemetry:TraceSampleRatio", parseResult.GetValue(_sampleRatio));
        Set(overrides, "Telemetry:LogFormat", parseResult.GetValue(_logFormat));
    }

    private static void Set(Dictionary<string, string?> overrides, string key, string? value)
    {
        if (value is not null)
        {
            overrides[key] = value;
        }
    }
}
