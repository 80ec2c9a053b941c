using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class DecisionLogTests
{
    private static DecisionRecord Record(Placement decided, Placement ranAt, string? fallbackFrom = null, bool success = true, string model = "m") =>
        new(DateTimeOffset.UnixEpoch, model, 10, decided, ranAt, fallbackFrom, Preference.Balanced, 0.1, 0.0, 0.1, TaskEnergy.None, success,
            new OffloadObservation(new TaskObservation(model, 10, null), []));

    [Fact]
    public void Add_OverCapacity_KeepsLatestOldestFirst()
    {
        var log = new DecisionLog(2);
        log.Add(Record(Placement.Local(), Placement.Local(), model: "a"));
        log.Add(Record(Placement.Local(), Placement.Local(), model: "b"));
        log.Add(Record(Placement.Local(), Placement.Local(), model: "c"));

        Assert.Equal(["b", "c"], log.Snapshot().Select(r => r.Model));
        Assert.Equal(3, log.LocalCount);
    }

    [Fact]
    public void Add_Outcomes_CountedByKind()
    {
        var log = new DecisionLog(8);
        log.Add(Record(Placement.Local(), Placement.Local()));
        log.Add(Record(Placement.Peer("cloud"), Placement.Peer("cloud")));
        log.Add(Record(Placement.Peer("cloud"), Placement.Local(), fallbackFrom: "cloud"));
        log.Add(Record(Placement.Local(), Placement.Local(), success: false));

        Assert.Equal((1, 1, 1, 1), (log.LocalCount, log.OffloadedCount, log.FallbackCount, log.FailedCount));
    }

    [Fact]
    public void Since_PositionFromAdded_GivesOnlyLaterRecordsAndSkipsEvicted()
    {
        var log = new DecisionLog(3);
        log.Add(Record(Placement.Local(), Placement.Local(), model: "a"));
        var position = log.Added;
        log.Add(Record(Placement.Local(), Placement.Local(), model: "b"));
        log.Add(Record(Placement.Local(), Placement.Local(), model: "c"));

        Assert.Equal(1, position);
        Assert.Equal(["b", "c"], log.Since(position).Select(r => r.Model));
        Assert.Empty(log.Since(log.Added));

        log.Add(Record(Placement.Local(), Placement.Local(), model: "d"));
        log.Add(Record(Placement.Local(), Placement.Local(), model: "e"));

        // "b" was evicted (capacity 3): what is kept since the position.
        Assert.Equal(["c", "d", "e"], log.Since(position).Select(r => r.Model));
        Assert.Equal(5, log.Added);
    }
}
