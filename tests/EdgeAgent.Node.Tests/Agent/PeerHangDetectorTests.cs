using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

/// <summary>Hung-peer detection (issue 13): a call waiting past max(factor x expected, floor) with no answer from the peer meanwhile.</summary>
public sealed class PeerHangDetectorTests
{
    private static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(250);
    private readonly FakeTimeProvider _time = new();

    // A detector whose peer has answered once (5 ms): only such a peer is judged. Its clock is
    // _time, or one read through _time (a connection's SchedulingLag.Clock).
    private PeerHangDetector Detector(TimeSpan? floor = null, TimeProvider? clock = null)
    {
        var detector = new PeerHangDetector(4, floor ?? Floor, clock ?? _time);
        var first = detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(5));
        detector.Ended(first, answered: true);
        return detector;
    }

    [Fact]
    public void Check_PeerThatNeverAnswered_NotJudged()
    {
        // Nothing says how long its calls take (a first large upload over a slow link, say): the offload timeout decides.
        var detector = new PeerHangDetector(4, Floor, _time);
        detector.Sent(TimeSpan.FromMilliseconds(10));
        detector.Ended(detector.Sent(TimeSpan.Zero), answered: false);
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Null(detector.Check());
    }

    [Fact]
    public void ForgetAnswers_ANewProcessOnTheAddress_NotJudgedUntilItAnswersThenByItsOwnAnswers()
    {
        // The predecessor answered in 5 ms: the threshold would be the floor.
        var detector = Detector();
        detector.ForgetAnswers();
        var cold = detector.Sent(TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromSeconds(1));

        // Its cold first call (JIT, first runs) is not judged by the predecessor's 5 ms.
        Assert.Equal(0, detector.KnownAnswers);
        Assert.Null(detector.Check());
        detector.Ended(cold, answered: true);
        Assert.Equal(1, detector.KnownAnswers);

        // Then it is judged by its own answers: 4 x 1 s.
        detector.Sent(TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(detector.Check());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(4000, Assert.IsType<HangVerdict>(detector.Check()).Threshold.TotalMilliseconds, 3);
    }

    [Fact]
    public void ForgetAnswers_CallsOutstanding_StillReleasedOnADetection()
    {
        var detector = Detector();
        var waiting = detector.Sent(TimeSpan.FromMilliseconds(10));
        detector.ForgetAnswers();

        Assert.Equal(1, detector.Outstanding);
        Assert.Equal(1, detector.Release());
        Assert.True(waiting.Released.IsCancellationRequested);
    }

    [Fact]
    public void Check_NoCallOutstanding_NotHung()
    {
        var detector = Detector();
        _time.Advance(TimeSpan.FromMinutes(1));

        Assert.Null(detector.Check());
    }

    [Fact]
    public void Check_CallWaitsPastTheFloorWithoutAnswer_Hung()
    {
        var detector = Detector();
        detector.Sent(TimeSpan.FromMilliseconds(10));
        detector.Sent(TimeSpan.FromMilliseconds(10));

        _time.Advance(Floor);
        Assert.Null(detector.Check());
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var verdict = Assert.IsType<HangVerdict>(detector.Check());
        Assert.Equal(2, verdict.Outstanding);
        Assert.Equal(251, verdict.Silent.TotalMilliseconds, 3);
        Assert.Equal(250, verdict.Threshold.TotalMilliseconds, 3);
        Assert.True(detector.LooksHung);
    }

    [Fact]
    public void Check_PeerAnswersOtherCalls_NotHungUntilItFallsSilent()
    {
        var detector = Detector();
        detector.Sent(TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromMilliseconds(190));
        var second = detector.Sent(TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromMilliseconds(10));
        detector.Ended(second, answered: true);

        // The first call waited 400 ms, but the peer answered 200 ms ago: slow, not hung
        // (that answer took 10 ms, so the threshold is the floor).
        _time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.Null(detector.Check());
        _time.Advance(TimeSpan.FromMilliseconds(51));
        Assert.Equal(451, Assert.IsType<HangVerdict>(detector.Check()).OldestWait.TotalMilliseconds, 3);
    }

    [Fact]
    public void Check_SlowRecentAnswers_RaiseTheThreshold()
    {
        var detector = Detector();
        var slow = detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        detector.Ended(slow, answered: true);

        detector.Sent(TimeSpan.FromMilliseconds(1));
        _time.Advance(TimeSpan.FromMilliseconds(800));
        Assert.Null(detector.Check());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(800, Assert.IsType<HangVerdict>(detector.Check()).Threshold.TotalMilliseconds, 3);
    }

    [Fact]
    public void Check_CallExpectedToTakeLonger_UsesItsOwnEstimate()
    {
        // A large upload over a slow link: 1 s expected, so 4 s without an answer.
        var detector = Detector();
        detector.Sent(TimeSpan.FromSeconds(1));

        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(detector.Check());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.NotNull(detector.Check());
    }

    [Fact]
    public void Check_SlowAnswerOlderThanTheWindow_AgesOut()
    {
        var detector = Detector();
        var slow = detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(1));
        detector.Ended(slow, answered: true);
        for (var i = 0; i < PeerHangDetector.RecentAnswers; i++)
        {
            var fast = detector.Sent(TimeSpan.Zero);
            _time.Advance(TimeSpan.FromMilliseconds(5));
            detector.Ended(fast, answered: true);
        }

        detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(251));
        Assert.Equal(250, Assert.IsType<HangVerdict>(detector.Check()).Threshold.TotalMilliseconds, 3);
    }

    [Fact]
    public void Ended_WithoutAnswer_IsNoSignOfLife()
    {
        // A call that failed in transport or was cancelled by its caller says nothing for the peer.
        var detector = Detector();
        detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        detector.Ended(detector.Sent(TimeSpan.Zero), answered: false);
        _time.Advance(TimeSpan.FromMilliseconds(51));

        Assert.NotNull(detector.Check());
    }

    [Fact]
    public void Release_CancelsEveryWaitingCallAndCountsThem()
    {
        var detector = Detector();
        var first = detector.Sent(TimeSpan.Zero);
        var second = detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(300));

        Assert.Equal(2, detector.Release());

        Assert.True(first.Released.IsCancellationRequested);
        Assert.True(second.Released.IsCancellationRequested);
        Assert.Equal(0, detector.Outstanding);
        Assert.Null(detector.Check());
        Assert.Equal(1, detector.Detections);
        Assert.Equal(2, detector.ReleasedCalls);

        // The released calls end later (their finally blocks); a call sent after the release is not released.
        detector.Ended(first, answered: false);
        var third = detector.Sent(TimeSpan.Zero);
        detector.Ended(second, answered: false);
        Assert.False(third.Released.IsCancellationRequested);
        Assert.Equal(1, detector.Outstanding);
        _time.Advance(TimeSpan.FromMilliseconds(251));
        Assert.Equal(1, Assert.IsType<HangVerdict>(detector.Check()).Outstanding);
    }

    [Fact]
    public void Ended_MiddleCall_KeepsTheOldestOutstanding()
    {
        var detector = Detector();
        var a = detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        var b = detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(10));
        var c = detector.Sent(TimeSpan.Zero);
        detector.Ended(b, answered: false);
        detector.Ended(a, answered: false);

        Assert.Equal(1, detector.Outstanding);
        _time.Advance(TimeSpan.FromMilliseconds(251));
        Assert.Equal(251, Assert.IsType<HangVerdict>(detector.Check()).OldestWait.TotalMilliseconds, 3);
        detector.Ended(c, answered: false);
        Assert.Null(detector.Check());
    }

    [Fact]
    public void Check_FloorZero_DetectionOff()
    {
        var detector = Detector(TimeSpan.Zero);
        detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.False(detector.Enabled);
        Assert.Null(detector.Check());
    }

    [Fact]
    public void Check_OneSlowAnswerAmongMany_DoesNotRaiseTheThreshold()
    {
        // A cold start (or a collection pause) among the recent answers: the 90th percentile leaves it out.
        var detector = Detector();
        var cold = detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(2));
        detector.Ended(cold, answered: true);
        for (var i = 0; i < 19; i++)
        {
            var warm = detector.Sent(TimeSpan.Zero);
            _time.Advance(TimeSpan.FromMilliseconds(5));
            detector.Ended(warm, answered: true);
        }

        detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(251));
        Assert.Equal(250, Assert.IsType<HangVerdict>(detector.Check()).Threshold.TotalMilliseconds, 3);
    }

    [Fact]
    public void Check_OnAConnectionsObservedClock_TimeTheAgentWasNotRunningIsNotSilence()
    {
        // As a PeerConnection builds it: the detector reads its SchedulingLag's clock, which the
        // watchdog ticks every quarter of the floor.
        var lag = new SchedulingLag(_time);
        var detector = Detector(clock: lag.Clock);
        lag.Start(Floor / 4);
        detector.Sent(TimeSpan.Zero);

        // Ten seconds in which the agent did not run: one check wakes that late.
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(detector.Check());
        lag.Tick();
        Assert.Null(detector.Check());

        // Then the agent runs, checks on time, and the peer stays silent past the floor.
        for (var i = 0; i < 3; i++)
        {
            _time.Advance(Floor / 4);
            lag.Tick();
        }

        Assert.Null(detector.Check());
        _time.Advance(Floor / 4);
        lag.Tick();
        Assert.NotNull(detector.Check());
    }

    [Fact]
    public void Check_OnThePlainTimeProvider_TheSameTenSecondsAreSilence()
    {
        var detector = Detector();
        detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.NotNull(detector.Check());
    }

    [Fact]
    public void Check_CallStillUploading_JudgedOnlyFromWhenItsLastByteWent()
    {
        // A cut-through call: its message follows the client's upload, and the peer cannot answer before it has the last byte.
        var detector = Detector();
        var call = detector.Sent(TimeSpan.Zero, judged: false);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Null(detector.Check());

        detector.StartJudging(call);
        _time.Advance(Floor);
        Assert.Null(detector.Check());
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var verdict = Assert.IsType<HangVerdict>(detector.Check());
        Assert.Equal(251, verdict.OldestWait.TotalMilliseconds, 3);
        Assert.Equal(1, verdict.Outstanding);
    }

    [Fact]
    public void Check_CallStillUploadingBeforeAJudgedOne_TheJudgedOneDecides()
    {
        var detector = Detector();
        var uploading = detector.Sent(TimeSpan.Zero, judged: false);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(200));
        detector.StartJudging(uploading);

        // 50 ms later the call sent at 100 ms has waited 250 ms, the one judged from its last byte 50 ms.
        _time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Null(detector.Check());
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(251, Assert.IsType<HangVerdict>(detector.Check()).OldestWait.TotalMilliseconds, 3);
    }

    [Fact]
    public void Release_CallStillUploading_IsReleasedToo()
    {
        var detector = Detector();
        var uploading = detector.Sent(TimeSpan.Zero, judged: false);
        detector.Sent(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromMilliseconds(251));

        Assert.Equal(2, Assert.IsType<HangVerdict>(detector.Check()).Outstanding);
        Assert.Equal(2, detector.Release());
        Assert.True(uploading.Released.IsCancellationRequested);

        // Its last byte goes after the release: nothing changes.
        detector.StartJudging(uploading);
        Assert.Equal(0, detector.Outstanding);
        Assert.Null(detector.Check());
    }
}
