using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Sac;

/// <summary>The probe's verdict at one preference.</summary>
/// <param name="DelayWeight">w_delay.</param>
/// <param name="PolicyCost">Mean scalarised episode cost of the policy (w_T*alpha_T*delay + w_E*alpha_E*energy).</param>
/// <param name="GreedyCost">The same for the greedy baseline on the same episodes.</param>
public readonly record struct ProbePoint(double DelayWeight, double PolicyCost, double GreedyCost)
{
    /// <summary>Policy cost over greedy cost: below 1 means the policy is better.</summary>
    public double Ratio => GreedyCost > 0 ? PolicyCost / GreedyCost : double.NaN;
}

/// <summary>
/// A quick running measure of front quality during training: the deterministic policy and the
/// greedy baseline play the same episodes (common random numbers) at a few preferences in one
/// fixed context, and their mean scalarised costs are compared. Not the evaluation; a compass.
/// </summary>
public sealed class PolicyProbe
{
    private readonly MecVecEnv _env;
    private readonly double[] _weights;
    private readonly int _episodes;
    private readonly float[] _servers, _mask, _pref;
    private readonly int[] _actions;
    private ProbePoint[]? _greedy;

    /// <summary>Creates the probe over <paramref name="delayWeights"/> x <paramref name="episodes"/> environments.</summary>
    public PolicyProbe(MecParameters parameters, ContextRange context, IReadOnlyList<double> delayWeights, int episodes, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(delayWeights);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(episodes);
        _weights = [.. delayWeights];
        _episodes = episodes;
        _env = new MecVecEnv(parameters, context, _weights.Length * episodes, seed, autoReset: false);
        var n = _env.Count;
        _servers = new float[n * _env.MaxServers * _env.FeatureCount];
        _mask = new float[n * _env.MaxServers];
        _pref = new float[n * 2];
        _actions = new int[n];
    }

    /// <summary>Plays the policy (and, the first time, greedy) and returns one point per preference.</summary>
    public IReadOnlyList<ProbePoint> Run(DiscreteSac agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _greedy ??= Play(null);
        var policy = Play(agent);
        return [.. policy.Select((p, i) => p with { GreedyCost = _greedy[i].PolicyCost })];
    }

    private ProbePoint[] Play(DiscreteSac? agent)
    {
        _env.ResetAll();
        var n = _env.Count;
        for (var i = 0; i < n; i++)
        {
            _env.SetPreference(i, _weights[i / _episodes]);
        }

        var random = new Random(1);
        while (!_env.IsDone(0))
        {
            if (agent is not null)
            {
                _env.Observe(_servers, _mask, _pref);
                agent.Act(_servers, _mask, _pref, n, _actions, random, deterministic: true);
            }

            for (var i = 0; i < n; i++)
            {
                var action = agent is null ? GreedyTeacher.Choose(_env, i, _env.DelayWeight(i)) : _actions[i];
                _env.Step(i, action, out _, out _);
            }
        }

        var p = _env.Parameters;
        var points = new ProbePoint[_weights.Length];
        for (var w = 0; w < _weights.Length; w++)
        {
            double cost = 0;
            for (var k = 0; k < _episodes; k++)
            {
                var summary = _env.LastEpisode((w * _episodes) + k);
                cost += (_weights[w] * p.DelayRewardScale * summary.TotalDelaySeconds) + ((1 - _weights[w]) * p.EnergyRewardScale * summary.TotalEnergyJoules);
            }

            points[w] = new ProbePoint(_weights[w], cost / _episodes, double.NaN);
        }

        return points;
    }
}
