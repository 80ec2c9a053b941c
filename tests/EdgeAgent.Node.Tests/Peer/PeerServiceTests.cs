using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Peer;
using EdgeAgent.TestModels;

namespace EdgeAgent.Node.Tests.Peer;

public sealed class PeerServiceTests
{
    [Theory]
    [InlineData(0u, 250)]
    [InlineData(1u, 20)]
    [InlineData(100u, 100)]
    [InlineData(1_000_000u, 10_000)]
    public void ResolveInterval_Requested_ClampedToConfiguredRange(uint requested, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), PeerService.ResolveInterval(requested, new PeerOptions()));
    }

    [Fact]
    public void FromSnapshot_AggregatesVariantsAndListsEveryServedModel()
    {
        using var repo = new TempRepository().Add("a", 2, TinyOnnx.AddNeg()).Add("b", 1, TinyOnnx.AddNeg());
        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());
        var snapshot = new LoadSnapshot
        {
            Timestamp = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Queued = 3,
            Running = 1,
            HistogramBinMs = 10,
            ResidualWorkHistogram = [1, 0, 3],
            TotalResidualWorkMs = 95,
            ServiceRatePerSecond = 12.5,
            MaxConcurrency = 1,
            QueueCapacity = 8,
            Models =
            [
                new ModelLoadStats("a", "2", "fp32", 10, 1, 3, 0),
                new ModelLoadStats("a", "2", "int8", 2, 1, 1, 0),
            ],
        };

        var report = LoadReports.FromSnapshot(snapshot, catalog);

        Assert.Equal(3u, report.Queued);
        Assert.Equal(1u, report.Running);
        Assert.Equal([1u, 0u, 3u], report.ResidualWorkHistogram);
        Assert.Equal(95, report.TotalResidualWorkMs);
        Assert.Equal(12.5, report.ServiceRatePerSecond);
        Assert.Equal(8u, report.QueueCapacity);
        Assert.Equal(snapshot.Timestamp, report.Timestamp.ToDateTimeOffset());
        Assert.Equal(["a", "b"], report.Models.Select(m => m.Name));
        Assert.Equal(8.0, report.Models[0].MeanExecMs, 6);
        Assert.Equal(4ul, report.Models[0].Completed);
        Assert.Equal(0ul, report.Models[1].Completed);
    }

    [Fact]
    public void FromSnapshot_VariantWithALine_ReportsTheLineOfTheMostCompletedVariant()
    {
        using var repo = new TempRepository().Add("rec", 1, TinyOnnx.AddNeg());
        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());
        var snapshot = IdleSnapshot(
            new ModelLoadStats("rec", "1", "fp32", 80, 1, 30, 0) { ExecLine = new ExecTimeLine(20, 0.0002, 150_000, 500_000) },
            new ModelLoadStats("rec", "1", "int8", 30, 1, 2, 0) { ExecLine = new ExecTimeLine(5, 0.0001, 150_000, 500_000) });

        var model = LoadReports.FromSnapshot(snapshot, catalog).Models[0];

        Assert.Equal((20.0, 0.0002, 150_000ul, 500_000ul), (model.ExecInterceptMs, model.ExecMsPerByte, model.ExecMinBytes, model.ExecMaxBytes));
    }

    [Fact]
    public void FromSnapshot_NoLine_ZeroSlope()
    {
        using var repo = new TempRepository().Add("det", 1, TinyOnnx.AddNeg());
        using var catalog = ModelCatalog.Load(ModelRepository.Open(repo.Root), new ExecutionOptions());
        var snapshot = IdleSnapshot(new ModelLoadStats("det", "1", "fp32", 36, 1, 30, 0));

        var model = LoadReports.FromSnapshot(snapshot, catalog).Models[0];

        Assert.Equal((0.0, 0ul), (model.ExecMsPerByte, model.ExecMaxBytes));
        Assert.Equal(36, model.MeanExecMs, 9);
    }

    // An idle peer's snapshot (nothing queued or running) with these models' statistics.
    private static LoadSnapshot IdleSnapshot(params ModelLoadStats[] models) => new()
    {
        Timestamp = DateTimeOffset.UnixEpoch,
        Queued = 0,
        Running = 0,
        HistogramBinMs = 10,
        ResidualWorkHistogram = [0],
        TotalResidualWorkMs = 0,
        ServiceRatePerSecond = 0,
        MaxConcurrency = 1,
        QueueCapacity = 8,
        Models = models,
    };
}
