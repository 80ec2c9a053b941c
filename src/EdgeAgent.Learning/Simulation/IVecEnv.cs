using EdgeAgent.Core.Observation;

namespace EdgeAgent.Learning.Simulation;

/// <summary>
/// N simulated environments stepped as a batch: what training (<c>Sac</c>), evaluation
/// (<c>Evaluation</c>) and the baselines need of a simulator profile. <see cref="MecVecEnv"/>
/// (gmorl, shannon, gmorl-local) implements it, and so does the agent profile's environment.
/// </summary>
/// <remarks>
/// Present rows (mask 1) need not be contiguous: an action must name a row for which
/// <see cref="IsPresent"/> is true (the mask <see cref="Observe"/> wrote), never "row &lt; count".
/// The scalarised reward of preference w (w_delay) is
/// w * <see cref="DelayRewardScale"/> * delayReward + (1 - w) * <see cref="EnergyRewardScale"/> * energyReward.
/// </remarks>
public interface IVecEnv
{
    /// <summary>N, environments in the batch.</summary>
    int Count { get; }

    /// <summary>S, rows per observation.</summary>
    int MaxServers { get; }

    /// <summary>F, features per row.</summary>
    int FeatureCount { get; }

    /// <summary>The observation layout written by <see cref="Observe"/> (recorded in policy files).</summary>
    FeatureLayout Layout { get; }

    /// <summary>The simulator profile's name ("gmorl", "agent", ...).</summary>
    string Profile { get; }

    /// <summary>When true a finished environment starts its next episode inside <see cref="Step"/>.</summary>
    bool AutoReset { get; }

    /// <summary>alpha_T: the delay reward's factor in the scalarised reward.</summary>
    double DelayRewardScale { get; }

    /// <summary>alpha_E: the energy reward's factor in the scalarised reward.</summary>
    double EnergyRewardScale { get; }

    /// <summary>Sets the preference observed by environment <paramref name="env"/> (w_delay in [0, 1]).</summary>
    void SetPreference(int env, double delayWeight);

    /// <summary>The preference (w_delay) of environment <paramref name="env"/>.</summary>
    double DelayWeight(int env);

    /// <summary>Writes every environment's observation: servers [N, S, F], mask [N, S] (1 present, 0 absent), preference [N, 2].</summary>
    void Observe(Span<float> servers, Span<float> mask, Span<float> preference);

    /// <summary>
    /// Places every environment's current task on the row its action names and advances it to its
    /// next decision. Rewards are costs with a minus sign (delayReward = -seconds, energyReward =
    /// -joules); done[i] is true when environment i's episode ended with this step. An environment
    /// already done (only without <see cref="AutoReset"/>) is left alone: done stays true, both
    /// rewards 0, its action ignored.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An action of an environment that is not done names an absent row.</exception>
    void Step(ReadOnlySpan<int> actions, Span<float> delayReward, Span<float> energyReward, Span<bool> done);

    /// <summary>Starts a new episode in environment <paramref name="env"/> from <paramref name="episodeSeed"/> (context and arrivals; the same seed gives the same episode whatever the actions).</summary>
    void Reset(int env, ulong episodeSeed);

    /// <summary>The last finished episode of <paramref name="env"/>.</summary>
    EpisodeSummary LastEpisode(int env);

    /// <summary>A new batch of the same profile, constants and context ranges: <paramref name="count"/> environments reset from <paramref name="seed"/>.</summary>
    IVecEnv CreateLike(int count, ulong seed, bool autoReset);

    /// <summary>True when <paramref name="env"/> finished its episode and was not reset (only without <see cref="AutoReset"/>).</summary>
    bool IsDone(int env);

    /// <summary>True when row <paramref name="server"/> of <paramref name="env"/> may be chosen now (its mask is 1).</summary>
    bool IsPresent(int env, int server);

    /// <summary>False when no task waits in <paramref name="env"/> (a zero-size task: every action costs nothing and changes nothing), and for an environment that is done.</summary>
    bool HasTask(int env);
}

/// <summary>An environment that can tell the exact cost of a placement without making it (the greedy baseline and teacher).</summary>
public interface IExactCost
{
    /// <summary>
    /// The cost of placing <paramref name="env"/>'s current task on row <paramref name="server"/> now:
    /// the marginal delay (the delay reward's magnitude) and the device energy (the energy reward's magnitude).
    /// </summary>
    void MarginalCost(int env, int server, out double delaySeconds, out double energyJoules);
}

/// <summary>An environment whose state can be copied and whose future re-drawn: look-ahead (the rollout baseline and teacher).</summary>
public interface ISnapshotEnv
{
    /// <summary>Copies the whole state of <paramref name="sourceEnv"/> in <paramref name="source"/> (the same profile and constants) into <paramref name="env"/>.</summary>
    void CopyState(int env, IVecEnv source, int sourceEnv);

    /// <summary>Replaces <paramref name="env"/>'s random stream (its future arrivals) without touching its state: a sampled future.</summary>
    void Reseed(int env, ulong seed);

    /// <summary>Delay and energy totals of <paramref name="env"/>'s episode so far as if it ended now (work in flight drained in a copy; the environment is unchanged).</summary>
    (double DelaySeconds, double EnergyJoules) ProjectedTotals(int env);
}

/// <summary>Helpers over <see cref="IVecEnv"/> shared by training, baselines and evaluation.</summary>
public static class VecEnv
{
    /// <summary>The scalarised cost w * alpha_T * delay + (1 - w) * alpha_E * energy of preference <paramref name="delayWeight"/>.</summary>
    public static double ScalarisedCost(this IVecEnv env, double delayWeight, double delaySeconds, double energyJoules)
    {
        ArgumentNullException.ThrowIfNull(env);
        return (delayWeight * env.DelayRewardScale * delaySeconds) + ((1 - delayWeight) * env.EnergyRewardScale * energyJoules);
    }

    /// <summary>The first row of <paramref name="env"/> that is present now.</summary>
    /// <exception cref="InvalidOperationException">No row is present.</exception>
    public static int FirstPresent(this IVecEnv env, int index)
    {
        ArgumentNullException.ThrowIfNull(env);
        for (var s = 0; s < env.MaxServers; s++)
        {
            if (env.IsPresent(index, s))
            {
                return s;
            }
        }

        throw new InvalidOperationException($"Environment {index} of profile '{env.Profile}' has no present row.");
    }

    /// <summary>A row drawn uniformly among those with mask 1 in <paramref name="mask"/> (one environment's [S] mask).</summary>
    /// <exception cref="InvalidOperationException">No row is present.</exception>
    public static int RandomPresent(ReadOnlySpan<float> mask, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var present = 0;
        foreach (var m in mask)
        {
            present += m > 0.5f ? 1 : 0;
        }

        if (present == 0)
        {
            throw new InvalidOperationException("The observation has no present row.");
        }

        var k = random.Next(present);
        for (var s = 0; s < mask.Length; s++)
        {
            if (mask[s] > 0.5f && k-- == 0)
            {
                return s;
            }
        }

        throw new InvalidOperationException("Unreachable: the present count changed.");
    }

    /// <summary><paramref name="env"/> as <see cref="IExactCost"/>, or an error naming <paramref name="who"/> and the profile.</summary>
    /// <exception cref="ArgumentException">The environment cannot tell exact costs.</exception>
    public static IExactCost RequireExactCost(this IVecEnv env, string who)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env as IExactCost ?? throw new ArgumentException($"{who} needs the exact cost of a placement, which the '{env.Profile}' simulator does not provide.");
    }

    /// <summary><paramref name="env"/> as <see cref="ISnapshotEnv"/>, or an error naming <paramref name="who"/> and the profile.</summary>
    /// <exception cref="ArgumentException">The environment cannot copy its state.</exception>
    public static ISnapshotEnv RequireSnapshots(this IVecEnv env, string who)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env as ISnapshotEnv ?? throw new ArgumentException($"{who} needs copies of the simulator's state, which the '{env.Profile}' simulator does not provide.");
    }

    /// <summary><paramref name="env"/> as <see cref="MecVecEnv"/> (the gmorl model's servers: cloud, edges), or an error naming <paramref name="who"/>.</summary>
    /// <exception cref="ArgumentException">Another profile.</exception>
    public static MecVecEnv RequireMec(this IVecEnv env, string who)
    {
        ArgumentNullException.ThrowIfNull(env);
        return env as MecVecEnv ?? throw new ArgumentException($"{who}: for the gmorl profiles only (gmorl, shannon, gmorl-local), not for '{env.Profile}'.");
    }
}
