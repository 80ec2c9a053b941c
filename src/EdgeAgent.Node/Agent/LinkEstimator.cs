namespace EdgeAgent.Node.Agent;

/// <summary>
/// Round-trip time and throughput to one peer, measured from real traffic.
/// <list type="bullet">
/// <item>RTT: from small calls (connect, pings) whose payload time is negligible, smoothed with an
/// exponentially weighted moving average (weight <c>alpha</c> on the newest sample).</item>
/// <item>Throughput: from each forwarded inference and each link probe (<see cref="LinkProber"/>),
/// <c>(request bytes + response bytes) * 8 / (elapsed - peer queue - peer exec - rtt)</c>, the
/// peer's queue and exec times coming from its <c>edgeagent.queue_ms</c>/<c>exec_ms</c> response
/// parameters (0 for a probe, which runs nothing). The estimate is the median of the last
/// <see cref="ThroughputWindow"/> samples: one slow sample (a cold connection's first transfer read
/// a 200 Mbit/s link as 30.7 Mbit/s) moves it only while it is the only one, and the next two
/// samples outvote it, where a moving average would carry it for many samples. Samples smaller than
/// the minimum sample size (Agent:ThroughputSampleMinBytes, 64 KiB by default), whose transfer time
/// is under a millisecond, or that lack the peer's timings are skipped: a transfer of a few hundred
/// bytes takes as long as the round trip's jitter and the framing, so dividing its bytes by that
/// time measures latency, not the link's rate (a 12-byte offload read as 0.0 Mbit/s and made every
/// later offload look hopeless).</item>
/// </list>
/// Until the first throughput sample the configured prior is used (<see cref="ThroughputSamples"/>
/// = 0 marks it as not measured). Thread-safe.
/// </summary>
public sealed class LinkEstimator
{
    /// <summary>Default smallest transfer (both directions, bytes) that makes a throughput sample.</summary>
    public const long DefaultMinimumSampleBytes = 64 * 1024;

    /// <summary>Throughput samples the estimate is the median of (the newest ones).</summary>
    public const int ThroughputWindow = 5;

    private static readonly TimeSpan MinimumTransfer = TimeSpan.FromMilliseconds(1);
    private readonly object _gate = new();
    private readonly double[] _window = new double[ThroughputWindow];
    private readonly double[] _sorted = new double[ThroughputWindow];
    private readonly double _alpha;
    private readonly long _minimumSampleBytes;
    private double _rttSeconds;
    private double _throughput;
    private int _rttSamples;
    private int _throughputSamples;

    /// <summary>Starts with <paramref name="priorBitsPerSecond"/> and no RTT sample.</summary>
    /// <param name="priorBitsPerSecond">Throughput assumed until a transfer is measured.</param>
    /// <param name="alpha">Weight of the newest RTT sample.</param>
    /// <param name="minimumSampleBytes">Smallest transfer (bytes, both directions) that makes a throughput sample.</param>
    public LinkEstimator(double priorBitsPerSecond, double alpha = 0.3, long minimumSampleBytes = DefaultMinimumSampleBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(priorBitsPerSecond);
        ArgumentOutOfRangeException.ThrowIfNegative(minimumSampleBytes);
        if (!(alpha > 0 && alpha <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The RTT smoothing weight must be in (0, 1].");
        }

        _throughput = priorBitsPerSecond;
        _alpha = alpha;
        _minimumSampleBytes = minimumSampleBytes;
    }

    /// <summary>Smoothed round-trip time in seconds (0 before the first sample).</summary>
    public double RoundTripSeconds
    {
        get
        {
            lock (_gate)
            {
                return _rttSeconds;
            }
        }
    }

    /// <summary>Throughput in bits per second: the median of the last <see cref="ThroughputWindow"/> samples (the prior before the first sample).</summary>
    public double ThroughputBitsPerSecond
    {
        get
        {
            lock (_gate)
            {
                return _throughput;
            }
        }
    }

    /// <summary>Number of RTT samples so far.</summary>
    public int RoundTripSamples
    {
        get
        {
            lock (_gate)
            {
                return _rttSamples;
            }
        }
    }

    /// <summary>Number of throughput samples so far.</summary>
    public int ThroughputSamples
    {
        get
        {
            lock (_gate)
            {
                return _throughputSamples;
            }
        }
    }

    /// <summary>Adds the duration of a small call as an RTT sample.</summary>
    public void AddRoundTrip(TimeSpan rtt)
    {
        if (rtt < TimeSpan.Zero)
        {
            return;
        }

        lock (_gate)
        {
            _rttSeconds = _rttSamples == 0 ? rtt.TotalSeconds : (_alpha * rtt.TotalSeconds) + ((1 - _alpha) * _rttSeconds);
            _rttSamples++;
        }
    }

    /// <summary>
    /// Adds a forwarded call: <paramref name="bytes"/> crossed the link (both directions) in
    /// <paramref name="elapsed"/>, of which <paramref name="peerBusy"/> the peer spent queueing and
    /// executing. Returns false when the sample was too small (fewer bytes than the minimum sample
    /// size, or under a millisecond of transfer) or incomplete to use; the estimate is then unchanged.
    /// </summary>
    public bool AddTransfer(long bytes, TimeSpan elapsed, TimeSpan? peerBusy)
    {
        if (bytes <= 0 || bytes < _minimumSampleBytes || peerBusy is not { } busy)
        {
            return false;
        }

        lock (_gate)
        {
            var transfer = elapsed - busy - TimeSpan.FromSeconds(_rttSeconds);
            if (transfer < MinimumTransfer)
            {
                return false;
            }

            var sample = bytes * 8.0 / transfer.TotalSeconds;
            _window[_throughputSamples % ThroughputWindow] = sample;
            _throughputSamples++;
            _throughput = Median(Math.Min(_throughputSamples, ThroughputWindow));
            return true;
        }
    }

    // Median of the first n entries of the window (n >= 1); the mean of the middle two for even n.
    private double Median(int n)
    {
        Array.Copy(_window, _sorted, n);
        Array.Sort(_sorted, 0, n);
        return n % 2 == 1 ? _sorted[n / 2] : 0.5 * (_sorted[(n / 2) - 1] + _sorted[n / 2]);
    }
}
