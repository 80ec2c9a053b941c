using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Tests.Evaluation;

public sealed class SimulatedRequestsTests
{
    [Fact]
    public void Predict_AllLocal_NoTransferNoRadioAndTheTermsSumToTheDelay()
    {
        var terms = SimulatedRequests.Predict(AgentContext.Demo(), CorePolicyBaseline.AllLocal(), 0.5, episodes: 4, seed: 3);

        Assert.Equal(400, terms.Requests);
        Assert.Equal(1.0, terms.Placements["local"], 12);
        Assert.Equal(0, terms.TransferSeconds, 12);
        Assert.Equal(0, terms.RadioJoules, 9);
        Assert.Equal(0, terms.OverheadSeconds, 9);
        Assert.True(terms.QueueSeconds > 0, "the demo's board queues OCR work at 2 pages/s");
        // Local energy is the power table's active watts times the execution time.
        Assert.Equal(AgentContext.Demo().Power.ActiveWatts * terms.ExecSeconds, terms.ComputeJoules, 9);
    }

    [Fact]
    public void Predict_AllPeer_TransferIsUploadRoundTripAndDownloadOfEachTask()
    {
        var context = AgentContext.Demo();
        context.ExecJitterSigma = 0;

        var terms = SimulatedRequests.Predict(context, CorePolicyBaseline.AllPeer(), 0.5, episodes: 2, seed: 5);

        Assert.Equal(1.0, terms.OffloadedShare, 12);
        Assert.Equal(0, terms.ComputeJoules, 12);
        Assert.Equal(0, terms.OverheadSeconds, 9);
        // Every transfer is at least the fastest peer's round trip plus the smallest model's bytes on its link.
        var edge = context.Peers[0];
        var minimum = edge.RoundTripSeconds + (context.Models[1].RequestBytes * 8 / edge.UplinkBitsPerSecond);
        Assert.True(terms.TransferSeconds >= minimum, $"transfer {terms.TransferSeconds} < {minimum}");
    }

    [Fact]
    public void Predict_SameSeed_SameFigures()
    {
        var a = SimulatedRequests.Predict(AgentContext.Demo(), CorePolicyBaseline.Heuristic(), 0.3, 3, 9);
        var b = SimulatedRequests.Predict(AgentContext.Demo(), CorePolicyBaseline.Heuristic(), 0.3, 3, 9);

        Assert.Equal(a.DelaySeconds, b.DelaySeconds);
        Assert.Equal(a.EnergyJoules, b.EnergyJoules);
    }
}
