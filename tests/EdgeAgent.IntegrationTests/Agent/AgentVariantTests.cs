using System.Diagnostics.Metrics;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Node.Agent;
using EdgeAgent.TestModels;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using static EdgeAgent.TestModels.TestVariantProfiles;

namespace EdgeAgent.IntegrationTests.Agent;

/// <summary>
/// An agent on loopback over a repository holding add_neg as fp32 and int8 with a profile for
/// the device: the heuristic chooses among the local variants, within Agent:MaxAccuracyDropPoints.
/// </summary>
public sealed class AgentVariantTests
{
    private const string Device = "testbox";

    private static async Task<Microsoft.AspNetCore.Builder.WebApplication> StartAgentAsync(AgentCluster cluster, params (string Key, string Value)[] extra)
    {
        cluster.Repository.Add("add_neg", 1, TinyOnnx.AddNeg(), "int8");
        // int8: 4 ms against fp32's 10 ms, 0.5 accuracy points lost (output cosine 0.995).
        Write(cluster.Repository.Root, Device, Profile("add_neg", 1, "none", new Entry("fp32", 10), new Entry("int8", 4, Accuracy: Agreement(0.995))));
        var settings = cluster.AgentSettings("heuristic") with
        {
            Preference = 0.2,
            Extra = AgentCluster.FastAgentSettings([("Agent:ProfileDevice", Device), .. extra]),
        };
        return await cluster.StartAgentAsync(settings);
    }

    [Fact]
    public async Task ModelInfer_ProfiledInt8FasterAndCheaper_HeuristicRunsItAndSaysLocalInt8()
    {
        await using var cluster = new AgentCluster();
        var agent = await StartAgentAsync(cluster);
        var placements = new List<string?>();
        using var listener = new MeterListener();
        var meterScope = agent.Services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == AgentMetrics.MeterName && instrument.Meter.Scope == meterScope && instrument.Name == "edgeagent.requests")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (placements)
            {
                placements.Add(tags.ToArray().Single(t => t.Key == "placement").Value as string);
            }
        });
        listener.Start();

        var response = await AgentCluster.InferAsync(cluster.Channel(agent));
        listener.RecordObservableInstruments();

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("local:int8", AgentCluster.Placement(response));
        lock (placements)
        {
            Assert.Equal(["local:int8"], placements);
        }

        var record = agent.Services.GetRequiredService<DecisionLog>().Snapshot().Single();
        Assert.Equal(Placement.Local("int8"), record.Decided);
        Assert.Equal(Placement.Local("int8"), record.RanAt);
        Assert.Equal(["local", "local:int8"], record.Observation.Servers.Select(s => s.Placement.ToString()));
        Assert.Equal([0.010, 0.004], record.Observation.Servers.Select(s => s.ExpectedExecSeconds));
        Assert.Equal([0.0, 0.5], record.Observation.Servers.Select(s => Math.Round(s.AccuracyDropPoints, 9)));
    }

    [Fact]
    public async Task ModelInfer_BoundBelowInt8Drop_StaysOnFp32()
    {
        await using var cluster = new AgentCluster();
        var agent = await StartAgentAsync(cluster, ("Agent:MaxAccuracyDropPoints", "0"));

        var response = await AgentCluster.InferAsync(cluster.Channel(agent));

        AgentCluster.AssertAddNegOutputs(response);
        Assert.Equal("local", AgentCluster.Placement(response));
        var record = agent.Services.GetRequiredService<DecisionLog>().Snapshot().Single();
        Assert.Equal(["local"], record.Observation.Servers.Select(s => s.Placement.ToString()));
    }

    [Fact]
    public async Task ModelInfer_ChosenVariantFileGone_FailsNamingItThenRunsFp32()
    {
        await using var cluster = new AgentCluster();
        var agent = await StartAgentAsync(cluster);
        var channel = cluster.Channel(agent);
        var file = Path.Combine(cluster.Repository.Root, "add_neg", "1", "model.int8.onnx");
        File.Delete(file);

        var ex = await Assert.ThrowsAsync<RpcException>(() => AgentCluster.InferAsync(channel));
        var next = await AgentCluster.InferAsync(channel);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("Variant 'int8' of model 'add_neg' version 1", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("add_neg", "1", "model.int8.onnx"), ex.Status.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(cluster.Repository.Root, ex.Status.Detail, StringComparison.Ordinal);
        AgentCluster.AssertAddNegOutputs(next);
        Assert.Equal("local", AgentCluster.Placement(next));
        var log = agent.Services.GetRequiredService<DecisionLog>();
        Assert.Equal((1L, 1L), (log.FailedCount, log.LocalCount));
        Assert.Equal([Placement.Local("int8"), Placement.Local()], log.Snapshot().Select(r => r.Decided));
    }

    [Fact]
    public async Task Start_NegativeMaxAccuracyDrop_FailsNamingSetting()
    {
        await using var cluster = new AgentCluster();

        var ex = await Assert.ThrowsAsync<EdgeAgent.Node.Hosting.NodeStartupException>(() => StartAgentAsync(cluster, ("Agent:MaxAccuracyDropPoints", "-1")));

        Assert.Contains("Agent:MaxAccuracyDropPoints (--max-accuracy-drop) is -1", ex.Message, StringComparison.Ordinal);
    }
}
