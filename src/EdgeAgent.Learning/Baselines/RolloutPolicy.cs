using System.Globalization;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Baselines;

/// <summary>
/// Look-ahead by simulation: for every present server, place the task there, then continue with
/// greedy for <c>horizon</c> steps over <c>futures</c> sampled arrival sequences (the same samples
/// for every candidate), and choose the server with the lowest mean scalarised cost of everything
/// placed so far (drained). Shows what foresight is worth, at a decision cost thousands of times
/// a network's.
/// </summary>
public sealed class RolloutPolicy : ISimPolicy
{
    private readonly int _horizon;
    private readonly int _futures;
    private MecVecEnv? _scratch;
    private SimRandom _rng;

    /// <summary>Creates the policy.</summary>
    public RolloutPolicy(int horizon = 10, int futures = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(futures, 1);
        _horizon = horizon;
        _futures = futures;
        Name = string.Create(CultureInfo.InvariantCulture, $"rollout k={horizon} x{futures}");
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool UsesPreference => true;

    /// <inheritdoc />
    public void Begin(MecVecEnv env, double delayWeight, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(env);
        if (_scratch is null || _scratch.Parameters != env.Parameters || _scratch.Contexts != env.Contexts)
        {
            _scratch = new MecVecEnv(env.Parameters, env.Contexts, 1, seed, autoReset: false);
        }

        _rng = new SimRandom(SimRandom.Mix(seed, 0x524F4C4C));
    }

    /// <inheritdoc />
    public void Act(MecVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        var scratch = _scratch ?? throw new InvalidOperationException("Begin must be called before Act.");
        var p = env.Parameters;
        Span<ulong> seeds = stackalloc ulong[_futures];
        for (var i = 0; i < actions.Length; i++)
        {
            if (env.TaskBits(i) <= 0)
            {
                actions[i] = env.CloudIndex;
                continue;
            }

            for (var f = 0; f < _futures; f++)
            {
                seeds[f] = _rng.NextUInt64();
            }

            var w = env.DelayWeight(i);
            var best = env.CloudIndex;
            var bestCost = double.PositiveInfinity;
            for (var s = 0; s < env.PresentServers(i); s++)
            {
                var total = 0.0;
                for (var f = 0; f < _futures; f++)
                {
                    scratch.CopyState(0, env, i);
                    scratch.Reseed(0, seeds[f]);
                    var done = scratch.Step(0, s, out _, out _);
                    for (var k = 0; k < _horizon && !done; k++)
                    {
                        done = scratch.Step(0, GreedyPolicy.Choose(scratch, 0), out _, out _);
                    }

                    double delay, energy;
                    if (done)
                    {
                        var last = scratch.LastEpisode(0);
                        (delay, energy) = (last.TotalDelaySeconds, last.TotalEnergyJoules);
                    }
                    else
                    {
                        (delay, energy) = scratch.ProjectedTotals(0);
                    }

                    total += (w * p.DelayRewardScale * delay) + ((1 - w) * p.EnergyRewardScale * energy);
                }

                if (total < bestCost)
                {
                    bestCost = total;
                    best = s;
                }
            }

            actions[i] = best;
        }
    }
}
