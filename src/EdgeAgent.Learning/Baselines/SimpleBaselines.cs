using System.Globalization;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Baselines;

/// <summary>GMORL's random baseline: the cloud with probability p, otherwise an edge chosen uniformly (sweep p for a front). The gmorl profiles only.</summary>
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
    public void Begin(IVecEnv env, double delayWeight, ulong seed) => _rng = new SimRandom(SimRandom.Mix(seed, 0x52414E44));

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        var mec = env.RequireMec("The random baseline (cloud with probability p)");
        var first = mec.Parameters.FirstEdgeIndex;
        for (var i = 0; i < actions.Length; i++)
        {
            var edges = mec.PresentServers(i) - first;
            actions[i] = edges <= 0 || _rng.NextDouble() < _cloudProbability ? mec.CloudIndex : first + _rng.NextInt(edges);
        }
    }
}

/// <summary>Every task to the cloud. The gmorl profiles only.</summary>
public sealed class AllCloudPolicy : ISimPolicy
{
    /// <inheritdoc />
    public string Name => "all-cloud";

    /// <inheritdoc />
    public bool UsesPreference => false;

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions) =>
        actions.Fill(env.RequireMec("The all-cloud baseline").CloudIndex);
}

/// <summary>The server whose queued work drains soonest (residual bits / speed), ties to the faster server. The gmorl profiles only.</summary>
public sealed class LeastLoadedPolicy : ISimPolicy
{
    /// <inheritdoc />
    public string Name => "least-loaded";

    /// <inheritdoc />
    public bool UsesPreference => false;

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        var mec = env.RequireMec("The least-loaded baseline");
        for (var i = 0; i < actions.Length; i++)
        {
            var best = 0;
            var bestLoad = double.PositiveInfinity;
            var bestHz = 0.0;
            for (var s = 0; s < mec.PresentServers(i); s++)
            {
                var hz = mec.ComputeHz(i, s);
                var load = mec.ResidualBits(i, s) * mec.Parameters.CyclesPerBit / hz;
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
/// The agent profile's non-clairvoyant exact greedy, "greedy-expected" in reports: the row of least
/// one-step cost by <see cref="AgentVecEnv.ExpectedMarginalCost"/>, the simulator's exact queues,
/// links and energy model with expected instead of realised execution times (this task's and every
/// job's ahead of it). It knows what a scheduler could know at the decision (every job in every
/// queue, the agent's own uploads), not how long each job will actually run, which
/// <see cref="GreedyPolicy"/> ("greedy", clairvoyant) does. <see cref="EstimateGreedyPolicy"/>
/// ("greedy-estimate") knows only the observation.
/// </summary>
public sealed class ExpectedGreedyPolicy : ISimPolicy
{
    /// <summary>The name in reports.</summary>
    public const string MethodName = "greedy-expected";

    /// <inheritdoc />
    public string Name => MethodName;

    /// <inheritdoc />
    public bool UsesPreference => true;

    /// <summary>The choice for environment <paramref name="i"/> at its own preference.</summary>
    /// <exception cref="ArgumentException">Another profile than the agent's.</exception>
    public static int Choose(IVecEnv env, int i)
    {
        ArgumentNullException.ThrowIfNull(env);
        var agent = env as AgentVecEnv ?? throw new ArgumentException($"The '{MethodName}' baseline needs the agent simulator, not '{env.Profile}'.");
        var w = env.DelayWeight(i);
        var best = -1;
        var bestCost = double.PositiveInfinity;
        if (!env.HasTask(i))
        {
            return GreedyPolicy.Choose(env, i);
        }

        for (var s = 0; s < env.MaxServers; s++)
        {
            if (!env.IsPresent(i, s))
            {
                continue;
            }

            agent.ExpectedMarginalCost(i, s, out var d, out var e);
            var cost = env.ScalarisedCost(w, d, e);
            if (cost < bestCost)
            {
                best = s;
                bestCost = cost;
            }
        }

        return best;
    }

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        for (var i = 0; i < actions.Length; i++)
        {
            actions[i] = Choose(env, i);
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

    /// <summary>The greedy choice for environment <paramref name="i"/> at its own preference (needs <see cref="IExactCost"/>).</summary>
    /// <exception cref="ArgumentException">The environment cannot tell exact costs.</exception>
    public static int Choose(IVecEnv env, int i)
    {
        var exact = env.RequireExactCost("The greedy baseline");
        var w = env.DelayWeight(i);
        var best = NoTaskAction(env, i);
        var bestCost = double.PositiveInfinity;
        if (!env.HasTask(i))
        {
            return best;
        }

        for (var s = 0; s < env.MaxServers; s++)
        {
            if (!env.IsPresent(i, s))
            {
                continue;
            }

            exact.MarginalCost(i, s, out var d, out var e);
            var cost = env.ScalarisedCost(w, d, e);
            if (cost < bestCost)
            {
                best = s;
                bestCost = cost;
            }
        }

        return best;
    }

    /// <summary>The action taken when no task waits (it changes nothing): the cloud in the gmorl profiles, else the first present row.</summary>
    public static int NoTaskAction(IVecEnv env, int i) => env is MecVecEnv mec ? mec.CloudIndex : env.FirstPresent(i);

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        for (var i = 0; i < actions.Length; i++)
        {
            actions[i] = Choose(env, i);
        }
    }
}
