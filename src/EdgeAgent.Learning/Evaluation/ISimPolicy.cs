using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>
/// A batch actor over simulated environments: the seam through which baselines and learned
/// policies are evaluated. <see cref="Act"/> chooses one present server per environment; the
/// observation buffers are those <see cref="IVecEnv.Observe(Span{float}, Span{float}, Span{float})"/> wrote
/// (servers [N, S, F], mask [N, S], preference [N, 2]). Policies that need the simulator's own
/// state (greedy, rollout) read it from <c>env</c> (through <see cref="IExactCost"/> and
/// <see cref="ISnapshotEnv"/>); learned policies use only the observation.
/// </summary>
public interface ISimPolicy
{
    /// <summary>Name in reports ("greedy", "random p=0.3", "policy").</summary>
    string Name { get; }

    /// <summary>True when decisions depend on the preference (evaluated at every preference of the grid); false: one point.</summary>
    bool UsesPreference { get; }

    /// <summary>Called before a batch of episodes is played at delay weight <paramref name="delayWeight"/>.</summary>
    void Begin(IVecEnv env, double delayWeight, ulong seed)
    {
    }

    /// <summary>Chooses an action (a row with mask 1) for every environment.</summary>
    void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions);

    /// <summary>Called after each step with the rewards (online learners such as LinUCB update here).</summary>
    void Observe(IVecEnv env, ReadOnlySpan<int> actions, ReadOnlySpan<float> delayReward, ReadOnlySpan<float> energyReward)
    {
    }
}

/// <summary>
/// A network that maps a batch of observations to one logit per server: the contract of a
/// policy file (inputs servers [B, S, F], mask [B, S], preference [B, 2]; output logits [B, S]).
/// The ONNX runner and the managed network implement it.
/// </summary>
public interface ILogitsModel
{
    /// <summary>Writes logits [batch, S].</summary>
    void Logits(ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, int batch, Span<float> logits);
}

/// <summary>A learned policy evaluated greedily: the present server with the largest logit.</summary>
public sealed class LogitsPolicy(string name, ILogitsModel model, int maxServers) : ISimPolicy
{
    private float[] _logits = [];

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <inheritdoc />
    public bool UsesPreference => true;

    /// <inheritdoc />
    public void Act(IVecEnv env, ReadOnlySpan<float> servers, ReadOnlySpan<float> mask, ReadOnlySpan<float> preference, Span<int> actions)
    {
        ArgumentNullException.ThrowIfNull(env);
        var batch = actions.Length;
        if (_logits.Length != batch * maxServers)
        {
            _logits = new float[batch * maxServers];
        }

        model.Logits(servers, mask, preference, batch, _logits);
        for (var i = 0; i < batch; i++)
        {
            var best = 0;
            var bestValue = float.NegativeInfinity;
            for (var s = 0; s < maxServers; s++)
            {
                if (mask[(i * maxServers) + s] > 0.5f && _logits[(i * maxServers) + s] > bestValue)
                {
                    best = s;
                    bestValue = _logits[(i * maxServers) + s];
                }
            }

            actions[i] = best;
        }
    }
}
