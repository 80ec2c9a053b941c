using System.Diagnostics.Metrics;
using EdgeAgent.Node.Agent;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class AgentMetricsTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public void Dispose() => _services.Dispose();

    [Fact]
    public void Record_ListenerOn_RequestsCountedByPlacementAndOutcomeAndReportedWhenCollected()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        var metrics = new AgentMetrics(factory);
        var seen = new List<(long Value, string? Placement, string? Outcome)>();
        using var listener = Listen(factory, "edgeagent.requests", seen);
        var now = DateTimeOffset.UnixEpoch;

        metrics.Record(DecisionRecords.Create(now, 0));
        metrics.Record(DecisionRecords.Create(now, 3));
        metrics.Record(DecisionRecords.Create(now, 2, success: false));
        metrics.Record(DecisionRecords.Create(now, 1));

        // Counted in the agent, not one measurement per request: nothing until a collection.
        Assert.Empty(seen);
        listener.RecordObservableInstruments();
        Assert.Equal(
            [(2L, "local", "ok"), (1L, "local:int8", "ok"), (1L, "peer:edge", "error")],
            seen.OrderBy(s => s.Placement, StringComparer.Ordinal).ThenBy(s => s.Outcome, StringComparer.Ordinal));

        // Cumulative: the next collection reports the totals again, with what came since.
        seen.Clear();
        metrics.Record(DecisionRecords.Create(now, 0));
        listener.RecordObservableInstruments();
        Assert.Contains((3L, "local", "ok"), seen);
    }

    [Fact]
    public void Record_EveryInstrumentListened_AllocatesNothingPerRequest()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        var metrics = new AgentMetrics(factory);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AgentMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        listener.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        listener.Start();
        var records = Enumerable.Range(0, 7).Select(i => DecisionRecords.Create(DateTimeOffset.UnixEpoch, i)).ToArray();
        foreach (var record in records)
        {
            metrics.Record(record);
            metrics.RecordDecision(TimeSpan.FromMicroseconds(20), "heuristic");
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            metrics.Record(records[i % records.Length]);
            metrics.RecordDecision(TimeSpan.FromMicroseconds(20), "heuristic");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static MeterListener Listen(IMeterFactory factory, string name, List<(long Value, string? Placement, string? Outcome)> seen)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == AgentMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Name == name)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var found = tags.ToArray().ToDictionary(t => t.Key, t => t.Value as string);
            seen.Add((value, found.GetValueOrDefault("placement"), found.GetValueOrDefault("outcome")));
        });
        listener.Start();
        return listener;
    }
}
