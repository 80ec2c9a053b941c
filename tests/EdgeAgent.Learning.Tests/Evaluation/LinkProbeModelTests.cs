using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Evaluation;

public sealed class LinkProbeModelTests
{
    [Fact]
    public void Episode_IdleLink_ProbedAfterFiveSecondsThenAgainAfterFiveMore()
    {
        var context = AgentContext.Demo(); // edge: 200 Mbit/s, RTT 5 ms; power 5/10/2/0 W
        var model = new LinkProbeModel();

        var (probes, joules) = model.Episode(context, 0, [], end: 12);

        // Ticks every second: t = 5 (5 s since the start), then t = 11 (10 is 4.97 s after the first ended).
        Assert.Equal(2, probes);
        var bytes = 200e6 / 8 * 0.025;
        var transfer = bytes * 8 / 200e6;
        Assert.Equal(2 * (2.0 * transfer), joules, 9);
    }

    [Fact]
    public void Episode_OffloadsKeepTheLinkSampled_NoProbe()
    {
        var context = AgentContext.Demo();
        var calls = Enumerable.Range(0, 12).Select(k => (k + 0.1, k + 0.3)).ToList();

        var (probes, _) = new LinkProbeModel().Episode(context, 0, calls, end: 12);

        Assert.Equal(0, probes);
    }

    [Fact]
    public void Episode_CallInFlightAtTheTick_ProbeWaitsForTheNextIdleTick()
    {
        var context = AgentContext.Demo();

        // A call sent at 4.9 s that is answered at 5.5 s: in flight at the 5 s tick, and a fresh sample after it.
        var (probes, _) = new LinkProbeModel().Episode(context, 0, [(4.9, 5.5)], end: 10.4);

        Assert.Equal(0, probes);
    }

    [Fact]
    public void Episode_ProbesOff_Nothing()
    {
        Assert.Equal((0, 0.0), new LinkProbeModel { MaxBytes = 0 }.Episode(AgentContext.Demo(), 1, [], end: 60));
    }
}
