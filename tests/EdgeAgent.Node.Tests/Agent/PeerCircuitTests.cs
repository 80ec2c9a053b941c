using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class PeerCircuitTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void TryAcquire_Closed_AllowsEveryCall()
    {
        var circuit = new PeerCircuit(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), _time);

        Assert.True(circuit.TryAcquire(out var first));
        Assert.True(circuit.TryAcquire(out var second));
        Assert.False(first || second);
        Assert.True(circuit.AllowsCalls);
    }

    [Fact]
    public void Complete_Failure_RefusesCallsForTheBreakThenOneTrial()
    {
        var circuit = new PeerCircuit(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), _time);
        circuit.TryAcquire(out var trial);

        Assert.True(circuit.Complete(trial, PeerCallOutcome.Failed));
        Assert.False(circuit.AllowsCalls);
        Assert.False(circuit.TryAcquire(out _));

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(circuit.AllowsCalls);
        Assert.True(circuit.TryAcquire(out var halfOpen));
        Assert.True(halfOpen);
        Assert.False(circuit.TryAcquire(out _));
        Assert.False(circuit.AllowsCalls);

        circuit.Complete(halfOpen, PeerCallOutcome.Healthy);
        Assert.True(circuit.AllowsCalls);
        Assert.Equal(0, circuit.ConsecutiveFailures);
    }

    [Fact]
    public void Complete_FailedTrial_DoublesTheBreakUpToTheCap()
    {
        var circuit = new PeerCircuit(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), _time);
        circuit.TryAcquire(out var trial);
        circuit.Complete(trial, PeerCallOutcome.Failed);
        _time.Advance(TimeSpan.FromSeconds(2));
        circuit.TryAcquire(out trial);

        Assert.True(circuit.Complete(trial, PeerCallOutcome.Failed));
        _time.Advance(TimeSpan.FromSeconds(3.9));
        Assert.False(circuit.AllowsCalls);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(circuit.AllowsCalls);

        circuit.TryAcquire(out trial);
        circuit.Complete(trial, PeerCallOutcome.Failed);
        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.False(circuit.AllowsCalls);
        _time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(circuit.AllowsCalls);
    }

    [Fact]
    public void Complete_LateFailuresOfCallsSentBeforeTheBreak_DoNotExtendIt()
    {
        var circuit = new PeerCircuit(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), _time);
        circuit.TryAcquire(out var a);
        circuit.TryAcquire(out var b);
        circuit.Complete(a, PeerCallOutcome.Failed);
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(circuit.Complete(b, PeerCallOutcome.Failed));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(circuit.AllowsCalls);
        Assert.Equal(1, circuit.ConsecutiveFailures);
    }

    [Fact]
    public void Complete_Neutral_ChangesNothing()
    {
        var circuit = new PeerCircuit(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(10), _time);
        circuit.TryAcquire(out var trial);

        Assert.False(circuit.Complete(trial, PeerCallOutcome.Neutral));
        Assert.True(circuit.AllowsCalls);
        Assert.Equal(0, circuit.ConsecutiveFailures);
    }

    [Fact]
    public void Complete_CapBelowTheBreak_BreakStaysTheConfiguredOne()
    {
        // Agent:ReconnectMaxDelay 300 ms under Agent:PeerBreakDuration 1 s: the break is still 1 s
        // (it was cut to 300 ms, so a hung peer got three times as many trial calls).
        var circuit = new PeerCircuit(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(300), _time);
        circuit.TryAcquire(out var trial);
        circuit.Complete(trial, PeerCallOutcome.Failed);

        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(circuit.AllowsCalls);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(circuit.TryAcquire(out var halfOpen));
        circuit.Complete(halfOpen, PeerCallOutcome.Failed);
        _time.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(circuit.AllowsCalls);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(circuit.AllowsCalls);
    }
}
