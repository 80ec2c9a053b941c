namespace EdgeAgent.Core.Observation;

/// <summary>
/// This agent's own recent request arrival rate, requests per second: the one estimator the
/// simulator (fed at each decision, when a request reaches the agent) and the live agent (fed by
/// the Dispatcher at each request's arrival) share, so the <see cref="FeatureKind.OwnRequestRateLog"/>
/// column means the same in both. A time-decayed count normalised by the time it has been
/// counting: each arrival at t_i after the first weighs exp(-(t - t_i) / tau), and the sum is divided
/// by tau (1 - exp(-(t - t_0) / tau)), at least <see cref="MinWindowSeconds"/>, where t_0 is the first
/// arrival (which opens the window and is not counted); so Poisson arrivals at rate r read r on
/// average from the start (a fresh simulated episode and an agent that has just started read
/// alike), not r (1 - exp(-t / tau)) as a plain exponential average would.
/// </summary>
/// <remarks>
/// A value type with no allocation, for the simulator's flat per-environment arrays; the live agent
/// holds one under a lock. Times are seconds on any clock that does not go backwards (a time before
/// the last arrival counts as that arrival's time).
/// </remarks>
public struct OwnRequestRate
{
    /// <summary>tau, the time constant of the decay, seconds: arrivals older than a few tau no longer count.</summary>
    public const double TimeConstantSeconds = 2.0;

    /// <summary>The shortest window the count is divided by, seconds (keeps the first arrivals from reading as bursts of thousands per second).</summary>
    public const double MinWindowSeconds = 0.5;

    private double _weight; // sum of exp(-(last - t_i) / tau) over the arrivals after the first
    private double _last;   // time of the last arrival, s
    private double _first;  // time of the first arrival, s
    private bool _started;

    /// <summary>
    /// Records a request arriving at <paramref name="nowSeconds"/> and returns the rate of the
    /// requests that arrived before it (<see cref="PerSecond"/> just before this one is counted):
    /// what the observation of this request carries.
    /// </summary>
    public double Arrive(double nowSeconds)
    {
        var rate = PerSecond(nowSeconds);
        if (!_started)
        {
            _started = true;
            _first = nowSeconds;
            _last = nowSeconds;
            _weight = 0.0;
            return rate;
        }

        var t = Math.Max(nowSeconds, _last);
        _weight = (_weight * Math.Exp(-(t - _last) / TimeConstantSeconds)) + 1.0;
        _last = t;
        return rate;
    }

    /// <summary>The estimated rate at <paramref name="nowSeconds"/> of the arrivals recorded so far, requests per second (0 before the first).</summary>
    public readonly double PerSecond(double nowSeconds)
    {
        if (!_started)
        {
            return 0.0;
        }

        var t = Math.Max(nowSeconds, _last);
        var weight = _weight * Math.Exp(-(t - _last) / TimeConstantSeconds);
        var window = TimeConstantSeconds * (1.0 - Math.Exp(-(t - _first) / TimeConstantSeconds));
        return weight / Math.Max(window, MinWindowSeconds);
    }
}
