using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Execution;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// The <see cref="LocalExecutor"/> as an <see cref="ILocalLoadSource"/>, with the profiled
/// variants of <paramref name="profiles"/>. A profile's latency was measured at full speed, so it
/// is divided by Execution:ComputeSpeedFactor when the executor emulates a slower device. A
/// variant whose session failed to load is no longer offered.
/// </summary>
public sealed class LocalExecutorLoadSource(LocalExecutor executor, LocalVariantProfiles? profiles = null) : ILocalLoadSource
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
            DefaultVariant = served?.DefaultVariant ?? ModelVariant.Fp32,
            Variants = served is null || profiles is null ? [] : Offered(served),
        };
    }

    /// <inheritdoc />
    public double? ExpectedExecSeconds(string model, long inputBytes)
    {
        var served = executor.Catalog.Find(model);
        var ms = served is null ? 0 : executor.ExpectedExecMs(served, inputBytes);
        return ms > 0 ? ms / 1000.0 : null;
    }

    private IReadOnlyList<LocalVariantCost> Offered(ServedModel served)
    {
        var costs = profiles!.For(served.Name);
        if (costs.Count == 0)
        {
            return costs;
        }

        var speed = executor.ComputeSpeedFactor;
        var offered = new List<LocalVariantCost>(costs.Count);
        foreach (var cost in costs)
        {
            if (served.GetVariantState(cost.Variant) == VariantState.Failed)
            {
                continue;
            }

            offered.Add(speed < 1.0 ? cost with { ExecSeconds = cost.ExecSeconds / speed } : cost);
        }

        return offered;
    }
}
