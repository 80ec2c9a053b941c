namespace EdgeAgent.Learning.Simulation;

/// <summary>
/// The greedy baseline on any environment with an exact one-step cost: the present row with the
/// lowest scalarised cost w * DelayRewardScale * delay + (1 - w) * EnergyRewardScale * energy
/// (<see cref="IExactCost.MarginalCost"/>); ties go to the lower row.
/// </summary>
public static class ExactGreedy
{
    /// <summary>The greedy row of environment <paramref name="env"/> at its own preference; -1 when no row is present.</summary>
    public static int Choose<TEnv>(TEnv environments, int env)
        where TEnv : IVecEnv, IExactCost
    {
        ArgumentNullException.ThrowIfNull(environments);
        return Choose(environments, env, environments.DelayWeight(env));
    }

    /// <summary>The greedy row of environment <paramref name="env"/> at preference <paramref name="delayWeight"/>; -1 when no row is present.</summary>
    public static int Choose<TEnv>(TEnv environments, int env, double delayWeight)
        where TEnv : IVecEnv, IExactCost
    {
        ArgumentNullException.ThrowIfNull(environments);
        var best = -1;
        var bestCost = double.PositiveInfinity;
        var wd = delayWeight * environments.DelayRewardScale;
        var we = (1 - delayWeight) * environments.EnergyRewardScale;
        for (var s = 0; s < environments.MaxServers; s++)
        {
            if (!environments.IsPresent(env, s))
            {
                continue;
            }

            environments.MarginalCost(env, s, out var delay, out var energy);
            var cost = (wd * delay) + (we * energy);
            if (best < 0 || cost < bestCost)
            {
                best = s;
                bestCost = cost;
            }
        }

        return best;
    }
}
