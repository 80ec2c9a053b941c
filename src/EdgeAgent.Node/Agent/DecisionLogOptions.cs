using System.Globalization;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// Settings of the durable decision log (<see cref="DurableDecisionLog"/>), section "DecisionLog":
/// an SQLite database with one row per request, written off the request path.
/// </summary>
public sealed class DecisionLogOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "DecisionLog";

    /// <summary>File name of the database inside a state directory.</summary>
    public const string FileName = "decisions.db";

    /// <summary>False switches the durable log off (the in-memory log for status stays).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The database file, or a directory to hold <see cref="FileName"/> (an existing directory, a
    /// path ending in '/', or a name without an extension that is not an existing file). Empty: <see cref="FileName"/> in
    /// the agent's state directory, <c>$STATE_DIRECTORY</c> (systemd's StateDirectory=), else
    /// /var/lib/edgeagent when run by systemd, else <c>$XDG_CACHE_HOME/edgeagent/state</c>
    /// (<c>~/.cache/edgeagent/state</c>).
    /// </summary>
    public string Path { get; set; } = "";

    /// <summary>Largest size of the rows kept, in megabytes (MiB); the oldest rows go first beyond it.</summary>
    public double MaxSizeMegabytes { get; set; } = 256;

    /// <summary>Rows older than this are deleted.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Most rows kept (0: no row limit, only size and age).</summary>
    public long MaxRows { get; set; }

    /// <summary>
    /// Records waiting for the writer; when it is full (the disk is slow or the writer stalled), new
    /// records are dropped and counted, never waited for.
    /// </summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>Most rows written in one transaction.</summary>
    public int BatchSize { get; set; } = 512;

    /// <summary>
    /// The durability bound: a request's row is committed (and survives the agent being killed)
    /// within this long of its reply, as long as writing one batch takes less than half of it. The
    /// writer gathers records for half of it after the oldest queued one arrived (0: write at once).
    /// </summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Bytes of <see cref="MaxSizeMegabytes"/>.</summary>
    public long MaxSizeBytes => (long)(MaxSizeMegabytes * 1024 * 1024);

    /// <summary>The database file these settings name (see <see cref="Path"/>).</summary>
    /// <param name="environment">Reads an environment variable (null: the process environment).</param>
    public string ResolvePath(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        var configured = Path?.Trim() ?? "";
        if (configured.Length > 0)
        {
            var full = System.IO.Path.GetFullPath(configured);
            // A directory: one that exists, a trailing '/', or a name without an extension (the
            // README's `--decision-log /tmp/edgeagent-state` before the directory exists).
            return Directory.Exists(full) || configured.EndsWith('/') || configured.EndsWith(System.IO.Path.DirectorySeparatorChar)
                || (!File.Exists(full) && !System.IO.Path.HasExtension(full))
                ? System.IO.Path.Combine(full, FileName)
                : full;
        }

        // systemd sets STATE_DIRECTORY for StateDirectory= (several are ':'-separated; the first is ours).
        if (environment("STATE_DIRECTORY") is { Length: > 0 } state)
        {
            return System.IO.Path.Combine(state.Split(':')[0], FileName);
        }

        if (environment("INVOCATION_ID") is { Length: > 0 })
        {
            return System.IO.Path.Combine("/var/lib/edgeagent", FileName);
        }

        var cache = environment("XDG_CACHE_HOME") is { Length: > 0 } xdg && System.IO.Path.IsPathRooted(xdg)
            ? xdg
            : System.IO.Path.Combine(environment("HOME") is { Length: > 0 } home ? home : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return System.IO.Path.Combine(cache, "edgeagent", "state", FileName);
    }
}

/// <summary>Checks <see cref="DecisionLogOptions"/> at start; every message names the setting and its range.</summary>
public sealed class DecisionLogOptionsValidator : IValidateOptions<DecisionLogOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, DecisionLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var inv = CultureInfo.InvariantCulture;
        if (!(options.MaxSizeMegabytes >= 1 && options.MaxSizeMegabytes <= 1_048_576))
        {
            errors.Add(string.Create(inv, $"DecisionLog:MaxSizeMegabytes must be in [1, 1048576] (MiB); got {options.MaxSizeMegabytes}."));
        }

        if (options.MaxAge < TimeSpan.FromMinutes(1) || options.MaxAge > TimeSpan.FromDays(3650))
        {
            errors.Add(string.Create(inv, $"DecisionLog:MaxAge must be between 00:01:00 and 3650.00:00:00; got {options.MaxAge:c}."));
        }

        if (options.MaxRows is < 0 or (> 0 and < 100))
        {
            errors.Add(string.Create(inv, $"DecisionLog:MaxRows must be 0 (no row limit) or at least 100; got {options.MaxRows}."));
        }

        if (options.QueueCapacity is < 16 or > 1_000_000)
        {
            errors.Add(string.Create(inv, $"DecisionLog:QueueCapacity must be in [16, 1000000]; got {options.QueueCapacity}."));
        }

        if (options.BatchSize is < 1 or > 100_000)
        {
            errors.Add(string.Create(inv, $"DecisionLog:BatchSize must be in [1, 100000]; got {options.BatchSize}."));
        }

        if (options.FlushInterval < TimeSpan.Zero || options.FlushInterval > TimeSpan.FromSeconds(60))
        {
            errors.Add(string.Create(inv, $"DecisionLog:FlushInterval must be between 00:00:00 and 00:01:00; got {options.FlushInterval:c}."));
        }

        if (options.Enabled && options.Path?.Trim() is { Length: > 0 } path && path.IndexOfAny(System.IO.Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"DecisionLog:Path '{path}' contains characters a path cannot hold.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
