using System.Globalization;
using Grpc.Core;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// Hung-peer detection from what the agent already sees (issue 13): the inference calls it has
/// outstanding at one peer and that peer's answers. The peer looks hung when its oldest
/// outstanding call has waited longer than
/// <c>max(Agent:HungPeerFactor x expected, Agent:HungPeerFloor)</c> and the peer has answered
/// nothing for that long either (no reply to any call since that call was sent). Expected is the
/// longer of the 90th percentile of the peer's last <see cref="RecentAnswers"/> answers (so one cold
/// start or collection pause among them does not raise it) and the call's own estimate when it was sent (its upload at the link estimate, the round trip, the peer's queue per
/// slot and the model's execution time there). A peer that keeps answering other calls is slow,
/// not hung: its late calls keep their own deadline. A peer that has not answered any call yet is
/// not judged (nothing says how long it takes, and the link estimate may still be the prior): its
/// calls wait for the offload timeout, as before detection existed. <see cref="Release"/> hands every call
/// outstanding at a detection its cancellation, so the dispatcher runs them locally at once
/// instead of waiting out the offload timeout with an admission permit held.
/// </summary>
public sealed class PeerHangDetector
{
    /// <summary>Answers whose 90th percentile sets the expected time (a window, so old answers age out).</summary>
    public const int RecentAnswers = 32;

    private readonly Lock _lock = new();
    private readonly double _factor;
    private readonly long _floorTicks;
    private readonly TimeProvider _time;
    private readonly long[] _recent = new long[RecentAnswers];
    private int _recentCount;
    private int _recentNext;
    private long _recentP90;
    private long _lastAnswerAt;
    private PendingCall? _oldest;
    private PendingCall? _newest;
    private int _outstanding;
    private CancellationTokenSource _release = new();
    private long _detections;
    private long _released;

    /// <summary>Creates a detector; a <paramref name="floor"/> of zero switches detection off.</summary>
    /// <param name="factor">Multiple of the expected time a call may wait without any answer from the peer (Agent:HungPeerFactor).</param>
    /// <param name="floor">Shortest wait ever judged a hang (Agent:HungPeerFloor); zero: never.</param>
    /// <param name="time">Clock of the calls' timestamps (a connection's <see cref="SchedulingLag.Clock"/>: time the agent was running).</param>
    public PeerHangDetector(double factor, TimeSpan floor, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _factor = factor;
        _time = time;
        Floor = floor;
        _floorTicks = SecondsToTicks(floor.TotalSeconds);
    }

    /// <summary>Agent:HungPeerFloor; zero when detection is off.</summary>
    public TimeSpan Floor { get; }

    /// <summary>True unless Agent:HungPeerFloor is zero.</summary>
    public bool Enabled => _floorTicks > 0;

    /// <summary>Times the peer was found hung since start.</summary>
    public long Detections => Interlocked.Read(ref _detections);

    /// <summary>Calls released (handed to a local fallback) because the peer was found hung, since start.</summary>
    public long ReleasedCalls => Interlocked.Read(ref _released);

    /// <summary>Calls outstanding now (sent, not yet ended or released).</summary>
    public int Outstanding
    {
        get
        {
            lock (_lock)
            {
                return _outstanding;
            }
        }
    }

    /// <summary>
    /// Notes a call being sent with its expected time to an answer; the returned call's
    /// <see cref="PendingCall.Released"/> is cancelled when the peer is found hung while it waits.
    /// </summary>
    /// <param name="expected">The call's expected time to an answer.</param>
    /// <param name="judged">
    /// False for a call whose message is still arriving at the agent (cut-through): the peer cannot
    /// answer before it has the last byte, so the call is judged only from <see cref="StartJudging"/>.
    /// </param>
    public PendingCall Sent(TimeSpan expected, bool judged = true)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            var call = new PendingCall(now, SecondsToTicks(Math.Max(0, expected.TotalSeconds)), _release.Token) { Judged = judged, JudgedFrom = now };
            Append(call);
            return call;
        }
    }

    /// <summary>
    /// The last byte of a call sent with <c>judged: false</c> has been handed to the peer: from now
    /// on its wait counts. Nothing happens for a call already judged, ended or released.
    /// </summary>
    public void StartJudging(PendingCall call)
    {
        ArgumentNullException.ThrowIfNull(call);
        lock (_lock)
        {
            if (call.Detached || call.Judged)
            {
                return;
            }

            // It moves to the end of the list, which so stays ordered by the time each judged call
            // is judged from (calls not judged yet keep their places).
            Unlink(call);
            call.Detached = false;
            call.Judged = true;
            call.JudgedFrom = _time.GetTimestamp();
            Append(call);
        }
    }

    /// <summary>Notes how a call from <see cref="Sent"/> ended.</summary>
    /// <param name="call">The call.</param>
    /// <param name="answered">True when the peer answered it (any status the peer itself chose): a sign of life and a latency sample.</param>
    public void Ended(PendingCall call, bool answered)
    {
        ArgumentNullException.ThrowIfNull(call);
        lock (_lock)
        {
            Unlink(call);
            if (!answered)
            {
                return;
            }

            var now = _time.GetTimestamp();
            _lastAnswerAt = now;
            var elapsed = now - call.JudgedFrom;
            _recent[_recentNext] = elapsed;
            _recentNext = (_recentNext + 1) % RecentAnswers;
            _recentCount = Math.Min(RecentAnswers, _recentCount + 1);
            // The 90th percentile (nearest rank) of the window: the slowest few answers are left out.
            Span<long> sorted = stackalloc long[RecentAnswers];
            _recent.AsSpan(0, _recentCount).CopyTo(sorted);
            sorted = sorted[.._recentCount];
            sorted.Sort();
            _recentP90 = sorted[Math.Max(0, (int)Math.Ceiling(0.9 * _recentCount) - 1)];
        }
    }

    /// <summary>Answers in the window the expected time is taken from (at most <see cref="RecentAnswers"/>); zero: the peer is not judged.</summary>
    public int KnownAnswers
    {
        get
        {
            lock (_lock)
            {
                return _recentCount;
            }
        }
    }

    /// <summary>
    /// Forgets the peer's answers (their latency window and the time of the last one): called when
    /// the connection to the peer is made again, since the process answering on that address may be
    /// another one (a restart) with its own speed and cold first calls. Until the new process has
    /// answered once it is not judged, as a peer that never answered; calls outstanding now keep
    /// their places and are still released if it is found hung later.
    /// </summary>
    public void ForgetAnswers()
    {
        lock (_lock)
        {
            Array.Clear(_recent);
            _recentCount = 0;
            _recentNext = 0;
            _recentP90 = 0;
            _lastAnswerAt = 0;
        }
    }

    /// <summary>
    /// The verdict now (a read, no state change): null while the peer is not found hung. Waits and
    /// silences are measured on the detector's clock; a <see cref="PeerConnection"/> gives it its
    /// <see cref="SchedulingLag.Clock"/>, so time the agent itself was not running (answers may have
    /// arrived unread meanwhile) does not count.
    /// </summary>
    public HangVerdict? Check()
    {
        if (!Enabled)
        {
            return null;
        }

        lock (_lock)
        {
            // The oldest call judged: the first judged one in the list (a call still uploading is skipped).
            PendingCall? oldest = null;
            for (var call = _oldest; call is not null; call = call.Next)
            {
                if (call.Judged)
                {
                    oldest = call;
                    break;
                }
            }

            if (oldest is null || _recentCount == 0)
            {
                return null;
            }

            var now = _time.GetTimestamp();
            var silent = now - Math.Max(_lastAnswerAt, oldest.JudgedFrom);
            var threshold = Math.Max(_floorTicks, (long)Math.Min(long.MaxValue / 2.0, _factor * Math.Max(_recentP90, oldest.ExpectedTicks)));
            return silent > threshold
                ? new HangVerdict(_outstanding, TicksToTime(now - oldest.JudgedFrom), TicksToTime(silent), TicksToTime(threshold))
                : null;
        }
    }

    /// <summary>True when <see cref="Check()"/> finds the peer hung now.</summary>
    public bool LooksHung => Check() is not null;

    /// <summary>
    /// Called once the peer was found hung: every call outstanding now gets its
    /// <see cref="PendingCall.Released"/> cancelled and no longer counts as outstanding. Returns how many.
    /// </summary>
    public int Release()
    {
        CancellationTokenSource released;
        int count;
        lock (_lock)
        {
            count = _outstanding;
            for (var call = _oldest; call is not null; call = call.Next)
            {
                call.Detached = true;
            }

            _oldest = null;
            _newest = null;
            _outstanding = 0;
            released = _release;
            _release = new CancellationTokenSource();
            Interlocked.Increment(ref _detections);
            Interlocked.Add(ref _released, count);
        }

        // Outside the lock: cancellation runs the calls' continuations. The old source has no
        // timer, so it is left to the collector (calls still linked to its token stay valid).
        released.Cancel();
        return count;
    }

    private void Append(PendingCall call)
    {
        call.Previous = _newest;
        call.Next = null;
        if (_newest is null)
        {
            _oldest = call;
        }
        else
        {
            _newest.Next = call;
        }

        _newest = call;
        _outstanding++;
    }

    private void Unlink(PendingCall call)
    {
        if (call.Detached)
        {
            return;
        }

        call.Detached = true;
        if (call.Previous is null)
        {
            _oldest = call.Next;
        }
        else
        {
            call.Previous.Next = call.Next;
        }

        if (call.Next is null)
        {
            _newest = call.Previous;
        }
        else
        {
            call.Next.Previous = call.Previous;
        }

        call.Previous = null;
        call.Next = null;
        _outstanding--;
    }

    private long SecondsToTicks(double seconds) => (long)Math.Min(long.MaxValue / 4.0, seconds * _time.TimestampFrequency);

    private TimeSpan TicksToTime(long ticks) => TimeSpan.FromSeconds(ticks / (double)_time.TimestampFrequency);

    /// <summary>One call outstanding at the peer (<see cref="Sent"/>).</summary>
    public sealed class PendingCall
    {
        internal PendingCall(long sentAt, long expectedTicks, CancellationToken released)
        {
            SentAt = sentAt;
            ExpectedTicks = expectedTicks;
            Released = released;
        }

        /// <summary>Cancelled when the peer is found hung while this call waits.</summary>
        public CancellationToken Released { get; }

        internal long SentAt { get; }

        internal long ExpectedTicks { get; }

        internal PendingCall? Previous { get; set; }

        internal PendingCall? Next { get; set; }

        internal bool Detached { get; set; }

        /// <summary>False while the call's message is still arriving (cut-through): its wait does not count yet.</summary>
        internal bool Judged { get; set; }

        /// <summary>When its wait started to count: when it was sent, or its last byte was (<see cref="StartJudging"/>).</summary>
        internal long JudgedFrom { get; set; }
    }
}

/// <summary>Why a peer was found hung.</summary>
/// <param name="Outstanding">Calls outstanding at the peer.</param>
/// <param name="OldestWait">How long the oldest of them has waited (a call forwarded while it arrived: since its last byte was handed to the peer).</param>
/// <param name="Silent">How long the peer has answered nothing while that call waited.</param>
/// <param name="Threshold">The wait that counts as a hang for that call: max(factor x expected, floor).</param>
public readonly record struct HangVerdict(int Outstanding, TimeSpan OldestWait, TimeSpan Silent, TimeSpan Threshold);

/// <summary>
/// A call released because its peer was found hung while it waited (UNAVAILABLE): the dispatcher
/// runs it locally; the detection itself was logged once for all the calls it released.
/// </summary>
public sealed class PeerHungException : RpcException
{
    /// <summary>Creates the exception for a call to <paramref name="peer"/> that waited <paramref name="waited"/>.</summary>
    public PeerHungException(string peer, TimeSpan waited)
        : base(new Status(StatusCode.Unavailable, string.Create(CultureInfo.InvariantCulture, $"peer '{peer}' looks hung (no answer to any call while this one waited {waited.TotalMilliseconds:0} ms); the call was released")))
    {
        Peer = peer;
    }

    /// <summary>The peer found hung.</summary>
    public string Peer { get; }
}
