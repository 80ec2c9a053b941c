using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeAgent.Hardware;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Security;
using EdgeAgent.Node.Serving;
using EdgeAgent.Node.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
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
public static partial class NodeHost
{
    /// <summary>Environment variable prefix: EDGEAGENT_Models__Path=/srv/models.</summary>
    public const string EnvironmentPrefix = "EDGEAGENT_";

    /// <summary>
    /// Builds a node of <paramref name="role"/>, both roles the same way: <see cref="CreateBuilder"/>
    /// (configuration, Kestrel, TLS defaults of the role), then <paramref name="configure"/>, then the
    /// role's services (agent: <see cref="AgentServiceCollectionExtensions.AddEdgeAgentAgent"/> and the
    /// hardware layer; peer: <see cref="ServingServiceCollectionExtensions.AddEdgeAgentPeer"/>), the
    /// admission middleware and the role's endpoints.
    /// </summary>
    /// <param name="role">Agent or peer.</param>
    /// <param name="args">Configuration arguments; may be empty.</param>
    /// <param name="overrides">Keys that win over every other source (CLI flags, test settings).</param>
    /// <param name="configure">Registrations made before the role's: they win over its TryAdd defaults (a TimeProvider, a policy, a backend, logging).</param>
    /// <exception cref="NodeStartupException">The endpoint settings are unusable.</exception>
    public static WebApplication Build(NodeRole role, string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides = null, Action<WebApplicationBuilder>? configure = null)
    {
        if (role is not (NodeRole.Agent or NodeRole.Peer))
        {
            throw new ArgumentOutOfRangeException(nameof(role), role, "A node runs as an agent or a peer.");
        }

        var builder = CreateBuilder(args, overrides, role);
        configure?.Invoke(builder);
        if (role == NodeRole.Agent)
        {
            builder.Services.AddEdgeAgentAgent();
            // Energy meter, measured energy estimator (wrapping the agent's device model) and GPIO panel.
            builder.Services.AddEdgeAgentHardware(sp =>
            {
                var executor = sp.GetRequiredService<LocalExecutor>();
                return () => executor.GetLoadSnapshot().Running;
            });
        }
        else
        {
            builder.Services.AddEdgeAgentPeer();
        }

        builder.Services.AddHostedService<ConfigurationFileCheck>();
        builder.Services.AddHostedService<SupervisorWatch>();
        builder.AddEdgeAgentTelemetry(role);
        if (role == NodeRole.Agent)
        {
            Dashboard.AgentDashboard.AddEdgeAgentDashboard(builder);
        }

        // Last, after every AddGrpc: binds every service with request parsers that answer a
        // malformed message with INVALID_ARGUMENT (MalformedMessages).
        builder.Services.AddMalformedMessageStatus();
        WebApplication app;
        try
        {
            // Building resolves the host's options (HostOptions reads Serving:ShutdownTimeout), so a
            // setting that fails validation can stop it here, before StartAsync.
            app = builder.Build();
        }
        catch (OptionsValidationException ex)
        {
            throw StartupFailure(ex);
        }
        catch (InvalidOperationException ex) when (ConfigurationValueErrors.Describe(ex) is { } setting)
        {
            throw new NodeStartupException(setting, ex);
        }
        app.UseEdgeAgentTelemetry();
        if (role == NodeRole.Agent)
        {
            Dashboard.AgentDashboard.UseEdgeAgentDashboard(app);
        }

        app.UseEdgeAgentServing();
        if (role == NodeRole.Agent)
        {
            app.MapEdgeAgentAgent();
        }
        else
        {
            app.MapEdgeAgentPeer();
        }

        return app;
    }

    /// <summary>Builds (<see cref="Build(NodeRole, string[], IEnumerable{KeyValuePair{string, string}}?, Action{WebApplicationBuilder}?)"/>) and starts a node; dispose the returned app to stop it.</summary>
    /// <param name="role">Agent or peer.</param>
    /// <param name="configuration">Configuration keys (settings records' <c>ToConfiguration()</c>).</param>
    /// <param name="configure">Registrations made before the role's.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <exception cref="NodeStartupException">A setting is invalid, a model cannot load, or an endpoint cannot be bound.</exception>
    public static async Task<WebApplication> StartAsync(NodeRole role, IEnumerable<KeyValuePair<string, string?>> configuration, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var app = Build(role, [], configuration, configure);
        try
        {
            await StartAsync(app, cancellationToken).ConfigureAwait(false);
            // Resolve the backend (the agent's dispatcher, its peers and policy) now, so a bad peer or
            // policy fails start-up rather than the first request.
            _ = app.Services.GetRequiredService<IInferenceBackend>();
            return app;
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Creates a builder with configuration and Kestrel endpoints set up.</summary>
    /// <param name="args">Configuration arguments; may be empty.</param>
    /// <param name="overrides">Keys that win over every other source.</param>
    /// <param name="role">The node's role: it picks the TLS defaults (a peer requires client certificates of role agent when Tls:CaPath is set; an agent asks for them optionally).</param>
    /// <exception cref="NodeStartupException">Endpoint:Listen, Endpoint:Socket or a Tls/Security setting is unusable, or plaintext would be served on a non-loopback address without --insecure.</exception>
    public static WebApplicationBuilder CreateBuilder(string[] args, IEnumerable<KeyValuePair<string, string?>>? overrides, NodeRole role)
    {
        ArgumentNullException.ThrowIfNull(args);
        WebApplicationBuilder builder;
        try
        {
            builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or IOException or UnauthorizedAccessException)
        {
            // appsettings.json (or appsettings.{Environment}.json) in the content root cannot be read.
            throw new NodeStartupException(ConfigurationFiles.Describe(ex), ex);
        }

        // A running node refuses an edit that leaves a JSON file unreadable instead of dropping its settings.
        ConfigurationFiles.KeepLastGoodOnReload(builder.Configuration);
        builder.Configuration.AddEnvironmentVariables(EnvironmentPrefix);
        builder.Configuration.AddCommandLine(args);
        if (overrides is not null)
        {
            builder.Configuration.AddInMemoryCollection(overrides);
        }

        var endpoint = Bind<EndpointOptions>(builder.Configuration, EndpointOptions.SectionName);
        var security = Bind<SecurityOptions>(builder.Configuration, SecurityOptions.SectionName);
        var transport = NodeTransport.Create(Bind<TlsOptions>(builder.Configuration, TlsOptions.SectionName), security, role);
        if (!EndpointOptions.TryParseListen(endpoint.Listen, out var listen, out var error))
        {
            throw new NodeStartupException($"Endpoint:Listen (--listen): {error}.");
        }

        IPEndPoint? health = null;
        if (!string.IsNullOrWhiteSpace(endpoint.HealthListen))
        {
            if (!EndpointOptions.TryParseListen(endpoint.HealthListen, out var parsed, out var healthError))
            {
                throw new NodeStartupException($"Endpoint:HealthListen (--health-listen): {healthError}.");
            }

            if (parsed.Port != 0 && parsed.Port == listen.Port)
            {
                throw new NodeStartupException($"Endpoint:HealthListen (--health-listen): {endpoint.HealthListen} uses the port of Endpoint:Listen (--listen) {endpoint.Listen}; give it a port of its own.");
            }

            health = parsed;
        }

        var servesTls = transport.Tls is { HasCertificate: true } && !endpoint.Plaintext;
        if (!servesTls && !IPAddress.IsLoopback(listen.Address))
        {
            if (!security.Insecure)
            {
                throw new NodeStartupException(
                    endpoint.Plaintext
                        ? $"Endpoint:Listen (--listen): {endpoint.Listen} is not a loopback address and Endpoint:Plaintext (--listen-plaintext) is set; serve TLS there or pass --insecure (Security:Insecure) to serve plaintext on the network."
                        : $"Endpoint:Listen (--listen): {endpoint.Listen} is not a loopback address and Tls:CertificatePath (--tls-cert) is not set; serve TLS there (--tls-cert, --tls-key) or pass --insecure (Security:Insecure) to serve plaintext on the network.");
            }

            transport = transport with { PlaintextOnNetwork = endpoint.Listen };
        }

        OperatorToken? token;
        try
        {
            token = OperatorToken.Create(security.OperatorTokenFile);
        }
        catch (CertificateFileException ex)
        {
            throw new NodeStartupException(ex.Message, ex);
        }

        var socket = string.IsNullOrWhiteSpace(endpoint.Socket) ? null : SocketPath(endpoint.Socket);
        if (socket is not null)
        {
            PrepareSocketPath(socket);
        }

        // Large receives (issue 17): Kestrel's socket transport reads into one block of its pool at a
        // time, 4 KiB by default, each read after a 1-byte peek; a 4.9 MB request took about 2,400
        // system calls. 64 KiB blocks (TransportMemoryPoolFactory) and no peek take it in a tenth of them.
        builder.Services.AddSingleton<TransportMemoryPoolFactory>();
        builder.Services.AddSingleton<Microsoft.AspNetCore.Connections.IMemoryPoolFactory<byte>>(sp => sp.GetRequiredService<TransportMemoryPoolFactory>());
        builder.WebHost.UseSockets(sockets => sockets.WaitForDataBeforeAllocatingBuffer = false);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            Http2Windows.Apply(kestrel.Limits.Http2);
            kestrel.Listen(listen, o =>
            {
                o.Protocols = HttpProtocols.Http2;
                if (servesTls && transport.Tls is { } tls)
                {
                    o.UseHttps(new TlsHandshakeCallbackOptions
                    {
                        OnConnection = _ => ValueTask.FromResult(tls.ServerOptions(transport.ClientCertificates, transport.ClientRoles)),
                        HandshakeTimeout = TimeSpan.FromSeconds(10),
                    });
                }
            });
            if (socket is not null)
            {
                kestrel.ListenUnixSocket(socket, o => o.Protocols = HttpProtocols.Http2);
            }

            if (health is not null)
            {
                kestrel.Listen(health, o =>
                {
                    o.Protocols = HttpProtocols.Http2;
                    o.Use(next => connection =>
                    {
                        connection.Items[HealthOnlyEndpoint.ConnectionItem] = true;
                        return next(connection);
                    });
                });
            }
        });
        // HTTPS endpoints from configuration (Kestrel:Endpoints) need this under the slim builder.
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Services.AddSingleton(transport);
        if (transport.Tls is not null)
        {
            builder.Services.AddSingleton(transport.Tls);
        }

        builder.Services.AddSingleton(new CallerAuthorization(token, transport.Tls));
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.SectionName);
        builder.Services.AddOptions<TlsOptions>().BindConfiguration(TlsOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<HostOptions>().Configure<IOptions<Serving.ServingOptions>>((host, serving) => host.ShutdownTimeout = serving.Value.ShutdownTimeout);

        // While the node starts, the generic host logs a failure ("Hosting failed to start") with
        // its whole stack trace before StartAsync turns it into one message naming the setting;
        // that error is left to StartAsync's caller (details at Debug under "EdgeAgent.Startup").
        var phase = new StartupPhase();
        builder.Services.AddSingleton(phase);
        builder.Logging.AddFilter(HostCategory, level => level >= LogLevel.Information && !(phase.Active && level >= LogLevel.Error));

        // Per-request hosting and routing logs cost more than a tiny model's inference.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing.EndpointMiddleware", LogLevel.Warning);
        // grpc-dotnet logs every call that ends with an error status at Information, a malformed
        // message with its exception ("Error reading message."); RejectedCallLog summarises them
        // instead. Handler exceptions (a bug: UNKNOWN) are logged at Error and still show.
        builder.Logging.AddFilter("Grpc.AspNetCore.Server.ServerCallHandler", LogLevel.Warning);
        builder.Host.UseSystemd();
        return builder;
    }

    /// <summary>
    /// Starts <paramref name="app"/>: validates options, loads every model session, binds the
    /// endpoints. Any failure becomes one <see cref="NodeStartupException"/> naming the setting;
    /// the hosted services that did start are stopped before it is thrown.
    /// </summary>
    public static async Task StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        try
        {
            await StartCoreAsync(app, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await StopAfterFailedStartAsync(app).ConfigureAwait(false);
            throw;
        }
    }

    // The generic host leaves the hosted services that started before the failing one (a port in
    // use fails Kestrel after the background services began) running. Disposing the app then
    // cancels their work without a stop having been asked, which the host logs at Error ("BackgroundService
    // failed") and Critical beside the one start-up message, depending on how the race falls.
    // Stopping first makes that cancellation an ordinary stop, which the host does not log as a failure.
    private static async Task StopAfterFailedStartAsync(WebApplication app)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await app.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The start-up failure is the error to report; a service that also fails to stop adds nothing to it.
        }
    }

    private static async Task StartCoreAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var phase = app.Services.GetService<StartupPhase>();
        phase?.Begin();
        try
        {
            // Resolving the executor validates the options and creates every session now, so a
            // bad repository or model stops start-up instead of failing the first request.
            _ = app.Services.GetService<LocalExecutor>();
            // The executor's gauges exist from the start, so a scrape sees them before any request.
            _ = app.Services.GetService<Serving.ExecutorMetrics>();
            MalformedMessages.EnsureBoundOnce(app.Services);
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeAgent.Node.Hosting.NodeHost");
            var transport = app.Services.GetService<NodeTransport>();
            transport?.Tls?.UseLogger(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeAgent.Node.Security.Tls"));
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            if (transport?.PlaintextOnNetwork is { } plaintext)
            {
                Log.PlaintextOnNetwork(logger, plaintext);
            }

            var socket = app.Configuration.GetSection(EndpointOptions.SectionName).Get<EndpointOptions>() ?? new EndpointOptions();
            if (!string.IsNullOrWhiteSpace(socket.Socket))
            {
                try
                {
                    UnixSocketAccess.Apply(Path.GetFullPath(socket.Socket), socket.SocketGroup);
                }
                catch (IOException ex)
                {
                    throw new NodeStartupException($"Endpoint:SocketGroup (--socket-group): {ex.Message}.", ex);
                }
            }
        }
        catch (OptionsValidationException ex)
        {
            throw StartupFailure(ex);
        }
        catch (InvalidOperationException ex) when (ConfigurationValueErrors.Describe(ex) is { } setting)
        {
            throw new NodeStartupException(setting, ex);
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
        finally
        {
            phase?.End();
        }
    }

    /// <summary>Logger category of the generic host, whose start-up failure log StartAsync replaces.</summary>
    internal const string HostCategory = "Microsoft.Extensions.Hosting.Internal.Host";

    /// <summary>The bound TCP address ("http://127.0.0.1:41234"), with the real port when 0 was asked.</summary>
    public static Uri GetTcpAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Kestrel lists its endpoints in the order they were configured: Endpoint:Listen first.
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var operations = app.Services.GetService<OperationsListeners>();
        var address = addresses.FirstOrDefault(a => !a.Contains("unix:", StringComparison.Ordinal) && operations?.Contains(a) != true)
            ?? throw new InvalidOperationException("The node has no TCP address; is it started?");
        return new Uri(address);
    }

    /// <summary>The bound address of Endpoint:HealthListen ("http://0.0.0.0:8003"), or null when it is not set.</summary>
    public static Uri? GetHealthAddress(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var endpoint = app.Configuration.GetSection(EndpointOptions.SectionName).Get<EndpointOptions>() ?? new EndpointOptions();
        if (string.IsNullOrWhiteSpace(endpoint.HealthListen))
        {
            return null;
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var tcp = addresses.Where(a => !a.Contains("unix:", StringComparison.Ordinal)).ToList();
        return tcp.Count >= 2 ? new Uri(tcp[^1]) : throw new InvalidOperationException("The node's health endpoint is not bound; is it started?");
    }

    // A setting that failed validation as the one-line start-up message naming it.
    private static NodeStartupException StartupFailure(OptionsValidationException ex) =>
        new(string.Join(" ", ex.Failures.Select(StartupMessages.WithoutValidatorPrefix)), ex);

    private static T Bind<T>(IConfiguration configuration, string section)
        where T : new()
    {
        try
        {
            return configuration.GetSection(section).Get<T>() ?? new T();
        }
        catch (InvalidOperationException ex)
        {
            throw new NodeStartupException(ConfigurationValueErrors.Describe(ex) ?? $"{section}: {(ex.InnerException ?? ex).Message}", ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2320, Level = LogLevel.Warning, Message = "Serving plaintext HTTP/2 on {Listen}, a non-loopback address, because --insecure (Security:Insecure) is set: requests, preferences and peer addresses cross the network unencrypted and unauthenticated.")]
        public static partial void PlaintextOnNetwork(ILogger logger, string listen);
    }

    /// <summary>Longest Unix socket path Linux takes (sun_path), in bytes of UTF-8.</summary>
    internal const int MaxSocketPathBytes = 108;

    /// <summary>The full path of Endpoint:Socket; a path holding a control character (a line break, NUL) is refused first.</summary>
    private static string SocketPath(string given)
    {
        foreach (var c in given)
        {
            if (char.IsControl(c))
            {
                throw new NodeStartupException(string.Create(CultureInfo.InvariantCulture, $"Endpoint:Socket (--socket): the path holds a control character (U+{(int)c:X4}); name the socket file with printable characters."));
            }
        }

        return Path.GetFullPath(given);
    }

    private static void PrepareSocketPath(string path)
    {
        var bytes = System.Text.Encoding.UTF8.GetByteCount(path);
        if (bytes > MaxSocketPathBytes)
        {
            throw new NodeStartupException(string.Create(CultureInfo.InvariantCulture, $"Endpoint:Socket (--socket): '{path}' is {bytes} bytes long; a Unix socket path takes at most {MaxSocketPathBytes}. Use a shorter folder, e.g. /run/edgeagent/agent.sock."));
        }

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
