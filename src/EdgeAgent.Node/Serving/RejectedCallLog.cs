using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// Counts the gRPC calls a node answered with an error status (malformed, over a limit, refused by
/// admission, not found ...) and logs one summary line per <c>Serving:RejectionLogInterval</c>
/// with the counts by method and status and the last message, instead of one line per call: a
/// client sending garbage in a loop must not be able to fill the disk or drown the log.
/// </summary>
public sealed partial class RejectedCallLog : IDisposable
{
    private readonly ILogger<RejectedCallLog> _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _interval;
    private readonly ITimer _timer;
    private readonly object _flushLock = new();
    private ConcurrentDictionary<(string Method, StatusCode Code), long> _counts = new();
    private string? _last;
    private long _windowStart;

    /// <summary>Creates the log; it flushes every <see cref="ServingOptions.RejectionLogInterval"/> on <paramref name="timeProvider"/>.</summary>
    public RejectedCallLog(IOptions<ServingOptions> options, TimeProvider timeProvider, ILogger<RejectedCallLog> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _logger = logger;
        _timeProvider = timeProvider;
        _interval = options.Value.RejectionLogInterval;
        _windowStart = timeProvider.GetTimestamp();
        _timer = timeProvider.CreateTimer(_ => Flush(), null, _interval, _interval);
    }

    /// <summary>Calls counted and not yet logged.</summary>
    public long Pending => _counts.Values.Sum();

    /// <summary>Counts one call answered with <paramref name="code"/>.</summary>
    public void Record(string method, StatusCode code, string? detail)
    {
        ArgumentNullException.ThrowIfNull(method);
        _counts.AddOrUpdate((method, code), 1, static (_, n) => n + 1);
        _last = string.IsNullOrEmpty(detail) ? $"{method} {code}" : $"{method} {code}: {detail}";
    }

    /// <summary>Logs the counts since the previous summary (nothing when there are none).</summary>
    public void Flush()
    {
        lock (_flushLock)
        {
            var counts = Interlocked.Exchange(ref _counts, new ConcurrentDictionary<(string Method, StatusCode Code), long>());
            var now = _timeProvider.GetTimestamp();
            var window = _timeProvider.GetElapsedTime(_windowStart, now);
            _windowStart = now;
            if (counts.IsEmpty)
            {
                return;
            }

            var total = counts.Values.Sum();
            var text = new StringBuilder();
            foreach (var ((method, code), n) in counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Method, StringComparer.Ordinal))
            {
                text.Append(text.Length == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"{method} {code} {n}");
            }

            Log.Summary(_logger, total, window.TotalSeconds, text.ToString(), _last ?? "");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _timer.Dispose();
        Flush();
    }

    /// <summary>
    /// Middleware: after the endpoint (and the admission limiter) answered, reads grpc-status from
    /// the trailers or, for a trailers-only answer, the headers, and counts a non-OK status.
    /// </summary>
    internal static async Task CountAsync(HttpContext context, RequestDelegate next, RejectedCallLog log)
    {
        await next(context).ConfigureAwait(false);
        if (!context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) ?? true)
        {
            return;
        }

        var trailers = context.Features.Get<IHttpResponseTrailersFeature>()?.Trailers;
        string? status = trailers?["grpc-status"];
        string? message = trailers?["grpc-message"];
        if (string.IsNullOrEmpty(status))
        {
            status = context.Response.Headers["grpc-status"];
            message = context.Response.Headers["grpc-message"];
        }

        if (int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out var code) && code != 0)
        {
            var path = context.Request.Path.Value ?? "";
            var method = path[(path.LastIndexOf('/') + 1)..];
            log.Record(method, (StatusCode)code, string.IsNullOrEmpty(message) ? null : Uri.UnescapeDataString(message));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3210, Level = LogLevel.Information, Message = "Refused or failed {Count} calls in the last {Seconds:F1} s ({Counts}); last: {Last}")]
        public static partial void Summary(ILogger logger, long count, double seconds, string counts, string last);
    }
}
