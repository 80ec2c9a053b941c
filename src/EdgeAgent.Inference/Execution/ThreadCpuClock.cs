using System.Runtime.InteropServices;

namespace EdgeAgent.Inference.Execution;

/// <summary>The calling thread's CPU time (user and system) from Linux's CLOCK_THREAD_CPUTIME_ID.</summary>
internal static class ThreadCpuClock
{
    private const int ClockThreadCpuTime = 3;
    private static readonly Lazy<bool> Available = new(Probe);

    /// <summary>CPU time used so far by the calling thread; null where it cannot be read (not Linux, no libc).</summary>
    public static TimeSpan? Now()
    {
        if (!Available.Value || ClockGetTime(ClockThreadCpuTime, out var cpu) != 0)
        {
            return null;
        }

        return TimeSpan.FromTicks(((long)cpu.Seconds * TimeSpan.TicksPerSecond) + ((long)cpu.Nanoseconds / 100));
    }

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return ClockGetTime(ClockThreadCpuTime, out _) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // struct timespec { time_t tv_sec; long tv_nsec; }: both pointer-sized on the Linux ABIs .NET supports.
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockGetTime(int clock, out Timespec time);
}
