namespace EdgeAgent.Node.Agent;

/// <summary>
/// Per-peer outlier detection: a circuit breaker over the peer's inference calls. A call that
/// misses its deadline or fails in transport opens the circuit for
/// <see cref="AgentOptions.PeerBreakDuration"/> (doubling per consecutive failure up to
/// <see cref="AgentOptions.ReconnectMaxDelay"/>, never shorter than the first break); while open the
/// peer is no candidate. After the break
/// one trial call is let through (half-open): its success closes the circuit, its failure opens it
/// again. A hung peer therefore stops receiving work when its first call times out, that is within
/// one offload timeout, however healthy its load stream looks (issue 13); a peer that answered
/// before is found hung much sooner by <see cref="PeerHangDetector"/> (a call waiting past
/// Agent:HungPeerFactor x its expected time, at least Agent:HungPeerFloor, with no answer from the
/// peer meanwhile), which counts as one failure here.
/// </summary>
public sealed class PeerCircuit(TimeSpan breakDuration, TimeSpan maxBreak, TimeProvider time)
{
    private readonly Lock _lock = new();
    private int _consecutiveFailures;
    private long _openUntil;
    private bool _trialInFlight;

    /// <summary>Consecutive failed calls (0 while closed).</summary>
    public int ConsecutiveFailures
    {
        get
        {
            lock (_lock)
            {
                return _consecutiveFailures;
            }
        }
    }

    /// <summary>Times the circuit opened since start.</summary>
    public long Opened { get; private set; }

    /// <summary>True when a call may be sent now (closed, or half-open with no trial in flight). A read, no state change.</summary>
    public bool AllowsCalls
    {
        get
        {
            lock (_lock)
            {
                return _consecutiveFailures == 0 || (time.GetTimestamp() >= _openUntil && !_trialInFlight);
            }
        }
    }

    /// <summary>Claims the right to send one call; false while open or while the half-open trial is in flight.</summary>
    /// <param name="trial">True when this call is the half-open trial (pass it back to <see cref="Complete"/>).</param>
    public bool TryAcquire(out bool trial)
    {
        lock (_lock)
        {
            trial = false;
            if (_consecutiveFailures == 0)
            {
                return true;
            }

            if (time.GetTimestamp() < _openUntil || _trialInFlight)
            {
                return false;
            }

            _trialInFlight = true;
            trial = true;
            return true;
        }
    }

    /// <summary>Records how a call acquired with <see cref="TryAcquire"/> ended.</summary>
    /// <param name="trial">The value <see cref="TryAcquire"/> gave.</param>
    /// <param name="outcome">What the call showed about the peer.</param>
    /// <returns>True when this call opened (or re-opened) the circuit.</returns>
    public bool Complete(bool trial, PeerCallOutcome outcome)
    {
        lock (_lock)
        {
            if (trial)
            {
                _trialInFlight = false;
            }

            switch (outcome)
            {
                case PeerCallOutcome.Healthy:
                    _consecutiveFailures = 0;
                    break;
                case PeerCallOutcome.Failed:
                    // A failure while already open (calls sent before it opened) does not extend the break.
                    if (_consecutiveFailures == 0 || trial || time.GetTimestamp() >= _openUntil)
                    {
                        _consecutiveFailures++;
                        var factor = Math.Pow(2, Math.Min(_consecutiveFailures - 1, 20));
                        // A ReconnectMaxDelay below PeerBreakDuration does not shorten the break.
                        var pause = TimeSpan.FromTicks((long)Math.Min(Math.Max(maxBreak.Ticks, breakDuration.Ticks), breakDuration.Ticks * factor));
                        _openUntil = time.GetTimestamp() + (long)(pause.TotalSeconds * time.TimestampFrequency);
                        Opened++;
                        return true;
                    }

                    break;
                default:
                    // Neutral (the caller cancelled): says nothing about the peer.
                    break;
            }

            return false;
        }
    }
}

/// <summary>What one forwarded call showed about the peer.</summary>
public enum PeerCallOutcome
{
    /// <summary>The peer answered (any status the peer itself chose, OK or an application error).</summary>
    Healthy,

    /// <summary>The call missed its deadline or the transport failed: the peer is suspect.</summary>
    Failed,

    /// <summary>The caller went away; nothing learned.</summary>
    Neutral,
}
