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
    /// <exception cref="ArgumentException">The environment cannot tell exact costs (<see cref="IExactCost"/>).</exception>
    public static int Choose(IVecEnv environments, int env, double delayWeight)
    {
        var exact = environments.RequireExactCost("The greedy teacher");
        var best = -1;
        var bestCost = double.PositiveInfinity;
        for (var s = 0; s < environments.MaxServers; s++)
        {
            if (!environments.IsPresent(env, s))
            {
                continue;
            }

            exact.MarginalCost(env, s, out var delay, out var energy);
            var cost = environments.ScalarisedCost(delayWeight, delay, energy);
            if (best < 0)
            {
                best = s; // the first present row, whatever its cost
            }

            if (cost < bestCost)
            {
                bestCost = cost;
                best = s;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public void Label(IVecEnv environments, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(environments);
        for (var i = 0; i < actions.Length; i++)
        {
            actions[i] = Choose(environments, i, environments.DelayWeight(i));
        }
    }
}
