using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Sac;

/// <summary>
/// A planner with access to the simulator's exact state that labels the action it would take in
/// each environment. The trainer clones its labels into the actor (the warm start) and, with a
/// positive <see cref="SacOptions.TeacherWeight"/>, keeps them as a regulariser of SAC's actor loss.
/// </summary>
public interface ITeacher
{
    /// <summary>Name shown in progress lines.</summary>
    string Name { get; }

    /// <summary>Writes the teacher's action for each of the first <c>actions.Length</c> environments, each at its own preference.</summary>
    void Label(IVecEnv environments, Span<int> actions);
}

/// <summary>The planners a trainer can learn from.</summary>
public enum TeacherKind
{
    /// <summary>Lowest immediate scalarised cost (<see cref="GreedyTeacher"/>).</summary>
    Greedy,

    /// <summary>Look-ahead by simulation (<see cref="RolloutTeacher"/>): greedy continuation over sampled futures.</summary>
    Rollout,
}
