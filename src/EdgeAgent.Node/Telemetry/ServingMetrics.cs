using System.Diagnostics;
using System.Diagnostics.Metrics;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace EdgeAgent.Node.Telemetry;

/// <summary>
/// Both roles' serving instruments on meter "EdgeAgent.Serving": <c>rpc.server.duration</c> (ms,
/// the OpenTelemetry RPC semantic conventions: rpc.system, rpc.service, rpc.method,
/// rpc.grpc.status_code) for every gRPC call, admission rejections included, and
/// <c>edgeagent.admission.rejections</c> for the inference calls refused by the admission limit
/// (Serving:MaxConcurrentRequests / MaxWaitingRequests).
/// </summary>
public sealed class ServingMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "EdgeAgent.Serving";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _rejections;
    private readonly TimeProvider _time;

    /// <summary>Creates the instruments.</summary>
    public ServingMetrics(IMeterFactory meterFactory, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _time = time ?? TimeProvider.System;
        var meter = meterFactory.Create(MeterName);
        _duration = meter.CreateHistogram<double>("rpc.server.duration", "ms", "Duration of inbound gRPC calls, measured by the server.");
        _rejections = meter.CreateCounter<long>("edgeagent.admission.rejections", "{call}", "Inference calls refused with RESOURCE_EXHAUSTED by the admission limit.");
    }

    /// <summary>Counts one call refused by the admission limit.</summary>
    public void AdmissionRejected(string method) => _rejections.Add(1, new KeyValuePair<string, object?>("rpc.method", method));

    /// <summary>Middleware timing every gRPC call (only while something listens to the meter).</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var method = _duration.Enabled ? context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() : null;
        if (method is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var start = _time.GetTimestamp();
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            var tags = new TagList
            {
                { "rpc.system", "grpc" },
                { "rpc.service", method.Method.ServiceName },
                { "rpc.method", method.Method.Name },
                { "rpc.grpc.status_code", StatusTag(GrpcStatus(context)) },
            };
            _duration.Record(_time.GetElapsedTime(start).TotalMilliseconds, tags);
        }
    }

    // gRPC's 17 status codes boxed once: a tag value is an object, and boxing per call allocates.
    private static readonly object[] StatusCodes = [.. Enumerable.Range(0, 17).Select(code => (object)code)];

    private static object StatusTag(int code) => (uint)code < (uint)StatusCodes.Length ? StatusCodes[code] : code;

    // The status is a trailer, or a header of a trailers-only response (admission rejections).
    private static int GrpcStatus(HttpContext context)
    {
        var value = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers["grpc-status"] ?? default;
        if (value.Count == 0)
        {
            value = context.Response.Headers["grpc-status"];
        }

        return int.TryParse(value.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : 2;
    }
}
