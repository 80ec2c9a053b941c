using System.Globalization;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Counters of a process read from /proc (Linux): what a benchmark reports beside wall-clock time.</summary>
public static class ProcessCounters
{
    /// <summary>Minor page faults (minflt, field 10 of /proc/PID/stat) of process <paramref name="pid"/>, or null when /proc does not say.</summary>
    public static long? MinorFaults(int pid, string procRoot = "/proc")
    {
        string stat;
        try
        {
            stat = File.ReadAllText(Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "stat"));
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        return ParseMinorFaults(stat);
    }

    /// <summary>
    /// Minor faults from the text of a /proc/PID/stat file: the fields after the command (which is
    /// in parentheses and may itself hold spaces and parentheses) are split on spaces; minflt is the
    /// 10th field of the line, the 8th after the command. Null when the text is not of that form.
    /// </summary>
    public static long? ParseMinorFaults(string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // fields[0] is the state (field 3), so minflt (field 10) is fields[7].
        return fields.Length > 7 && long.TryParse(fields[7], NumberStyles.None, CultureInfo.InvariantCulture, out var faults) ? faults : null;
    }
}
