using System.Diagnostics.Metrics;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The agent's instruments on meter "EdgeAgent.Agent": requests by placement and outcome,
/// end-to-end duration (s), estimated energy (J), fallbacks. Created through IMeterFactory so
/// tests can listen to one host's meter.
/// </summary>
public sealed class AgentMetrics
{
    /// <summary>Meter name.</summary>
    public const string MeterName = "EdgeAgent.Agent";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<double> _energy;
    private readonly Counter<long> _fallbacks;

    /// <summary>Creates the instruments.</summary>
    public AgentMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("edgeagent.requests", "{request}", "Requests handled by the agent, by placement and outcome.");
        _duration = meter.CreateHistogram<double>("edgeagent.task.duration", "s", "End-to-end time of a request inside the agent.");
        _energy = meter.CreateCounter<double>("edgeagent.energy", "J", "Estimated energy this device spent on requests.");
        _fallbacks = meter.CreateCounter<long>("edgeagent.fallbacks", "{request}", "Offloaded requests that fell back to local execution.");
    }

    /// <summary>Records one finished request.</summary>
    public void Record(DecisionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var placement = new KeyValuePair<string, object?>("placement", record.RanAt.ToString());
        var outcome = new KeyValuePair<string, object?>("outcome", record.Success ? "ok" : "error");
        _requests.Add(1, placement, outcome);
        _duration.Record(record.DelaySeconds, placement);
        if (record.Success)
        {
            _energy.Add(record.Energy.DeviceJoules, placement);
        }

        if (record.FallbackFrom is not null)
        {
            _fallbacks.Add(1, new KeyValuePair<string, object?>("peer", record.FallbackFrom));
        }
    }
}
