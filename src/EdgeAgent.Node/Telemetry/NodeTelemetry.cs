using System.Diagnostics;
using System.Globalization;
using System.Net;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace EdgeAgent.Node.Telemetry;

/// <summary>
/// The one home of a node's telemetry (both roles): the <see cref="ActivitySource"/> of the request
/// path, the meters exported, and the OpenTelemetry SDK set up from <see cref="TelemetryOptions"/>:
/// OTLP export of traces and metrics, a Prometheus scrape endpoint on its own HTTP/1.1 listener,
/// JSON console logs. With every option off (the default) no SDK provider is registered and the
/// instruments and spans cost what .NET's unobserved ones cost.
/// </summary>
public static class NodeTelemetry
{
    /// <summary>Name of the ActivitySource of the request path (decide, local run, offload).</summary>
    public const string ActivitySourceName = "EdgeAgent";

    /// <summary>Spans of the request path: <c>edgeagent.decide</c>, <c>edgeagent.local</c>, <c>edgeagent.offload</c>.</summary>
    public static ActivitySource ActivitySource { get; } = new(ActivitySourceName, typeof(NodeTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The meters a node exports: EdgeAgent's own (agent, energy, serving, executor).</summary>
    public static IReadOnlyList<string> MeterNames { get; } =
    [
        AgentMetrics.MeterName,
        EnergyMeter.MeterName,
        ServingMetrics.MeterName,
        Serving.ExecutorMetrics.MeterName,
    ];

    /// <summary>
    /// ASP.NET Core's HTTP server and Kestrel meters, exported only with
    /// <see cref="TelemetryOptions.AspNetCoreMetrics"/> (their <c>http.server.request.duration</c>
    /// of a gRPC call duplicates <c>rpc.server.duration</c>).
    /// </summary>
    public static IReadOnlyList<string> AspNetCoreMeterNames { get; } =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
    ];

    /// <summary>The .NET runtime's meter (<c>dotnet.gc.*</c>, <c>dotnet.process.*</c>, <c>dotnet.jit.*</c>, ...), exported only with <see cref="TelemetryOptions.RuntimeMetrics"/>.</summary>
    public const string RuntimeMeterName = "System.Runtime";

    /// <summary>ASP.NET Core's ActivitySource of the server span of each request it serves.</summary>
    internal const string AspNetCoreActivitySource = "Microsoft.AspNetCore";

    // ASP.NET Core sets OpenTelemetry attributes on every server activity it creates (a tag list,
    // the URL path joined into a new string), also on the activity it creates for logging scopes
    // when nothing traces, and renames recorded ones "POST /route" when they end. The server span's
    // attributes are set by ServingMetrics instead, on recorded spans only (rpc.*, server.*).
    private const string SuppressAspNetCoreActivityData = "Microsoft.AspNetCore.Hosting.SuppressActivityOpenTelemetryData";

    /// <summary>
    /// Adds telemetry to a node from the "Telemetry" section; call after every other registration
    /// (the host's <c>configure</c> callback may have added <see cref="TelemetryExporters"/>).
    /// </summary>
    /// <exception cref="NodeStartupException">A Telemetry setting is unusable; the message names it.</exception>
    public static WebApplicationBuilder AddEdgeAgentTelemetry(this WebApplicationBuilder builder, NodeRole role)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = Resolve(builder.Configuration, out var otlp, out var protocol, out var prometheus);
        // Read when the host starts (HostingApplicationDiagnostics); process-wide, the same for every node.
        AppContext.SetSwitch(SuppressAspNetCoreActivityData, true);
        builder.Services.TryAddSingleton<ServingMetrics>();
        builder.Services.AddSingleton(options);
        if (options.JsonLogs)
        {
            // After UseSystemd, so JSON wins over the journal format too.
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
            });
        }

        var hooks = builder.Services.Where(d => d.ServiceType == typeof(TelemetryExporters) && d.ImplementationInstance is TelemetryExporters)
            .Select(d => (TelemetryExporters)d.ImplementationInstance!).ToArray();
        var traces = otlp is not null || hooks.Any(h => h.Traces is not null);
        var metrics = otlp is not null || prometheus is not null || hooks.Any(h => h.Metrics is not null);
        if (!traces && !metrics)
        {
            return builder;
        }

        var nodeName = builder.Configuration["Serving:NodeName"];
        var telemetry = builder.Services.AddOpenTelemetry().ConfigureResource(resource => resource
            .AddService("edgeagent", serviceVersion: typeof(NodeTelemetry).Assembly.GetName().Version?.ToString(), serviceInstanceId: string.IsNullOrWhiteSpace(nodeName) ? Environment.MachineName : nodeName)
            .AddAttributes([new("edgeagent.role", role.ToString().ToLowerInvariant())]));
        if (metrics)
        {
            telemetry.WithMetrics(m =>
            {
                m.AddMeter([.. MeterNames]);
                if (options.AspNetCoreMetrics)
                {
                    m.AddMeter([.. AspNetCoreMeterNames]);
                }

                if (options.RuntimeMetrics)
                {
                    m.AddMeter(RuntimeMeterName);
                }

                if (prometheus is not null)
                {
                    // No response cache: a scrape shows the counters as they are now.
                    m.AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                }

                if (otlp is not null)
                {
                    m.AddOtlpExporter((exporter, reader) =>
                    {
                        Configure(exporter, otlp, protocol, "v1/metrics");
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.OtlpMetricInterval.TotalMilliseconds;
                    });
                }

                foreach (var hook in hooks)
                {
                    hook.Metrics?.Invoke(m);
                }
            });
        }

        if (traces)
        {
            telemetry.WithTracing(t =>
            {
                t.AddSource(ActivitySourceName);
                // The gRPC and HTTP/2 client spans of each offload (the last one's id is what the
                // peer sees as its parent); outbound calls without a parent are not traced.
                t.AddSource(HttpClientActivitySource);
                t.AddSource(GrpcClientActivitySource);
                t.SetSampler(new RequestSampler(options.TraceSampleRatio));
                // The server span of each call: ASP.NET Core's own activity, created with the
                // caller's W3C context as its parent. No instrumentation package: its
                // DiagnosticListener callbacks ran on every call, sampled or not, to extract the
                // context a second time and set attributes. ServingMetrics names recorded server
                // spans after the RPC and sets their attributes; scrapes and dashboard polls
                // (HTTP/1.1 listeners) are not request traces and are never recorded.
                t.AddSource(AspNetCoreActivitySource);
                if (otlp is not null)
                {
                    t.AddOtlpExporter(exporter => Configure(exporter, otlp, protocol, "v1/traces"));
                }

                foreach (var hook in hooks)
                {
                    hook.Traces?.Invoke(t);
                }
            });
        }

        if (prometheus is not null)
        {
            var listeners = OperationsListenersOf(builder.Services);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(prometheus, o =>
            {
                o.Protocols = HttpProtocols.Http1;
                listeners.Add(OperationsListeners.Metrics, o);
            }));
        }

        return builder;
    }

    /// <summary>Adds the telemetry middleware (RPC timing and server spans, then the Prometheus scrape endpoint); call before the serving middleware.</summary>
    public static WebApplication UseEdgeAgentTelemetry(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // First: it also keeps scrapes and dashboard polls out of the traces.
        var serving = app.Services.GetRequiredService<ServingMetrics>();
        app.Use(serving.InvokeAsync);
        var options = app.Services.GetService<TelemetryOptions>();
        if (!string.IsNullOrWhiteSpace(options?.PrometheusListen))
        {
            // Only on the HTTP/1.1 listener: the node's gRPC listeners speak HTTP/2 only.
            app.UseOpenTelemetryPrometheusScrapingEndpoint(
                meterProvider: null,
                predicate: context => OperationsListeners.PurposeOf(context) == OperationsListeners.Metrics && context.Request.Path == TelemetryOptions.PrometheusPath,
                path: null,
                configureBranchedPipeline: null,
                optionsName: null);
        }

        return app;
    }

    private const string HttpClientActivitySource = "System.Net.Http";

    private const string GrpcClientActivitySource = "Grpc.Net.Client";

    // A span with a parent follows its parent's decision. Roots: a request a node serves starts a
    // recorded trace for Telemetry:TraceSampleRatio of trace ids (TraceIdRatioBasedSampler: the
    // same id gives the same answer on every node); an outbound call that would start a trace of
    // its own (load report streams, RTT pings, the OTLP exporter's own calls) is not traced.
    // Unsampled requests still get propagation-only activities (no tags, nothing exported), so
    // their peers see the unsampled flag and do not start traces of their own.
    private sealed class RequestSampler(double ratio) : Sampler
    {
        private static readonly SamplingResult Sample = new(SamplingDecision.RecordAndSample);
        private static readonly SamplingResult Drop = new(SamplingDecision.Drop);
        private readonly TraceIdRatioBasedSampler _roots = new(ratio);

        public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
        {
            if (samplingParameters.ParentContext.TraceId != default)
            {
                return (samplingParameters.ParentContext.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? Sample : Drop;
            }

            return samplingParameters.Kind == ActivityKind.Client ? Drop : _roots.ShouldSample(samplingParameters);
        }
    }

    /// <summary>
    /// Starts a span of the request path (<see cref="ActivitySource"/>), or none when the request's
    /// trace is not being recorded: an unsampled parent's children would be unsampled too, and
    /// the W3C context a peer needs still flows from the parent (the server span and the gRPC client
    /// span carry it). Saves the activities of unsampled requests.
    /// </summary>
    public static Activity? StartSpan(string name) =>
        Activity.Current is { Recorded: false } ? null : ActivitySource.StartActivity(name);

    /// <summary>
    /// <paramref name="activity"/> when it is recorded (sampled: its tags are exported), else null.
    /// Unsampled requests still carry propagation-only activities; tagging them would only allocate.
    /// </summary>
    public static Activity? Recorded(Activity? activity) => activity is { IsAllDataRequested: true } ? activity : null;

    /// <summary>The node's <see cref="OperationsListeners"/>, registered on first use.</summary>
    public static OperationsListeners OperationsListenersOf(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.FirstOrDefault(d => d.ServiceType == typeof(OperationsListeners))?.ImplementationInstance is OperationsListeners existing)
        {
            return existing;
        }

        var listeners = new OperationsListeners();
        services.AddSingleton(listeners);
        return listeners;
    }

    /// <summary>True for a request on an HTTP/1.x listener (metrics, dashboard); the gRPC listeners are HTTP/2 only.</summary>
    internal static bool IsOperationsRequest(HttpContext context) =>
        HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol);

    /// <summary>Reads and checks the "Telemetry" section.</summary>
    /// <exception cref="NodeStartupException">A setting is unusable; the message names it and the accepted values.</exception>
    internal static TelemetryOptions Resolve(IConfiguration configuration, out Uri? otlp, out OtlpExportProtocol protocol, out IPEndPoint? prometheus)
    {
        TelemetryOptions options;
        try
        {
            options = configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new NodeStartupException(ConfigurationValueErrors.Describe(ex) ?? $"{TelemetryOptions.SectionName}: {(ex.InnerException ?? ex).Message}", ex);
        }

        otlp = null;
        if (!string.IsNullOrWhiteSpace(options.OtlpEndpoint))
        {
            if (!Uri.TryCreate(options.OtlpEndpoint.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new NodeStartupException($"Telemetry:OtlpEndpoint (--otlp-endpoint): '{options.OtlpEndpoint}' is not an absolute http:// or https:// address (for example http://127.0.0.1:4317).");
            }

            otlp = uri;
        }

        protocol = options.OtlpProtocol?.Trim().ToLowerInvariant() switch
        {
            "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" or "http" => OtlpExportProtocol.HttpProtobuf,
            _ => throw new NodeStartupException($"Telemetry:OtlpProtocol is '{options.OtlpProtocol}'; use grpc or http/protobuf."),
        };

        if (options.OtlpMetricInterval < TimeSpan.FromSeconds(1) || options.OtlpMetricInterval > TimeSpan.FromHours(1))
        {
            throw new NodeStartupException(string.Create(CultureInfo.InvariantCulture, $"Telemetry:OtlpMetricInterval is {options.OtlpMetricInterval}; it must be between 00:00:01 and 01:00:00."));
        }

        if (!(options.TraceSampleRatio >= 0 && options.TraceSampleRatio <= 1))
        {
            throw new NodeStartupException(string.Create(CultureInfo.InvariantCulture, $"Telemetry:TraceSampleRatio (--trace-sample-ratio) is {options.TraceSampleRatio}; it must be between 0 and 1 (the share of requests traced when the caller sent no traceparent)."));
        }

        if (!string.Equals(options.LogFormat, "text", StringComparison.OrdinalIgnoreCase) && !options.JsonLogs)
        {
            throw new NodeStartupException($"Telemetry:LogFormat (--log-format) is '{options.LogFormat}'; use text or json.");
        }

        prometheus = null;
        if (!string.IsNullOrWhiteSpace(options.PrometheusListen))
        {
            if (!EndpointOptions.TryParseListen(options.PrometheusListen, out var endpoint, out var error))
            {
                throw new NodeStartupException($"Telemetry:PrometheusListen (--metrics-listen): {error}.");
            }

            var insecure = configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>()?.Insecure ?? false;
            if (!IPAddress.IsLoopback(endpoint.Address) && !insecure && !options.PrometheusOnNetwork)
            {
                throw new NodeStartupException($"Telemetry:PrometheusListen (--metrics-listen): {options.PrometheusListen} is not a loopback address and the scrape endpoint is plaintext HTTP; keep it on loopback (a local collector or a TLS proxy scrapes it), set Telemetry:PrometheusOnNetwork=true (metrics only, e.g. a pod scraped over the cluster network) or pass --insecure (Security:Insecure).");
            }

            prometheus = endpoint;
        }

        return options;
    }

    private static void Configure(OtlpExporterOptions exporter, Uri endpoint, OtlpExportProtocol protocol, string signalPath)
    {
        exporter.Protocol = protocol;
        // HTTP/protobuf takes one URL per signal; gRPC takes the collector's address.
        exporter.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/" + signalPath)
            : endpoint;
    }
}
