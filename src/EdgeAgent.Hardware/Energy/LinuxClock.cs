using System.Runtime.InteropServices;

namespace EdgeAgent.Hardware.Energy;

/// <summary>The few libc clock calls the sampling loop needs on Linux: absolute sleeps, thread CPU time, timer slack.</summary>
internal static partial class LinuxClock
{
    private const int ClockMonotonic = 1;
    private const int ClockThreadCpuTime = 3;
    private const int TimerAbsolute = 1;
    private const int Eintr = 4;
    private const int PrSetTimerSlack = 29;
    private const long NanosecondsPerSecond = 1_000_000_000;

    private static readonly Lazy<bool> Available = new(Probe);

    /// <summary>True on Linux when libc's clock_gettime and clock_nanosleep can be called.</summary>
    public static bool IsAvailable => Available.Value;

    /// <summary>CLOCK_MONOTONIC now, in nanoseconds.</summary>
    public static long MonotonicNanoseconds()
    {
        Check(ClockGetTime(ClockMonotonic, out var now), "clock_gettime(CLOCK_MONOTONIC)");
        return now.ToNanoseconds();
    }

    /// <summary>Sleeps the calling thread until CLOCK_MONOTONIC reaches <paramref name="nanoseconds"/>: one system call, no drift.</summary>
    public static void SleepUntil(long nanoseconds)
    {
        var deadline = Timespec.FromNanoseconds(nanoseconds);
        int error;
        while ((error = ClockNanosleep(ClockMonotonic, TimerAbsolute, in deadline, IntPtr.Zero)) == Eintr)
        {
            // A signal (the runtime uses some) cut the sleep short; the deadline is absolute, so sleep again.
        }

        if (error != 0)
        {
            throw new InvalidOperationException($"clock_nanosleep failed (error {error}).");
        }
    }

    /// <summary>CPU time used so far by the calling thread (user and system); null where it cannot be read.</summary>
    public static TimeSpan? CurrentThreadCpuTime()
    {
        if (!IsAvailable || ClockGetTime(ClockThreadCpuTime, out var cpu) != 0)
        {
            return null;
        }

        return TimeSpan.FromTicks(cpu.ToNanoseconds() / 100);
    }

    /// <summary>
    /// Sets the calling thread's timer slack: how late the kernel may fire its timers so that it can
    /// serve several with one wake-up. Linux's default for normal threads is 50 us.
    /// </summary>
    public static bool TrySetTimerSlack(TimeSpan slack) =>
        IsAvailable && SetTimerSlack(PrSetTimerSlack, (nuint)(slack.Ticks * 100), 0, 0, 0) == 0;

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return ClockGetTime(ClockMonotonic, out _) == 0
                && ClockNanosleep(ClockMonotonic, TimerAbsolute, in Timespec.Zero, IntPtr.Zero) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static void Check(int result, string call)
    {
        if (result != 0)
        {
            throw new InvalidOperationException($"{call} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    // time_t and long are pointer-sized on the Linux ABIs .NET supports (64-bit, and 32-bit ARM's
    // classic symbols).
    [StructLayout(LayoutKind.Sequential)]
    private readonly struct Timespec(nint seconds, nint nanoseconds)
    {
        public static readonly Timespec Zero;

        private readonly nint _seconds = seconds;
        private readonly nint _nanoseconds = nanoseconds;

        public static Timespec FromNanoseconds(long nanoseconds) =>
            new((nint)(nanoseconds / NanosecondsPerSecond), (nint)(nanoseconds % NanosecondsPerSecond));

        public long ToNanoseconds() => ((long)_seconds * NanosecondsPerSecond) + _nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime", SetLastError = true)]
    private static partial int ClockGetTime(int clock, out Timespec time);

    // Returns the error number itself (it does not set errno).
    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in Timespec request, IntPtr remaining);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int SetTimerSlack(int option, nuint slackNanoseconds, nuint unused3, nuint unused4, nuint unused5);
}
