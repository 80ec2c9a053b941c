using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Baselines;

/// <summary>
/// The non-clairvoyant greedy of the agent profile, "greedy-estimate" in reports: the present row
/// with the lowest estimated one-step cost w_delay d / t_ref + w_energy e / e_ref, where d and e are
/// the row's own delay and device-energy estimates from the observation (the
/// <see cref="FeatureKind.OwnDelayEstimateLog"/> column in the own-traffic layout, else
/// <see cref="FeatureKind.DelayEstimateLog"/>, and the <see cref="FeatureKind.OwnEnergyLog"/> column
/// when the layout has one, else <see cref="FeatureKind.EnergyLog"/>: columns the
/// live agent's ClusterView also writes) and t_ref, e_ref the fp32 variant's expected time and
/// energy (the rewards' normalisation; 1 s and 1 J without an fp32 row). It sees what a deployed
/// policy sees. <see cref="GreedyPolicy"/> ("greedy") instead ranks rows by the simulator's exact
/// one-step cost, which includes this task's realised (jittered) execution time and the exact
/// completion behind the peers' queued jobs: no deployable policy knows those.
/// </summary>
public sealed class EstimateGreedyPolicy : ISimPolicy
{
    /// <summary>The name in reports.</summary>
    public const string MethodName = "greedy-estimate";

    /// <inheritdoc />
    public string Name => MethodName;

    /// <inheritdoc />
    public bool UsesPreference => true;

    /// <summary>The row of least estimated cost among the present rows of one observation (-1 when none is present).</summary>
    /// <param name="layout">An agent layout (it has the estimate columns).</param>
    /// <param name="servers">The observation's rows [S, F].</param>
    /// <param name="mask">Presence [S].</param>
    /// <param name="delayWeight">w_delay.</param>
    /// <exception cref="ArgumentException">The layout lacks an estimate column.</exception>
    public static int Choose(FeatureLayout layout, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, double delayWeight)
    {
        ArgumentNullException.ThrowIfNull(layout);
        int Column(FeatureKind kind) => layout.IndexOf(kind) is var c and >= 0
            ? c
            : throw new ArgumentException($"The '{MethodName}' baseline reads the {kind} column; the '{layout.Profile}' layout has none.");
        // The own-traffic layout's delay estimate when it has one, as the agent cost features read it.
        var delayLog = layout.IndexOf(FeatureKind.OwnDelayEstimateLog) is var own and >= 0 ? own : Column(FeatureKind.DelayEstimateLog);
        var energyLog = layout.IndexOf(FeatureKind.OwnEnergyLog) is var ownEnergy and >= 0 ? ownEnergy : Column(FeatureKind.EnergyLog);
        var execLog = Column(FeatureKind.ExecLog);
        int isLocal = Column(FeatureKind.IsLocal), isQuantized = Column(FeatureKind.IsQuantizedVariant);
        var f = layout.FeatureCount;
        double refDelay = 0, refEnergy = 0;
        for (var r = 0; r < mask.Length; r++)
        {
            var row = servers.Slice(r * f, f);
            if (mask[r] > 0.5f && row[isLocal] > 0.5f && row[isQuantized] < 0.5f)
            {
                refDelay = row[execLog];
                refEnergy = row[energyLog];
                break;
            }
        }

        var best = -1;
        var bestCost = double.PositiveInfinity;
        for (var r = 0; r < mask.Length; r++)
        {
            if (mask[r] <= 0.5f)
            {
                continue;
            }

            var row = servers.Slice(r * f, f);
            var cost = (delayWeight * Math.Pow(10, row[delayLog] - refDelay)) + ((1 - delayWeight) * Math.Pow(10, row[energyLog] - refEnergy));
            if (best < 0 || cost < bestCost)
            {
                best = r;
                bestCost = cost;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        int s = env.MaxServers, f = env.FeatureCount;
        for (var i = 0; i < actions.Length; i++)
        {
            var choice = Choose(env.Layout, servers.Slice(i * s * f, s * f), mask.Slice(i * s, s), preference[i * 2]);
            actions[i] = Math.Max(choice, 0); // a finished environment has no present row; its action is ignored
        }
    }
}
