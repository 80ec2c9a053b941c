namespace EdgeAgent.Learning.Simulation.Agent;

/// <summary>
/// How the agent simulator scales each task's delay and device energy into its rewards (and so into
/// the rollout teacher's costs and an evaluation's objectives).
/// </summary>
public enum AgentRewardUnits
{
    /// <summary>
    /// Per model: delay / t_ref(m) and energy / e_ref(m), the model's expected time and energy on the
    /// idle device's fp32 variant, so every model's task run locally on an idle device costs (1, 1);
    /// a millisecond on a 5 ms model weighs like 12 on a 59 ms one.
    /// </summary>
    Model,

    /// <summary>
    /// Per item of the workload mix: delay / T and energy / (T p(m)), where T is the episode's mean
    /// fp32 device time per task over its workload mix (workload weights, mean lines per pipeline)
    /// and p(m) = e_ref(m) / t_ref(m) the device's fp32 power on model m. Every model's second weighs
    /// the same, so an episode's cost is its total delay and energy as an OCR item's end-to-end delay
    /// and joules add them up (the live comparison's units); the energy is joules / (T p) whenever the
    /// device's energy is power x time (the demo's power table, every model alike). Per task it is the
    /// per-model cost times t_ref(m) / T, so the row a one-step cost ranks first and the policy file's
    /// in-graph cost features (gap, share, cheapest: scale-free per task) are the same as with
    /// <see cref="Model"/>; what changes is how tasks of different models weigh against each other over
    /// an episode (returns, the rollout teacher's look-ahead, evaluations).
    /// </summary>
    Item,
}
