using System.Diagnostics.Metrics;

namespace EdgeAgent.Hardware.Panel;

/// <summary>
/// Calls <see cref="IOffloadIndicator.NotifyOffload"/> for every request the agent records as run
/// on a peer: listens to the agent's <c>edgeagent.requests</c> counter (meter "EdgeAgent.Agent",
/// tag <c>placement</c> = "peer:NAME"), so the panel blinks without the agent knowing about it.
/// </summary>
public sealed class AgentOffloadListener : IDisposable
{
    /// <summary>Meter the agent records requests on.</summary>
    public const string AgentMeterName = "EdgeAgent.Agent";

    /// <summary>Counter of requests by placement.</summary>
    public const string RequestsInstrument = "edgeagent.requests";

    private readonly MeterListener _listener = new();

    /// <summary>Starts listening; offloads are signalled to <paramref name="indicator"/>.</summary>
    public AgentOffloadListener(IOffloadIndicator indicator)
    {
        ArgumentNullException.ThrowIfNull(indicator);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AgentMeterName && instrument.Name == RequestsInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "placement" && tag.Value is string placement && placement.StartsWith("peer:", StringComparison.Ordinal))
                {
                    indicator.NotifyOffload();
                    return;
                }
            }
        });
        _listener.Start();
    }

    /// <inheritdoc />
    public void Dispose() => _listener.Dispose();
}
