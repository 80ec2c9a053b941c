using System.Globalization;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Baselines;

/// <summary>
/// Look-ahead by simulation: for every present server, place the task there, then continue with
/// greedy for <c>horizon</c> steps over <c>futures</c> sampled arrival sequences (the same samples
/// for every candidate), and choose the server with the lowest mean scalarised cost of everything
/// placed so far (drained). Shows what foresight is worth, at a decision cost thousands of times
/// a network's. With <c>observedOnly</c> each sampled future also redraws what the simulator has drawn
/// but the agent's observation does not carry (<see cref="Simulation.Agent.AgentVecEnv.RedrawUnobserved"/>:
/// the next arrival, the current page's lines, realised execution times), so the look-ahead plans on what
/// the agent can know rather than on the simulator's hidden draws; with <c>observedState</c> as well the realised
/// remaining times of the runs already running or queued and the lines of pages still in detection
/// (<see cref="Simulation.Agent.AgentVecEnv.RedrawRemaining"/>), so it plans on the current state only as the
/// observation summarises it.
/// </summary>
public sealed class RolloutPolicy : ISimPolicy
{
    private readonly RolloutContinuation _continuation;
    private readonly int _horizon;
    private readonly int _futures;
    private readonly bool _observedOnly;
    private readonly bool _observedState;
    private IVecEnv? _scratch;
    private IVecEnv? _scratchFor;
    private readonly int[] _action = new int[1];
    private readonly float[] _rT = new float[1];
    private readonly float[] _rE = new float[1];
    private readonly bool[] _done = new bool[1];
    private SimRandom _rng;

    /// <summary>Creates the policy.</summary>
    public RolloutPolicy(int horizon = 10, int futures = 4, bool observedOnly = false, RolloutContinuation continuation = RolloutContinuation.Greedy, bool observedState = false)
    {
        if (continuation is not (RolloutContinuation.Greedy or RolloutContinuation.Heuristic or RolloutContinuation.GreedyOrHeuristic))
        {
            throw new ArgumentOutOfRangeException(nameof(continuation), continuation, "greedy, heuristic or both.");
        }

        _continuation = continuation;
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(futures, 1);
        _horizon = horizon;
        _futures = futures;
        _observedOnly = observedOnly || observedState;
        _observedState = observedState;
        Name = string.Create(CultureInfo.InvariantCulture, $"rollout k={horizon} x{futures}{(observedState ? " observed+state" : observedOnly ? " observed" : "")}{continuation switch { RolloutContinuation.Heuristic => " then heuristic", RolloutContinuation.GreedyOrHeuristic => " then greedy|heuristic", _ => "" }}");
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool UsesPreference => true;

    /// <inheritdoc />
    public void Begin(IVecEnv env, double delayWeight, ulong seed)
    {
        env.RequireSnapshots("The rollout baseline");
        env.RequireExactCost("The rollout baseline");
        if (_scratch is null || !ReferenceEquals(_scratchFor, env) && !SameModel(_scratch, env))
        {
            _scratch = env.CreateLike(1, seed, autoReset: false);
        }

        if ((_observedOnly || _continuation != RolloutContinuation.Greedy) && _scratch is not Simulation.Agent.AgentVecEnv)
        {
            throw new ArgumentException($"The rollout baseline's observed-only futures and heuristic continuation need the agent profile, not '{env.Profile}'.", nameof(env));
        }

        _scratchFor = env;

        _rng = new SimRandom(SimRandom.Mix(seed, 0x524F4C4C));
    }

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        var scratch = _scratch ?? throw new InvalidOperationException("Begin must be called before Act.");
        var snapshot = (ISnapshotEnv)scratch;
        Span<ulong> seeds = stackalloc ulong[_futures];
        for (var i = 0; i < actions.Length; i++)
        {
            if (!env.HasTask(i))
            {
                actions[i] = GreedyPolicy.NoTaskAction(env, i);
                continue;
            }

            for (var f = 0; f < _futures; f++)
            {
                seeds[f] = _rng.NextUInt64();
            }

            var w = env.DelayWeight(i);
            var best = GreedyPolicy.NoTaskAction(env, i);
            var bestCost = double.PositiveInfinity;
            for (var s = 0; s < env.MaxServers; s++)
            {
                if (!env.IsPresent(i, s))
                {
                    continue;
                }

                // With two continuations a row is worth the better of the two (the same sampled futures for both):
                // a rollout over several base policies is at least as good as each of them.
                var total = double.PositiveInfinity;
                for (var c = 1; c <= 2; c++)
                {
                    if (((int)_continuation & c) == 0)
                    {
                        continue;
                    }

                    var heuristic = c == 2;
                    var sum = 0.0;
                    for (var f = 0; f < _futures; f++)
                    {
                        snapshot.CopyState(0, env, i);
                        snapshot.Reseed(0, seeds[f]);
                        if (_observedOnly)
                        {
                            ((Simulation.Agent.AgentVecEnv)scratch).RedrawUnobserved(0);
                            if (_observedState)
                            {
                                ((Simulation.Agent.AgentVecEnv)scratch).RedrawRemaining(0);
                            }
                        }

                        var done = StepScratch(scratch, s);
                        for (var k = 0; k < _horizon && !done; k++)
                        {
                            done = StepScratch(scratch, heuristic ? ((Simulation.Agent.AgentVecEnv)scratch).HeuristicRow(0) : GreedyPolicy.Choose(scratch, 0));
                        }

                        double delay, energy;
                        if (done)
                        {
                            var last = scratch.LastEpisode(0);
                            (delay, energy) = (last.DelayCost, last.EnergyCost);
                        }
                        else
                        {
                            (delay, energy) = snapshot.ProjectedTotals(0);
                        }

                        sum += env.ScalarisedCost(w, delay, energy);
                    }

                    total = Math.Min(total, sum);
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

    private static bool SameModel(IVecEnv a, IVecEnv b) =>
        a is MecVecEnv ma && b is MecVecEnv mb ? ma.Parameters == mb.Parameters && ma.Contexts == mb.Contexts : false;

    private bool StepScratch(IVecEnv scratch, int action)
    {
        if (scratch is MecVecEnv mec)
        {
            return mec.Step(0, action, out _, out _);
        }

        _action[0] = action;
        scratch.Step(_action, _rT, _rE, _done);
        return _done[0];
    }
}

/// <summary>The base policies a rollout continues with after each tried placement.</summary>
[Flags]
public enum RolloutContinuation
{
    /// <summary>The clairvoyant greedy (lowest exact one-step cost).</summary>
    Greedy = 1,

    /// <summary>Core's heuristic, deciding on the observation as in the agent (agent profile).</summary>
    Heuristic = 2,

    /// <summary>Both, each row valued at the better of the two.</summary>
    GreedyOrHeuristic = Greedy | Heuristic,
}
