using EdgeAgent.Inference.Execution;

namespace EdgeAgent.Node.Agent;

/// <summary>The <see cref="LocalExecutor"/> as an <see cref="ILocalLoadSource"/>.</summary>
public sealed class LocalExecutorLoadSource(LocalExecutor executor) : ILocalLoadSource
{
    /// <inheritdoc />
    public bool Serves(string model) => executor.Catalog.Find(model) is not null;

    /// <inheritdoc />
    public LocalLoad GetLoad(string model)
    {
        var snapshot = executor.GetLoadSnapshot();
        var served = executor.Catalog.Find(model);
        var meanMs = served is null ? 0 : executor.MeanExecMs(served);
        return new LocalLoad
        {
            Executing = snapshot.Running,
            Queued = snapshot.Queued,
            MaxConcurrency = Math.Max(1, snapshot.MaxConcurrency),
            ResidualWorkSeconds = snapshot.TotalResidualWorkMs / 1000.0,
            ResidualWorkHistogram = snapshot.ResidualWorkHistogram.Select(c => (double)c).ToArray(),
            HistogramBinSeconds = snapshot.HistogramBinMs / 1000.0,
            MeanExecSeconds = meanMs > 0 ? meanMs / 1000.0 : null,
        };
    }
}
