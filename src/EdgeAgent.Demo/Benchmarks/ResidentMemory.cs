using System.Globalization;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Resident set size of a process, read from /proc (Linux).</summary>
public static class ResidentMemory
{
    /// <summary>VmRSS of process <paramref name="pid"/> in bytes, or null when /proc does not say.</summary>
    public static long? OfProcess(int pid, string procRoot = "/proc")
    {
        var path = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "status");
        if (!File.Exists(path))
        {
            return null;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var kb))
            {
                return kb * 1024;
            }
        }

        return null;
    }
}
