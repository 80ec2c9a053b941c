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

    /// <summary>
    /// Middleware of every call: times gRPC calls for <c>rpc.server.duration</c> (only while something
    /// listens to the meter), and names and describes the call's server span when it is recorded
    /// (sampled): <c>inference.GRPCInferenceService/ModelInfer</c> with rpc.system, rpc.service,
    /// rpc.method, rpc.grpc.status_code, server.address and server.port. Unsampled calls get no
    /// attributes; requests on the HTTP/1.1 listeners (scrapes, dashboard) are never recorded.
    /// Runs first, before the scrape endpoint.
    /// </summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var span = RecordedServerSpan(context);
        var timed = _duration.Enabled;
        var method = timed || span is not null ? context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>() : null;
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
            var status = GrpcStatus(context);
            if (timed)
            {
                var tags = new TagList
                {
                    { "rpc.system", "grpc" },
                    { "rpc.service", method.Method.ServiceName },
                    { "rpc.method", method.Method.Name },
                    { "rpc.grpc.status_code", StatusTag(status) },
                };
                _duration.Record(_time.GetElapsedTime(start).TotalMilliseconds, tags);
            }

            if (span is not null)
            {
                Describe(span, context, method, status);
            }
        }
    }

    /// <summary>
    /// The call's server span (ASP.NET Core's activity) when it is recorded, else null: unsampled
    /// calls carry a propagation-only activity, and without tracing the activity ASP.NET Core
    /// creates for log scopes comes from no source. A recorded span of a request on an HTTP/1.1
    /// listener (a scrape, a dashboard poll) is turned into an unrecorded one: not a request trace.
    /// </summary>
    internal static Activity? RecordedServerSpan(HttpContext context)
    {
        var activity = context.Features.Get<IHttpActivityFeature>()?.Activity;
        if (activity is not { IsAllDataRequested: true } || activity.Source.Name != NodeTelemetry.AspNetCoreActivitySource)
        {
            return null;
        }

        if (NodeTelemetry.IsOperationsRequest(context))
        {
            activity.IsAllDataRequested = false;
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            return null;
        }

        return activity;
    }

    // The RPC semantic conventions' server span: named service/method, rpc.* and server.* attributes.
    private static void Describe(Activity span, HttpContext context, GrpcMethodMetadata method, int status)
    {
        span.DisplayName = method.Method.FullName.TrimStart('/');
        span.SetTag("rpc.system", "grpc");
        span.SetTag("rpc.service", method.Method.ServiceName);
        span.SetTag("rpc.method", method.Method.Name);
        span.SetTag("rpc.grpc.status_code", StatusTag(status));
        if (context.Request.Host.HasValue)
        {
            span.SetTag("server.address", context.Request.Host.Host);
        }

        span.SetTag("server.port", context.Request.Host.Port ?? context.Connection.LocalPort);
        if (status != 0)
        {
            span.SetStatus(ActivityStatusCode.Error);
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
