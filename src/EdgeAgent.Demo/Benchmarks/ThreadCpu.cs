using System.Globalization;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// CPU a process's threads used, by thread name (Linux /proc/PID/task/TID: comm, and the run time
/// in nanoseconds from schedstat, or from stat's 10 ms clock ticks where the kernel keeps no
/// schedstat), so a
/// benchmark can say where a difference in CPU per request went: the thread pool's workers (the
/// request path and everything queued to the pool), the JIT's tier-up worker (".NET Tiered Com"),
/// the socket engine, timers, exporters' own threads ("OpenTelemetry-..."), the energy meter's
/// sampler. Threads are followed by id: a new thread counts from zero, a gone one stops counting
/// (read at least every second while measuring, as idle workers exit and take their counts with
/// them). Names are the kernel's, at most 15 characters.
/// </summary>
public sealed class ThreadCpu(int pid, string procRoot = "/proc")
{
    private Dictionary<int, (string Name, long Nanoseconds)> _last = new();

    /// <summary>The tier-up worker's name as the kernel keeps it (".NET Tiered Compilation Worker" truncated).</summary>
    public const string TierUpWorker = ".NET Tiered Com";

    /// <summary>Nanoseconds of CPU each thread name used since the previous call (the first call: since the threads started).</summary>
    public Dictionary<string, long> Advance() => Advance(Read());

    /// <summary>As <see cref="Advance()"/>, from the given name and nanoseconds per thread id.</summary>
    public Dictionary<string, long> Advance(IReadOnlyDictionary<int, (string Name, long Nanoseconds)> threads)
    {
        ArgumentNullException.ThrowIfNull(threads);
        var used = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (thread, (name, nanoseconds)) in threads)
        {
            var before = _last.TryGetValue(thread, out var last) && last.Name == name ? last.Nanoseconds : 0;
            var delta = Math.Max(0, nanoseconds - before);
            if (delta > 0)
            {
                used[name] = used.GetValueOrDefault(name) + delta;
            }
        }

        _last = new Dictionary<int, (string, long)>(threads);
        return used;
    }

    /// <summary>Name and CPU nanoseconds of each thread of the process now (empty when it is gone or /proc does not say).</summary>
    public Dictionary<int, (string Name, long Nanoseconds)> Read()
    {
        var result = new Dictionary<int, (string, long)>();
        foreach (var (thread, task) in Tasks(procRoot, pid))
        {
            try
            {
                if (RunNanoseconds(task) is not { } nanoseconds)
                {
                    continue;
                }

                result[thread] = (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'), nanoseconds);
            }
            catch (IOException)
            {
                // The thread exited between the listing and the read.
            }
        }

        return result;
    }

    /// <summary>Each thread of process <paramref name="pid"/> with its /proc task directory (none when the process is gone or /proc does not say).</summary>
    internal static IEnumerable<(int Thread, string Directory)> Tasks(string procRoot, int pid)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "task"));
        }
        catch (IOException)
        {
            yield break;
        }
        catch (UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (var task in tasks)
        {
            if (int.TryParse(Path.GetFileName(task), NumberStyles.None, CultureInfo.InvariantCulture, out var thread))
            {
                yield return (thread, task);
            }
        }
    }

    /// <summary>The run time in nanoseconds from the text of a schedstat file (its first field: time on the CPU), or null when it is not of that form.</summary>
    public static long? ParseSchedstat(string schedstat)
    {
        ArgumentNullException.ThrowIfNull(schedstat);
        var end = schedstat.IndexOf(' ', StringComparison.Ordinal);
        return long.TryParse(end < 0 ? schedstat.AsSpan().TrimEnd('\n') : schedstat.AsSpan(0, end), NumberStyles.None, CultureInfo.InvariantCulture, out var nanoseconds) ? nanoseconds : null;
    }

    // schedstat's run time; stat's utime + stime (10 ms ticks) where there is no schedstat.
    private static long? RunNanoseconds(string task)
    {
        var schedstat = Path.Combine(task, "schedstat");
        if (File.Exists(schedstat) && ParseSchedstat(File.ReadAllText(schedstat)) is { } nanoseconds)
        {
            return nanoseconds;
        }

        return JitActivity.ParseCpuTicks(File.ReadAllText(Path.Combine(task, "stat"))) is { } ticks ? ticks * TickNanoseconds : null;
    }

    // /proc's clock tick (USER_HZ) in nanoseconds.
    private const long TickNanoseconds = 10_000_000;
}
