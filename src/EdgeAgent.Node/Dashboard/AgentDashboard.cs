using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text.Json;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Control;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using EdgeAgent.Node.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.Node.Dashboard;

/// <summary>
/// The agent's dashboard: a static page (HTML, JS and CSS embedded in this assembly, no build
/// toolchain) and a small JSON API on its own HTTP/1.1 listener (Dashboard:Listen, off by default):
/// GET /api/state (<see cref="DashboardState"/>) and POST /api/preference {"delayWeight": W}, which
/// goes through <see cref="PreferenceControl"/>, the path of ControlService.SetPreference
/// (`edgeagent pref set`). The API answers only to the operator: 'Authorization: Bearer TOKEN'
/// equal to Security:OperatorTokenFile (the page asks for it once and keeps it in the tab's
/// sessionStorage); the page itself holds no data.
/// </summary>
public static class AgentDashboard
{
    private const int MaxBodyBytes = 4096;

    private static readonly (string Path, string Resource, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/index.html", "index.html", "text/html; charset=utf-8"),
        ("/dashboard.js", "dashboard.js", "text/javascript; charset=utf-8"),
        ("/dashboard.css", "dashboard.css", "text/css; charset=utf-8"),
    ];

    /// <summary>Adds the dashboard listener when Dashboard:Listen is set.</summary>
    /// <exception cref="NodeStartupException">A Dashboard setting is unusable, or the operator token it needs is not configured.</exception>
    public static WebApplicationBuilder AddEdgeAgentDashboard(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        DashboardOptions options;
        try
        {
            options = builder.Configuration.GetSection(DashboardOptions.SectionName).Get<DashboardOptions>() ?? new DashboardOptions();
        }
        catch (InvalidOperationException ex)
        {
            throw new NodeStartupException(ConfigurationValueErrors.Describe(ex) ?? $"{DashboardOptions.SectionName}: {(ex.InnerException ?? ex).Message}", ex);
        }

        if (options.RecentDecisions is < 16 or > 65536)
        {
            throw new NodeStartupException(string.Create(CultureInfo.InvariantCulture, $"Dashboard:RecentDecisions is {options.RecentDecisions}; it must be between 16 and 65536."));
        }

        builder.Services.AddSingleton(options);
        if (string.IsNullOrWhiteSpace(options.Listen))
        {
            return builder;
        }

        if (!EndpointOptions.TryParseListen(options.Listen, out var endpoint, out var error))
        {
            throw new NodeStartupException($"Dashboard:Listen (--dashboard): {error}.");
        }

        var security = builder.Configuration.GetSection(SecurityOptions.SectionName).Get<SecurityOptions>() ?? new SecurityOptions();
        if (!IPAddress.IsLoopback(endpoint.Address) && !security.Insecure)
        {
            throw new NodeStartupException($"Dashboard:Listen (--dashboard): {options.Listen} is not a loopback address and the dashboard is plaintext HTTP; keep it on loopback (reach it through an SSH tunnel or a TLS proxy) or pass --insecure (Security:Insecure).");
        }

        if (string.IsNullOrWhiteSpace(security.OperatorTokenFile))
        {
            throw new NodeStartupException("Dashboard:Listen (--dashboard): the dashboard answers only to the operator and this agent has no operator token; set Security:OperatorTokenFile (--operator-token-file).");
        }

        var listeners = NodeTelemetry.OperationsListenersOf(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endpoint, o =>
        {
            o.Protocols = HttpProtocols.Http1;
            listeners.Add(OperationsListeners.Dashboard, o);
        }));
        return builder;
    }

    /// <summary>Serves the dashboard on its listener (requests on other listeners pass through).</summary>
    public static WebApplication UseEdgeAgentDashboard(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (string.IsNullOrWhiteSpace(app.Services.GetService<DashboardOptions>()?.Listen))
        {
            return app;
        }

        app.Use(async (context, next) =>
        {
            if (OperationsListeners.PurposeOf(context) != OperationsListeners.Dashboard)
            {
                await next(context).ConfigureAwait(false);
                return;
            }

            await HandleAsync(context).ConfigureAwait(false);
        });
        return app;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        if (HttpMethods.IsGet(context.Request.Method) && Files.FirstOrDefault(f => f.Path == path) is { Resource: not null } file)
        {
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
            context.Response.ContentType = file.ContentType;
            var stream = typeof(AgentDashboard).Assembly.GetManifestResourceStream("EdgeAgent.Node.Dashboard." + file.Resource)
                ?? throw new InvalidOperationException($"The dashboard resource {file.Resource} is missing from the assembly.");
            await using (stream.ConfigureAwait(false))
            {
                await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            }
            return;
        }

        if (!path.StartsWith("/api/", StringComparison.Ordinal))
        {
            await ErrorAsync(context, StatusCodes.Status404NotFound, $"{path} is not served here; the dashboard is at /.").ConfigureAwait(false);
            return;
        }

        var refusal = Authorize(context);
        if (refusal is { } r)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ErrorAsync(context, r.Status, r.Message).ConfigureAwait(false);
            return;
        }

        var services = context.RequestServices;
        if (path == "/api/state" && HttpMethods.IsGet(context.Request.Method))
        {
            await WriteStateAsync(context).ConfigureAwait(false);
            return;
        }

        if (path == "/api/preference" && HttpMethods.IsPost(context.Request.Method))
        {
            // The gRPC listeners turn Kestrel's body limit off; this API's bodies are a few bytes.
            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = MaxBodyBytes;
            }

            PreferenceRequest? body;
            try
            {
                body = await JsonSerializer.DeserializeAsync(context.Request.Body, DashboardJson.Default.PreferenceRequest, context.RequestAborted).ConfigureAwait(false);
            }
            catch (JsonException ex)
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, $"The body is not JSON of the form {{\"delayWeight\": 0.5}}: {ex.Message}").ConfigureAwait(false);
                return;
            }
            catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"The body is over {MaxBodyBytes} bytes; it is {{\"delayWeight\": W}}.").ConfigureAwait(false);
                return;
            }

            if (body?.DelayWeight is not { } weight)
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, "The body needs delayWeight, a number in [0, 1]: {\"delayWeight\": 0.5}.").ConfigureAwait(false);
                return;
            }

            try
            {
                services.GetRequiredService<PreferenceControl>().Set(weight, "dashboard", context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
            }
            catch (ArgumentOutOfRangeException ex)
            {
                await ErrorAsync(context, StatusCodes.Status400BadRequest, ex.Message.Split(" (Parameter", 2)[0]).ConfigureAwait(false);
                return;
            }

            await WriteStateAsync(context).ConfigureAwait(false);
            return;
        }

        await ErrorAsync(context, StatusCodes.Status404NotFound, $"{context.Request.Method} {path} is not part of the dashboard's API (GET /api/state, POST /api/preference).").ConfigureAwait(false);
    }

    private static (int Status, string Message)? Authorize(HttpContext context)
    {
        var token = context.RequestServices.GetRequiredService<CallerAuthorization>().Token;
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return (StatusCodes.Status401Unauthorized, "The dashboard's API needs the operator token: 'Authorization: Bearer TOKEN' (the contents of Security:OperatorTokenFile).");
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || token is null)
        {
            return (StatusCodes.Status401Unauthorized, "The dashboard's API accepts only 'Authorization: Bearer TOKEN' with the operator token.");
        }

        return token.Matches(header["Bearer ".Length..].Trim())
            ? null
            : (StatusCodes.Status403Forbidden, "The bearer token does not match Security:OperatorTokenFile.");
    }

    private static async Task WriteStateAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var state = DashboardState.Capture(
            services.GetRequiredService<IOffloadPolicy>(),
            services.GetRequiredService<OperatorPreference>().Current,
            services.GetRequiredService<DecisionLog>(),
            services.GetRequiredService<ClusterView>(),
            services.GetRequiredService<DashboardOptions>().RecentDecisions);
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, state, DashboardJson.Default.DashboardState, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task ErrorAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, new DashboardError(message), DashboardJson.Default.DashboardError, context.RequestAborted).ConfigureAwait(false);
    }
}
