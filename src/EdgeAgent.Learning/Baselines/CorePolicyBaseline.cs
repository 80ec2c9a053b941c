using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Baselines;

/// <summary>
/// A Core decision-maker of the live agent (<see cref="IOffloadPolicy"/>: the heuristic, local-only,
/// peer-only) evaluated in the agent simulator: each decision is the policy's own, made on the
/// <see cref="Core.Observation"/> the agent's ClusterView would present
/// (<see cref="AgentVecEnv.CurrentObservation"/>) at the environment's preference. The agent profile only.
/// </summary>
public sealed class CorePolicyBaseline(string name, IOffloadPolicy policy, bool usesPreference) : ISimPolicy
{
    /// <summary>The heuristic (Core's <see cref="HeuristicPolicy"/>), named "heuristic" in reports.</summary>
    public static CorePolicyBaseline Heuristic() => new(EvaluationReport.HeuristicName, new HeuristicPolicy(), usesPreference: true);

    /// <summary>Everything on the device (Core's <see cref="LocalOnlyPolicy"/>: the first available local variant).</summary>
    public static CorePolicyBaseline AllLocal() => new("all-local", new LocalOnlyPolicy(), usesPreference: false);

    /// <summary>Everything offloaded (Core's <see cref="PeerOnlyPolicy"/>: the peer with the smallest estimated completion time; local without peers).</summary>
    public static CorePolicyBaseline AllPeer() => new("all-peer", new PeerOnlyPolicy(), usesPreference: false);

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public bool UsesPreference { get; } = usesPreference;

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        var agent = env as AgentVecEnv ?? throw new ArgumentException($"The '{Name}' baseline decides on the agent's observation, which only the '{AgentVecEnv.ProfileName}' simulator provides, not '{env?.Profile}'.");
        for (var i = 0; i < actions.Length; i++)
        {
            actions[i] = agent.IsDone(i) ? 0 : agent.Decide(i, policy);
        }
    }
}
