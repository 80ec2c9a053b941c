using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Sac;

/// <summary>
/// The greedy rule: place the task where its immediate scalarised cost
/// w_T * alpha_T * marginal delay + w_E * alpha_E * energy (the simulator's exact estimate) is lowest.
/// </summary>
public sealed class GreedyTeacher : ITeacher
{
    /// <inheritdoc />
    public string Name => "greedy";

    /// <summary>The greedy server for environment <paramref name="env"/> under preference <paramref name="delayWeight"/>.</summary>
    public static int Choose(MecVecEnv environments, int env, double delayWeight)
    {
        ArgumentNullException.ThrowIfNull(environments);
        var p = environments.Parameters;
        var best = 0;
        var bestCost = double.PositiveInfinity;
        var present = environments.PresentServers(env);
        for (var s = 0; s < present; s++)
        {
            environments.MarginalCost(env, s, out var delay, out var energy);
            var cost = (delayWeight * p.DelayRewardScale * delay) + ((1 - delayWeight) * p.EnergyRewardScale * energy);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = s;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public void Label(MecVecEnv environments, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(environments);
        for (var i = 0; i < actions.Length; i++)
        {
            actions[i] = Choose(environments, i, environments.DelayWeight(i));
        }
    }
}
