using EdgeAgent.Core.Observation;

namespace EdgeAgent.Learning.Simulation;

/// <summary>What one finished episode measured.</summary>
/// <param name="TotalDelaySeconds">Sum over placed tasks of (completion time - decision time), with servers drained after the last decision.</param>
/// <param name="TotalEnergyJoules">Sum over placed tasks of execution plus upload energy.</param>
/// <param name="SumMarginalDelaySeconds">Sum of the per-decision marginal delays (equals the total delay: the reward telescopes).</param>
/// <param name="Tasks">Tasks placed (non-zero size).</param>
/// <param name="Edges">E of the episode's context.</param>
/// <param name="CloudHz">Cloud frequency of the episode's context.</param>
/// <param name="DroppedArrivals">Arrivals lost to a full queue (0 unless the arrival rate is extreme).</param>
/// <remarks>
/// <see cref="DelayCost"/> and <see cref="EnergyCost"/> are the episode's objectives in the rewards'
/// units (minus the sums of the rewards): for the gmorl profiles seconds and joules (the totals
/// themselves), for the agent profile the per-model normalised costs. Fronts, look-ahead and
/// reports that compare with the rewards use them.
/// </remarks>
public readonly record struct EpisodeSummary(double TotalDelaySeconds, double TotalEnergyJoules, double SumMarginalDelaySeconds, int Tasks, int Edges, double CloudHz, int DroppedArrivals)
{
    private readonly double? _delayCost;
    private readonly double? _energyCost;

    /// <summary>The delay objective in the rewards' units (default: <see cref="TotalDelaySeconds"/>).</summary>
    public double DelayCost { get => _delayCost ?? TotalDelaySeconds; init => _delayCost = value; }

    /// <summary>The energy objective in the rewards' units (default: <see cref="TotalEnergyJoules"/>).</summary>
    public double EnergyCost { get => _energyCost ?? TotalEnergyJoules; init => _energyCost = value; }

    /// <summary>Decisions whose delay exceeded their request's deadline (agent profile; 0 elsewhere).</summary>
    public int DeadlineMisses { get; init; }
}

/// <summary>
/// Many independent GMORL environments stepped as a batch (state in flat arrays, one slice per
/// environment and server; no allocation per step). The system model: one cloud and E edge
/// servers (plus the device itself when <see cref="MecParameters.Local"/> is set), U users,
/// Poisson arrivals, exponential sizes clipped to [min, max] with the supply-equals-demand mean
/// sum(f)/eta, one first-in-first-out decision per step (a zero-size task when the queue is
/// empty), Rayleigh fading and distances drawn per episode, processor sharing, energy
/// kappa*eta*f^2*L + p_off*T_off, and the exact marginal delay (own completion time plus the delay
/// caused to tasks on the chosen server, upload time included) as the delay reward.
/// </summary>
/// <remarks>
/// Randomness: each environment has its own stream, drawn from only for exogenous events
/// (context, channels, arrivals, sizes), never for anything an action changes. Two runs from the
/// same episode seed see the same tasks whatever the policy does: common random numbers.
/// </remarks>
public sealed class MecVecEnv : IVecEnv, IExactCost, ISnapshotEnv
{
    private readonly MecParameters _p;
    private readonly int _n;
    private readonly int _s;
    private readonly int _u;
    private readonly int _cap;
    private readonly int _q;
    private readonly int _cloud;
    private readonly int _firstEdge;
    private readonly ulong _seed;

    // Per environment.
    private readonly SimRandom[] _rng;
    private readonly int[] _edges;
    private readonly int[] _present;
    private readonly int[] _step;
    private readonly bool[] _done;
    private readonly double[] _taskBits;
    private readonly int[] _taskUser;
    private readonly double[] _theta;
    private readonly double[] _delayWeight;
    private readonly double[] _sumDecision;
    private readonly double[] _sumFinish;
    private readonly double[] _energy;
    private readonly double[] _marginal;
    private readonly int[] _tasks;
    private readonly int[] _dropped;
    private readonly int[] _qHead;
    private readonly int[] _qCount;
    private readonly double[] _qBits;
    private readonly int[] _qUser;
    private readonly EpisodeSummary[] _last;
    private readonly int[] _episodes;

    // Per environment and server.
    private readonly double[] _hz;
    private readonly double[] _energyPerBit;
    private readonly double[] _rate; // [n, s, u]
    private readonly double[] _time;
    private readonly double[] _service;
    private readonly int[] _count;
    private readonly double[] _marks; // [n, s, cap]
    private readonly int[] _pendCount;
    private readonly double[] _pendTime;
    private readonly double[] _pendBits;

    private readonly double[] _scratchMarks;
    private readonly double[] _scratchTime;
    private readonly double[] _scratchBits;

    /// <summary>Creates <paramref name="count"/> environments and resets each from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">A setting is out of range (named in the message).</exception>
    public MecVecEnv(MecParameters parameters, ContextRange contexts, int count, ulong seed, bool autoReset = true)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(contexts);
        parameters.Validate();
        contexts.Validate(parameters);
        if (count is < 1 or > 1 << 20)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The environment count must be in [1, 1048576].");
        }

        _p = parameters;
        Contexts = contexts;
        AutoReset = autoReset;
        Layout = parameters.CreateLayout();
        Encoder = new ObservationEncoder(Layout);
        _n = count;
        _s = parameters.MaxServers;
        _u = parameters.Users;
        _cap = parameters.StepsPerEpisode + 1;
        _q = (int)Math.Min(1 << 16, (parameters.ArrivalsPerStep * (parameters.StepsPerEpisode + 1) * 3) + 64);
        _cloud = parameters.CloudIndex;
        _firstEdge = parameters.FirstEdgeIndex;
        _seed = seed;

        _rng = new SimRandom[_n];
        _edges = new int[_n];
        _present = new int[_n];
        _step = new int[_n];
        _done = new bool[_n];
        _taskBits = new double[_n];
        _taskUser = new int[_n];
        _theta = new double[_n];
        _delayWeight = new double[_n];
        _sumDecision = new double[_n];
        _sumFinish = new double[_n];
        _energy = new double[_n];
        _marginal = new double[_n];
        _tasks = new int[_n];
        _dropped = new int[_n];
        _qHead = new int[_n];
        _qCount = new int[_n];
        _qBits = new double[_n * _q];
        _qUser = new int[_n * _q];
        _last = new EpisodeSummary[_n];
        _episodes = new int[_n];

        _hz = new double[_n * _s];
        _energyPerBit = new double[_n * _s];
        _rate = new double[_n * _s * _u];
        _time = new double[_n * _s];
        _service = new double[_n * _s];
        _count = new int[_n * _s];
        _marks = new double[_n * _s * _cap];
        _pendCount = new int[_n * _s];
        _pendTime = new double[_n * _s * _cap];
        _pendBits = new double[_n * _s * _cap];

        _scratchMarks = new double[(2 * _cap) + 2];
        _scratchTime = new double[(2 * _cap) + 2];
        _scratchBits = new double[(2 * _cap) + 2];

        for (var i = 0; i < _n; i++)
        {
            _delayWeight[i] = 0.5;
            Reset(i, SimRandom.Mix(seed, (ulong)i));
        }
    }

    /// <summary>The model's constants.</summary>
    public MecParameters Parameters => _p;

    /// <summary>Where contexts are drawn from at each reset.</summary>
    public ContextRange Contexts { get; }

    /// <summary>When true a finished environment starts its next episode inside <see cref="Step(ReadOnlySpan{int}, Span{float}, Span{float}, Span{bool})"/>.</summary>
    public bool AutoReset { get; }

    /// <summary>The observation layout written by <see cref="Observe(Span{float}, Span{float}, Span{float})"/>.</summary>
    public FeatureLayout Layout { get; }

    /// <summary>The shared observation encoder.</summary>
    public ObservationEncoder Encoder { get; }

    /// <summary>N, environments in the batch.</summary>
    public int Count => _n;

    /// <summary>S, rows per observation.</summary>
    public int MaxServers => _s;

    /// <summary>F, features per row.</summary>
    public int FeatureCount => Layout.FeatureCount;

    /// <summary>The profile's name (<see cref="MecParameters.Profile"/>).</summary>
    public string Profile => _p.Profile;

    /// <summary>alpha_T of the scalarised reward (<see cref="MecParameters.DelayRewardScale"/>).</summary>
    public double DelayRewardScale => _p.DelayRewardScale;

    /// <summary>alpha_E of the scalarised reward (<see cref="MecParameters.EnergyRewardScale"/>).</summary>
    public double EnergyRewardScale => _p.EnergyRewardScale;

    /// <summary>A new batch with the same parameters and context ranges.</summary>
    public MecVecEnv CreateLike(int count, ulong seed, bool autoReset) => new(_p, Contexts, count, seed, autoReset);

    /// <inheritdoc />
    IVecEnv IVecEnv.CreateLike(int count, ulong seed, bool autoReset) => CreateLike(count, seed, autoReset);

    /// <summary>True for rows 0..PresentServers-1 (present rows are contiguous in this environment).</summary>
    public bool IsPresent(int env, int server) => server >= 0 && server < _present[env];

    /// <summary>False when no task waits (a zero-size task).</summary>
    public bool HasTask(int env) => _taskBits[env] > 0 && !_done[env];

    /// <summary>Steps taken by all environments since construction.</summary>
    public long TotalSteps { get; private set; }

    /// <summary>Starts a new episode in environment <paramref name="env"/> from <paramref name="episodeSeed"/>: context, distances, fading, first arrivals.</summary>
    public void Reset(int env, ulong episodeSeed)
    {
        CheckEnv(env);
        ref var rng = ref _rng[env];
        rng = new SimRandom(episodeSeed);
        var c = Contexts;
        var e = c.EdgesMin + rng.NextInt(c.EdgesMax - c.EdgesMin + 1);
        _edges[env] = e;
        _present[env] = _firstEdge + e;
        var baseS = env * _s;
        var theta = 0.0;
        for (var s = 0; s < _s; s++)
        {
            var si = baseS + s;
            _time[si] = 0;
            _service[si] = 0;
            _count[si] = 0;
            _pendCount[si] = 0;
            double hz;
            double kappa = _p.Kappa;
            if (s >= _present[env])
            {
                hz = 0;
            }
            else if (_p.Local is { } local && s == 0)
            {
                hz = local.ComputeHz;
                kappa = local.Kappa;
            }
            else if (s == _cloud)
            {
                hz = rng.Uniform(c.CloudHzMin, c.CloudHzMax);
            }
            else
            {
                hz = rng.Uniform(c.EdgeHzMin, c.EdgeHzMax);
            }

            _hz[si] = hz;
            var countsExecution = _p.CountServerExecutionEnergy || (_p.Local is not null && s == 0);
            _energyPerBit[si] = countsExecution ? kappa * _p.CyclesPerBit * hz * hz : 0;
            theta += hz / _p.CyclesPerBit;
        }

        _theta[env] = theta;

        // Channels: distance then Rayleigh fading power (mean 1) per server and user.
        for (var s = 0; s < _s; s++)
        {
            var rbase = (baseS + s) * _u;
            for (var u = 0; u < _u; u++)
            {
                double rate;
                if (s >= _present[env])
                {
                    rate = 0;
                }
                else if (_p.Local is not null && s == 0)
                {
                    rate = double.PositiveInfinity;
                }
                else
                {
                    var d = s == _cloud ? rng.Uniform(_p.CloudDistanceMin, _p.CloudDistanceMax) : rng.Uniform(_p.EdgeDistanceMin, _p.EdgeDistanceMax);
                    var a = rng.NextGaussian();
                    var b = rng.NextGaussian();
                    var fading = 0.5 * ((a * a) + (b * b));
                    rate = ChannelRate.BitsPerSecond(_p, d, fading);
                }

                _rate[rbase + u] = rate;
            }
        }

        _step[env] = 0;
        _done[env] = false;
        _sumDecision[env] = 0;
        _sumFinish[env] = 0;
        _energy[env] = 0;
        _marginal[env] = 0;
        _tasks[env] = 0;
        _dropped[env] = 0;
        _qHead[env] = 0;
        _qCount[env] = 0;
        GenerateArrivals(env);
        NextTask(env);
    }

    /// <summary>Resets every environment from the construction seed (the state right after construction).</summary>
    public void ResetAll()
    {
        for (var i = 0; i < _n; i++)
        {
            Reset(i, SimRandom.Mix(_seed, (ulong)i));
        }
    }

    /// <summary>Replaces the random stream of <paramref name="env"/> (its future arrivals) without touching its state: sampled futures for look-ahead.</summary>
    public void Reseed(int env, ulong seed)
    {
        CheckEnv(env);
        _rng[env] = new SimRandom(seed);
    }

    /// <summary>Sets the preference observed by environment <paramref name="env"/> (w_delay in [0, 1]).</summary>
    public void SetPreference(int env, double delayWeight)
    {
        CheckEnv(env);
        if (!(delayWeight is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delayWeight), delayWeight, "The delay weight must be in [0, 1].");
        }

        _delayWeight[env] = delayWeight;
    }

    /// <summary>The preference (w_delay) of environment <paramref name="env"/>.</summary>
    public double DelayWeight(int env) => _delayWeight[env];

    /// <summary>Writes every environment's observation: servers [N, S, F], mask [N, S], preference [N, 2].</summary>
    public void Observe(Span<float> servers, Span<float> mask, Span<float> preference)
    {
        var sf = _s * FeatureCount;
        if (servers.Length != _n * sf || mask.Length != _n * _s || preference.Length != _n * 2)
        {
            throw new ArgumentException($"Observation buffers must hold N*S*F = {_n * sf}, N*S = {_n * _s} and N*2 = {_n * 2} floats; got {servers.Length}, {mask.Length}, {preference.Length}.");
        }

        for (var i = 0; i < _n; i++)
        {
            Observe(i, servers.Slice(i * sf, sf), mask.Slice(i * _s, _s), preference.Slice(i * 2, 2));
        }
    }

    /// <summary>Writes environment <paramref name="env"/>'s observation: servers [S, F], mask [S], preference [2].</summary>
    public void Observe(int env, Span<float> servers, Span<float> mask, Span<float> preference)
    {
        CheckEnv(env);
        var f = FeatureCount;
        if (servers.Length != _s * f || mask.Length != _s)
        {
            throw new ArgumentException($"Observation buffers must hold S*F = {_s * f} and S = {_s} floats; got {servers.Length} and {mask.Length}.");
        }

        var present = _present[env];
        var bits = _taskBits[env];
        var user = _taskUser[env];
        var active = !_done[env];
        for (var s = 0; s < _s; s++)
        {
            var row = servers.Slice(s * f, f);
            if (s >= present)
            {
                ObservationEncoder.WriteAbsent(row);
                mask[s] = 0f;
                continue;
            }

            var si = (env * _s) + s;
            var n = _count[si];
            Encoder.WriteServer(row, bits, present, active, _hz[si], _rate[(si * _u) + user], IsLocalIndex(s), n,
                _marks.AsSpan(si * _cap, n), _service[si]);
            mask[s] = 1f;
        }

        ObservationEncoder.WritePreference(preference, _delayWeight[env]);
    }

    /// <summary>
    /// Places every environment's current task on the server its action names and advances one
    /// step. Rewards are unscaled costs with a minus sign: delayReward = -(marginal delay, s),
    /// energyReward = -(energy, J); both 0 for a zero-size task. Scalarise with
    /// <see cref="MecParameters.DelayRewardScale"/> and <see cref="MecParameters.EnergyRewardScale"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An action names an absent server.</exception>
    public void Step(ReadOnlySpan<int> actions, Span<float> delayReward, Span<float> energyReward, Span<bool> done)
    {
        if (actions.Length != _n || delayReward.Length != _n || energyReward.Length != _n || done.Length != _n)
        {
            throw new ArgumentException($"Step buffers must each hold N = {_n} values.");
        }

        for (var i = 0; i < _n; i++)
        {
            if (_done[i])
            {
                // Only without AutoReset: a finished environment is left alone (IVecEnv's contract).
                done[i] = true;
                delayReward[i] = 0;
                energyReward[i] = 0;
                continue;
            }

            done[i] = Step(i, actions[i], out var d, out var e);
            delayReward[i] = (float)-d;
            energyReward[i] = (float)-e;
        }
    }

    /// <summary>
    /// Steps environment <paramref name="env"/>: places its current task on <paramref name="action"/>,
    /// returns the task's marginal delay (s) and energy (J), and whether the episode ended (servers
    /// drained; see <see cref="LastEpisode"/>). With <see cref="AutoReset"/> the next episode starts.
    /// </summary>
    public bool Step(int env, int action, out double delayCost, out double energyCost)
    {
        CheckEnv(env);
        if (_done[env])
        {
            throw new InvalidOperationException($"Environment {env} finished its episode; reset it before stepping.");
        }

        var bits = _taskBits[env];
        var now = _step[env] * _p.StepSeconds;
        delayCost = 0;
        energyCost = 0;
        if (action < 0 || action >= _present[env])
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, $"Environment {env} has servers 0..{_present[env] - 1}; action {action} names an absent server.");
        }

        if (bits > 0)
        {
            MarginalCost(env, action, out delayCost, out energyCost);
            var si = (env * _s) + action;
            var rate = _rate[(si * _u) + _taskUser[env]];
            var upload = double.IsPositiveInfinity(rate) ? 0 : bits / rate;
            if (upload <= 0)
            {
                var c = _count[si];
                ProcessorSharing.InsertDescending(_marks.AsSpan(si * _cap, _cap), ref c, _service[si] + bits);
                _count[si] = c;
            }
            else
            {
                var pc = _pendCount[si];
                ProcessorSharing.InsertPending(_pendTime.AsSpan(si * _cap, _cap), _pendBits.AsSpan(si * _cap, _cap), ref pc, now + upload, bits);
                _pendCount[si] = pc;
            }

            _sumDecision[env] += now;
            _energy[env] += energyCost;
            _marginal[env] += delayCost;
            _tasks[env]++;
        }

        _step[env]++;
        TotalSteps++;
        GenerateArrivals(env);
        NextTask(env);
        var until = _step[env] * _p.StepSeconds;
        AdvanceServers(env, until);
        if (_step[env] < _p.StepsPerEpisode)
        {
            return false;
        }

        AdvanceServers(env, double.PositiveInfinity);
        _last[env] = new EpisodeSummary(_sumFinish[env] - _sumDecision[env], _energy[env], _marginal[env], _tasks[env], _edges[env], _hz[(env * _s) + _cloud], _dropped[env]);
        _episodes[env]++;
        _done[env] = true;
        if (AutoReset)
        {
            Reset(env, _rng[env].NextUInt64());
        }

        return true;
    }

    /// <summary>
    /// The exact cost of placing environment <paramref name="env"/>'s current task on <paramref name="server"/>
    /// now, without placing it: the marginal delay (its own completion time, upload included, plus
    /// the delay it adds to every task already on or uploading to that server, under processor
    /// sharing and no further arrivals) and its energy. The simulator's delay reward is this value.
    /// </summary>
    public void MarginalCost(int env, int server, out double delaySeconds, out double energyJoules)
    {
        CheckEnv(env);
        if (server < 0 || server >= _present[env])
        {
            throw new ArgumentOutOfRangeException(nameof(server), server, $"Environment {env} has servers 0..{_present[env] - 1}.");
        }

        var bits = _taskBits[env];
        if (bits <= 0)
        {
            delaySeconds = 0;
            energyJoules = 0;
            return;
        }

        var si = (env * _s) + server;
        var rate = _rate[(si * _u) + _taskUser[env]];
        var upload = double.IsPositiveInfinity(rate) ? 0 : bits / rate;
        var now = _step[env] * _p.StepSeconds;
        var speed = _hz[si] / _p.CyclesPerBit;
        var marks = _marks.AsSpan(si * _cap, _count[si]);
        var pt = _pendTime.AsSpan(si * _cap, _pendCount[si]);
        var pb = _pendBits.AsSpan(si * _cap, _pendCount[si]);
        var without = ProcessorSharing.SumOfCompletionTimes(now, speed, _service[si], marks, pt, pb, 0, 0, _scratchMarks, _scratchTime, _scratchBits);
        var with = ProcessorSharing.SumOfCompletionTimes(now, speed, _service[si], marks, pt, pb, now + upload, bits, _scratchMarks, _scratchTime, _scratchBits);
        delaySeconds = with - without - now;
        var offload = double.IsPositiveInfinity(rate) ? 0 : _p.OffloadPowerWatts * upload;
        energyJoules = (_energyPerBit[si] * bits) + offload;
    }

    /// <summary>True when environment <paramref name="env"/> finished and was not reset (only without <see cref="AutoReset"/>).</summary>
    public bool IsDone(int env) => _done[env];

    /// <summary>Decisions taken in the current episode of <paramref name="env"/>.</summary>
    public int StepIndex(int env) => _step[env];

    /// <summary>Present servers (mask 1) of <paramref name="env"/>: rows 0..PresentServers-1.</summary>
    public int PresentServers(int env) => _present[env];

    /// <summary>E of <paramref name="env"/>'s current episode.</summary>
    public int Edges(int env) => _edges[env];

    /// <summary>Row of the cloud server.</summary>
    public int CloudIndex => _cloud;

    /// <summary>True for the device's own row (a `local` server).</summary>
    public bool IsLocalIndex(int server) => _p.Local is not null && server == 0;

    /// <summary>Size of <paramref name="env"/>'s current task, bits (0 when no task waits).</summary>
    public double TaskBits(int env) => _taskBits[env];

    /// <summary>Compute speed of a server, cycles per second.</summary>
    public double ComputeHz(int env, int server) => _hz[(env * _s) + server];

    /// <summary>Uplink rate from the current task's user to a server, bits per second (+infinity for local).</summary>
    public double UplinkBitsPerSecond(int env, int server) => _rate[(((env * _s) + server) * _u) + _taskUser[env]];

    /// <summary>Tasks executing on a server.</summary>
    public int Executing(int env, int server) => _count[(env * _s) + server];

    /// <summary>Work left on a server (executing residuals plus uploads in flight), bits.</summary>
    public double ResidualBits(int env, int server)
    {
        var si = (env * _s) + server;
        var sum = 0.0;
        var sv = _service[si];
        foreach (var m in _marks.AsSpan(si * _cap, _count[si]))
        {
            sum += m - sv;
        }

        foreach (var b in _pendBits.AsSpan(si * _cap, _pendCount[si]))
        {
            sum += b;
        }

        return sum;
    }

    /// <summary>Mean task size theta of the episode (supply equals demand: sum of f / eta), bits.</summary>
    public double MeanTaskBits(int env) => _theta[env];

    /// <summary>The last finished episode of <paramref name="env"/>.</summary>
    public EpisodeSummary LastEpisode(int env) => _last[env];

    /// <summary>Episodes finished by <paramref name="env"/>.</summary>
    public int EpisodesFinished(int env) => _episodes[env];

    /// <inheritdoc />
    void ISnapshotEnv.CopyState(int env, IVecEnv source, int sourceEnv) =>
        CopyState(env, source as MecVecEnv ?? throw new ArgumentException($"Cannot copy the state of a '{source?.Profile}' environment into a MecVecEnv.", nameof(source)), sourceEnv);

    /// <summary>Copies the whole state of <paramref name="sourceEnv"/> in <paramref name="source"/> into <paramref name="env"/> (same parameters required): look-ahead from a real state.</summary>
    public void CopyState(int env, MecVecEnv source, int sourceEnv)
    {
        ArgumentNullException.ThrowIfNull(source);
        CheckEnv(env);
        source.CheckEnv(sourceEnv);
        if (source._p != _p)
        {
            throw new ArgumentException("Environments must share the same parameters to copy state.", nameof(source));
        }

        _rng[env] = source._rng[sourceEnv];
        _edges[env] = source._edges[sourceEnv];
        _present[env] = source._present[sourceEnv];
        _step[env] = source._step[sourceEnv];
        _done[env] = source._done[sourceEnv];
        _taskBits[env] = source._taskBits[sourceEnv];
        _taskUser[env] = source._taskUser[sourceEnv];
        _theta[env] = source._theta[sourceEnv];
        _delayWeight[env] = source._delayWeight[sourceEnv];
        _sumDecision[env] = source._sumDecision[sourceEnv];
        _sumFinish[env] = source._sumFinish[sourceEnv];
        _energy[env] = source._energy[sourceEnv];
        _marginal[env] = source._marginal[sourceEnv];
        _tasks[env] = source._tasks[sourceEnv];
        _dropped[env] = source._dropped[sourceEnv];
        _qHead[env] = source._qHead[sourceEnv];
        _qCount[env] = source._qCount[sourceEnv];
        Array.Copy(source._qBits, sourceEnv * _q, _qBits, env * _q, _q);
        Array.Copy(source._qUser, sourceEnv * _q, _qUser, env * _q, _q);
        Array.Copy(source._hz, sourceEnv * _s, _hz, env * _s, _s);
        Array.Copy(source._energyPerBit, sourceEnv * _s, _energyPerBit, env * _s, _s);
        Array.Copy(source._rate, sourceEnv * _s * _u, _rate, env * _s * _u, _s * _u);
        Array.Copy(source._time, sourceEnv * _s, _time, env * _s, _s);
        Array.Copy(source._service, sourceEnv * _s, _service, env * _s, _s);
        Array.Copy(source._count, sourceEnv * _s, _count, env * _s, _s);
        Array.Copy(source._pendCount, sourceEnv * _s, _pendCount, env * _s, _s);
        Array.Copy(source._marks, sourceEnv * _s * _cap, _marks, env * _s * _cap, _s * _cap);
        Array.Copy(source._pendTime, sourceEnv * _s * _cap, _pendTime, env * _s * _cap, _s * _cap);
        Array.Copy(source._pendBits, sourceEnv * _s * _cap, _pendBits, env * _s * _cap, _s * _cap);
    }

    /// <summary>
    /// Completion-time sum and energy of the episode so far as if it ended now (servers drained
    /// in a copy; the environment is unchanged). Used by look-ahead baselines.
    /// </summary>
    public (double DelaySeconds, double EnergyJoules) ProjectedTotals(int env)
    {
        CheckEnv(env);
        var sumFinish = _sumFinish[env];
        var now = _step[env] * _p.StepSeconds;
        for (var s = 0; s < _present[env]; s++)
        {
            var si = (env * _s) + s;
            var speed = _hz[si] / _p.CyclesPerBit;
            sumFinish += ProcessorSharing.SumOfCompletionTimes(now, speed, _service[si], _marks.AsSpan(si * _cap, _count[si]),
                _pendTime.AsSpan(si * _cap, _pendCount[si]), _pendBits.AsSpan(si * _cap, _pendCount[si]), 0, 0, _scratchMarks, _scratchTime, _scratchBits);
        }

        return (sumFinish - _sumDecision[env], _energy[env]);
    }

    /// <summary>Test hook: replaces the current task's size (0 = no task), keeping everything else.</summary>
    internal void SetTaskBits(int env, double bits) => _taskBits[env] = bits;

    /// <summary>Test hook: runs every server of <paramref name="env"/> until empty and returns the delay total so far.</summary>
    internal double DrainNow(int env)
    {
        AdvanceServers(env, double.PositiveInfinity);
        return _sumFinish[env] - _sumDecision[env];
    }

    private void AdvanceServers(int env, double until)
    {
        var speedScale = 1.0 / _p.CyclesPerBit;
        for (var s = 0; s < _present[env]; s++)
        {
            var si = (env * _s) + s;
            var c = _count[si];
            var pc = _pendCount[si];
            if (c == 0 && pc == 0)
            {
                _time[si] = double.IsFinite(until) ? until : _time[si];
                continue;
            }

            var t = _time[si];
            var sv = _service[si];
            var sum = _sumFinish[env];
            var finished = 0;
            ProcessorSharing.Run(ref t, until, _hz[si] * speedScale, ref sv, _marks.AsSpan(si * _cap, _cap), ref c,
                _pendTime.AsSpan(si * _cap, _cap), _pendBits.AsSpan(si * _cap, _cap), ref pc, ref sum, ref finished);
            _time[si] = t;
            _service[si] = sv;
            _count[si] = c;
            _pendCount[si] = pc;
            _sumFinish[env] = sum;
        }
    }

    private void GenerateArrivals(int env)
    {
        ref var rng = ref _rng[env];
        var k = rng.Poisson(_p.ArrivalsPerStep);
        for (var j = 0; j < k; j++)
        {
            var size = Math.Clamp(rng.Exponential(_theta[env]), _p.MinTaskBits, _p.MaxTaskBits);
            var user = rng.NextInt(_u);
            if (_qCount[env] >= _q)
            {
                _dropped[env]++;
                continue;
            }

            var slot = (env * _q) + ((_qHead[env] + _qCount[env]) % _q);
            _qBits[slot] = size;
            _qUser[slot] = user;
            _qCount[env]++;
        }
    }

    private void NextTask(int env)
    {
        if (_step[env] >= _p.StepsPerEpisode)
        {
            _taskBits[env] = 0;
            return;
        }

        if (_qCount[env] > 0)
        {
            var slot = (env * _q) + _qHead[env];
            _taskBits[env] = _qBits[slot];
            _taskUser[env] = _qUser[slot];
            _qHead[env] = (_qHead[env] + 1) % _q;
            _qCount[env]--;
        }
        else
        {
            _taskBits[env] = 0;
            _taskUser[env] = _rng[env].NextInt(_u);
        }
    }

    private void CheckEnv(int env)
    {
        if ((uint)env >= (uint)_n)
        {
            throw new ArgumentOutOfRangeException(nameof(env), env, $"Environment index must be in [0, {_n}).");
        }
    }
}
