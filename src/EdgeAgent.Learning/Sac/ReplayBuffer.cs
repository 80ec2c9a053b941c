namespace EdgeAgent.Learning.Sac;

/// <summary>
/// Transitions of N parallel environments stored as struct-of-arrays, one row of N slots per
/// vector step, in a ring of whole vector steps; so the transition k steps after slot (t, env) is
/// (t + k, env), which is what n-step returns need. Rewards stay vectors (delay, energy) and the
/// preference is stored separately, so a transition can be relabelled with another preference.
/// </summary>
public sealed class ReplayBuffer
{
    private readonly int _rowLength;

    /// <summary>Creates an empty buffer of <paramref name="capacity"/> transitions (rounded down to whole vector steps).</summary>
    public ReplayBuffer(int capacity, int environments, int servers, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(environments);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(servers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        Steps = capacity / environments;
        if (Steps < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The replay buffer must hold at least two vector steps.");
        }

        if ((long)Steps * environments * servers * features > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "The replay buffer would exceed the largest array; lower its capacity.");
        }

        Environments = environments;
        Servers = servers;
        Features = features;
        _rowLength = servers * features;
        var slots = Steps * environments;
        States = new float[(long)slots * _rowLength];
        Masks = new float[slots * servers];
        Actions = new int[slots];
        TeacherActions = new int[slots];
        DelayRewards = new float[slots];
        EnergyRewards = new float[slots];
        DelayWeights = new float[slots];
        Done = new bool[slots];
    }

    /// <summary>Vector steps the ring holds.</summary>
    public int Steps { get; }

    /// <summary>N, environments per vector step.</summary>
    public int Environments { get; }

    /// <summary>S, servers per observation.</summary>
    public int Servers { get; }

    /// <summary>F, features per server.</summary>
    public int Features { get; }

    /// <summary>Vector steps ever added.</summary>
    public long Added { get; private set; }

    /// <summary>Transitions held now.</summary>
    public long Count => Math.Min(Added, Steps) * Environments;

    internal float[] States { get; }

    internal float[] Masks { get; }

    internal int[] Actions { get; }

    internal int[] TeacherActions { get; }

    internal float[] DelayRewards { get; }

    internal float[] EnergyRewards { get; }

    internal float[] DelayWeights { get; }

    internal bool[] Done { get; }

    /// <summary>
    /// Appends one vector step: the observations the actions were taken in, the actions, the
    /// greedy teacher's actions (-1 when unknown), the vector rewards, the done flags and the
    /// preferences the environments acted under.
    /// </summary>
    public void Add(ReadOnlySpan<float> states, ReadOnlySpan<float> masks, ReadOnlySpan<int> actions, ReadOnlySpan<int> teacherActions,
        ReadOnlySpan<float> delayRewards, ReadOnlySpan<float> energyRewards, ReadOnlySpan<bool> done, ReadOnlySpan<float> delayWeights)
    {
        var n = Environments;
        if (states.Length != n * _rowLength || masks.Length != n * Servers || actions.Length != n || teacherActions.Length != n
            || delayRewards.Length != n || energyRewards.Length != n || done.Length != n || delayWeights.Length != n)
        {
            throw new ArgumentException($"A vector step holds {n} environments of {Servers} x {Features} features.");
        }

        var row = (int)(Added % Steps);
        var slot = row * n;
        states.CopyTo(States.AsSpan(slot * _rowLength, n * _rowLength));
        masks.CopyTo(Masks.AsSpan(slot * Servers, n * Servers));
        actions.CopyTo(Actions.AsSpan(slot, n));
        teacherActions.CopyTo(TeacherActions.AsSpan(slot, n));
        delayRewards.CopyTo(DelayRewards.AsSpan(slot, n));
        energyRewards.CopyTo(EnergyRewards.AsSpan(slot, n));
        done.CopyTo(Done.AsSpan(slot, n));
        delayWeights.CopyTo(DelayWeights.AsSpan(slot, n));
        Added++;
    }

    /// <summary>Oldest vector step still held.</summary>
    public long OldestStep => Math.Max(0, Added - Steps);

    /// <summary>Slot index of (vector step, environment).</summary>
    public int Slot(long step, int env) => (int)(step % Steps * Environments) + env;

    /// <summary>Copies one stored observation.</summary>
    public void CopyState(int slot, Span<float> servers, Span<float> mask)
    {
        States.AsSpan(slot * _rowLength, _rowLength).CopyTo(servers);
        Masks.AsSpan(slot * Servers, Servers).CopyTo(mask);
    }
}
