namespace EdgeAgent.Node.Agent;

/// <summary>
/// How long this agent itself was not running, judged from how late a periodic check wakes up, and
/// a clock that leaves that time out. A stopped process (SIGSTOP, a debugger) or a starved one (CPU
/// contention on a small board, a long garbage collection) reads nothing while it does not run, so
/// a peer's reports or answers may be waiting unread: that time is no evidence against the peer.
/// A <see cref="PeerConnection"/>'s watchdog ticks one per connection; the hang detector's silence
/// (through <see cref="Clock"/>) and the load stream's staleness are both measured on <see cref="Now"/>.
/// </summary>
/// <remarks>
/// One loop ticks an instance (<see cref="Start"/>, then <see cref="Tick"/> after every wait of
/// <see cref="Interval"/>); any thread may read <see cref="Now"/>, which is lock-free and does not
/// allocate. A check that wakes late counts its lateness (the gap beyond the interval) as time not
/// running; while the next check is overdue, the overdue part counts too, so a reading taken just
/// after the process resumes, before the check has run, already leaves the stop out. Timer jitter
/// (a millisecond or two a check) counts as well, so on a running agent a silence is judged up to
/// a few percent late; a stop or a starved stretch is left out whole.
/// </remarks>
public sealed class SchedulingLag
{
    private readonly TimeProvider _time;
    private long _intervalTicks;
    private long _unobserved;
    private long _lastCheck;
    private long _checks;

    /// <summary>Creates a clock that counts nothing as unobserved until <see cref="Start"/>.</summary>
    /// <param name="time">The clock it reads (TimeProvider timestamps).</param>
    public SchedulingLag(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        Clock = new ObservedClock(this, time);
    }

    /// <summary>
    /// A TimeProvider whose timestamps are this clock's (<see cref="Now"/>), for components that
    /// measure silences with timestamps (<see cref="PeerHangDetector"/>); wall-clock time, time zone
    /// and timers are the underlying provider's.
    /// </summary>
    public TimeProvider Clock { get; }

    /// <summary>Checks so far (<see cref="Tick"/> calls).</summary>
    public long Checks => Volatile.Read(ref _checks);

    /// <summary>The ticking loop's interval (zero before <see cref="Start"/>).</summary>
    public TimeSpan Interval => TimeSpan.FromSeconds(Volatile.Read(ref _intervalTicks) / (double)_time.TimestampFrequency);

    /// <summary>All time counted as not running so far, in TimeProvider timestamp units (the overdue part of the next check included).</summary>
    public long UnobservedTicks => UnobservedAt(_time.GetTimestamp());

    /// <summary>
    /// Now on the clock of observed time: the TimeProvider timestamp less <see cref="UnobservedTicks"/>.
    /// Differences of two readings are time this agent was running. It never runs ahead of the
    /// TimeProvider; a reading taken while a check lands may run ahead of the next by that check's lateness.
    /// </summary>
    public long Now
    {
        get
        {
            var now = _time.GetTimestamp();
            return now - UnobservedAt(now);
        }
    }

    /// <summary>Time on the observed clock since <paramref name="observedTimestamp"/> (a reading of <see cref="Now"/>); zero for a later one.</summary>
    public TimeSpan Since(long observedTimestamp) =>
        TimeSpan.FromSeconds(Math.Max(0, Now - observedTimestamp) / (double)_time.TimestampFrequency);

    // Unobserved time as of the TimeProvider timestamp now (one clock read per reading of Now).
    private long UnobservedAt(long now)
    {
        // Total first, then the last check (Tick writes them the other way round): a check landing
        // between the two reads is missed by this reading (a silence reads longer, never shorter),
        // never counted twice.
        var total = Volatile.Read(ref _unobserved);
        var last = Volatile.Read(ref _lastCheck);
        return last == 0 ? total : total + Math.Max(0, now - last - Volatile.Read(ref _intervalTicks));
    }

    /// <summary>Starts (or restarts) the checks: the next <see cref="Tick"/> is expected one <paramref name="interval"/> from now.</summary>
    /// <param name="interval">The ticking loop's wait between checks (positive).</param>
    public void Start(TimeSpan interval)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        Volatile.Write(ref _intervalTicks, Math.Max(1, (long)Math.Round(interval.TotalSeconds * _time.TimestampFrequency)));
        Volatile.Write(ref _lastCheck, _time.GetTimestamp());
    }

    /// <summary>
    /// One check, after a wait of <see cref="Interval"/>: its lateness (the gap since the last check
    /// beyond the interval) is counted as time not running, and returned.
    /// </summary>
    /// <exception cref="InvalidOperationException">Not started.</exception>
    public TimeSpan Tick()
    {
        var last = Volatile.Read(ref _lastCheck);
        if (last == 0)
        {
            throw new InvalidOperationException("SchedulingLag.Tick before Start.");
        }

        var now = _time.GetTimestamp();
        var late = Math.Max(0, now - last - Volatile.Read(ref _intervalTicks));
        // The check's time before the total (see UnobservedTicks): a reader never counts the lateness twice.
        Volatile.Write(ref _lastCheck, now);
        Volatile.Write(ref _unobserved, Volatile.Read(ref _unobserved) + late);
        Interlocked.Increment(ref _checks);
        return TimeSpan.FromSeconds(late / (double)_time.TimestampFrequency);
    }

    /// <summary>Stops the checks: from now on nothing more counts as not running until the next <see cref="Start"/>.</summary>
    public void Stop()
    {
        var last = Volatile.Read(ref _lastCheck);
        if (last != 0)
        {
            // The overdue part of the check that will not come is counted as a late check would have been.
            Volatile.Write(ref _unobserved, Volatile.Read(ref _unobserved) + Math.Max(0, _time.GetTimestamp() - last - Volatile.Read(ref _intervalTicks)));
            Volatile.Write(ref _lastCheck, 0);
        }
    }

    private sealed class ObservedClock(SchedulingLag lag, TimeProvider time) : TimeProvider
    {
        public override long TimestampFrequency => time.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => time.LocalTimeZone;

        public override long GetTimestamp() => lag.Now;

        public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            time.CreateTimer(callback, state, dueTime, period);
    }
}
