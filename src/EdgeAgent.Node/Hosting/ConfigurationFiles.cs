using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// What a node does with its JSON configuration files (appsettings.json and
/// appsettings.{Environment}.json in the content root). At start a file that cannot be read as JSON
/// stops start-up with one line naming the file and the place (<see cref="Describe"/>). While the
/// node runs, an edit that leaves the file unreadable is refused: .NET's JSON provider would drop the
/// file's every setting on such a reload (the node would go on with the defaults, silently), so
/// <see cref="KeepLastGoodOnReload"/> puts the file behind a <see cref="LastGoodJsonConfigurationProvider"/>,
/// which keeps the settings it last read and records why; <see cref="ConfigurationFileCheck"/> logs that
/// as one warning. Fixing the file is picked up by the next reload as usual.
/// </summary>
public static class ConfigurationFiles
{
    /// <summary>
    /// Replaces every JSON file source of <paramref name="configuration"/> with one whose provider
    /// keeps its last good settings when a reload cannot parse the file (same path, optional flag,
    /// reload-on-change, delay and file provider).
    /// </summary>
    public static void KeepLastGoodOnReload(IConfigurationBuilder configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        for (var i = 0; i < configuration.Sources.Count; i++)
        {
            if (configuration.Sources[i] is JsonConfigurationSource json and not LastGoodJsonConfigurationSource)
            {
                configuration.Sources[i] = new LastGoodJsonConfigurationSource
                {
                    Path = json.Path ?? string.Empty,
                    Optional = json.Optional,
                    ReloadOnChange = json.ReloadOnChange,
                    ReloadDelay = json.ReloadDelay,
                    FileProvider = json.FileProvider,
                    OnLoadException = json.OnLoadException,
                };
            }
        }
    }

    /// <summary>
    /// One line for a configuration file that cannot be loaded: the loader's message (it names the
    /// file) and the innermost cause (the JSON reader's names the line and byte), e.g. "Failed to load
    /// configuration from file '/etc/edgeagent/appsettings.json'. Expected depth to be zero at the end
    /// of the JSON payload. ... LineNumber: 3 | BytePositionInLine: 0.".
    /// </summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var innermost = exception;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        var message = ReferenceEquals(innermost, exception) ? exception.Message : $"{exception.Message} {innermost.Message}";
        return message.ReplaceLineEndings(" ");
    }
}

/// <summary>A JSON file source whose provider keeps its last good settings on a reload that fails (<see cref="ConfigurationFiles"/>).</summary>
public sealed class LastGoodJsonConfigurationSource : JsonConfigurationSource
{
    /// <inheritdoc />
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new LastGoodJsonConfigurationProvider(this);
    }
}

/// <summary>
/// A JSON file provider that loads like <see cref="JsonConfigurationProvider"/> at start (a bad file
/// throws, and start-up fails), but on a later load that cannot parse the file keeps the settings it
/// read last and records the reason for <see cref="TakeRefusal"/> (the same reason again, as when one
/// save fires the watcher twice, only once). A successful load clears it.
/// A file removed while the node runs still empties the provider (removing it is deliberate).
/// </summary>
public sealed class LastGoodJsonConfigurationProvider(LastGoodJsonConfigurationSource source) : JsonConfigurationProvider(source)
{
    private volatile bool _loaded;
    private string? _refusal;
    private string? _lastRefusal; // loads run one at a time (the file watcher's callback, or Reload)

    /// <summary>The first load (start-up) has completed: later loads keep the last good settings on failure.</summary>
    public bool Loaded => _loaded;

    /// <inheritdoc />
    public override void Load()
    {
        base.Load();
        _loaded = true;
    }

    /// <inheritdoc />
    public override void Load(Stream stream)
    {
        if (!_loaded)
        {
            base.Load(stream); // at start a bad file throws, and start-up fails; nothing can be pending yet
            return;
        }

        try
        {
            base.Load(stream); // replaces the settings only when the whole file parses
            Interlocked.Exchange(ref _refusal, null);
            _lastRefusal = null;
        }
        catch (Exception ex) when (ex is FormatException or IOException or InvalidDataException)
        {
            var path = Source.FileProvider?.GetFileInfo(Source.Path ?? string.Empty).PhysicalPath ?? Source.Path;
            var refusal = $"{path} cannot be read as configuration: {ConfigurationFiles.Describe(ex)}";
            if (refusal != _lastRefusal)
            {
                // One save often fires the file watcher more than once: the same refusal is reported once.
                _lastRefusal = refusal;
                Interlocked.Exchange(ref _refusal, refusal);
            }
        }
    }

    /// <summary>The reason the last reload was refused, once (null when none is pending).</summary>
    public string? TakeRefusal() => Interlocked.Exchange(ref _refusal, null);
}

/// <summary>
/// Logs one warning for each configuration file whose reload was refused
/// (<see cref="LastGoodJsonConfigurationProvider"/>): the node keeps running on the settings it read
/// last, and the operator learns the edit did not apply and why. Registered for both roles.
/// </summary>
internal sealed partial class ConfigurationFileCheck(IConfiguration configuration, ILogger<ConfigurationFileCheck> logger) : ConfigurationReloadWatcher(configuration)
{
    /// <summary>Logs and returns the refusals pending.</summary>
    public override IReadOnlyList<string> Check()
    {
        if (Configuration is not IConfigurationRoot root)
        {
            return [];
        }

        var refusals = new List<string>();
        foreach (var provider in root.Providers.OfType<LastGoodJsonConfigurationProvider>())
        {
            if (provider.TakeRefusal() is { } refusal)
            {
                refusals.Add(refusal);
                Log.FileRefused(logger, refusal);
            }
        }

        return refusals;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2041, Level = LogLevel.Warning, Message = "Configuration reload refused, the running settings are kept: {Problem}")]
        public static partial void FileRefused(ILogger logger, string problem);
    }
}
