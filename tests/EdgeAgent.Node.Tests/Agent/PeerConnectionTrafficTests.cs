using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

/// <summary>The agent's own traffic to a peer, as PeerConnection counts it for the observation (the simulator's link rule).</summary>
public sealed class PeerConnectionTrafficTests
{
    private static PeerConnection Peer(FakeTimeProvider time, double bitsPerSecond, double rttSeconds)
    {
        Assert.True(PeerEndpoint.TryParse("edge", "http://127.0.0.1:9", out var endpoint, out var error), error);
        var peer = new PeerConnection(endpoint, new AgentOptions(), time, new Random(1), NullLogger.Instance);
        peer.Link.AddRoundTrip(TimeSpan.FromSeconds(rttSeconds));
        Assert.True(peer.Link.AddTransfer(1_000_000, TimeSpan.FromSeconds((8e6 / bitsPerSecond) + rttSeconds), TimeSpan.Zero));
        return peer;
    }

    [Fact]
    public void Traffic_UploadsQueueOnTheLinkAndArriveHalfARoundTripLater()
    {
        var time = new FakeTimeProvider();
        var peer = Peer(time, 100e6, 0.02);

        // 1 MB at 100 Mbit/s: 80 ms of link each.
        var first = peer.NoteSent(new ForwardShape(1_000_000, 0.05));
        time.Advance(TimeSpan.FromMilliseconds(30));
        var second = peer.NoteSent(new ForwardShape(1_000_000, 0.07));

        // t = 30 ms: busy until 160 ms; arrivals at 90 and 170 ms.
        Assert.Equal(2, peer.InFlight);
        var traffic = peer.Traffic;
        Assert.Equal(0.130, traffic.UploadBacklogSeconds, 6);
        Assert.Equal(2, traffic.ArrivingTasks);
        Assert.Equal(0.12, traffic.ArrivingWorkSeconds, 9);

        // t = 100 ms: the first has arrived (now in the peer's own report), the second not yet.
        time.Advance(TimeSpan.FromMilliseconds(70));
        traffic = peer.Traffic;
        Assert.Equal(0.060, traffic.UploadBacklogSeconds, 6);
        Assert.Equal(1, traffic.ArrivingTasks);
        Assert.Equal(0.07, traffic.ArrivingWorkSeconds, 9);
        Assert.Equal(2, peer.InFlight);

        // Answered calls leave; an idle link has no backlog, and a later send starts at now.
        peer.NoteAnswered(first);
        peer.NoteAnswered(second);
        peer.NoteAnswered(second);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, peer.InFlight);
        Assert.Equal(default, peer.Traffic);
        peer.NoteSent(new ForwardShape(500_000, 0.01));
        Assert.Equal(0.040, peer.Traffic.UploadBacklogSeconds, 6);
    }

    [Fact]
    public void Traffic_AnsweredBeforeItsEstimatedArrival_IsNotArriving()
    {
        var time = new FakeTimeProvider();
        var peer = Peer(time, 10e6, 0.1);
        var forward = peer.NoteSent(new ForwardShape(1_000_000, 0.5));
        Assert.Equal(1, peer.Traffic.ArrivingTasks);

        // The estimate was pessimistic: the answer came first.
        time.Advance(TimeSpan.FromMilliseconds(100));
        peer.NoteAnswered(forward);

        Assert.Equal(0, peer.Traffic.ArrivingTasks);
        Assert.Equal(0, peer.InFlight);
        Assert.True(peer.Traffic.UploadBacklogSeconds > 0, "the link slot stays taken, as in the simulator");
    }
}
