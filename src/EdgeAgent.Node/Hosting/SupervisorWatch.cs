using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Node.Serving;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// Stops the node, as SIGTERM would, once the process named by <see cref="ServingOptions.StopWithProcessId"/>
/// has exited: for a supervisor that starts nodes as its children (the benchmarks, <c>eval live</c>'s
/// namespace peers) and can itself be killed with SIGKILL, which it cannot pass on. Without it such
/// nodes outlived their supervisor, holding ports and CPU. Checked once a second; a process that has
/// exited but not yet been reaped (a zombie) counts as exited. Off (0) by default.
/// </summary>
internal sealed partial class SupervisorWatch : BackgroundService
{
    /// <summary>How often the supervisor's liveness is checked.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly int _processId;
    private readonly Func<int, bool> _isRunning;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger<SupervisorWatch> _logger;

    /// <summary>Creates the watch from the node's options, checking the real process table.</summary>
    public SupervisorWatch(IOptions<ServingOptions> options, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<SupervisorWatch> logger)
        : this(options.Value.StopWithProcessId, IsRunning, lifetime, time, logger)
    {
    }

    /// <summary>Creates the watch with a liveness check of its own (the seam for tests).</summary>
    internal SupervisorWatch(int processId, Func<int, bool> isRunning, IHostApplicationLifetime lifetime, TimeProvider time, ILogger<SupervisorWatch> logger)
    {
        _processId = processId;
        _isRunning = isRunning;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
    }

    /// <summary>True while the supervisor has been found running (false once the node has been told to stop).</summary>
    public bool SupervisorRunning { get; private set; } = true;

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_processId <= 0)
        {
            return;
        }

        Log.Watching(_logger, _processId);
        using var timer = new PeriodicTimer(Interval, _time);
        try
        {
            // The first check is immediate: a supervisor gone before the node started stops it at once.
            do
            {
                if (!_isRunning(_processId))
                {
                    SupervisorRunning = false;
                    Log.SupervisorExited(_logger, _processId);
                    _lifetime.StopApplication();
                    return;
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Whether process <paramref name="processId"/> is running: on Linux from /proc (absent, or in
    /// state Z or X, is not running); elsewhere from the process table.
    /// </summary>
    internal static bool IsRunning(int processId)
    {
        if (OperatingSystem.IsLinux())
        {
            string stat;
            try
            {
                stat = File.ReadAllText("/proc/" + processId.ToString(CultureInfo.InvariantCulture) + "/stat");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return false;
            }

            // "pid (comm) S ...": the state follows the last ')' (comm may hold spaces and parentheses).
            var close = stat.LastIndexOf(')');
            var state = close >= 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
            return state is not ('Z' or 'X');
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "Serving:StopWithProcessId: the node stops when process {ProcessId} exits.")]
        public static partial void Watching(ILogger logger, int processId);

        [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Process {ProcessId} (Serving:StopWithProcessId, the node's supervisor) has exited; stopping the node.")]
        public static partial void SupervisorExited(ILogger logger, int processId);
    }
}
