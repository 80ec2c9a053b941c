using System.Diagnostics;
using EdgeAgent.Demo.Benchmarks;
using OpenTelemetry;
using OpenTelemetry.Exporter;

namespace EdgeAgent.Demo.Tests.Benchmarks;

// bench telemetry's sink stands in for a collector: the OTLP exporter must count each export as a
// success over either transport (a failed export would be retried and logged, and that work would
// count as telemetry's cost per request).
public sealed class OtlpSinkTests
{
    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task OtlpSink_TraceExport_AcceptedOverEitherTransport(string protocol)
    {
        var sink = await TelemetryOverheadBenchmark.OtlpSink.StartAsync(CancellationToken.None);
        try
        {
            var options = new OtlpExporterOptions
            {
                Protocol = protocol == "grpc" ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf,
                // HTTP/protobuf takes the signal's URL, gRPC the collector's address (as the node's own wiring does).
                Endpoint = protocol == "grpc" ? sink.AddressFor(protocol) : new Uri(sink.AddressFor(protocol), "v1/traces"),
            };
            using var exporter = new OtlpTraceExporter(options);
            using var span = new Activity("sink-test").Start();
            span.Stop();

            var result = exporter.Export(new Batch<Activity>([span], 1));

            Assert.Equal(ExportResult.Success, result);
            Assert.Equal(1, sink.Exports);
            Assert.True(sink.Bytes > 0);
        }
        finally
        {
            await sink.App.DisposeAsync();
        }
    }
}
