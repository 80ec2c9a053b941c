using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Inference.Repository;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// Host building shared by both roles: configuration (appsettings.json, environment with and
/// without the EDGEAGENT_ prefix, command line, then explicit overrides such as CLI flags),
/// Kestrel HTTP/2 on the TCP endpoint and optionally a Unix socket, systemd integration, and a
/// start that turns every configuration failure into one <see cref="NodeStartupException"/>.
/// </summary>
public static class NodeHost
{
    /// <summary>Environment variable prefix: EDGEAGENT_Models__Path=/srv/models.</summary>
    public const string EnvironmentPrefix = "EDGEAGENT_";

    /// <summary>Creates a builder with configuration and Kestrel endpoints set up.</summary>
    /// <exception cref="NodeStartupException">Endpoint:Listen or Endpoint:Socket is unusable.</exception>
    public static WebApplicationBuilder CreateBuilder(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var endpoint = builder.Configuration.GetSection(EndpointOptions.SectionName).Get<EndpointOptions>() ?? new EndpointOptions();
        if (!EndpointOptions.TryParseListen(endpoint.Listen, out var listen, out var error))
        {
            throw new NodeStartupException($"Endpoint:Listen (--listen): {error}.");
        }

        var socket = string.IsNullOrWhiteSpace(endpoint.Socket) ? null : Path.GetFullPath(endpoint.Socket);
        if (socket is not null)
        {
            PrepareSocketPath(socket);
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Http2Windows.Apply(kestrel.Limits.Http2);
            kestrel.Listen(listen, o => o.Protocols = HttpProtocols.Http2);
            if (socket is not null)
            {
                kestrel.ListenUnixSocket(socket, o => o.Protocols = HttpProtocols.Http2);
            }
        });
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

        // Per-request hosting and routing logs cost more than a tiny model's inference.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing.EndpointMiddleware", LogLevel.Warning);
        builder.Host.UseSystemd();
        return builder;
    }

    /// <summary>
    /// Starts <paramref name="app"/>: validates options, loads every model session, binds the
    /// endpoints. Any failure becomes one <see cref="NodeStartupException"/> naming the setting.
    /// </summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            // Resolving the executor validates the options and creates every session now, so a
            // bad repository or model stops start-up instead of failing the first request.
            _ = app.Services.GetService<LocalExecutor>();
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException ex)
        {
            throw new NodeStartupException(string.Join(" ", ex.Failures), ex);
        }
        catch (PolicyFileException ex)
        {
            throw new NodeStartupException($"Agent:PolicyFile (--policy-file): {ex.Message}", ex);
        }
        catch (ModelRepositoryException ex)
        {
            throw new NodeStartupException($"Models:Path (--models): {ex.Message}", ex);
        }
        catch (ModelLoadException ex)
        {
            throw new NodeStartupException($"Models:Path (--models): {ex.Message}", ex);
        }
        catch (IOException ex) when (ex.Message.Contains("bind", StringComparison.OrdinalIgnoreCase))
        {
            var setting = ex.Message.Contains("unix:", StringComparison.Ordinal) ? "Endpoint:Socket (--socket)" : "Endpoint:Listen (--listen)";
            throw new NodeStartupException($"{setting}: {ex.Message}", ex);
        }
    }

    /// <summary>The bound TCP address ("http://127.0.0.1:41234"), with the real port when 0 was asked.</summary>
    public static Uri GetTcpAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var address = addresses.FirstOrDefault(a => !a.Contains("unix:", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("The node has no TCP address; is it started?");
        return new Uri(address);
    }

    private static void PrepareSocketPath(string path)
    {
        var directory = Path.GetDirectoryName(path);
        if (directory is null || !Directory.Exists(directory))
        {
            throw new NodeStartupException($"Endpoint:Socket (--socket): the folder of '{path}' does not exist.");
        }

        if (!File.Exists(path))
        {
            return;
        }

        // A socket file left by a previous run (a crash, a systemd restart) blocks binding. Remove
        // it when nothing answers on it and it is not a regular file with content.
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            if (new FileInfo(path).Length == 0)
            {
                File.Delete(path);
                return;
            }

            throw new NodeStartupException($"Endpoint:Socket (--socket): '{path}' exists and is not a socket.");
        }

        throw new NodeStartupException($"Endpoint:Socket (--socket): another process is serving on '{path}'.");
    }
}

/// <summary>Settings of a peer started in-process (tests, the demo) or by `edgeagent peer`.</summary>
public sealed record PeerHostSettings
{
    /// <summary>HOST:PORT; port 0 picks a free port (read it back with <see cref="NodeHost.GetTcpAddress"/>).</summary>
    public string Listen { get; init; } = "127.0.0.1:0";

    /// <summary>Model repository folder.</summary>
    public required string ModelsPath { get; init; }

    /// <summary>Name reported in ServerMetadata and GetCapabilities.</summary>
    public string? NodeName { get; init; }

    /// <summary>Optional Unix socket path.</summary>
    public string? Socket { get; init; }

    /// <summary>Emulated relative compute speed in (0, 1].</summary>
    public double? ComputeSpeedFactor { get; init; }

    /// <summary>Execution slots.</summary>
    public int? MaxConcurrency { get; init; }

    /// <summary>Queue capacity.</summary>
    public int? QueueCapacity { get; init; }

    /// <summary>Any further configuration keys ("Execution:IntraOpThreads" = "1").</summary>
    public IReadOnlyDictionary<string, string?> Extra { get; init; } = new Dictionary<string, string?>();

    /// <summary>These settings as configuration keys.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        yield return new("Endpoint:Listen", Listen);
        yield return new("Models:Path", ModelsPath);
        if (NodeName is not null) yield return new("Serving:NodeName", NodeName);
        if (Socket is not null) yield return new("Endpoint:Socket", Socket);
        if (ComputeSpeedFactor is { } f) yield return new("Execution:ComputeSpeedFactor", f.ToString(CultureInfo.InvariantCulture));
        if (MaxConcurrency is { } c) yield return new("Execution:MaxConcurrency", c.ToString(CultureInfo.InvariantCulture));
        if (QueueCapacity is { } q) yield return new("Execution:QueueCapacity", q.ToString(CultureInfo.InvariantCulture));
        foreach (var pair in Extra)
        {
            yield return pair;
        }
    }
}

/// <summary>Builds and starts a peer node: inference service, PeerService and health over HTTP/2.</summary>
public static class PeerHost
{
    /// <summary>Builds a peer from command-line style <paramref name="args"/> and <paramref name="overrides"/>.</summary>
    /// <param name="args">Configuration arguments (--Models:Path=...); may be empty.</param>
    /// <param name="overrides">Keys that win over every other source (CLI flags, test settings).</param>
    /// <param name="configure">Extra registrations (logging levels, a TimeProvider) before the build.</param>
    /// <exception cref="NodeStartupException">The endpoint settings are unusable.</exception>
    public static WebApplication Build(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = NodeHost.CreateBuilder(args, overrides);
        builder.Services.AddEdgeAgentPeer();
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseEdgeAgentServing();
        app.MapEdgeAgentPeer();
        return app;
    }

    /// <summary>Builds and starts a peer; dispose the returned app to stop it.</summary>
    /// <exception cref="NodeStartupException">A setting is invalid, a model cannot load, or the endpoint cannot be bound.</exception>
    public static async Task<WebApplication> StartAsync(PeerHostSettings settings, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var app = Build([], settings.ToConfiguration(), configure);
        try
        {
            await NodeHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
            return app;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
