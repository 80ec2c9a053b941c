using System.Diagnostics;

namespace EdgeAgent.Hardware.Energy;

/// <summary>
/// Blocks the sampling thread until an absolute deadline on a <see cref="TimeProvider"/>'s timestamp
/// scale. On the system clock under Linux that is one <c>clock_nanosleep(TIMER_ABSTIME)</c> per
/// sample: only the sampling thread wakes (a timer on the thread pool wakes the timer thread and a
/// worker), and the deadline is absolute, so there is no rounding to milliseconds and no drift.
/// Other clocks (a FakeTimeProvider in tests) wait on that clock's timer.
/// </summary>
internal abstract class DeadlineSleeper : IDisposable
{
    /// <summary>Longest single sleep, so cancellation is seen within this time at low sampling rates.</summary>
    public static readonly TimeSpan MaxSlice = TimeSpan.FromMilliseconds(50);

    /// <summary>What the sleeper uses, for benchmark output.</summary>
    public abstract string Mechanism { get; }

    /// <summary>The best sleeper for <paramref name="time"/>.</summary>
    public static DeadlineSleeper Create(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (time != TimeProvider.System)
        {
            return new TimerDeadlineSleeper(time);
        }

        return LinuxClock.IsAvailable ? new MonotonicDeadlineSleeper() : new ThreadSleepDeadlineSleeper();
    }

    /// <summary>
    /// Returns true once the clock has reached <paramref name="deadline"/> (at once if it already
    /// has), false as soon as <paramref name="cancellationToken"/> is seen cancelled.
    /// </summary>
    public abstract bool SleepUntil(long deadline, CancellationToken cancellationToken);

    /// <inheritdoc />
    public virtual void Dispose()
    {
    }

    /// <summary>System clock on Linux: absolute CLOCK_MONOTONIC sleeps.</summary>
    private sealed class MonotonicDeadlineSleeper : DeadlineSleeper
    {
        // Stopwatch timestamps (TimeProvider.System's scale) are CLOCK_MONOTONIC nanoseconds on
        // Linux; the offset keeps this right even if a runtime used another origin or frequency.
        private readonly long _offset;
        private readonly double _nanosecondsPerTick = 1e9 / Stopwatch.Frequency;
        private readonly long _maxSliceTicks = (long)(MaxSlice.TotalSeconds * Stopwatch.Frequency);

        public MonotonicDeadlineSleeper() =>
            _offset = LinuxClock.MonotonicNanoseconds() - ToNanoseconds(Stopwatch.GetTimestamp(), 0);

        public override string Mechanism => "clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME) on a dedicated thread";

        public override bool SleepUntil(long deadline, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= deadline)
                {
                    return true;
                }

                var target = deadline - now > _maxSliceTicks ? now + _maxSliceTicks : deadline;
                LinuxClock.SleepUntil(ToNanoseconds(target, _offset));
                if (target == deadline)
                {
                    return true;
                }
            }

            return false;
        }

        private long ToNanoseconds(long timestamp, long offset) =>
            (Stopwatch.Frequency == 1_000_000_000 ? timestamp : (long)(timestamp * _nanosecondsPerTick)) + offset;
    }

    /// <summary>System clock elsewhere: <see cref="Thread.Sleep(int)"/> to the next whole millisecond.</summary>
    private sealed class ThreadSleepDeadlineSleeper : DeadlineSleeper
    {
        public override string Mechanism => "Thread.Sleep (whole milliseconds) on a dedicated thread";

        public override bool SleepUntil(long deadline, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = Stopwatch.GetTimestamp();
                if (now >= deadline)
                {
                    return true;
                }

                var milliseconds = (int)Math.Ceiling((deadline - now) * 1000.0 / Stopwatch.Frequency);
                Thread.Sleep(Math.Min(milliseconds, (int)MaxSlice.TotalMilliseconds));
            }

            return false;
        }
    }

    /// <summary>Any other clock: a timer of that clock sets an event the thread waits on.</summary>
    private sealed class TimerDeadlineSleeper : DeadlineSleeper
    {
        private static readonly TimeSpan RecheckPeriod = TimeSpan.FromMilliseconds(20);
        private readonly TimeProvider _time;
        private readonly ManualResetEventSlim _fired = new();
        private readonly ITimer _timer;

        public TimerDeadlineSleeper(TimeProvider time)
        {
            _time = time;
            _timer = time.CreateTimer(static state => ((ManualResetEventSlim)state!).Set(), _fired, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public override string Mechanism => $"{_time.GetType().Name} timer";

        public override bool SleepUntil(long deadline, CancellationToken cancellationToken)
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var now = _time.GetTimestamp();
                if (now >= deadline)
                {
                    return true;
                }

                _fired.Reset();
                var ticks = (long)Math.Ceiling((deadline - now) * (double)TimeSpan.TicksPerSecond / _time.TimestampFrequency);
                _timer.Change(TimeSpan.FromTicks(Math.Max(1, ticks)), Timeout.InfiniteTimeSpan);

                // The clock may have moved between reading it and arming the timer (a test advancing a
                // fake clock): then the timer is due too late, but the deadline has passed already.
                if (_time.GetTimestamp() >= deadline)
                {
                    return true;
                }

                try
                {
                    // The clock can also move between reading it and arming the timer without passing
                    // the deadline yet: the timer is then due later than the deadline and may never fire
                    // on a clock that stops short of it. So the wait is bounded in real time and the loop
                    // reads the clock again (only clocks other than the system's take this path).
                    _fired.Wait(RecheckPeriod, cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return false;
                }
            }

            return false;
        }

        public override void Dispose()
        {
            _timer.Dispose();
            _fired.Dispose();
        }
    }
}
