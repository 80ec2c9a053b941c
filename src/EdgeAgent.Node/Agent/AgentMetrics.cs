using System.Diagnostics.Metrics;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The agent's instruments on meter "EdgeAgent.Agent": requests by placement and outcome,
/// end-to-end duration (s), decision latency (s), fallbacks, and per peer the link's RTT (s) and
/// throughput (bit/s), the peer's reported queue and whether it is available. Each request's
/// energy goes to the one energy instrument, <c>edgeagent.energy</c> of EdgeAgent.Hardware's
/// <see cref="EnergyMeter"/> (by placement, scope and provenance). Created through IMeterFactory so
/// tests can listen to one host's meter; exported by Telemetry/NodeTelemetry when an exporter is on.
/// <c>edgeagent.requests</c> is an observable counter: the agent counts each placement and outcome
/// itself and reports the totals when the meter is collected (a scrape, an OTLP export), so a
/// request costs no aggregation update of its own for it.
/// </summary>
public sealed class AgentMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "EdgeAgent.Agent";

    // Seconds, from a tiny model's tens of microseconds to a stalled offload's tens of seconds.
    private static readonly IReadOnlyList<double> DurationBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    private static readonly IReadOnlyList<double> DecisionBuckets =
        [0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01];

    private readonly ObservableCounter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _decision;
    private readonly EnergyMeter? _energy;
    private readonly Counter<long> _fallbacks;
    // Per placement: its tag value (built once; "peer:NAME" is a new string per ToString) and its
    // request counts by outcome, which edgeagent.requests reports when collected. A request adds one
    // to a cell here instead of making an OpenTelemetry aggregation update of its own (a lookup of
    // its tag set in the SDK's store per call, the largest part of telemetry's per-request cost).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Placement, PlacementCounts> _placements = new();

    /// <summary>
    /// Creates the instruments; with <paramref name="peers"/>, also the per-peer gauges; with
    /// <paramref name="energy"/>, each request's energy is recorded on its instrument.
    /// </summary>
    public AgentMetrics(IMeterFactory meterFactory, PeerConnections? peers = null, EnergyMeter? energy = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _energy = energy;
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateObservableCounter("edgeagent.requests", ObserveRequests, "{request}", "Requests handled by the agent, by placement and outcome.");
        _duration = meter.CreateHistogram("edgeagent.task.duration", "s", "End-to-end time of a request inside the agent.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _decision = meter.CreateHistogram("edgeagent.decision.duration", "s", "Time the policy took to decide one placement (observation to placement).", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DecisionBuckets });
        _fallbacks = meter.CreateCounter<long>("edgeagent.fallbacks", "{request}", "Offloaded requests that fell back to local execution.");
        if (peers is { Count: > 0 })
        {
            meter.CreateObservableGauge("edgeagent.peer.rtt", () => Each(peers, p => p.Link.RoundTripSeconds), "s", "The agent's estimate of each peer's round-trip time (0 until measured).");
            meter.CreateObservableGauge("edgeagent.peer.throughput", () => Each(peers, p => p.Link.ThroughputBitsPerSecond), "bit/s", "The agent's estimate of each peer's link throughput (the configured prior until a transfer is measured).");
            meter.CreateObservableGauge("edgeagent.peer.queue", () => Each(peers, p => (double)Math.Max(0, p.Load.Queued)), "{request}", "Requests queued on each peer, from its latest load report.");
            meter.CreateObservableGauge("edgeagent.peer.available", () => Each(peers, p => p.IsAvailable ? 1.0 : 0.0), "1", "1 when the agent may offload to the peer (connected, reporting, circuit closed).");
        }
    }

    /// <summary>Records how long one decision took.</summary>
    public void RecordDecision(TimeSpan elapsed, string policy) =>
        _decision.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("policy", policy));

    /// <summary>Records one finished request.</summary>
    public void Record(DecisionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!_requests.Enabled && !_duration.Enabled && !_fallbacks.Enabled && _energy is not { RecordsRequests: true })
        {
            return;
        }

        var counts = _placements.GetOrAdd(record.RanAt, static p => new PlacementCounts(p.ToString()));
        var where = counts.Name;
        if (record.Success)
        {
            Interlocked.Increment(ref counts.Ok);
        }
        else
        {
            Interlocked.Increment(ref counts.Failed);
        }

        _duration.Record(record.DelaySeconds, new KeyValuePair<string, object?>("placement", where));
        if (record.Success)
        {
            _energy?.RecordRequest(where, record.Energy);
        }

        if (record.FallbackFrom is not null)
        {
            _fallbacks.Add(1, new KeyValuePair<string, object?>("peer", record.FallbackFrom));
        }
    }

    // Cumulative counts of each placement and outcome seen so far (an outcome appears once counted).
    private IEnumerable<Measurement<long>> ObserveRequests()
    {
        foreach (var counts in _placements.Values)
        {
            var placement = new KeyValuePair<string, object?>("placement", counts.Name);
            if (Volatile.Read(ref counts.Ok) is > 0 and var ok)
            {
                yield return new Measurement<long>(ok, placement, new KeyValuePair<string, object?>("outcome", "ok"));
            }

            if (Volatile.Read(ref counts.Failed) is > 0 and var failed)
            {
                yield return new Measurement<long>(failed, placement, new KeyValuePair<string, object?>("outcome", "error"));
            }
        }
    }

    private sealed class PlacementCounts(string name)
    {
        public readonly string Name = name;
        public long Ok;
        public long Failed;
    }

    private static IEnumerable<Measurement<double>> Each(PeerConnections peers, Func<PeerConnection, double> value)
    {
        foreach (var peer in peers)
        {
            yield return new Measurement<double>(value(peer), new KeyValuePair<string, object?>("peer", peer.Name));
        }
    }
}
