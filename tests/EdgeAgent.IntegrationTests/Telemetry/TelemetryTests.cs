using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using EdgeAgent.IntegrationTests.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Xunit.Abstractions;

namespace EdgeAgent.IntegrationTests.Telemetry;

/// <summary>
/// OpenTelemetry on real nodes on 127.0.0.1: the Prometheus scrape endpoint read by a plain HTTP/1.1
/// client, a trace across agent and peer through W3C trace context on the gRPC call, the options.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed partial class TelemetryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PrometheusEndpoint_UnderLoad_ServesEdgeAgentMetricsThatChange()
    {
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("prom-edge");
        var settings = cluster.AgentSettings("peer", $"prom-edge={peer.GetTcpAddress()}");
        settings = settings with { Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:PrometheusListen"] = "127.0.0.1:0" } };
        var agent = await cluster.StartAgentAsync(settings);
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "prom-edge", connected: true);
        var metrics = agent.GetMetricsAddress();
        Assert.NotNull(metrics);
        Assert.NotEqual(metrics.Port, agent.GetTcpAddress().Port);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = AgentCluster.Bound };
        var scrapeUrl = new Uri(metrics, TelemetryOptions.PrometheusPath);

        for (var i = 0; i < 3; i++)
        {
            await AgentCluster.InferAsync(channel);
        }

        var before = await ScrapeAsync(http, scrapeUrl);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("peer:prom-edge", AgentCluster.Placement(await AgentCluster.InferAsync(channel)));
        }

        var after = await ScrapeAsync(http, scrapeUrl);
        output.WriteLine(string.Join('\n', after.Lines.Where(l => l.Contains("edgeagent", StringComparison.Ordinal) || l.StartsWith("rpc_", StringComparison.Ordinal)).Take(60)));

        // Counters of this agent's placement and the RPC duration histogram moved with the load.
        // (Other tests' agents in this process may add to the same meter names, hence >=.)
        var requests = Sum(after, "edgeagent_requests_total", ("placement", "peer:prom-edge"), ("outcome", "ok"));
        Assert.True(requests - Sum(before, "edgeagent_requests_total", ("placement", "peer:prom-edge"), ("outcome", "ok")) >= 5);
        Assert.True(requests >= 8);
        // rpc.server.duration has no label naming the host, and a host that stops in between takes its
        // series with it, so a sum over hosts may fall: this agent's series is one with >= 8 calls.
        Assert.Contains(after.Samples, s => s.Name == "rpc_server_duration_milliseconds_count"
            && s.Labels.GetValueOrDefault("rpc_method") == "ModelInfer" && s.Labels.GetValueOrDefault("rpc_grpc_status_code") == "0" && s.Value >= 8);
        Assert.True(Sum(after, "edgeagent_decision_duration_seconds_count", ("policy", "peer")) >= 8);
        Assert.True(Sum(after, "edgeagent_energy_joules_total", ("placement", "peer:prom-edge"), ("provenance", "modelled"))
            > Sum(before, "edgeagent_energy_joules_total", ("placement", "peer:prom-edge"), ("provenance", "modelled")));
        Assert.True(Sum(after, "edgeagent_peer_available", ("peer", "prom-edge")) >= 1);
        Assert.True(Sum(after, "edgeagent_peer_throughput_bit_per_second", ("peer", "prom-edge")) > 0);
        Assert.Contains(after.Samples, s => s.Name == "edgeagent_peer_rtt_seconds" && s.Labels.GetValueOrDefault("peer") == "prom-edge");

        // The gRPC listener does not serve the scrape path, and the scrape listener no gRPC.
        var notFound = await http.GetAsync(new Uri(metrics, "/nothing-here"));
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
    }

    [Fact]
    public async Task OffloadedRequest_TracingOn_AgentAndPeerSpansShareOneTrace()
    {
        var spans = new SpanList();
        var exporters = new TelemetryExporters { Traces = t => t.AddSource(CallerSource.Name).AddInMemoryExporter(spans) };
        await using var cluster = new AgentCluster();
        // Every request traced (the default traces one in ten roots): the caller's own root span below is sampled too.
        var traceAll = new Dictionary<string, string?> { ["Telemetry:TraceSampleRatio"] = "1" };
        var peer = await cluster.StartPeerAsync("trace-edge", extra: traceAll, configure: b => b.Services.AddSingleton(exporters));
        var settings = cluster.AgentSettings("peer", $"trace-edge={peer.GetTcpAddress()}");
        var agent = await cluster.StartAgentAsync(settings with { Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:TraceSampleRatio"] = "1" } }, b => b.Services.AddSingleton(exporters));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "trace-edge", connected: true);

        // The caller runs in this process: its own span is the root, and its HTTP client sends
        // the context on (an unsampled caller context would be honoured and nothing recorded).
        ActivityTraceId callerTrace;
        using (var caller = CallerSource.StartActivity("caller"))
        {
            Assert.NotNull(caller);
            callerTrace = caller.TraceId;
            var response = await AgentCluster.InferAsync(channel);
            Assert.Equal("peer:trace-edge", AgentCluster.Placement(response));
        }

        // Spans are exported when they end; the servers end theirs just after answering.
        var peerPort = peer.GetTcpAddress().Port;
        Activity[] trace = [];
        await AgentCluster.WaitUntilAsync(() =>
        {
            {
                var all = spans.Snapshot();
                var offload = all.LastOrDefault(s => s.OperationName == "edgeagent.offload" && (string?)s.GetTagItem("edgeagent.peer") == "trace-edge");
                trace = offload is null ? [] : all.Where(s => s.TraceId == offload.TraceId).DistinctBy(s => s.SpanId).ToArray();
            }

            return trace.Count(s => s.Kind == ActivityKind.Server) >= 2 && trace.Any(s => s.OperationName == "edgeagent.local");
        }, "the agent's and the peer's spans of the offloaded request are exported");
        foreach (var span in trace)
        {
            output.WriteLine($"{span.TraceId} {span.SpanId} parent {span.ParentSpanId} {span.Kind} {span.DisplayName} {string.Join(", ", span.TagObjects.Select(t => $"{t.Key}={t.Value}"))}");
        }

        Assert.Equal(callerTrace, trace[0].TraceId);
        var offloadSpan = trace.Single(s => s.OperationName == "edgeagent.offload");
        var decide = trace.Single(s => s.OperationName == "edgeagent.decide");
        var servers = trace.Where(s => s.Kind == ActivityKind.Server).ToArray();
        var peerServer = servers.Single(s => Convert.ToInt32(s.GetTagItem("server.port"), CultureInfo.InvariantCulture) == peerPort);
        var agentServer = servers.Single(s => s != peerServer && (string?)s.GetTagItem("rpc.method") == "ModelInfer");
        Assert.Equal(agentServer.SpanId, offloadSpan.ParentSpanId);
        Assert.Equal(agentServer.SpanId, decide.ParentSpanId);
        Assert.Equal("peer:trace-edge", decide.GetTagItem("edgeagent.placement"));
        // The peer's server span continues the agent's offload span (through the HTTP client span
        // under it): W3C trace context over gRPC, and every span on the way is exported.
        var http = trace.Single(s => s.SpanId == peerServer.ParentSpanId);
        Assert.Equal(ActivityKind.Client, http.Kind);
        var grpc = trace.Single(s => s.SpanId == http.ParentSpanId);
        Assert.Equal(ActivityKind.Client, grpc.Kind);
        Assert.Equal(offloadSpan.SpanId, grpc.ParentSpanId);
        Assert.Equal("ModelInfer", peerServer.GetTagItem("rpc.method"));
        Assert.Equal(0, peerServer.GetTagItem("rpc.grpc.status_code"));
        Assert.Contains(trace, s => s.OperationName == "edgeagent.local" && s.ParentSpanId == peerServer.SpanId);
    }

    // One locally run request is one trace: the server span (named after the RPC, rpc.* and
    // server.* attributes), edgeagent.decide and exactly one edgeagent.local under it. A scrape of
    // the Prometheus listener is not a request trace, even when its caller asks for it sampled.
    [Fact]
    public async Task LocalRequest_TracingOn_OneServerSpanOneLocalSpanAndNoScrapeSpan()
    {
        var spans = new SpanList();
        var exporters = new TelemetryExporters { Traces = t => t.AddInMemoryExporter(spans) };
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local");
        var agent = await cluster.StartAgentAsync(
            settings with { Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:TraceSampleRatio"] = "1", ["Telemetry:PrometheusListen"] = "127.0.0.1:0" } },
            b => b.Services.AddSingleton(exporters));
        var channel = cluster.Channel(agent);
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = AgentCluster.Bound };
        var scrapeUrl = new Uri(agent.GetMetricsAddress()!, TelemetryOptions.PrometheusPath);
        var scrapeTrace = ActivityTraceId.CreateRandom();
        using (var sampledScrape = new HttpRequestMessage(HttpMethod.Get, scrapeUrl))
        {
            sampledScrape.Headers.Add("traceparent", $"00-{scrapeTrace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            using var response = await http.SendAsync(sampledScrape);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // HTTP/1.1 serves a connection's requests one after another: once the second scrape is
        // answered, the first has ended (and its span, had it been recorded, was exported).
        await ScrapeAsync(http, scrapeUrl);
        var callerTrace = ActivityTraceId.CreateRandom();
        var client = new EdgeAgent.Contracts.Inference.GRPCInferenceService.GRPCInferenceServiceClient(channel);
        var headers = new Grpc.Core.Metadata { { "traceparent", $"00-{callerTrace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01" } };
        var answer = await client.ModelInferAsync(AgentCluster.AddNegRequest(), headers, deadline: DateTime.UtcNow + AgentCluster.Bound).ResponseAsync.WaitAsync(AgentCluster.Bound);
        Assert.Equal("local", AgentCluster.Placement(answer));

        await AgentCluster.WaitUntilAsync(
            () => spans.Snapshot().Any(s => s.TraceId == callerTrace && s.Kind == ActivityKind.Server),
            "the request's server span is exported");
        var trace = spans.Snapshot().Where(s => s.TraceId == callerTrace).DistinctBy(s => s.SpanId).ToArray();
        foreach (var span in trace)
        {
            output.WriteLine($"{span.TraceId} {span.SpanId} parent {span.ParentSpanId} {span.Kind} {span.DisplayName} {string.Join(", ", span.TagObjects.Select(t => $"{t.Key}={t.Value}"))}");
        }

        var server = Assert.Single(trace, s => s.Kind == ActivityKind.Server);
        Assert.Equal("inference.GRPCInferenceService/ModelInfer", server.DisplayName);
        Assert.Equal("grpc", server.GetTagItem("rpc.system"));
        Assert.Equal("inference.GRPCInferenceService", server.GetTagItem("rpc.service"));
        Assert.Equal("ModelInfer", server.GetTagItem("rpc.method"));
        Assert.Equal(0, server.GetTagItem("rpc.grpc.status_code"));
        Assert.Equal(agent.GetTcpAddress().Port, Convert.ToInt32(server.GetTagItem("server.port"), CultureInfo.InvariantCulture));
        Assert.Equal(server.SpanId, Assert.Single(trace, s => s.OperationName == "edgeagent.decide").ParentSpanId);
        Assert.Equal(server.SpanId, Assert.Single(trace, s => s.OperationName == "edgeagent.local").ParentSpanId);
        Assert.DoesNotContain(spans.Snapshot(), s => s.TraceId == scrapeTrace);
    }

    // ASP.NET Core's http.server.* and Kestrel's meters cost five recordings per call and duplicate
    // rpc.server.duration: exported only with Telemetry:AspNetCoreMetrics=true.
    [Fact]
    public async Task PrometheusEndpoint_AspNetCoreMetrics_ExportedOnlyWhenTurnedOn()
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local");
        var plain = await cluster.StartAgentAsync(settings with { Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:PrometheusListen"] = "127.0.0.1:0" } });
        var withAspNetCore = await cluster.StartAgentAsync(settings with
        {
            Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:PrometheusListen"] = "127.0.0.1:0", ["Telemetry:AspNetCoreMetrics"] = "true" },
        });
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = AgentCluster.Bound };
        foreach (var agent in new[] { plain, withAspNetCore })
        {
            Assert.Equal("local", AgentCluster.Placement(await AgentCluster.InferAsync(cluster.Channel(agent))));
        }

        var off = await ScrapeAsync(http, new Uri(plain.GetMetricsAddress()!, TelemetryOptions.PrometheusPath));
        var on = await ScrapeAsync(http, new Uri(withAspNetCore.GetMetricsAddress()!, TelemetryOptions.PrometheusPath));

        Assert.Contains(off.Samples, s => s.Name == "rpc_server_duration_milliseconds_count" && s.Labels.GetValueOrDefault("rpc_method") == "ModelInfer");
        Assert.DoesNotContain(off.Samples, s => s.Name.StartsWith("http_server_", StringComparison.Ordinal) || s.Name.StartsWith("kestrel_", StringComparison.Ordinal));
        Assert.Contains(on.Samples, s => s.Name == "http_server_request_duration_seconds_count" && s.Value >= 1);
        Assert.Contains(on.Samples, s => s.Name.StartsWith("kestrel_", StringComparison.Ordinal));
    }

    // The runtime's System.Runtime meter (managed heap, GC committed memory, JIT) is exported only
    // with Telemetry:RuntimeMetrics=true; bench soak reads managed memory from it.
    [Fact]
    public async Task PrometheusEndpoint_RuntimeMetrics_ExportedOnlyWhenTurnedOn()
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local");
        var plain = await cluster.StartAgentAsync(settings with { Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:PrometheusListen"] = "127.0.0.1:0" } });
        var withRuntime = await cluster.StartAgentAsync(settings with
        {
            Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:PrometheusListen"] = "127.0.0.1:0", ["Telemetry:RuntimeMetrics"] = "true" },
        });
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version11, Timeout = AgentCluster.Bound };
        foreach (var agent in new[] { plain, withRuntime })
        {
            Assert.Equal("local", AgentCluster.Placement(await AgentCluster.InferAsync(cluster.Channel(agent))));
        }

        GC.Collect();
        var off = await ScrapeAsync(http, new Uri(plain.GetMetricsAddress()!, TelemetryOptions.PrometheusPath));
        var on = await ScrapeAsync(http, new Uri(withRuntime.GetMetricsAddress()!, TelemetryOptions.PrometheusPath));

        Assert.DoesNotContain(off.Samples, s => s.Name.StartsWith("dotnet_", StringComparison.Ordinal));
        Assert.Contains(on.Samples, s => s.Name.StartsWith("dotnet_gc_last_collection_heap_size", StringComparison.Ordinal) && s.Value > 0);
        Assert.Contains(on.Samples, s => s.Name.StartsWith("dotnet_gc_last_collection_memory_committed_size", StringComparison.Ordinal) && s.Value > 0);
        Assert.Contains(on.Samples, s => s.Name == "rpc_server_duration_milliseconds_count");
    }

    // Sampling is parent-based: with a root ratio of 0 a request without trace context records
    // nothing on either node, and a caller's sampled traceparent is followed on both, whole.
    [Fact]
    public async Task OffloadedRequests_SampleRatioZero_OnlyTheCallerSampledTraceIsRecordedWhole()
    {
        var spans = new SpanList();
        var exporters = new TelemetryExporters { Traces = t => t.AddInMemoryExporter(spans) };
        await using var cluster = new AgentCluster();
        var peer = await cluster.StartPeerAsync("ratio-edge", extra: new Dictionary<string, string?> { ["Telemetry:TraceSampleRatio"] = "0" }, configure: b => b.Services.AddSingleton(exporters));
        var settings = cluster.AgentSettings("peer", $"ratio-edge={peer.GetTcpAddress()}");
        var agent = await cluster.StartAgentAsync(settings with { Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:TraceSampleRatio"] = "0" } }, b => b.Services.AddSingleton(exporters));
        var channel = cluster.Channel(agent);
        await AgentCluster.WaitForPeerAsync(channel, "ratio-edge", connected: true);
        var client = new EdgeAgent.Contracts.Inference.GRPCInferenceService.GRPCInferenceServiceClient(channel);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("peer:ratio-edge", AgentCluster.Placement(await AgentCluster.InferAsync(channel)));
        }

        var callerTrace = ActivityTraceId.CreateRandom();
        var headers = new Grpc.Core.Metadata { { "traceparent", $"00-{callerTrace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01" } };
        var sampled = await client.ModelInferAsync(AgentCluster.AddNegRequest(), headers, deadline: DateTime.UtcNow + AgentCluster.Bound).ResponseAsync.WaitAsync(AgentCluster.Bound);
        Assert.Equal("peer:ratio-edge", AgentCluster.Placement(sampled));

        await AgentCluster.WaitUntilAsync(
            () => spans.Snapshot().Count(s => s.TraceId == callerTrace && s.Kind == ActivityKind.Server) >= 2,
            "the agent's and the peer's server spans of the caller-sampled request are exported");
        // Both in-process hosts' providers export every span of this process: one copy each.
        var recorded = spans.Snapshot().DistinctBy(s => s.SpanId).ToArray();
        Assert.All(recorded.Where(s => s.OperationName.StartsWith("edgeagent.", StringComparison.Ordinal) || s.Kind == ActivityKind.Server),
            s => Assert.Equal(callerTrace, s.TraceId));
        Assert.Single(recorded, s => s.OperationName == "edgeagent.offload");
        Assert.Single(recorded, s => s.OperationName == "edgeagent.local");
    }

    [Theory]
    [InlineData("Telemetry:TraceSampleRatio", "1.5", "Telemetry:TraceSampleRatio (--trace-sample-ratio)")]
    [InlineData("Telemetry:OtlpEndpoint", "ftp://collector:4317", "Telemetry:OtlpEndpoint (--otlp-endpoint)")]
    [InlineData("Telemetry:OtlpEndpoint", "collector", "Telemetry:OtlpEndpoint (--otlp-endpoint)")]
    [InlineData("Telemetry:OtlpProtocol", "udp", "Telemetry:OtlpProtocol")]
    [InlineData("Telemetry:PrometheusListen", "0.0.0.0:9464", "Telemetry:PrometheusListen (--metrics-listen)")]
    [InlineData("Telemetry:PrometheusListen", "127.0.0.1:99999", "Telemetry:PrometheusListen (--metrics-listen)")]
    [InlineData("Telemetry:LogFormat", "xml", "Telemetry:LogFormat (--log-format)")]
    [InlineData("Telemetry:OtlpMetricInterval", "00:00:00.100", "Telemetry:OtlpMetricInterval")]
    [InlineData("Telemetry:AspNetCoreMetrics", "sometimes", "Telemetry:AspNetCoreMetrics")]
    public async Task Start_BadTelemetrySetting_OneMessageNamingIt(string key, string value, string named)
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local");
        settings = settings with { Extra = new Dictionary<string, string?>(settings.Extra) { [key] = value } };

        var error = await Assert.ThrowsAsync<NodeStartupException>(() => cluster.StartAgentAsync(settings));

        Assert.StartsWith(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task Start_LogFormatJson_ConsoleWritesJson()
    {
        await using var cluster = new AgentCluster();
        var settings = cluster.AgentSettings("local");
        settings = settings with { Extra = new Dictionary<string, string?>(settings.Extra) { ["Telemetry:LogFormat"] = "json" } };

        var agent = await cluster.StartAgentAsync(settings);

        Assert.Equal(ConsoleFormatterNames.Json, agent.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        // Everything off by default: no OpenTelemetry provider in a node without telemetry settings.
        var plain = await cluster.StartAgentAsync(cluster.AgentSettings("local"));
        Assert.Null(plain.Services.GetService<TracerProvider>());
        Assert.Null(plain.GetMetricsAddress());
    }

    // The exporter adds from the servers' threads while the test reads.
    private sealed class SpanList : System.Collections.ObjectModel.Collection<Activity>
    {
        private readonly Lock _gate = new();

        public Activity[] Snapshot()
        {
            lock (_gate)
            {
                return [.. this];
            }
        }

        protected override void InsertItem(int index, Activity item)
        {
            lock (_gate)
            {
                base.InsertItem(index, item);
            }
        }
    }

    private static readonly ActivitySource CallerSource = new("EdgeAgent.IntegrationTests.Caller");

    private static async Task<Exposition> ScrapeAsync(HttpClient http, Uri url)
    {
        using var response = await http.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new Version(1, 1), response.Version);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType ?? "", StringComparison.Ordinal);
        return Exposition.Parse(await response.Content.ReadAsStringAsync());
    }

    private static double Sum(Exposition exposition, string name, params (string Key, string Value)[] labels) =>
        exposition.Samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);

    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    // The Prometheus text format (0.0.4), read strictly: every sample line must parse, and each
    // metric family is declared once.
    private sealed partial record Exposition(IReadOnlyList<string> Lines, IReadOnlyList<Sample> Samples)
    {
        public static Exposition Parse(string text)
        {
            var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var samples = new List<Sample>();
            var types = new HashSet<string>(StringComparer.Ordinal);
            foreach (var line in lines)
            {
                if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
                {
                    var family = line.Split(' ')[2];
                    Assert.True(types.Add(family), $"metric family {family} is declared twice");
                    continue;
                }

                if (line.StartsWith('#'))
                {
                    continue;
                }

                var match = SampleLine().Match(line);
                Assert.True(match.Success, $"not a Prometheus sample line: {line}");
                var labels = LabelPair().Matches(match.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
                var value = match.Groups["value"].Value switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
                };
                samples.Add(new Sample(match.Groups["name"].Value, labels, value));
            }

            return new Exposition(lines, samples);
        }

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>[^ ]+)( -?\d+)?$")]
        private static partial Regex SampleLine();

        [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""((?:[^""\\]|\\.)*)""")]
        private static partial Regex LabelPair();
    }
}

/// <summary>
/// OpenTelemetry's meter and activity listeners are process-wide, and it merges same-named meters
/// of every host in the process into one stream; another test's host stopping mid-test can reset
/// it. These tests run alone (one host per process is the daemon's case).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    /// <summary>Collection name.</summary>
    public const string Name = "Telemetry (process-wide listeners)";
}
