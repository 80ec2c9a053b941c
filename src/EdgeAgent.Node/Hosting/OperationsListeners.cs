using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// The node's HTTP/1.1 listeners beside its gRPC endpoints (the Prometheus scrape endpoint, the
/// dashboard), by purpose. Kestrel writes the bound port back into each listener's options, so
/// <see cref="AddressOf"/> gives the real address after start even when port 0 was asked.
/// </summary>
public sealed class OperationsListeners
{
    /// <summary>Purpose of the Prometheus listener.</summary>
    public const string Metrics = "metrics";

    /// <summary>Purpose of the dashboard listener.</summary>
    public const string Dashboard = "dashboard";

    private const string ConnectionItem = "edgeagent.operations-listener";

    private readonly ConcurrentDictionary<string, ListenOptions> _listeners = new(StringComparer.Ordinal);

    /// <summary>Records the Kestrel listener of <paramref name="purpose"/> and marks its connections with it.</summary>
    public void Add(string purpose, ListenOptions listen)
    {
        ArgumentNullException.ThrowIfNull(listen);
        _listeners[purpose] = listen;
        listen.Use(next => connection =>
        {
            connection.Items[ConnectionItem] = purpose;
            return next(connection);
        });
    }

    /// <summary>The purpose of the listener <paramref name="context"/> arrived on, or null for the node's gRPC endpoints.</summary>
    public static string? PurposeOf(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ConnectionItem, out var purpose) == true ? purpose as string : null;
    }

    /// <summary>http://HOST:PORT of the listener of <paramref name="purpose"/>, or null when it is off.</summary>
    public Uri? AddressOf(string purpose) =>
        _listeners.TryGetValue(purpose, out var listen) ? ToUri(listen.IPEndPoint!) : null;

    /// <summary>True when <paramref name="address"/> (a Kestrel address string) is one of these listeners.</summary>
    internal bool Contains(string address) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri) && _listeners.Values.Any(l => l.IPEndPoint is { } ip && ip.Port == uri.Port);

    private static Uri ToUri(IPEndPoint endpoint)
    {
        var host = endpoint.Address.Equals(IPAddress.Any) ? "127.0.0.1"
            : endpoint.Address.Equals(IPAddress.IPv6Any) ? "[::1]"
            : endpoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endpoint.Address}]"
            : endpoint.Address.ToString();
        return new Uri(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"http://{host}:{endpoint.Port}/"));
    }
}

/// <summary>Addresses of a started node's HTTP/1.1 listeners.</summary>
public static class OperationsListenersExtensions
{
    /// <summary>The Prometheus listener's address (http://HOST:PORT/), or null when Telemetry:PrometheusListen is off.</summary>
    public static Uri? GetMetricsAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetService<OperationsListeners>()?.AddressOf(OperationsListeners.Metrics);
    }

    /// <summary>The dashboard listener's address (http://HOST:PORT/), or null when Dashboard:Listen is off.</summary>
    public static Uri? GetDashboardAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Services.GetService<OperationsListeners>()?.AddressOf(OperationsListeners.Dashboard);
    }
}
