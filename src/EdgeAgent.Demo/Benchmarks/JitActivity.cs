using System.Globalization;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// CPU the .NET JIT's tier-up worker of a process used (Linux /proc: the threads named
/// ".NET Tiered Compilation Worker", truncated by the kernel to ".NET Tiered Com"). A process keeps
/// recompiling its hot methods (tier 0, instrumented, tier 1) for a minute or more after it starts,
/// and more of them when it runs more code: benchmarks that count a process's CPU per request wait
/// until this is quiet. The worker thread exits when idle and a new one starts when there is work,
/// so threads are followed by id: a new thread counts from zero, a gone one stops counting.
/// </summary>
public sealed class JitActivity(int pid, string procRoot = "/proc")
{
    private const string WorkerName = ".NET Tiered Com";

    private Dictionary<int, long> _last = new();

    /// <summary>Clock ticks (USER_HZ, normally 100 per second) the tier-up workers used since the previous call (the first call: since they started).</summary>
    public long Advance() => Advance(ReadWorkerTicks());

    /// <summary>As <see cref="Advance()"/>, from the given ticks per worker thread id.</summary>
    public long Advance(IReadOnlyDictionary<int, long> ticksByThread)
    {
        ArgumentNullException.ThrowIfNull(ticksByThread);
        var used = 0L;
        foreach (var (thread, ticks) in ticksByThread)
        {
            used += Math.Max(0, ticks - _last.GetValueOrDefault(thread));
        }

        _last = new Dictionary<int, long>(ticksByThread);
        return used;
    }

    /// <summary>utime + stime of each tier-up worker thread of the process now (empty when there is none or /proc does not say).</summary>
    public Dictionary<int, long> ReadWorkerTicks()
    {
        var result = new Dictionary<int, long>();
        foreach (var (thread, task) in ThreadCpu.Tasks(procRoot, pid))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(WorkerName, StringComparison.Ordinal)
                    || ParseCpuTicks(File.ReadAllText(Path.Combine(task, "stat"))) is not { } ticks)
                {
                    continue;
                }

                result[thread] = ticks;
            }
            catch (IOException)
            {
                // The thread exited between the listing and the read.
            }
        }

        return result;
    }

    /// <summary>utime + stime (fields 14 and 15) from the text of a /proc stat file, or null when it is not of that form.</summary>
    public static long? ParseCpuTicks(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // fields[0] is the state (field 3), so utime (field 14) is fields[11] and stime fields[12].
        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 12
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? user + system
            : null;
    }
}
