using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Sac;

/// <summary>
/// The rollout baseline as a teacher: for every present server, place the task there and continue
/// greedily for a horizon over a few sampled futures; label the server with the lowest mean
/// scalarised cost. Costs hundreds of microseconds per label, which training can afford (a
/// gradient step costs tens of milliseconds) and the agent cannot: the actor distils it into a
/// network that decides in microseconds.
/// </summary>
public sealed class RolloutTeacher : ITeacher
{
    private readonly RolloutPolicy _policy;

    /// <summary>Creates a teacher for <paramref name="environments"/> (its parameters and context ranges).</summary>
    public RolloutTeacher(IVecEnv environments, int horizon, int futures, ulong seed, bool observedOnly = false, RolloutContinuation continuation = RolloutContinuation.Greedy, bool observedState = false)
    {
        ArgumentNullException.ThrowIfNull(environments);
        _policy = new RolloutPolicy(horizon, futures, observedOnly, continuation, observedState);
        _policy.Begin(environments, 0.5, seed);
        Name = _policy.Name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public void Label(IVecEnv environments, Span<int> actions) => _policy.Act(environments, default, default, default, actions);
}
