using System.Globalization;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Baselines;

/// <summary>GMORL's random baseline: the cloud with probability p, otherwise an edge chosen uniformly (sweep p for a front).</summary>
public sealed class RandomPolicy : ISimPolicy
{
    private readonly double _cloudProbability;
    private SimRandom _rng;

    /// <summary>Creates the policy for cloud probability <paramref name="cloudProbability"/>.</summary>
    public RandomPolicy(double cloudProbability)
    {
        if (!(cloudProbability is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(cloudProbability), cloudProbability, "The cloud probability must be in [0, 1].");
        }

        _cloudProbability = cloudProbability;
        Name = string.Create(CultureInfo.InvariantCulture, $"random p={cloudProbability:0.##}");
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool UsesPreference => false;

    /// <inheritdoc />
    public void Begin(MecVecEnv env, double delayWeight, ulong seed) => _rng = new SimRandom(SimRandom.Mix(seed, 0x52414E44));

    /// <inheritdoc />
    public void Act(MecVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        var first = env.Parameters.FirstEdgeIndex;
        for (var i = 0; i < actions.Length; i++)
        {
            var edges = env.PresentServers(i) - first;
            actions[i] = edges <= 0 || _rng.NextDouble() < _cloudProbability ? env.CloudIndex : first + _rng.NextInt(edges);
        }
    }
}

/// <summary>Every task to the cloud.</summary>
public sealed class AllCloudPolicy : ISimPolicy
{
    /// <inheritdoc />
    public string Name => "all-cloud";

    /// <inheritdoc />
    public bool UsesPreference => false;

    /// <inheritdoc />
    public void Act(MecVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        actions.Fill(env.CloudIndex);
    }
}

/// <summary>The server whose queued work drains soonest (residual bits / speed), ties to the faster server.</summary>
public sealed class LeastLoadedPolicy : ISimPolicy
{
    /// <inheritdoc />
    public string Name => "least-loaded";

    /// <inheritdoc />
    public bool UsesPreference => false;

    /// <inheritdoc />
    public void Act(MecVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        for (var i = 0; i < actions.Length; i++)
        {
            var best = 0;
            var bestLoad = double.PositiveInfinity;
            var bestHz = 0.0;
            for (var s = 0; s < env.PresentServers(i); s++)
            {
                var hz = env.ComputeHz(i, s);
                var load = env.ResidualBits(i, s) * env.Parameters.CyclesPerBit / hz;
                if (load < bestLoad - 1e-12 || (Math.Abs(load - bestLoad) <= 1e-12 && hz > bestHz))
                {
                    best = s;
                    bestLoad = load;
                    bestHz = hz;
                }
            }

            actions[i] = best;
        }
    }
}

/// <summary>
/// Greedy: the server with the lowest immediate scalarised cost w_T*alpha_T*delay + w_E*alpha_E*energy,
/// by the simulator's exact marginal estimate (the same quantity as the reward). The strongest
/// simple baseline.
/// </summary>
public sealed class GreedyPolicy : ISimPolicy
{
    /// <inheritdoc />
    public string Name => "greedy";

    /// <inheritdoc />
    public bool UsesPreference => true;

    /// <summary>The greedy choice for environment <paramref name="env"/> at its own preference.</summary>
    public static int Choose(MecVecEnv env, int i)
    {
        ArgumentNullException.ThrowIfNull(env);
        var p = env.Parameters;
        var w = env.DelayWeight(i);
        var best = env.CloudIndex;
        var bestCost = double.PositiveInfinity;
        if (env.TaskBits(i) <= 0)
        {
            return best;
        }

        for (var s = 0; s < env.PresentServers(i); s++)
        {
            env.MarginalCost(i, s, out var d, out var e);
            var cost = (w * p.DelayRewardScale * d) + ((1 - w) * p.EnergyRewardScale * e);
            if (cost < bestCost)
            {
                best = s;
                bestCost = cost;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public void Act(MecVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        for (var i = 0; i < actions.Length; i++)
        {
            actions[i] = Choose(env, i);
        }
    }
}
