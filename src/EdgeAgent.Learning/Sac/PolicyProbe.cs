using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Sac;

/// <summary>The probe's verdict at one preference.</summary>
/// <param name="DelayWeight">w_delay.</param>
/// <param name="PolicyCost">Mean scalarised episode cost of the policy (w_T*alpha_T*delay + w_E*alpha_E*energy).</param>
/// <param name="GreedyCost">The same for the greedy baseline on the same episodes (the simulator's exact one-step cost, which knows each task's realised execution time: clairvoyant).</param>
/// <param name="ExpectedCost">The same for greedy-expected (<see cref="ExpectedGreedyPolicy"/>: exact queues with expected execution times, what a scheduler could know); NaN where the environment is not the agent simulator.</param>
public readonly record struct ProbePoint(double DelayWeight, double PolicyCost, double GreedyCost, double ExpectedCost = double.NaN)
{
    /// <summary>Policy cost over greedy cost: below 1 means the policy is better.</summary>
    public double Ratio => GreedyCost > 0 ? PolicyCost / GreedyCost : double.NaN;

    /// <summary>Policy cost over greedy-expected's: below 1 means the policy is better than a non-clairvoyant greedy; NaN without it.</summary>
    public double ExpectedRatio => ExpectedCost > 0 ? PolicyCost / ExpectedCost : double.NaN;

    /// <summary>"w=W:R" or, with greedy-expected, "w=W:R/E" (R policy/greedy, E policy/greedy-expected).</summary>
    public string Describe() => double.IsFinite(ExpectedRatio)
        ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"w={DelayWeight:0.##}:{Ratio:0.0000}/{ExpectedRatio:0.0000}")
        : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"w={DelayWeight:0.##}:{Ratio:0.0000}");
}

/// <summary>
/// A quick running measure of front quality during training: the deterministic policy and the
/// greedy baseline play the same episodes (common random numbers) at a few preferences in one
/// fixed context, and their mean scalarised costs are compared. On the agent simulator greedy-expected
/// plays them too: clairvoyant greedy is a bound no policy can reach, greedy-expected one it can beat.
/// Not the evaluation; a compass.
/// </summary>
public sealed class PolicyProbe
{
    private readonly IVecEnv _env;
    private readonly double[] _weights;
    private readonly int _episodes;
    private readonly float[] _servers, _mask, _pref;
    private readonly int[] _actions;
    private readonly float[] _rT, _rE;
    private readonly bool[] _done;
    private readonly ulong _seed;
    private ProbePoint[]? _greedy;
    private ProbePoint[]? _expected;

    /// <summary>Creates the probe over <paramref name="delayWeights"/> x <paramref name="episodes"/> environments of the gmorl model.</summary>
    public PolicyProbe(MecParameters parameters, ContextRange context, IReadOnlyList<double> delayWeights, int episodes, ulong seed)
        : this(new MecVecEnv(parameters, context, 1, seed, autoReset: false), delayWeights, episodes, seed)
    {
    }

    /// <summary>
    /// Creates the probe over <paramref name="delayWeights"/> x <paramref name="episodes"/> environments
    /// like <paramref name="prototype"/> (its profile and contexts; it must tell exact costs for greedy).
    /// </summary>
    /// <exception cref="ArgumentException">The environment cannot tell exact costs (<see cref="IExactCost"/>).</exception>
    public PolicyProbe(IVecEnv prototype, IReadOnlyList<double> delayWeights, int episodes, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(prototype);
        ArgumentNullException.ThrowIfNull(delayWeights);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(episodes);
        prototype.RequireExactCost("The training probe (policy against greedy)");
        _weights = [.. delayWeights];
        _episodes = episodes;
        _env = prototype.CreateLike(_weights.Length * episodes, seed, autoReset: false);
        var n = _env.Count;
        _servers = new float[n * _env.MaxServers * _env.FeatureCount];
        _mask = new float[n * _env.MaxServers];
        _pref = new float[n * 2];
        _actions = new int[n];
        _rT = new float[n];
        _rE = new float[n];
        _done = new bool[n];
        _seed = seed;
    }

    /// <summary>Plays the policy (and, the first time, greedy) and returns one point per preference.</summary>
    public IReadOnlyList<ProbePoint> Run(DiscreteSac agent)
    {
        ArgumentNullException.ThrowIfNull(agent);
        _greedy ??= Play(null, expected: false);
        if (_env is AgentVecEnv)
        {
            _expected ??= Play(null, expected: true);
        }

        var policy = Play(agent, expected: false);
        return [.. policy.Select((p, i) => p with { GreedyCost = _greedy[i].PolicyCost, ExpectedCost = _expected is null ? double.NaN : _expected[i].PolicyCost })];
    }

    private ProbePoint[] Play(DiscreteSac? agent, bool expected)
    {
        var n = _env.Count;
        for (var i = 0; i < n; i++)
        {
            _env.Reset(i, SimRandom.Mix(_seed, (ulong)i));
        }

        for (var i = 0; i < n; i++)
        {
            _env.SetPreference(i, _weights[i / _episodes]);
        }

        var random = new Random(1);
        while (!AllDone())
        {
            if (agent is not null)
            {
                _env.Observe(_servers, _mask, _pref);
                agent.Act(_servers, _mask, _pref, n, _actions, random, deterministic: true);
            }
            else
            {
                for (var i = 0; i < n; i++)
                {
                    _actions[i] = _env.IsDone(i) ? 0 : expected ? ExpectedGreedyPolicy.Choose(_env, i) : GreedyTeacher.Choose(_env, i, _env.DelayWeight(i));
                }
            }

            _env.Step(_actions, _rT, _rE, _done);
        }

        var points = new ProbePoint[_weights.Length];
        for (var w = 0; w < _weights.Length; w++)
        {
            double cost = 0;
            for (var k = 0; k < _episodes; k++)
            {
                var summary = _env.LastEpisode((w * _episodes) + k);
                cost += _env.ScalarisedCost(_weights[w], summary.DelayCost, summary.EnergyCost);
            }

            points[w] = new ProbePoint(_weights[w], cost / _episodes, double.NaN);
        }

        return points;
    }

    private bool AllDone()
    {
        for (var i = 0; i < _env.Count; i++)
        {
            if (!_env.IsDone(i))
            {
                return false;
            }
        }

        return true;
    }
}
