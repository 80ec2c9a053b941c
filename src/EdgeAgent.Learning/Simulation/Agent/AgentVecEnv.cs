using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Inference.Execution;

namespace EdgeAgent.Learning.Simulation.Agent;

/// <summary>
/// The agent profile: N environments of what the live agent faces, stepped as a batch (flat arrays,
/// nothing allocated per step, seeded, reproducible, auto-reset). One decision per step, made when
/// a request arrives (or, in a pipeline, when its previous stage's result is back), among:
/// rows 0..2 = the device with its fp32, int8 and mixed variants (all sharing ONE bounded-concurrency
/// FIFO executor), rows 3..10 = peers 0..7 (each a bounded-concurrency FIFO executor shared with
/// background clients, behind a link with round-trip time and up/down bandwidth). Absent rows (a
/// variant not offered, a peer that does not exist or does not serve the model) have mask 0 and
/// may sit between present ones.
/// </summary>
/// <remarks>
/// <para>Dynamics (event by event, exact for the agent's tasks): an upload to a peer waits for the
/// previous upload to that peer to finish (one link, first in first out), takes request bytes x 8 /
/// uplink, then half the round trip; the job joins the peer's FIFO queue and starts on the first
/// free slot; execution is the device's fp32 time / peer speed times the task's jitter; the
/// response takes half the round trip plus response bytes x 8 / downlink. Local jobs join the
/// device's FIFO queue at once. A task takes its place in the executor's FIFO order when it is
/// decided (like a ticket): nothing decided or arriving later overtakes it, so its completion time
/// is fixed when it is placed, the delay of each decision is its exact completion time minus its
/// decision time, and the episode's delay is the sum of the decisions' delays (no drain needed).
/// Background jobs of other clients arrive at each peer as a Poisson process from the peer's own
/// random stream (exponential execution times, the peer's estimate being their mean; dropped when
/// the peer's queue holds 32); one that reaches the peer while an agent task is still on its way
/// queues behind that task's ticket. After a quiet stretch (no agent task on the peer) only the
/// last 20 mean background job times before a decision are simulated, which bounds the cost of a
/// step however far apart decisions are.</para>
/// <para>Energy (this device's, Core's <see cref="DevicePowerTable"/>), as the live agent's
/// Dispatcher prices it: local = the variant's measured joules, else (busy - idle) x actual
/// execution time; offload = radio W x the call's transfer time (the call less the peer's queue
/// and execution and the round trip the agent sees: waiting for the link, upload and download)
/// + wait W x the rest of the call (round trip, the peer's queue and execution).</para>
/// <para>Calibrated contexts add what the live demo does beyond this: the agent's own time per
/// request (<see cref="AgentModelProfile.OverheadLocalSeconds"/>, after the task, in its delay),
/// a pipeline's lines one after another (<see cref="AgentWorkload.SequentialLines"/>), the lines'
/// mean (<see cref="AgentWorkload.LinesMean"/>) and the agent's estimates of each peer's link in
/// the observations (<see cref="AgentPeerProfile.ObservedRoundTripSeconds"/>), the client's cap on
/// jobs in flight (<see cref="AgentContext.MaxJobsInFlight"/>: the demo's driver holds an item back
/// while 8 are in flight, then sends it at once) and the spread of request sizes within an episode
/// (<see cref="AgentContext.SizeClassCount"/>: each job draws a size class, and its tasks' bytes,
/// times and the agent's estimates of them are that class's, so the load is a mix of sizes as in a
/// live run).</para>
/// <para>Rewards (one preference weight meaningful across models): delay cost = delay / t_ref(m),
/// energy cost = energy / e_ref(m), where t_ref(m) and e_ref(m) are the expected execution time
/// and energy of model m on the device's fp32 variant in this episode: running on an idle device
/// costs (1, 1) (<see cref="AgentRewardUnits.Model"/>, the default); with <see cref="AgentRewardUnits.Item"/>
/// delay / T and energy / (T p(m)), every model alike (<see cref="MeanTaskSeconds"/>).
/// <see cref="DelayRewardScale"/> = <see cref="EnergyRewardScale"/> = 1.
/// <see cref="EpisodeSummary"/> gives both the seconds/joules totals and the cost totals
/// (<see cref="EpisodeSummary.DelayCost"/>, <see cref="EpisodeSummary.EnergyCost"/> = minus the
/// sums of the rewards).</para>
/// <para>Observations are written by Core's <see cref="ObservationEncoder.WriteCandidate"/>, the
/// code the live agent's <see cref="ObservationEncoder.Encode"/> calls; the candidate's estimates
/// are those the live ClusterView makes (expected times, not the jittered truth, scaled by a
/// calibrated context's ObservedExecRatio as the agent's own estimates are; residual work = that
/// expected time - elapsed for running tasks, expected for queued ones, as the executors report it).
/// The agent's own request rate (<see cref="OwnRequestRate"/>, the <c>own_request_rate</c> column) is fed at
/// every decision, a request reaching the agent, as the live Dispatcher feeds it at each arrival. The
/// <c>own_followed_in_flight</c> column counts the agent's own requests in flight that a later stage of
/// their page follows (<see cref="FollowedInFlight"/>), as the live agent counts requests its client
/// marks as followed; the <c>own_batch_after</c> column the page's stages ready at the same instant and decided
/// right after this one (<see cref="PendingReadyCount"/>: a page's other lines after its detection, with lines in
/// parallel), as the live agent reads a fan-out's size from the request parameter its client sets.</para>
/// </remarks>
public sealed class AgentVecEnv : IVecEnv, IExactCost, ISnapshotEnv
{
    /// <summary>Profile name.</summary>
    public const string ProfileName = "agent";

    private const int L = LocalVariants.Count;
    private const int P = AgentContext.MaxPeers;
    private const int Q = P + 1; // executors: 0 = the device, 1 + p = peer p
    private const int C = AgentContext.MaxConcurrency;
    private const int M = AgentContext.MaxModels;
    private const int W = AgentContext.MaxWorkloads;
    private const int Jit = 1 + (2 * AgentContext.MaxLines); // jitters per job: stage 0, then 2 per line
    private const int K = AgentContext.MaxSizeClasses;
    private const double BackgroundWarmup = 20; // mean background job times simulated before a decision after a quiet stretch

    private readonly int _n;
    private readonly int _s;
    private readonly int _steps;
    private readonly int _jobCap; // jobs per executor
    private readonly int _pendCap;
    private readonly int _recCap; // job records (pipelines) per env
    private readonly int _bgQueue;
    private readonly ulong _seed;
    private readonly AgentContext _draw = new();

    // Per environment: context.
    private readonly SimRandom[] _rng;   // arrivals
    private readonly SimRandom[] _bgRng; // [n, P] background per peer
    private readonly double[] _power;    // [n, 4] idle, busy, radio, wait
    private readonly int[] _localConc;
    private readonly int[] _modelCount;
    private readonly long[] _req;        // [n, M]
    private readonly long[] _resp;
    private readonly long[] _obsResp;
    private readonly double[] _exec;     // [n, M, L] NaN = absent
    private readonly double[] _obsLocal; // [n, M] observed / true expected device time
    private readonly double[] _obsPeer;  // [n, P, M] observed / true expected time of model m on peer p
    private readonly double[] _obsRtt;   // [n, P] the round trip the agent sees (its estimate), s
    private readonly double[] _obsRate;  // [n, P] the throughput the agent sees (its estimate), bit/s; 0: the true bandwidths
    private readonly double[] _ovLocal;  // [n, M] the agent's own time per local request, s
    private readonly double[] _ovPeer;   // [n, M] the agent's own time per offloaded request, s
    private readonly double[] _joules;   // [n, M, L] NaN = not measured
    private readonly double[] _drop;     // [n, M, L]
    private readonly double[] _deadline; // [n, M]
    private readonly double[] _tRef;     // [n, M]
    private readonly double[] _eRef;     // [n, M]
    private readonly int[] _peerCount;
    private readonly double[] _rtt;      // [n, P]
    private readonly double[] _up;
    private readonly double[] _down;
    private readonly double[] _speed;
    private readonly double[] _pricedRtt; // [n, P, M] the round trip the agent takes off the wire time when pricing radio
    private readonly double[] _peerExec; // [n, P, M] expected exec of model m on peer p, s (device fp32 / speed unless calibrated per model)
    private readonly int[] _served;
    private readonly int[] _slotConc;   // [n, P] peer executor concurrency
    private readonly double[] _bgRate;
    private readonly double[] _bgMeanExec; // [n, P] mean expected exec of background jobs
    private readonly string[] _peerNames; // [n, P]
    private readonly ServerKind[] _peerKinds;
    private readonly string[] _modelNames; // [n, M]
    private readonly int[] _wlCount;
    private readonly int[] _wlStages;   // [n, W, 3]
    private readonly int[] _wlStageCount; // [n, W]
    private readonly int[] _wlLinesMin;
    private readonly int[] _wlLinesMax;
    private readonly double[] _wlLinesMean; // [n, W] 0: uniform lines
    private readonly bool[] _wlSequential;  // [n, W] lines one after another
    private readonly double[] _wlCum;   // [n, W] cumulative weights (normalised)
    private readonly int[] _arrivalKind;
    private readonly double[] _jobRate;
    private readonly double[] _burstMean;
    private readonly double[] _jitterSigma;
    private readonly int[] _maxInFlight; // [n] the client's cap on jobs in flight (0: none)
    private readonly int[] _sizeClasses; // [n] request-size classes (0: none)
    private readonly bool[] _estOn;      // [n] dynamics of the agent's execution-time estimates (AgentContext.DynamicExecEstimates)
    private const int DoneCap = 64;      // finished jobs per peer kept for the load report's snapshot
    private readonly double[] _reportInterval; // [n] the peers' load report interval, s (AgentContext.PeerReportIntervalSeconds; 0: the exact queue)
    private readonly double[] _reportPhase;    // [n, P] time of each peer's first report in the episode, s
    private double[]? _doneArrival;      // [n, Q, DoneCap] jobs pruned (finished) on peers, a ring: a report's snapshot may predate their finish
    private double[]? _doneStart;
    private double[]? _doneFinish;
    private double[]? _doneObserved;
    private int[]? _doneNext;            // [n, Q] jobs ever written to the ring (next slot = count mod DoneCap)
    private readonly int _estCap;        // runs waiting to finish before they reach an estimate, per env
    private ExecTimeEstimate[]? _est;    // [n, Q, M] each executor's estimate of each model (allocated when a context uses it)
    private double[]? _estPendTime;      // [n, estCap] when a placed run finishes (it reaches the estimate then)
    private int[]? _estPendKey;          // [n, estCap] its executor * M + model
    private long[]? _estPendBytes;       // [n, estCap] its input bytes
    private double[]? _estPendMs;        // [n, estCap] its execution time, ms
    private int[]? _estPendCount;        // [n]
    private long[]? _cReq;               // [n, K, M] allocated when a context first has size classes
    private long[]? _cResp;
    private double[]? _cExec;            // [n, K, M, L]
    private double[]? _cObsLocal;        // [n, K, M]
    private double[]? _cPeerExec;        // [n, K, P, M]
    private double[]? _cObsPeer;         // [n, K, P, M]

    // Per environment: dynamic state.
    private readonly double[] _now;
    private readonly OwnRequestRate[] _ownRate; // [n] the agent's own request rate, fed at every decision (a request reaching the agent)
    private readonly double[] _curRate;         // [n] its value when the current decision's request arrived, requests/s
    private readonly int[] _step;
    private readonly bool[] _done;
    private readonly double[] _delayWeight;
    private readonly double[] _nextArrival;
    private readonly int[] _burstLeft;
    private readonly int[] _nextWorkload;   // the pre-drawn next exogenous job
    private readonly int[] _nextLines;
    private readonly int[] _nextClass;      // the next job's size class
    private readonly double[] _nextJitter;  // [n, Jit]
    private readonly int[] _recNext;        // records used
    private readonly int[] _recWorkload;    // [n, recCap]
    private readonly int[] _recLines;
    private readonly int[] _recClass;       // [n, recCap] the job's size class
    private readonly int[] _recLeft;        // [n, recCap] its tasks not yet placed
    private readonly double[] _recDone;     // [n, recCap] the latest completion of its placed tasks
    private readonly double[] _recJitter;   // [n, recCap, Jit]
    private readonly int[] _pendCount;
    private readonly double[] _pendTime;    // [n, pendCap]
    private readonly int[] _pendRec;
    private readonly int[] _pendStage;
    private readonly int[] _pendLine;
    private readonly int[] _curModel;       // current decision
    private readonly int[] _curRec;
    private readonly int[] _curStage;
    private readonly int[] _curLine;
    private readonly int[] _curClass;
    private readonly double[] _curJitter;
    private readonly double[] _sumDelay;
    private readonly double[] _sumEnergy;
    private readonly double[] _sumDelayCost;
    private readonly double[] _sumEnergyCost;
    private readonly int[] _misses;
    private readonly int[] _bgDropped;
    private readonly EpisodeSummary[] _last;
    private readonly AgentTaskOutcome[] _lastTask;
    private readonly int[] _episodes;

    // Per environment and executor.
    private readonly double[] _slotFree;   // [n, Q, C]
    private readonly int[] _jobCount;      // [n, Q]
    private readonly double[] _jobArrival; // [n, Q, jobCap]
    private readonly double[] _jobStart;
    private readonly double[] _jobFinish;
    private readonly double[] _jobExpected;
    private readonly double[] _jobObserved; // [n, Q, jobCap] the expected time as the executor reports it (the agent's estimate)
    private readonly int[] _jobRec;         // [n, Q, jobCap] the agent's job record of the run, -1 for a peer's background job
    private readonly double[] _jobComp;     // [n, Q, jobCap] the agent's run: its task's completion (follow-ups are pending at this time)
    private readonly double[] _jobBack;     // [n, Q, jobCap] the agent's run on a peer: when its answer is back on the device
    private readonly double[] _linkFree;   // [n, P]
    private readonly double[] _bgNext;     // [n, P] next background arrival
    private readonly double[] _bgNextExpected;
    private readonly double[] _bgNextActual;
    private readonly double[] _agentBusyUntil; // [n, P] latest finish of the agent's jobs on the peer
    private readonly int _ownCap;              // own requests in flight per peer
    private readonly int[] _ownCount;          // [n, P] own requests in flight (some may be answered by now: pruned lazily)
    private readonly double[] _ownBack;        // [n, P, ownCap] when each own request's answer is back on the device

    // Scratch (one environment at a time).
    private readonly double[] _resid;      // [Q, jobCap]
    private readonly int[] _running = new int[Q];
    private readonly int[] _queued = new int[Q];
    private readonly double[] _residSum = new double[Q];
    private readonly int[] _residCount = new int[Q];
    private readonly int[] _arriving = new int[Q];
    private readonly double[] _arrivingWork = new double[Q];
    private readonly double[] _rowDelay;
    private readonly double[] _rowEnergy;
    private readonly double[] _doneScratch;

    /// <summary>Creates <paramref name="count"/> environments and resets each from <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">A setting is out of range (named in the message).</exception>
    public AgentVecEnv(AgentContextRange contexts, int count, ulong seed, bool autoReset = true, int stepsPerEpisode = 100, FeatureLayout? layout = null,
        AgentRewardUnits rewardUnits = AgentRewardUnits.Model)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        if (!Enum.IsDefined(rewardUnits))
        {
            throw new ArgumentOutOfRangeException(nameof(rewardUnits), rewardUnits, "Unknown reward units.");
        }

        RewardUnits = rewardUnits;
        if (count is < 1 or > 1 << 16)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "The environment count must be in [1, 65536].");
        }

        if (stepsPerEpisode is < 1 or > 100_000)
        {
            throw new ArgumentOutOfRangeException(nameof(stepsPerEpisode), stepsPerEpisode, "Decisions per episode must be in [1, 100000].");
        }

        Layout = layout ?? FeatureLayout.Agent();
        if (Layout.MaxServers != L + P || !Layout.IsAgentLayout || Layout.HistogramUnit != HistogramUnit.Seconds)
        {
            throw new ArgumentException($"The agent simulator writes agent layouts with S = {L + P} rows; got {Layout.Describe()}.", nameof(layout));
        }

        Contexts = contexts;
        AutoReset = autoReset;
        Encoder = new ObservationEncoder(Layout);
        StepsPerEpisode = stepsPerEpisode;
        _n = count;
        _s = L + P;
        _steps = stepsPerEpisode;
        _bgQueue = 32;
        _jobCap = C + _bgQueue + stepsPerEpisode + 64;
        _pendCap = (stepsPerEpisode * AgentContext.MaxLines) + 8;
        _estCap = stepsPerEpisode + 8;
        _recCap = stepsPerEpisode + 2;
        _seed = seed;

        _rng = new SimRandom[_n];
        _bgRng = new SimRandom[_n * P];
        _power = new double[_n * 4];
        _localConc = new int[_n];
        _modelCount = new int[_n];
        _req = new long[_n * M];
        _resp = new long[_n * M];
        _obsResp = new long[_n * M];
        _exec = new double[_n * M * L];
        _obsLocal = new double[_n * M];
        _obsPeer = new double[_n * P * M];
        _obsRtt = new double[_n * P];
        _obsRate = new double[_n * P];
        _ovLocal = new double[_n * M];
        _ovPeer = new double[_n * M];
        _joules = new double[_n * M * L];
        _drop = new double[_n * M * L];
        _deadline = new double[_n * M];
        _tRef = new double[_n * M];
        _eRef = new double[_n * M];
        _peerCount = new int[_n];
        _rtt = new double[_n * P];
        _up = new double[_n * P];
        _down = new double[_n * P];
        _speed = new double[_n * P];
        _peerExec = new double[_n * P * M];
        _pricedRtt = new double[_n * P * M];
        _served = new int[_n * P];
        _slotConc = new int[_n * P];
        _bgRate = new double[_n * P];
        _bgMeanExec = new double[_n * P];
        _peerNames = new string[_n * P];
        _peerKinds = new ServerKind[_n * P];
        _modelNames = new string[_n * M];
        _wlCount = new int[_n];
        _wlStages = new int[_n * W * 3];
        _wlStageCount = new int[_n * W];
        _wlLinesMin = new int[_n * W];
        _wlLinesMax = new int[_n * W];
        _wlLinesMean = new double[_n * W];
        _wlSequential = new bool[_n * W];
        _wlCum = new double[_n * W];
        _arrivalKind = new int[_n];
        _jobRate = new double[_n];
        _burstMean = new double[_n];
        _jitterSigma = new double[_n];
        _maxInFlight = new int[_n];
        _sizeClasses = new int[_n];
        _estOn = new bool[_n];
        _reportInterval = new double[_n];
        _reportPhase = new double[_n * P];

        _now = new double[_n];
        _ownRate = new OwnRequestRate[_n];
        _curRate = new double[_n];
        _step = new int[_n];
        _done = new bool[_n];
        _delayWeight = new double[_n];
        _nextArrival = new double[_n];
        _burstLeft = new int[_n];
        _nextWorkload = new int[_n];
        _nextLines = new int[_n];
        _nextClass = new int[_n];
        _nextJitter = new double[_n * Jit];
        _recNext = new int[_n];
        _recWorkload = new int[_n * _recCap];
        _recLines = new int[_n * _recCap];
        _recClass = new int[_n * _recCap];
        _recLeft = new int[_n * _recCap];
        _recDone = new double[_n * _recCap];
        _recJitter = new double[_n * _recCap * Jit];
        _pendCount = new int[_n];
        _pendTime = new double[_n * _pendCap];
        _pendRec = new int[_n * _pendCap];
        _pendStage = new int[_n * _pendCap];
        _pendLine = new int[_n * _pendCap];
        _curModel = new int[_n];
        _curRec = new int[_n];
        _curStage = new int[_n];
        _curLine = new int[_n];
        _curClass = new int[_n];
        _curJitter = new double[_n];
        _sumDelay = new double[_n];
        _sumEnergy = new double[_n];
        _sumDelayCost = new double[_n];
        _sumEnergyCost = new double[_n];
        _misses = new int[_n];
        _bgDropped = new int[_n];
        _last = new EpisodeSummary[_n];
        _lastTask = new AgentTaskOutcome[_n];
        _episodes = new int[_n];

        _slotFree = new double[_n * Q * C];
        _jobCount = new int[_n * Q];
        _jobArrival = new double[_n * Q * _jobCap];
        _jobStart = new double[_n * Q * _jobCap];
        _jobFinish = new double[_n * Q * _jobCap];
        _jobExpected = new double[_n * Q * _jobCap];
        _jobObserved = new double[_n * Q * _jobCap];
        _jobRec = new int[_n * Q * _jobCap];
        _jobComp = new double[_n * Q * _jobCap];
        _jobBack = new double[_n * Q * _jobCap];
        _linkFree = new double[_n * P];
        _bgNext = new double[_n * P];
        _bgNextExpected = new double[_n * P];
        _bgNextActual = new double[_n * P];
        _agentBusyUntil = new double[_n * P];
        _ownCap = stepsPerEpisode + 1;
        _ownCount = new int[_n * P];
        _ownBack = new double[_n * P * _ownCap];

        _resid = new double[Q * _jobCap];
        _rowDelay = new double[_s];
        _rowEnergy = new double[_s];
        _doneScratch = new double[_recCap];

        for (var i = 0; i < _n; i++)
        {
            _delayWeight[i] = 0.5;
            Reset(i, SimRandom.Mix(seed, (ulong)i));
        }
    }

    /// <summary>Where contexts come from at each reset.</summary>
    public AgentContextRange Contexts { get; }

    /// <summary>Decisions per episode.</summary>
    public int StepsPerEpisode { get; }

    /// <summary>The shared observation encoder.</summary>
    public ObservationEncoder Encoder { get; }

    /// <inheritdoc />
    public int Count => _n;

    /// <inheritdoc />
    public int MaxServers => _s;

    /// <inheritdoc />
    public int FeatureCount => Layout.FeatureCount;

    /// <inheritdoc />
    public FeatureLayout Layout { get; }

    /// <inheritdoc />
    public string Profile => ProfileName;

    /// <inheritdoc />
    public bool AutoReset { get; }

    /// <summary>1: the delay reward is already normalised (delay / t_ref(m), or / T in item units).</summary>
    public double DelayRewardScale => 1.0;

    /// <summary>1: the energy reward is already normalised (energy / e_ref(m), or / (T p(m)) in item units).</summary>
    public double EnergyRewardScale => 1.0;

    /// <summary>Steps taken by all environments since construction.</summary>
    public long TotalSteps { get; private set; }

    /// <inheritdoc />
    public IVecEnv CreateLike(int count, ulong seed, bool autoReset) => new AgentVecEnv(Contexts, count, seed, autoReset, _steps, Layout, RewardUnits);

    /// <summary>How each task's delay and energy are scaled into the rewards (<see cref="AgentRewardUnits"/>).</summary>
    public AgentRewardUnits RewardUnits { get; }

    /// <inheritdoc />
    public void SetPreference(int env, double delayWeight)
    {
        CheckEnv(env);
        if (!(delayWeight is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delayWeight), delayWeight, "The delay weight must be in [0, 1].");
        }

        _delayWeight[env] = delayWeight;
    }

    /// <inheritdoc />
    public double DelayWeight(int env) => _delayWeight[env];

    /// <inheritdoc />
    public bool IsDone(int env) => _done[env];

    /// <inheritdoc />
    public bool HasTask(int env) => !_done[env];

    /// <inheritdoc />
    public bool IsPresent(int env, int server)
    {
        CheckEnv(env);
        if (_done[env] || (uint)server >= (uint)_s)
        {
            return false;
        }

        var m = _curModel[env];
        if (server < L)
        {
            return !double.IsNaN(_exec[(((env * M) + m) * L) + server]);
        }

        var p = server - L;
        return p < _peerCount[env] && (_served[(env * P) + p] & (1 << m)) != 0;
    }

    /// <inheritdoc />
    public EpisodeSummary LastEpisode(int env) => _last[env];

    /// <summary>The task <paramref name="env"/>'s last <see cref="Step(int, int, out double, out double)"/> placed: its model, row, delay split into queue wait, transfer (upload, round trip, download) and execution, and device energy (eval live compares these terms with the decision log's).</summary>
    public AgentTaskOutcome LastTask(int env) => _lastTask[env];

    /// <summary>Episodes finished by <paramref name="env"/>.</summary>
    public int EpisodesFinished(int env) => _episodes[env];

    /// <summary>Decisions taken in the current episode of <paramref name="env"/>.</summary>
    public int StepIndex(int env) => _step[env];

    /// <summary>Simulated time of <paramref name="env"/>'s current decision, s since the episode started.</summary>
    public double Now(int env) => _now[env];

    /// <summary>Model index of <paramref name="env"/>'s current task.</summary>
    public int CurrentModel(int env) => _curModel[env];

    /// <summary>Peers of <paramref name="env"/>'s current episode.</summary>
    public int PeerCount(int env) => _peerCount[env];

    /// <summary>The reward's units of model <paramref name="model"/> in <paramref name="env"/>'s episode: t_ref and e_ref (<see cref="AgentRewardUnits.Model"/>), or T and T p(m) (<see cref="AgentRewardUnits.Item"/>).</summary>
    public (double Seconds, double Joules) Reference(int env, int model) => (_tRef[(env * M) + model], _eRef[(env * M) + model]);

    /// <inheritdoc />
    public void Reset(int env, ulong episodeSeed)
    {
        CheckEnv(env);
        ref var rng = ref _rng[env];
        rng = new SimRandom(episodeSeed);
        Contexts.Draw(ref rng, _draw); // fixed contexts are validated by AgentContextRange.Fixed; drawn ones are valid by construction
        Load(env, _draw);
        if (_estOn[env])
        {
            ResetEstimates(env, episodeSeed);
        }

        if (_reportInterval[env] > 0)
        {
            // Each peer's reports at its own phase, on a stream of their own (the episode's arrivals and jitters are unchanged).
            var phases = new SimRandom(SimRandom.Mix(episodeSeed, 0x7E7E_0000UL));
            for (var p = 0; p < P; p++)
            {
                _reportPhase[(env * P) + p] = phases.NextDouble() * _reportInterval[env];
            }
        }

        for (var p = 0; p < P; p++)
        {
            _bgRng[(env * P) + p] = new SimRandom(SimRandom.Mix(episodeSeed, 0xB6B6_0000UL + (ulong)p));
        }

        _now[env] = 0;
        _ownRate[env] = default;
        _curRate[env] = 0;
        _step[env] = 0;
        _done[env] = false;
        _burstLeft[env] = 0;
        _recNext[env] = 0;
        _pendCount[env] = 0;
        _sumDelay[env] = 0;
        _sumEnergy[env] = 0;
        _sumDelayCost[env] = 0;
        _sumEnergyCost[env] = 0;
        _misses[env] = 0;
        _bgDropped[env] = 0;
        Array.Clear(_slotFree, env * Q * C, Q * C);
        Array.Clear(_jobCount, env * Q, Q);
        if (_doneNext is not null)
        {
            Array.Clear(_doneNext, env * Q, Q);
        }

        Array.Clear(_linkFree, env * P, P);
        Array.Clear(_agentBusyUntil, env * P, P);
        Array.Clear(_ownCount, env * P, P);
        for (var p = 0; p < P; p++)
        {
            DrawBackground(env, p, 0);
        }

        _nextArrival[env] = 0;
        DrawNextJob(env, first: true);
        NextDecision(env);
    }

    /// <inheritdoc />
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

    /// <summary>Writes environment <paramref name="env"/>'s observation: servers [S, F], mask [S], preference [2] (a finished environment: all rows absent).</summary>
    public void Observe(int env, Span<float> servers, Span<float> mask, Span<float> preference)
    {
        CheckEnv(env);
        var f = FeatureCount;
        if (servers.Length != _s * f || mask.Length != _s)
        {
            throw new ArgumentException($"Observation buffers must hold S*F = {_s * f} and S = {_s} floats; got {servers.Length} and {mask.Length}.");
        }

        ObservationEncoder.WritePreference(preference, _delayWeight[env]);
        if (_done[env])
        {
            ObservationEncoder.WriteAbsent(servers);
            mask.Clear();
            return;
        }

        var task = CurrentTask(env);
        Scan(env);
        var bestDelay = double.PositiveInfinity;
        var bestEnergy = double.PositiveInfinity;
        for (var r = 0; r < _s; r++)
        {
            if (!IsPresent(env, r))
            {
                continue;
            }

            var c = Candidate(env, r);
            _rowDelay[r] = ObservationEncoder.EstimateDelaySeconds(task, c);
            _rowEnergy[r] = EstimatedEnergy(env, r, task, c, _rowDelay[r]);
            bestDelay = Math.Min(bestDelay, _rowDelay[r]);
            bestEnergy = Math.Min(bestEnergy, _rowEnergy[r]);
        }

        for (var r = 0; r < _s; r++)
        {
            var row = servers.Slice(r * f, f);
            if (!IsPresent(env, r))
            {
                ObservationEncoder.WriteAbsent(row);
                mask[r] = 0f;
                continue;
            }

            var c = Candidate(env, r);
            c.EnergyJoules = _rowEnergy[r];
            c.OwnTrafficEnergyJoules = OwnTrafficEnergy(env, r, task, c, _rowEnergy[r]);
            Encoder.WriteCandidate(row, task, c, _rowDelay[r], bestDelay, bestEnergy);
            mask[r] = 1f;
        }
    }

    /// <summary>
    /// <paramref name="env"/>'s current decision situation as the live agent's ClusterView would
    /// present it (rows in the simulator's positions, absent rows unavailable; histograms at the
    /// layout's bin width): for evaluating Core policies (the heuristic) and for checking that the
    /// live encoder gives the simulator's features. Allocates; not for the training loop.
    /// </summary>
    public OffloadObservation CurrentObservation(int env)
    {
        CheckEnv(env);
        if (_done[env])
        {
            throw new InvalidOperationException($"Environment {env} finished its episode; reset it first.");
        }

        var task = CurrentTask(env);
        Scan(env);
        var m = _curModel[env];
        var list = new List<ServerObservation>(_s);
        for (var r = 0; r < _s; r++)
        {
            var present = IsPresent(env, r);
            var q = r < L ? 0 : 1 + (r - L);
            var hist = new double[Layout.HistogramBins];
            for (var k = 0; k < _residCount[q]; k++)
            {
                hist[Encoder.BinOf(_resid[(q * _jobCap) + k])]++;
            }

            var c = Candidate(env, r);
            var delay = present ? ObservationEncoder.EstimateDelaySeconds(task, c) : 0;
            var energy = present ? EstimatedEnergy(env, r, task, c, delay) : 0;
            var ownEnergy = present ? OwnTrafficEnergy(env, r, task, c, energy) : 0;
            var placement = r < L ? (r == 0 ? Placement.Local() : Placement.Local(LocalVariants.Names[r])) : Placement.Peer(PeerName(env, r - L));
            list.Add(new ServerObservation
            {
                Placement = placement,
                Kind = r < L ? ServerKind.Local : _peerKinds[(env * P) + (r - L)],
                Available = present,
                UplinkBitsPerSecond = c.UplinkBitsPerSecond,
                DownlinkBitsPerSecond = c.DownlinkBitsPerSecond,
                RoundTripSeconds = c.RoundTripSeconds,
                ExpectedExecSeconds = double.IsNaN(c.ExpectedExecSeconds) ? 0 : c.ExpectedExecSeconds,
                ComputeSpeed = r < L ? 1.0 : _speed[(env * P) + (r - L)],
                Executing = c.Running,
                Queued = c.Queued,
                MaxConcurrency = c.MaxConcurrency,
                ResidualWorkSeconds = c.ResidualWorkSeconds,
                ResidualWorkHistogram = hist,
                HistogramBinSeconds = Layout.HistogramBinSeconds,
                EstimatedEnergyJoules = energy,
                OwnTrafficEnergyJoules = ownEnergy,
                EnergyProvenance = r < L && !double.IsNaN(_joules[(((env * M) + m) * L) + r]) ? EnergyProvenance.Measured : EnergyProvenance.Modelled,
                AccuracyDropPoints = c.AccuracyDropPoints,
                OwnInFlight = c.OwnInFlight,
                UploadBacklogSeconds = c.UploadBacklogSeconds,
                ArrivingTasks = c.ArrivingTasks,
                ArrivingWorkSeconds = c.ArrivingWorkSeconds,
            });
        }

        var deadline = task.HasDeadline ? new TimeSpan((long)Math.Round(task.DeadlineSeconds * TimeSpan.TicksPerSecond)) : (TimeSpan?)null;
        return new OffloadObservation(new TaskObservation(_modelNames[(env * M) + m], task.RequestBytes, deadline) { ExpectedResponseBytes = task.ResponseBytes, OwnRequestsPerSecond = task.OwnRequestsPerSecond, OwnFollowedInFlight = task.OwnFollowedInFlight, OwnBatchAfter = task.OwnBatchAfter }, list);
    }

    /// <summary>
    /// The row a Core policy (the heuristic, local, peer) chooses for <paramref name="env"/>'s current
    /// task at its preference, deciding on <see cref="CurrentObservation"/> as it would in the agent.
    /// </summary>
    /// <exception cref="InvalidOperationException">The policy chose a placement that is not a present row.</exception>
    public int Decide(int env, IOffloadPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var placement = policy.Decide(CurrentObservation(env), new Preference(_delayWeight[env]));
        var row = RowOf(env, placement);
        if (row < 0 || !IsPresent(env, row))
        {
            throw new InvalidOperationException($"Policy '{policy.Name}' chose {placement}, which is not a present candidate of environment {env}.");
        }

        return row;
    }

    /// <summary>
    /// The row Core's heuristic chooses for <paramref name="env"/>'s current task, as <see cref="Decide"/> with a
    /// <see cref="EdgeAgent.Core.Offloading.Policies.HeuristicPolicy"/> would (the same estimates, the same rule:
    /// <see cref="EdgeAgent.Core.Offloading.Policies.HeuristicPolicy.Choose"/>) without building an observation:
    /// for look-ahead that continues with the heuristic.
    /// </summary>
    public int HeuristicRow(int env)
    {
        CheckEnv(env);
        if (_done[env])
        {
            throw new InvalidOperationException($"Environment {env} finished its episode; reset it first.");
        }

        var task = CurrentTask(env);
        Scan(env);
        Span<double> delay = stackalloc double[_s];
        Span<double> energy = stackalloc double[_s];
        Span<bool> present = stackalloc bool[_s];
        for (var r = 0; r < _s; r++)
        {
            present[r] = IsPresent(env, r);
            if (present[r])
            {
                var c = Candidate(env, r);
                delay[r] = ObservationEncoder.EstimateDelaySeconds(task, c);
                energy[r] = EstimatedEnergy(env, r, task, c, delay[r]);
            }
        }

        // The deadline as the observation carries it (a TimeSpan), so the comparison is the heuristic's own.
        double? deadline = task.HasDeadline ? new TimeSpan((long)Math.Round(task.DeadlineSeconds * TimeSpan.TicksPerSecond)).TotalSeconds : null;
        var row = EdgeAgent.Core.Offloading.Policies.HeuristicPolicy.Choose(delay, energy, present, deadline, new Preference(_delayWeight[env]));
        return row >= 0 ? row : this.FirstPresent(env);
    }

    /// <summary>Row of <paramref name="placement"/> in <paramref name="env"/>'s observation, or -1.</summary>
    public int RowOf(int env, Placement placement)
    {
        if (placement.IsLocal)
        {
            var name = placement.Target is "" or "default" ? "fp32" : placement.Target;
            for (var v = 0; v < L; v++)
            {
                if (LocalVariants.Names[v] == name)
                {
                    return v;
                }
            }

            return -1;
        }

        for (var p = 0; p < _peerCount[env]; p++)
        {
            if (PeerName(env, p) == placement.Target)
            {
                return L + p;
            }
        }

        return -1;
    }

    /// <inheritdoc />
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
    /// Places <paramref name="env"/>'s current task on row <paramref name="action"/>, returns its
    /// delay and energy costs (normalised: delay / t_ref, energy / e_ref) and whether the episode
    /// ended; with <see cref="AutoReset"/> the next episode starts.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The action names an absent row.</exception>
    public bool Step(int env, int action, out double delayCost, out double energyCost)
    {
        CheckEnv(env);
        if (_done[env])
        {
            throw new InvalidOperationException($"Environment {env} finished its episode; reset it before stepping.");
        }

        if (!IsPresent(env, action))
        {
            throw new ArgumentOutOfRangeException(nameof(action), action, $"Environment {env}: row {action} is absent (mask 0) for the current task.");
        }

        var m = _curModel[env];
        Place(env, action, commit: true, out var delay, out var energy, out var completion);
        _lastTask[env] = new AgentTaskOutcome(m, action, delay, _placedQueue, delay - _placedQueue - _placedExec - _placedOverhead, _placedExec, energy) { OverheadSeconds = _placedOverhead };
        delayCost = delay / _tRef[(env * M) + m];
        energyCost = energy / _eRef[(env * M) + m];
        _sumDelay[env] += delay;
        _sumEnergy[env] += energy;
        _sumDelayCost[env] += delayCost;
        _sumEnergyCost[env] += energyCost;
        if (delay > _deadline[(env * M) + m])
        {
            _misses[env]++;
        }

        var ri = (env * _recCap) + _curRec[env];
        _recDone[ri] = Math.Max(_recDone[ri], completion);
        _recLeft[ri]--;
        SpawnFollowUps(env, completion);
        _step[env]++;
        TotalSteps++;
        if (_step[env] < _steps)
        {
            NextDecision(env);
            return false;
        }

        _last[env] = new EpisodeSummary(_sumDelay[env], _sumEnergy[env], _sumDelay[env], _step[env], _peerCount[env], 0, _bgDropped[env])
        {
            DelayCost = _sumDelayCost[env],
            EnergyCost = _sumEnergyCost[env],
            DeadlineMisses = _misses[env],
        };
        _episodes[env]++;
        _done[env] = true;
        if (AutoReset)
        {
            Reset(env, _rng[env].NextUInt64());
        }

        return true;
    }

    /// <summary>
    /// The exact cost of placing <paramref name="env"/>'s current task on row <paramref name="server"/>
    /// now, without placing it: the normalised delay (completion time - now, / t_ref) and energy
    /// (/ e_ref). Step's rewards are exactly these values with a minus sign.
    /// </summary>
    public void MarginalCost(int env, int server, out double delaySeconds, out double energyJoules)
    {
        CheckEnv(env);
        if (!IsPresent(env, server))
        {
            throw new ArgumentOutOfRangeException(nameof(server), server, $"Environment {env}: row {server} is absent (mask 0) for the current task.");
        }

        var m = _curModel[env];
        Place(env, server, commit: false, out var delay, out var energy, out _);
        delaySeconds = delay / _tRef[(env * M) + m];
        energyJoules = energy / _eRef[(env * M) + m];
    }

    /// <summary>
    /// The one-step cost of <see cref="MarginalCost"/> computed with expected instead of realised
    /// execution times: the simulator's exact queues (every job placed, queued or running on each
    /// executor, the agent's own uploads waiting for the link), links and energy model, with this
    /// task and every job ahead of it taking its expected time (a running job its expected time from
    /// its actual start, at least until now). It is the lowest exact one-step cost a scheduler could
    /// compute from what is known at the decision: the realised times (this task's jitter, the
    /// peers' background jobs' exponential times) are known only after the jobs run.
    /// <see cref="MarginalCost"/> (the clairvoyant greedy's) uses them. Equal to it in contexts
    /// without jitter and background load. Nothing is changed.
    /// </summary>
    public void ExpectedMarginalCost(int env, int server, out double delaySeconds, out double energyJoules)
    {
        CheckEnv(env);
        if (!IsPresent(env, server))
        {
            throw new ArgumentOutOfRangeException(nameof(server), server, $"Environment {env}: row {server} is absent (mask 0) for the current task.");
        }

        var m = _curModel[env];
        Place(env, server, commit: false, out var delay, out var energy, out _, expectedTimes: true);
        delaySeconds = delay / _tRef[(env * M) + m];
        energyJoules = energy / _eRef[(env * M) + m];
    }

    /// <summary>The exact delay (s) and energy (J) of placing the current task on row <paramref name="server"/> (unnormalised <see cref="MarginalCost"/>).</summary>
    public (double DelaySeconds, double EnergyJoules) ExactCostUnscaled(int env, int server)
    {
        CheckEnv(env);
        if (!IsPresent(env, server))
        {
            throw new ArgumentOutOfRangeException(nameof(server), server, $"Environment {env}: row {server} is absent (mask 0) for the current task.");
        }

        Place(env, server, commit: false, out var delay, out var energy, out _);
        return (delay, energy);
    }

    /// <inheritdoc />
    public void Reseed(int env, ulong seed)
    {
        CheckEnv(env);
        _rng[env] = new SimRandom(seed);
        for (var p = 0; p < P; p++)
        {
            _bgRng[(env * P) + p] = new SimRandom(SimRandom.Mix(seed, 0xB6B6_0000UL + (ulong)p));
        }
    }

    /// <summary>
    /// Redraws, from <paramref name="env"/>'s current random streams (after <see cref="Reseed"/>: a sampled
    /// future), what the simulator has already drawn but the agent's observation does not carry: the next
    /// exogenous job (its arrival time from now on for Poisson and bursty arrivals, memoryless; the same time
    /// for periodic ones; its workload, lines, size class and execution-time jitters), the current job's number
    /// of lines while its first stage is being decided (the agent learns it from that stage's result), the
    /// realised execution-time jitter of the current task and of every recorded job's stages, and each peer's
    /// next background arrival (from now on, memoryless). A planner on a copy then plans on what the agent can
    /// know (the rollout teacher's <c>--rollout-observed</c>). Not redrawn: the realised remaining times of
    /// background jobs already queued or running on a peer (their schedule would have to be rebuilt; the demo
    /// contexts have no background load).
    /// </summary>
    public void RedrawUnobserved(int env)
    {
        CheckEnv(env);
        if (_done[env])
        {
            return;
        }

        ref var rng = ref _rng[env];
        var sigma = _jitterSigma[env];
        if (sigma > 0)
        {
            _curJitter[env] = Math.Exp((sigma * rng.NextGaussian()) - (0.5 * sigma * sigma));
            // Only jobs with stages still to place use their jitters again.
            var records = Math.Min(_recNext[env], _recCap);
            for (var r = 0; r < records; r++)
            {
                if (_recLeft[(env * _recCap) + r] <= 0)
                {
                    continue;
                }

                var jitter = _recJitter.AsSpan(((env * _recCap) + r) * Jit, Jit);
                for (var k = 0; k < jitter.Length; k++)
                {
                    jitter[k] = Math.Exp((sigma * rng.NextGaussian()) - (0.5 * sigma * sigma));
                }
            }
        }

        if (_curStage[env] == 0)
        {
            var ri = (env * _recCap) + _curRec[env];
            var wl = _recWorkload[ri];
            var stages = _wlStageCount[(env * W) + wl];
            if (stages > 1)
            {
                var lines = DrawLines((env * W) + wl, ref rng);
                _recLines[ri] = lines;
                _recLeft[ri] = 1 + (lines * (stages - 1));
            }
        }

        switch ((ArrivalKind)_arrivalKind[env])
        {
            case ArrivalKind.Periodic:
                _nextArrival[env] -= 1.0 / _jobRate[env];
                break;
            default:
                _nextArrival[env] = _now[env];
                break;
        }

        DrawNextJob(env, first: false);
        for (var p = 0; p < _peerCount[env]; p++)
        {
            if (_bgNext[(env * P) + p] > _now[env])
            {
                DrawBackground(env, p, _now[env]);
            }
        }
    }

    /// <summary>
    /// Redraws, from <paramref name="env"/>'s current random streams (after <see cref="Reseed"/> and
    /// <see cref="RedrawUnobserved"/>: a sampled future), what the simulator has drawn about the current state
    /// that the observation only summarises: (1) the realised times of the runs running or queued on every
    /// executor, the agent's own from their expected times with the context's jitter (a running one given that it
    /// has not finished by now) and a peer's background jobs from their exponential times (memoryless, so a running
    /// one's remaining time is a fresh draw); each executor's FIFO schedule is rebuilt from them, in the order
    /// Admit took the jobs, and what follows from an own run's completion moves with it (its task's follow-up
    /// stages, the answer's time back on the device, its record's latest completion, the execution-time estimate
    /// it feeds); (2) the number of lines of every page whose detection is placed but not finished (the agent
    /// learns it from that stage's result), with its pending classification stages. Nothing the observation
    /// shows changes (counts, expected residual work, own requests in flight, the upload backlog). With jitter 0
    /// and no background load the schedule is the one it was.
    /// </summary>
    public void RedrawRemaining(int env)
    {
        CheckEnv(env);
        if (_done[env])
        {
            return;
        }

        var now = _now[env];
        var sigma = _jitterSigma[env];
        Span<double> free = stackalloc double[C];
        for (var q = 0; q <= _peerCount[env]; q++)
        {
            var conc = q == 0 ? _localConc[env] : _slotConc[(env * P) + q - 1];
            var bgMean = q == 0 ? 0.0 : _bgMeanExec[(env * P) + q - 1];
            ref var rng = ref (q == 0 ? ref _rng[env] : ref _bgRng[(env * P) + q - 1]);
            var qi = (env * Q) + q;
            var b = qi * _jobCap;
            var count = _jobCount[qi];
            free[..conc].Fill(now);
            // One pass in the order Admit took them: with the realised times this rebuilds the schedule Admit made
            // (a slot free by now is as good as free at its old time for anything starting later).
            for (var k = 0; k < count; k++)
            {
                var j = b + k;
                var oldFinish = _jobFinish[j];
                if (oldFinish <= now)
                {
                    continue; // finished (not pruned yet)
                }

                var own = _jobRec[j] >= 0;
                var slot = EarliestSlot(free, conc);
                double start, finish;
                if (_jobStart[j] <= now)
                {
                    start = _jobStart[j];
                    finish = own ? RedrawRunning(ref rng, sigma, start, _jobExpected[j], now, oldFinish) : now + rng.Exponential(bgMean);
                }
                else
                {
                    var actual = own ? _jobExpected[j] * Jitter(ref rng, sigma) : rng.Exponential(bgMean);
                    start = Math.Max(_jobArrival[j], free[slot]);
                    finish = start + actual;
                }

                free[slot] = finish;
                _jobStart[j] = start;
                _jobFinish[j] = finish;
                if (own && finish != oldFinish)
                {
                    MoveOwnRun(env, q, j, oldFinish, finish);
                }
            }

            var sb = qi * C;
            for (var k = 0; k < conc; k++)
            {
                _slotFree[sb + k] = free[k];
            }

            if (q > 0)
            {
                // The latest finish of the agent's runs on the peer (the background's skip rule reads it).
                var busy = _agentBusyUntil[(env * P) + q - 1];
                var latest = double.NegativeInfinity;
                for (var k = 0; k < count; k++)
                {
                    if (_jobRec[b + k] >= 0 && _jobFinish[b + k] > now)
                    {
                        latest = Math.Max(latest, _jobFinish[b + k]);
                    }
                }

                _agentBusyUntil[(env * P) + q - 1] = latest > now ? latest : Math.Min(busy, now);
            }
        }

        RedrawLinesInFlight(env);
    }

    // For tests: executor q's runs not yet pruned, in the order Admit took them (Rec -1: a peer's background job).
    internal (double Arrival, double Start, double Finish, double Expected, int Rec, double Completion)[] Runs(int env, int q)
    {
        var qi = (env * Q) + q;
        var b = qi * _jobCap;
        return [.. Enumerable.Range(0, _jobCount[qi]).Select(k => (_jobArrival[b + k], _jobStart[b + k], _jobFinish[b + k], _jobExpected[b + k], _jobRec[b + k], _jobComp[b + k]))];
    }

    /// <summary>How many later stages of the agent's own pages are pending in <paramref name="env"/> (known follow-ups not yet decided).</summary>
    public int PendingCount(int env)
    {
        CheckEnv(env);
        return _pendCount[env];
    }

    /// <summary>
    /// How many of <paramref name="env"/>'s pending stages are ready now: decided at the current instant after the
    /// current decision (the other lines of a page whose detection just answered).
    /// </summary>
    public int PendingReadyCount(int env)
    {
        CheckEnv(env);
        var pb = env * _pendCap;
        var now = _now[env];
        var n = 0;
        for (var k = 0; k < _pendCount[env]; k++)
        {
            n += _pendTime[pb + k] <= now ? 1 : 0;
        }

        return n;
    }

    // For tests: the pending pipeline stages (when each becomes a decision, its record, stage and line).
    internal (double Time, int Rec, int Stage, int Line)[] Pending(int env)
    {
        var pb = env * _pendCap;
        return [.. Enumerable.Range(0, _pendCount[env]).Select(k => (_pendTime[pb + k], _pendRec[pb + k], _pendStage[pb + k], _pendLine[pb + k]))];
    }

    private static double Jitter(ref SimRandom rng, double sigma) =>
        sigma > 0 ? Math.Exp((sigma * rng.NextGaussian()) - (0.5 * sigma * sigma)) : 1.0;

    // A running run's finish given that it has not finished by now: its expected time with a fresh jitter, drawn
    // until it ends after now (a few tries; the realised finish if none does, which then ends within a few jitters' tail).
    private static double RedrawRunning(ref SimRandom rng, double sigma, double start, double expected, double now, double realised)
    {
        if (sigma <= 0)
        {
            return start + expected;
        }

        for (var attempt = 0; attempt < 32; attempt++)
        {
            var finish = start + (expected * Jitter(ref rng, sigma));
            if (finish > now)
            {
                return finish;
            }
        }

        return realised;
    }

    // An own run's finish moved from oldFinish to newFinish: move what was computed from it by the same amount.
    private void MoveOwnRun(int env, int q, int j, double oldFinish, double newFinish)
    {
        var shift = newFinish - oldFinish;
        var rec = _jobRec[j];
        var oldComp = _jobComp[j];
        var newComp = oldComp + shift;
        _jobComp[j] = newComp;
        var pb = env * _pendCap;
        for (var k = 0; k < _pendCount[env]; k++)
        {
            if (_pendRec[pb + k] == rec && _pendTime[pb + k] == oldComp)
            {
                _pendTime[pb + k] = newComp;
            }
        }

        var ri = (env * _recCap) + rec;
        if (_recDone[ri] == oldComp)
        {
            _recDone[ri] = newComp; // the record's latest completion was this run's (another of its runs may end between: then slightly early)
        }

        if (q > 0)
        {
            var pi = (env * P) + q - 1;
            var oldBack = _jobBack[j];
            _jobBack[j] = oldBack + shift;
            var ob = pi * _ownCap;
            for (var k = 0; k < _ownCount[pi]; k++)
            {
                if (_ownBack[ob + k] == oldBack)
                {
                    _ownBack[ob + k] = oldBack + shift;
                    break;
                }
            }
        }

        if (_estOn[env] && _estPendCount is not null)
        {
            var eb = env * _estCap;
            for (var k = 0; k < _estPendCount[env]; k++)
            {
                if (_estPendTime![eb + k] == oldFinish && _estPendKey![eb + k] / M == q)
                {
                    _estPendTime[eb + k] = newFinish;
                    _estPendMs![eb + k] = (newFinish - _jobStart[j]) * 1000.0;
                    break;
                }
            }
        }
    }

    // Pages whose detection is placed but not finished: the agent does not know their lines yet; draw them again
    // (the jitters of every line are drawn already) and replace the pending classification stages to match.
    private void RedrawLinesInFlight(int env)
    {
        ref var rng = ref _rng[env];
        var now = _now[env];
        var records = Math.Min(_recNext[env], _recCap);
        var pb = env * _pendCap;
        for (var r = 0; r < records; r++)
        {
            var ri = (env * _recCap) + r;
            var wl = _recWorkload[ri];
            var stages = _wlStageCount[(env * W) + wl];
            if (r == _curRec[env] || stages <= 1 || _recLeft[ri] <= 0 || _recLeft[ri] != _recLines[ri] * (stages - 1)
                || _wlLinesMin[(env * W) + wl] == _wlLinesMax[(env * W) + wl])
            {
                continue; // no pipeline, its detection is the current decision, a later stage is placed already, or the lines are certain
            }

            var time = double.NaN;
            var pending = 0;
            var other = false;
            for (var k = 0; k < _pendCount[env]; k++)
            {
                if (_pendRec[pb + k] != r)
                {
                    continue;
                }

                pending++;
                other |= _pendStage[pb + k] != 1 || _pendTime[pb + k] <= now;
                time = _pendTime[pb + k];
            }

            if (pending == 0 || other)
            {
                continue; // not in flight (the detection finished by now: its lines are known)
            }

            var lines = DrawLines((env * W) + wl, ref rng);
            _recLines[ri] = lines;
            _recLeft[ri] = lines * (stages - 1);
            if (_wlSequential[(env * W) + wl])
            {
                continue; // one pending line at a time: the first is pending already
            }

            var w = 0;
            for (var k = 0; k < _pendCount[env]; k++)
            {
                if (_pendRec[pb + k] == r)
                {
                    continue;
                }

                _pendTime[pb + w] = _pendTime[pb + k];
                _pendRec[pb + w] = _pendRec[pb + k];
                _pendStage[pb + w] = _pendStage[pb + k];
                _pendLine[pb + w] = _pendLine[pb + k];
                w++;
            }

            _pendCount[env] = w;
            for (var line = 0; line < lines; line++)
            {
                AddPending(env, time, r, 1, line);
            }
        }
    }

    /// <summary>The cost totals (normalised, the rewards' units) of <paramref name="env"/>'s episode so far; every placed task's delay is already final.</summary>
    public (double DelaySeconds, double EnergyJoules) ProjectedTotals(int env)
    {
        CheckEnv(env);
        return (_sumDelayCost[env], _sumEnergyCost[env]);
    }

    /// <inheritdoc />
    public void CopyState(int env, IVecEnv source, int sourceEnv)
    {
        CheckEnv(env);
        if (source is not AgentVecEnv src || src._steps != _steps)
        {
            throw new ArgumentException($"Cannot copy the state of a '{source?.Profile}' environment into an agent environment with {_steps} decisions per episode.", nameof(source));
        }

        src.CheckEnv(sourceEnv);
        var s = sourceEnv;
        _rng[env] = src._rng[s];
        Array.Copy(src._bgRng, s * P, _bgRng, env * P, P);
        Array.Copy(src._power, s * 4, _power, env * 4, 4);
        _localConc[env] = src._localConc[s];
        _modelCount[env] = src._modelCount[s];
        Array.Copy(src._req, s * M, _req, env * M, M);
        Array.Copy(src._resp, s * M, _resp, env * M, M);
        Array.Copy(src._obsResp, s * M, _obsResp, env * M, M);
        Array.Copy(src._exec, s * M * L, _exec, env * M * L, M * L);
        Array.Copy(src._obsLocal, s * M, _obsLocal, env * M, M);
        Array.Copy(src._obsPeer, s * P * M, _obsPeer, env * P * M, P * M);
        Array.Copy(src._obsRtt, s * P, _obsRtt, env * P, P);
        Array.Copy(src._obsRate, s * P, _obsRate, env * P, P);
        Array.Copy(src._ovLocal, s * M, _ovLocal, env * M, M);
        Array.Copy(src._ovPeer, s * M, _ovPeer, env * M, M);
        Array.Copy(src._joules, s * M * L, _joules, env * M * L, M * L);
        Array.Copy(src._drop, s * M * L, _drop, env * M * L, M * L);
        Array.Copy(src._deadline, s * M, _deadline, env * M, M);
        Array.Copy(src._tRef, s * M, _tRef, env * M, M);
        Array.Copy(src._eRef, s * M, _eRef, env * M, M);
        Array.Copy(src._modelNames, s * M, _modelNames, env * M, M);
        _peerCount[env] = src._peerCount[s];
        Array.Copy(src._rtt, s * P, _rtt, env * P, P);
        Array.Copy(src._up, s * P, _up, env * P, P);
        Array.Copy(src._down, s * P, _down, env * P, P);
        Array.Copy(src._speed, s * P, _speed, env * P, P);
        Array.Copy(src._peerExec, s * P * M, _peerExec, env * P * M, P * M);
        Array.Copy(src._pricedRtt, s * P * M, _pricedRtt, env * P * M, P * M);
        Array.Copy(src._served, s * P, _served, env * P, P);
        Array.Copy(src._slotConc, s * P, _slotConc, env * P, P);
        Array.Copy(src._bgRate, s * P, _bgRate, env * P, P);
        Array.Copy(src._bgMeanExec, s * P, _bgMeanExec, env * P, P);
        Array.Copy(src._peerNames, s * P, _peerNames, env * P, P);
        Array.Copy(src._peerKinds, s * P, _peerKinds, env * P, P);
        _wlCount[env] = src._wlCount[s];
        Array.Copy(src._wlStages, s * W * 3, _wlStages, env * W * 3, W * 3);
        Array.Copy(src._wlStageCount, s * W, _wlStageCount, env * W, W);
        Array.Copy(src._wlLinesMin, s * W, _wlLinesMin, env * W, W);
        Array.Copy(src._wlLinesMax, s * W, _wlLinesMax, env * W, W);
        Array.Copy(src._wlLinesMean, s * W, _wlLinesMean, env * W, W);
        Array.Copy(src._wlSequential, s * W, _wlSequential, env * W, W);
        Array.Copy(src._wlCum, s * W, _wlCum, env * W, W);
        _arrivalKind[env] = src._arrivalKind[s];
        _jobRate[env] = src._jobRate[s];
        _burstMean[env] = src._burstMean[s];
        _jitterSigma[env] = src._jitterSigma[s];
        _maxInFlight[env] = src._maxInFlight[s];
        _sizeClasses[env] = src._sizeClasses[s];
        if (src._cReq is not null)
        {
            EnsureSizeClassArrays();
            Array.Copy(src._cReq, s * K * M, _cReq!, env * K * M, K * M);
            Array.Copy(src._cResp!, s * K * M, _cResp!, env * K * M, K * M);
            Array.Copy(src._cExec!, s * K * M * L, _cExec!, env * K * M * L, K * M * L);
            Array.Copy(src._cObsLocal!, s * K * M, _cObsLocal!, env * K * M, K * M);
            Array.Copy(src._cPeerExec!, s * K * P * M, _cPeerExec!, env * K * P * M, K * P * M);
            Array.Copy(src._cObsPeer!, s * K * P * M, _cObsPeer!, env * K * P * M, K * P * M);
        }

        _now[env] = src._now[s];
        _ownRate[env] = src._ownRate[s];
        _curRate[env] = src._curRate[s];
        _step[env] = src._step[s];
        _done[env] = src._done[s];
        _delayWeight[env] = src._delayWeight[s];
        _nextArrival[env] = src._nextArrival[s];
        _burstLeft[env] = src._burstLeft[s];
        _nextWorkload[env] = src._nextWorkload[s];
        _nextLines[env] = src._nextLines[s];
        _nextClass[env] = src._nextClass[s];
        Array.Copy(src._nextJitter, s * Jit, _nextJitter, env * Jit, Jit);
        _recNext[env] = src._recNext[s];
        Array.Copy(src._recWorkload, s * _recCap, _recWorkload, env * _recCap, _recCap);
        Array.Copy(src._recLines, s * _recCap, _recLines, env * _recCap, _recCap);
        Array.Copy(src._recClass, s * _recCap, _recClass, env * _recCap, _recCap);
        Array.Copy(src._recLeft, s * _recCap, _recLeft, env * _recCap, _recCap);
        Array.Copy(src._recDone, s * _recCap, _recDone, env * _recCap, _recCap);
        Array.Copy(src._recJitter, s * _recCap * Jit, _recJitter, env * _recCap * Jit, _recCap * Jit);
        _pendCount[env] = src._pendCount[s];
        Array.Copy(src._pendTime, s * _pendCap, _pendTime, env * _pendCap, _pendCap);
        Array.Copy(src._pendRec, s * _pendCap, _pendRec, env * _pendCap, _pendCap);
        Array.Copy(src._pendStage, s * _pendCap, _pendStage, env * _pendCap, _pendCap);
        Array.Copy(src._pendLine, s * _pendCap, _pendLine, env * _pendCap, _pendCap);
        _curModel[env] = src._curModel[s];
        _curRec[env] = src._curRec[s];
        _curStage[env] = src._curStage[s];
        _curLine[env] = src._curLine[s];
        _curClass[env] = src._curClass[s];
        _curJitter[env] = src._curJitter[s];
        _sumDelay[env] = src._sumDelay[s];
        _sumEnergy[env] = src._sumEnergy[s];
        _sumDelayCost[env] = src._sumDelayCost[s];
        _sumEnergyCost[env] = src._sumEnergyCost[s];
        _misses[env] = src._misses[s];
        _bgDropped[env] = src._bgDropped[s];
        _last[env] = src._last[s];

        Array.Copy(src._slotFree, s * Q * C, _slotFree, env * Q * C, Q * C);
        Array.Copy(src._jobCount, s * Q, _jobCount, env * Q, Q);
        Array.Copy(src._jobArrival, s * Q * _jobCap, _jobArrival, env * Q * _jobCap, Q * _jobCap);
        Array.Copy(src._jobStart, s * Q * _jobCap, _jobStart, env * Q * _jobCap, Q * _jobCap);
        Array.Copy(src._jobFinish, s * Q * _jobCap, _jobFinish, env * Q * _jobCap, Q * _jobCap);
        Array.Copy(src._jobExpected, s * Q * _jobCap, _jobExpected, env * Q * _jobCap, Q * _jobCap);
        Array.Copy(src._jobObserved, s * Q * _jobCap, _jobObserved, env * Q * _jobCap, Q * _jobCap);
        Array.Copy(src._jobRec, s * Q * _jobCap, _jobRec, env * Q * _jobCap, Q * _jobCap);
        Array.Copy(src._jobComp, s * Q * _jobCap, _jobComp, env * Q * _jobCap, Q * _jobCap);
        Array.Copy(src._jobBack, s * Q * _jobCap, _jobBack, env * Q * _jobCap, Q * _jobCap);
        Array.Copy(src._linkFree, s * P, _linkFree, env * P, P);
        Array.Copy(src._bgNext, s * P, _bgNext, env * P, P);
        Array.Copy(src._bgNextExpected, s * P, _bgNextExpected, env * P, P);
        Array.Copy(src._bgNextActual, s * P, _bgNextActual, env * P, P);
        Array.Copy(src._agentBusyUntil, s * P, _agentBusyUntil, env * P, P);
        Array.Copy(src._ownCount, s * P, _ownCount, env * P, P);
        Array.Copy(src._ownBack, s * P * _ownCap, _ownBack, env * P * _ownCap, P * _ownCap);
        _reportInterval[env] = src._reportInterval[s];
        Array.Copy(src._reportPhase, s * P, _reportPhase, env * P, P);
        if (src._doneNext is not null)
        {
            _doneArrival ??= new double[_n * Q * DoneCap];
            _doneStart ??= new double[_n * Q * DoneCap];
            _doneFinish ??= new double[_n * Q * DoneCap];
            _doneObserved ??= new double[_n * Q * DoneCap];
            _doneNext ??= new int[_n * Q];
            Array.Copy(src._doneArrival!, s * Q * DoneCap, _doneArrival, env * Q * DoneCap, Q * DoneCap);
            Array.Copy(src._doneStart!, s * Q * DoneCap, _doneStart, env * Q * DoneCap, Q * DoneCap);
            Array.Copy(src._doneFinish!, s * Q * DoneCap, _doneFinish, env * Q * DoneCap, Q * DoneCap);
            Array.Copy(src._doneObserved!, s * Q * DoneCap, _doneObserved, env * Q * DoneCap, Q * DoneCap);
            Array.Copy(src._doneNext, s * Q, _doneNext, env * Q, Q);
        }
        else if (_doneNext is not null)
        {
            Array.Clear(_doneNext, env * Q, Q);
        }

        _estOn[env] = src._estOn[s];
        if (src._estOn[s])
        {
            EnsureEstimateArrays();
            for (var i = 0; i < Q * M; i++)
            {
                _est![(env * Q * M) + i].CopyFrom(src._est![(s * Q * M) + i]);
            }

            Array.Copy(src._estPendTime!, s * _estCap, _estPendTime!, env * _estCap, _estCap);
            Array.Copy(src._estPendKey!, s * _estCap, _estPendKey!, env * _estCap, _estCap);
            Array.Copy(src._estPendBytes!, s * _estCap, _estPendBytes!, env * _estCap, _estCap);
            Array.Copy(src._estPendMs!, s * _estCap, _estPendMs!, env * _estCap, _estCap);
            _estPendCount![env] = src._estPendCount![s];
        }
    }

    // ---- context ----

    private void Load(int env, AgentContext c)
    {
        var pw = c.Power;
        _power[(env * 4) + 0] = pw.IdleWatts;
        _power[(env * 4) + 1] = pw.BusyWatts;
        _power[(env * 4) + 2] = pw.RadioWatts;
        _power[(env * 4) + 3] = pw.WaitWatts;
        _localConc[env] = c.LocalConcurrency;
        _modelCount[env] = c.ModelCount;
        for (var m = 0; m < M; m++)
        {
            var mi = (env * M) + m;
            var model = m < c.ModelCount ? c.Models[m] : default;
            _modelNames[mi] = model.Name ?? "";
            _req[mi] = model.RequestBytes;
            _resp[mi] = model.ResponseBytes;
            _obsResp[mi] = model.ObservedResponseBytes > 0 ? model.ObservedResponseBytes : model.ResponseBytes;
            _obsLocal[mi] = model.ObservedExecRatio > 0 && double.IsFinite(model.ObservedExecRatio) ? model.ObservedExecRatio : 1;
            _ovLocal[mi] = m < c.ModelCount ? model.OverheadLocalSeconds : 0;
            _ovPeer[mi] = m < c.ModelCount ? model.OverheadPeerSeconds : 0;
            // Deadlines in whole TimeSpan ticks, as the live agent holds them.
            _deadline[mi] = m < c.ModelCount && double.IsFinite(model.DeadlineSeconds) ? new TimeSpan((long)Math.Round(model.DeadlineSeconds * TimeSpan.TicksPerSecond)).TotalSeconds : double.PositiveInfinity;
            for (var v = 0; v < L; v++)
            {
                var k = (mi * L) + v;
                _exec[k] = m < c.ModelCount ? model.Exec(v) : double.NaN;
                _joules[k] = m < c.ModelCount ? model.Joules(v) : double.NaN;
                _drop[k] = m < c.ModelCount ? model.Drop(v) : 0;
            }

            _tRef[mi] = m < c.ModelCount ? model.ExecFp32 : 1;
            _eRef[mi] = m < c.ModelCount ? Math.Max(1e-9, pw.LocalJoules(model.ExecFp32, double.IsNaN(model.JoulesFp32) ? null : model.JoulesFp32)) : 1;
        }

        if (RewardUnits == AgentRewardUnits.Item)
        {
            // Every model in seconds of the mix's mean fp32 task (T), energy at the model's own fp32 power.
            var perTask = MeanTaskSeconds(c);
            for (var m = 0; m < c.ModelCount; m++)
            {
                var mi = (env * M) + m;
                _eRef[mi] = Math.Max(1e-12, _eRef[mi] * (perTask / _tRef[mi]));
                _tRef[mi] = perTask;
            }
        }

        _peerCount[env] = c.PeerCount;
        for (var p = 0; p < P; p++)
        {
            var pi = (env * P) + p;
            var peer = p < c.PeerCount ? c.Peers[p] : default;
            _peerNames[pi] = peer.Name ?? "";
            _peerKinds[pi] = peer.Kind;
            _rtt[pi] = peer.RoundTripSeconds;
            _up[pi] = peer.UplinkBitsPerSecond;
            _down[pi] = peer.DownlinkBitsPerSecond;
            _speed[pi] = p < c.PeerCount ? peer.Speed : 1;
            for (var m = 0; m < M; m++)
            {
                var own = p < c.PeerCount && m < c.ModelCount ? c.PeerExecSeconds[(p * M) + m] : 0;
                _peerExec[(pi * M) + m] = own > 0 && double.IsFinite(own) ? own : m < c.ModelCount ? c.Models[m].ExecFp32 / _speed[pi] : 1;
                var priced = p < c.PeerCount && m < c.ModelCount ? c.PeerPricedRoundTripSeconds[(p * M) + m] : 0;
                _pricedRtt[(pi * M) + m] = priced > 0 && double.IsFinite(priced) ? priced : peer.ObservedRoundTripSeconds > 0 ? peer.ObservedRoundTripSeconds : peer.RoundTripSeconds;
                var observed = p < c.PeerCount && m < c.ModelCount ? c.PeerObservedExecRatio[(p * M) + m] : 0;
                _obsPeer[(pi * M) + m] = observed > 0 && double.IsFinite(observed) ? observed
                    : peer.ObservedExecRatio > 0 && double.IsFinite(peer.ObservedExecRatio) ? peer.ObservedExecRatio : 1;
            }

            _obsRtt[pi] = peer.ObservedRoundTripSeconds > 0 ? peer.ObservedRoundTripSeconds : peer.RoundTripSeconds;
            _obsRate[pi] = peer.ObservedBitsPerSecond > 0 ? peer.ObservedBitsPerSecond : 0;
            _served[pi] = p < c.PeerCount ? peer.ServedModels : 0;
            _bgMeanExec[pi] = peer.BackgroundMeanExecSeconds;
            _bgRate[pi] = p < c.PeerCount && peer.BackgroundUtilisation > 0 ? peer.BackgroundUtilisation * peer.Concurrency / peer.BackgroundMeanExecSeconds : 0;
            _slotConc[pi] = p < c.PeerCount ? peer.Concurrency : 1;
        }

        _wlCount[env] = c.WorkloadCount;
        var total = 0.0;
        for (var w = 0; w < c.WorkloadCount; w++)
        {
            total += c.Workloads[w].Weight;
        }

        var cum = 0.0;
        for (var w = 0; w < W; w++)
        {
            var wi = (env * W) + w;
            var wl = w < c.WorkloadCount ? c.Workloads[w] : default;
            _wlStageCount[wi] = wl.StageCount;
            _wlStages[(wi * 3) + 0] = wl.Stage0;
            _wlStages[(wi * 3) + 1] = wl.Stage1;
            _wlStages[(wi * 3) + 2] = wl.Stage2;
            _wlLinesMin[wi] = Math.Max(1, wl.LinesMin);
            _wlLinesMax[wi] = Math.Max(Math.Max(1, wl.LinesMin), wl.LinesMax);
            _wlLinesMean[wi] = wl.LinesMean;
            _wlSequential[wi] = wl.SequentialLines;
            cum += w < c.WorkloadCount ? wl.Weight / total : 0;
            _wlCum[wi] = w < c.WorkloadCount - 1 ? cum : 1.0;
        }

        _arrivalKind[env] = (int)c.Arrivals;
        _jobRate[env] = c.JobsPerSecond;
        _burstMean[env] = c.BurstMean;
        _jitterSigma[env] = c.ExecJitterSigma;
        _maxInFlight[env] = c.MaxJobsInFlight;
        _sizeClasses[env] = c.SizeClassCount;
        _estOn[env] = c.DynamicExecEstimates;
        _reportInterval[env] = c.PeerReportIntervalSeconds;
        if (c.PeerReportIntervalSeconds > 0)
        {
            _doneArrival ??= new double[_n * Q * DoneCap];
            _doneStart ??= new double[_n * Q * DoneCap];
            _doneFinish ??= new double[_n * Q * DoneCap];
            _doneObserved ??= new double[_n * Q * DoneCap];
            _doneNext ??= new int[_n * Q];
        }
        if (c.SizeClassCount > 0)
        {
            EnsureSizeClassArrays();
            for (var k = 0; k < c.SizeClassCount; k++)
            {
                for (var m = 0; m < M; m++)
                {
                    var ci = (((env * K) + k) * M) + m;
                    var model = m < c.ModelCount ? c.SizeClassModels[(k * M) + m] : default;
                    _cReq![ci] = model.RequestBytes;
                    _cResp![ci] = model.ResponseBytes;
                    _cObsLocal![ci] = model.ObservedExecRatio > 0 && double.IsFinite(model.ObservedExecRatio) ? model.ObservedExecRatio : 1;
                    for (var v = 0; v < L; v++)
                    {
                        _cExec![(ci * L) + v] = m < c.ModelCount ? model.Exec(v) : double.NaN;
                    }

                    for (var p = 0; p < P; p++)
                    {
                        var pi = (env * P) + p;
                        var cpi = (((((env * K) + k) * P) + p) * M) + m;
                        var x = (((k * P) + p) * M) + m;
                        var own = p < c.PeerCount && m < c.ModelCount ? c.SizeClassPeerExecSeconds[x] : 0;
                        _cPeerExec![cpi] = own > 0 && double.IsFinite(own) ? own : m < c.ModelCount ? model.ExecFp32 / _speed[pi] : 1;
                        var observed = p < c.PeerCount && m < c.ModelCount ? c.SizeClassPeerObservedExecRatio[x] : 0;
                        _cObsPeer![cpi] = observed > 0 && double.IsFinite(observed) ? observed : _obsPeer[(pi * M) + m];
                    }
                }
            }
        }
    }

    private void EnsureSizeClassArrays()
    {
        _cReq ??= new long[_n * K * M];
        _cResp ??= new long[_n * K * M];
        _cExec ??= new double[_n * K * M * L];
        _cObsLocal ??= new double[_n * K * M];
        _cPeerExec ??= new double[_n * K * P * M];
        _cObsPeer ??= new double[_n * K * P * M];
    }

    // The current task's request and response bytes, expected times and the agent's estimates of them:
    // its job's size class when the context has classes, else the model's profile.
    private long ReqOf(int env, int m) => _sizeClasses[env] > 0 ? _cReq![(((env * K) + _curClass[env]) * M) + m] : _req[(env * M) + m];

    private long RespOf(int env, int m) => _sizeClasses[env] > 0 ? _cResp![(((env * K) + _curClass[env]) * M) + m] : _resp[(env * M) + m];

    private double ExecOf(int env, int m, int row) => _sizeClasses[env] > 0 ? _cExec![(((((env * K) + _curClass[env]) * M) + m) * L) + row] : _exec[(((env * M) + m) * L) + row];

    private double ObsLocalOf(int env, int m) => (_sizeClasses[env] > 0 ? _cObsLocal![(((env * K) + _curClass[env]) * M) + m] : _obsLocal[(env * M) + m]) * EstimateFactor(env, 0, m);

    private double PeerExecOf(int env, int p, int m) => _sizeClasses[env] > 0 ? _cPeerExec![(((((env * K) + _curClass[env]) * P) + p) * M) + m] : _peerExec[(((env * P) + p) * M) + m];

    private double ObsPeerOf(int env, int p, int m) => (_sizeClasses[env] > 0 ? _cObsPeer![(((((env * K) + _curClass[env]) * P) + p) * M) + m] : _obsPeer[(((env * P) + p) * M) + m]) * EstimateFactor(env, 1 + p, m);

    // ---- the agent's execution-time estimates (AgentContext.DynamicExecEstimates) ----

    /// <summary>Runs of earlier traffic each estimate holds at an episode's start (ExecTimeEstimate keeps 32).</summary>
    public const int EstimateWarmRuns = ExecTimeEstimate.Capacity;

    // Executor q's estimate of the current task's model m at its size over the expected time (1 with the dynamics off).
    private double EstimateFactor(int env, int q, int m)
    {
        if (!_estOn[env])
        {
            return 1.0;
        }

        var estimate = _est![(((env * Q) + q) * M) + m];
        var expected = q == 0 ? ExecOf(env, m, 0) : PeerExecOf(env, q - 1, m);
        return estimate.Runs > 0 && expected > 0 && double.IsFinite(expected) ? estimate.ExpectedMs(ReqOf(env, m)) / 1000.0 / expected : 1.0;
    }

    /// <summary>
    /// The time (s from the episode's start) of the load report of peer <paramref name="peer"/> that
    /// <paramref name="env"/>'s current observation shows (<see cref="AgentContext.PeerReportIntervalSeconds"/>;
    /// negative before the peer's first report of the episode), or the current time when the context
    /// shows each peer's queue as it is (interval 0).
    /// </summary>
    public double PeerReportTime(int env, int peer)
    {
        CheckEnv(env);
        ArgumentOutOfRangeException.ThrowIfNegative(peer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(peer, P);
        return _reportInterval[env] > 0 ? LastReport(env, peer, _now[env]) : _now[env];
    }

    /// <summary>
    /// The factor (the agent's estimate over the expected time) <paramref name="env"/>'s agent
    /// currently puts on executor <paramref name="executor"/>'s (0 the device, 1 + p peer p) time of
    /// the current task's model at its size: 1 with <see cref="AgentContext.DynamicExecEstimates"/> off.
    /// </summary>
    public double ExecEstimateFactor(int env, int executor)
    {
        CheckEnv(env);
        ArgumentOutOfRangeException.ThrowIfNegative(executor);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(executor, Q);
        if (_estOn[env])
        {
            FlushEstimates(env, _now[env]);
        }

        return EstimateFactor(env, executor, _curModel[env]);
    }

    private void EnsureEstimateArrays()
    {
        if (_est is null)
        {
            _est = new ExecTimeEstimate[_n * Q * M];
            for (var i = 0; i < _est.Length; i++)
            {
                _est[i] = new ExecTimeEstimate();
            }
        }

        _estPendTime ??= new double[_n * _estCap];
        _estPendKey ??= new int[_n * _estCap];
        _estPendBytes ??= new long[_n * _estCap];
        _estPendMs ??= new double[_n * _estCap];
        _estPendCount ??= new int[_n];
    }

    // At an episode's start every estimate of a present model and executor holds 32 earlier runs,
    // each of a size class drawn uniformly and with a jitter drawn as the context's, from a stream of
    // its own (the episode's arrivals and jitters are unchanged), the jitters divided by their
    // recency-weighted mean: the estimate starts at the level the context gives (the run's logged
    // estimates, in eval live) with the spread of runs a live estimate has behind it (a history of
    // identical runs would make its robust scale the 5 % floor and reject the first real runs as
    // outliers), and moves from there with the runs the simulated agent sends. One more run first,
    // which the estimate drops as a session's first.
    private void ResetEstimates(int env, ulong episodeSeed)
    {
        EnsureEstimateArrays();
        var rng = new SimRandom(SimRandom.Mix(episodeSeed, 0xE5E5_0000UL));
        var classes = _sizeClasses[env];
        var sigma = _jitterSigma[env];
        var saved = _curClass[env];
        Span<double> factors = stackalloc double[EstimateWarmRuns + 1];
        for (var q = 0; q < Q; q++)
        {
            for (var m = 0; m < M; m++)
            {
                var estimate = _est![(((env * Q) + q) * M) + m];
                estimate.Clear();
                if (m >= _modelCount[env] || (q > 0 && q - 1 >= _peerCount[env]))
                {
                    continue;
                }

                // Oldest first; the newest run weighs 1, each older one ExecTimeEstimate.Decay times the next.
                double sum = 0, weight = 0, w = 1;
                for (var k = EstimateWarmRuns; k >= 0; k--)
                {
                    factors[k] = sigma > 0 ? Math.Exp((sigma * rng.NextGaussian()) - (0.5 * sigma * sigma)) : 1.0;
                    if (k > 0)
                    {
                        sum += w * factors[k];
                        weight += w;
                        w *= ExecTimeEstimate.Decay;
                    }
                }

                var mean = sum / weight;
                for (var k = 0; k <= EstimateWarmRuns; k++)
                {
                    _curClass[env] = classes > 0 ? rng.NextInt(classes) : 0;
                    var expected = q == 0 ? ExecOf(env, m, 0) : PeerExecOf(env, q - 1, m);
                    if (expected > 0 && double.IsFinite(expected))
                    {
                        estimate.Record(ReqOf(env, m), expected * factors[k] / mean * 1000.0);
                    }
                }
            }
        }

        _curClass[env] = saved;
        _estPendCount![env] = 0;
    }

    // A placed run reaches its executor's estimate when it finishes (in time order).
    private void PushEstimate(int env, int q, int m, double finish, long bytes, double seconds)
    {
        var n = _estPendCount![env];
        if (n == _estCap)
        {
            FlushEstimates(env, double.PositiveInfinity, oldestOnly: true);
            n = _estPendCount[env];
        }

        var b = (env * _estCap) + n;
        _estPendTime![b] = finish;
        _estPendKey![b] = (q * M) + m;
        _estPendBytes![b] = bytes;
        _estPendMs![b] = seconds * 1000.0;
        _estPendCount[env] = n + 1;
    }

    private void FlushEstimates(int env, double now, bool oldestOnly = false)
    {
        var b = env * _estCap;
        while (_estPendCount![env] > 0)
        {
            var n = _estPendCount[env];
            var first = -1;
            for (var k = 0; k < n; k++)
            {
                if (_estPendTime![b + k] <= now && (first < 0 || _estPendTime[b + k] < _estPendTime[b + first]))
                {
                    first = k;
                }
            }

            if (first < 0)
            {
                return;
            }

            _est![(env * Q * M) + _estPendKey![b + first]].Record(_estPendBytes![b + first], _estPendMs![b + first]);
            _estPendTime![b + first] = _estPendTime[b + n - 1];
            _estPendKey[b + first] = _estPendKey[b + n - 1];
            _estPendBytes[b + first] = _estPendBytes[b + n - 1];
            _estPendMs[b + first] = _estPendMs[b + n - 1];
            _estPendCount[env] = n - 1;
            if (oldestOnly)
            {
                return;
            }
        }
    }

    private string PeerName(int env, int p) => _peerNames[(env * P) + p];

    /// <summary>
    /// T of <see cref="AgentRewardUnits.Item"/>: the mean fp32 device time per task of <paramref name="c"/>'s
    /// workload mix, sum over workloads of weight x (stage 0 + mean lines x later stages) over the same
    /// sum of task counts (mean lines: the calibrated mean, else the middle of the range).
    /// </summary>
    public static double MeanTaskSeconds(AgentContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        double seconds = 0, tasks = 0;
        for (var w = 0; w < c.WorkloadCount; w++)
        {
            var wl = c.Workloads[w];
            var min = Math.Max(1, wl.LinesMin);
            var lines = wl.StageCount <= 1 ? 0 : wl.LinesMean > 0 ? wl.LinesMean : (min + Math.Max(min, wl.LinesMax)) / 2.0;
            double Exec(int model) => (uint)model < (uint)c.ModelCount ? c.Models[model].ExecFp32 : 0;
            var perLine = (wl.StageCount > 1 ? Exec(wl.Stage1) : 0) + (wl.StageCount > 2 ? Exec(wl.Stage2) : 0);
            seconds += wl.Weight * (Exec(wl.Stage0) + (lines * perLine));
            tasks += wl.Weight * (1 + (lines * (Math.Min(3, wl.StageCount) - 1)));
        }

        return seconds > 0 && tasks > 0 ? seconds / tasks : 1;
    }

    // ---- arrivals and decisions ----

    // Draws the next exogenous job: its time and everything about it (workload, lines, every stage's jitter),
    // so the main stream's draws never depend on actions.
    private void DrawNextJob(int env, bool first)
    {
        ref var rng = ref _rng[env];
        var t = _nextArrival[env];
        var rate = _jobRate[env];
        switch ((ArrivalKind)_arrivalKind[env])
        {
            case ArrivalKind.Periodic:
                t += first ? 0 : 1.0 / rate;
                break;
            case ArrivalKind.Bursty:
                if (_burstLeft[env] > 0)
                {
                    _burstLeft[env]--;
                    t += rng.Exponential(0.001);
                }
                else
                {
                    var b = _burstMean[env];
                    t += rng.Exponential(b / rate);
                    // Geometric number of further jobs with mean b - 1.
                    var q = (b - 1) / b;
                    var extra = 0;
                    while (extra < 64 && rng.NextDouble() < q)
                    {
                        extra++;
                    }

                    _burstLeft[env] = extra;
                }

                break;
            default:
                t += rng.Exponential(1.0 / rate);
                break;
        }

        _nextArrival[env] = t;
        var u = rng.NextDouble();
        var w = 0;
        while (w < _wlCount[env] - 1 && u >= _wlCum[(env * W) + w])
        {
            w++;
        }

        _nextWorkload[env] = w;
        _nextLines[env] = DrawLines((env * W) + w, ref rng);
        var sigma = _jitterSigma[env];
        for (var k = 0; k < Jit; k++)
        {
            _nextJitter[(env * Jit) + k] = sigma > 0 ? Math.Exp((sigma * rng.NextGaussian()) - (0.5 * sigma * sigma)) : 1.0;
        }

        // Drawn only with classes, so the streams of contexts without them are unchanged.
        _nextClass[env] = _sizeClasses[env] > 0 ? rng.NextInt(_sizeClasses[env]) : 0;
    }

    private int DrawLines(int wi, ref SimRandom rng)
    {
        var linesMean = _wlLinesMean[wi];
        if (linesMean > 0)
        {
            // A calibrated mean: floor(mean) or one more, so the mean is the log's.
            var low = Math.Floor(linesMean);
            var lines = (int)low + (rng.NextDouble() < linesMean - low ? 1 : 0);
            return Math.Clamp(lines, _wlLinesMin[wi], _wlLinesMax[wi]);
        }

        return _wlLinesMin[wi] + rng.NextInt(_wlLinesMax[wi] - _wlLinesMin[wi] + 1);
    }

    // When a job due at `due` may come under the client's cap on jobs in flight: `due` when fewer
    // than the cap are in flight then, else the completion that brings them below it; +infinity
    // while that depends on tasks not yet placed (a pending stage comes first).
    private double Unblocked(int env, double due)
    {
        var cap = _maxInFlight[env];
        if (cap <= 0)
        {
            return due;
        }

        var unknown = 0;
        var finite = 0;
        var count = Math.Min(_recNext[env], _recCap);
        for (var k = 0; k < count; k++)
        {
            var ri = (env * _recCap) + k;
            if (_recLeft[ri] > 0)
            {
                unknown++;
            }
            else if (_recDone[ri] > due)
            {
                _doneScratch[finite++] = _recDone[ri];
            }
        }

        if (unknown + finite < cap)
        {
            return due;
        }

        if (unknown >= cap)
        {
            return double.PositiveInfinity;
        }

        // In flight at t: unknown + #{done > t}; below the cap from the (cap - unknown)-th latest completion on.
        var span = _doneScratch.AsSpan(0, finite);
        span.Sort();
        return span[finite - (cap - unknown)];
    }

    // The next decision: the earliest of the next exogenous arrival and the pending pipeline stages.
    private void NextDecision(int env)
    {
        var pc = _pendCount[env];
        var best = -1;
        var arrival = Unblocked(env, _nextArrival[env]);
        if (double.IsPositiveInfinity(arrival) && pc == 0)
        {
            arrival = _nextArrival[env]; // cannot happen (a job with tasks left has a pending stage); never stall
        }

        var bestTime = arrival;
        for (var k = 0; k < pc; k++)
        {
            var t = _pendTime[(env * _pendCap) + k];
            if (t < bestTime)
            {
                bestTime = t;
                best = k;
            }
        }

        if (best >= 0)
        {
            var pi = (env * _pendCap) + best;
            var rec = _pendRec[pi];
            var stage = _pendStage[pi];
            var line = _pendLine[pi];
            _now[env] = bestTime;
            var wl = _recWorkload[(env * _recCap) + rec];
            _curModel[env] = _wlStages[(((env * W) + wl) * 3) + stage];
            _curRec[env] = rec;
            _curStage[env] = stage;
            _curLine[env] = line;
            _curJitter[env] = _recJitter[(((env * _recCap) + rec) * Jit) + 1 + (2 * line) + (stage - 1)];
            _curClass[env] = _recClass[(env * _recCap) + rec];
            var last = (env * _pendCap) + pc - 1;
            _pendTime[pi] = _pendTime[last];
            _pendRec[pi] = _pendRec[last];
            _pendStage[pi] = _pendStage[last];
            _pendLine[pi] = _pendLine[last];
            _pendCount[env] = pc - 1;
            _curRate[env] = _ownRate[env].Arrive(bestTime);
            AdvanceAllBackground(env);
            return;
        }

        // A new job arrives: record it (pipelines need its later stages), then draw the one after.
        var r = _recNext[env] % _recCap;
        _recNext[env]++;
        _recWorkload[(env * _recCap) + r] = _nextWorkload[env];
        _recLines[(env * _recCap) + r] = _nextLines[env];
        _recClass[(env * _recCap) + r] = _nextClass[env];
        var stages = _wlStageCount[(env * W) + _nextWorkload[env]];
        _recLeft[(env * _recCap) + r] = stages <= 1 ? 1 : 1 + (_nextLines[env] * (stages - 1));
        _recDone[(env * _recCap) + r] = 0;
        Array.Copy(_nextJitter, env * Jit, _recJitter, ((env * _recCap) + r) * Jit, Jit);
        _now[env] = arrival; // later than scheduled when the client's cap held it back; the schedule goes on
        _curClass[env] = _nextClass[env];
        _curModel[env] = _wlStages[((env * W) + _nextWorkload[env]) * 3];
        _curRec[env] = r;
        _curStage[env] = 0;
        _curLine[env] = 0;
        _curJitter[env] = _nextJitter[env * Jit];
        DrawNextJob(env, first: false);
        _curRate[env] = _ownRate[env].Arrive(arrival);
        AdvanceAllBackground(env);
    }

    // Every decision brings every peer's background up to the decision time, whatever the caller
    // then asks (observation, exact costs or neither), so the background never depends on the calls.
    private void AdvanceAllBackground(int env)
    {
        for (var p = 0; p < _peerCount[env]; p++)
        {
            AdvanceBackground(env, p, _now[env]);
        }
    }

    private void SpawnFollowUps(int env, double completion)
    {
        var rec = _curRec[env];
        var wl = _recWorkload[(env * _recCap) + rec];
        var stages = _wlStageCount[(env * W) + wl];
        var sequential = _wlSequential[(env * W) + wl];
        var stage = _curStage[env];
        if (stage + 1 >= stages)
        {
            // A line's last stage: with sequential lines the next line starts now.
            var next = _curLine[env] + 1;
            if (sequential && stage > 0 && next < _recLines[(env * _recCap) + rec])
            {
                AddPending(env, completion, rec, 1, next);
            }

            return;
        }

        if (stage == 0)
        {
            var lines = sequential ? 1 : _recLines[(env * _recCap) + rec];
            for (var line = 0; line < lines; line++)
            {
                AddPending(env, completion, rec, 1, line);
            }
        }
        else
        {
            AddPending(env, completion, rec, stage + 1, _curLine[env]);
        }
    }

    private void AddPending(int env, double time, int rec, int stage, int line)
    {
        var pc = _pendCount[env];
        if (pc >= _pendCap)
        {
            return; // cannot happen within an episode's decisions; a lost follow-up would only shorten a pipeline
        }

        var pi = (env * _pendCap) + pc;
        _pendTime[pi] = time;
        _pendRec[pi] = rec;
        _pendStage[pi] = stage;
        _pendLine[pi] = line;
        _pendCount[env] = pc + 1;
    }

    private TaskState CurrentTask(int env)
    {
        var mi = (env * M) + _curModel[env];
        return new TaskState(ReqOf(env, _curModel[env]), _obsResp[mi], _deadline[mi]) { OwnRequestsPerSecond = _curRate[env], OwnFollowedInFlight = FollowedInFlight(env), OwnBatchAfter = PendingReadyCount(env) }; // what the agent's observation shows
    }

    /// <summary>
    /// The agent's own requests in flight in <paramref name="env"/> (decided, answer not back by now) that
    /// a later stage of their page follows: the live agent's count of requests its client marked as
    /// followed (the <c>own_followed_in_flight</c> column). Each such request put its follow-ups in the
    /// pending list at its completion, so it is one distinct (record, time) there with time after now;
    /// follow-ups due now (answered, not yet decided) are not in flight.
    /// </summary>
    public int FollowedInFlight(int env)
    {
        CheckEnv(env);
        var pb = env * _pendCap;
        var pc = _pendCount[env];
        var now = _now[env];
        var n = 0;
        for (var k = 0; k < pc; k++)
        {
            var t = _pendTime[pb + k];
            if (!(t > now))
            {
                continue;
            }

            var seen = false;
            for (var j = 0; j < k && !seen; j++)
            {
                seen = _pendTime[pb + j] == t && _pendRec[pb + j] == _pendRec[pb + k];
            }

            if (!seen)
            {
                n++;
            }
        }

        return n;
    }

    // ---- executors ----

    // The next background job of peer p: Poisson arrivals and exponential execution times from the peer's own stream.
    private void DrawBackground(int env, int p, double from)
    {
        var pi = (env * P) + p;
        ref var rng = ref _bgRng[pi];
        if (_bgRate[pi] <= 0)
        {
            _bgNext[pi] = double.PositiveInfinity;
            return;
        }

        _bgNext[pi] = from + rng.Exponential(1.0 / _bgRate[pi]);
        _bgNextExpected[pi] = _bgMeanExec[pi];
        _bgNextActual[pi] = rng.Exponential(_bgMeanExec[pi]);
    }

    // Admits peer p's background jobs arriving up to `until` (the current decision time). After a long
    // stretch without the agent's jobs on the peer only the last BackgroundWarmup mean job times are
    // simulated (earlier arrivals are skipped: the queue has forgotten them), so the cost per decision
    // stays bounded however far apart decisions are.
    private void AdvanceBackground(int env, int p, double until)
    {
        var pi = (env * P) + p;
        if (_bgNext[pi] > until)
        {
            return;
        }

        var q = 1 + p;
        var qi = (env * Q) + q;
        var skipTo = until - (BackgroundWarmup * _bgMeanExec[pi]);
        if (_bgNext[pi] < skipTo && _agentBusyUntil[pi] <= skipTo)
        {
            Prune(env, q, skipTo);
            DrawBackground(env, p, skipTo);
        }

        var cap = _slotConc[pi] + _bgQueue;
        while (_bgNext[pi] <= until)
        {
            var a = _bgNext[pi];
            if (_jobCount[qi] >= _jobCap - 1)
            {
                Prune(env, q, a); // nothing finished by a is seen again (decisions only move forward)
            }

            if (_jobCount[qi] < cap || InSystem(env, q, a) < cap)
            {
                Admit(env, q, _slotConc[pi], a, _bgNextActual[pi], _bgNextExpected[pi], _bgNextExpected[pi], commit: true);
            }
            else
            {
                _bgDropped[env]++;
            }

            DrawBackground(env, p, a);
        }
    }

    private int InSystem(int env, int q, double t)
    {
        var qi = (env * Q) + q;
        var n = 0;
        var b = qi * _jobCap;
        for (var k = 0; k < _jobCount[qi]; k++)
        {
            if (_jobArrival[b + k] <= t && _jobFinish[b + k] > t)
            {
                n++;
            }
        }

        return n;
    }

    // The run Admit just added to executor q is the agent's current task: its record, completion and answer time (RedrawRemaining moves them with it).
    private void MarkOwnRun(int env, int q, double completion, double back)
    {
        var qi = (env * Q) + q;
        var b = (qi * _jobCap) + _jobCount[qi] - 1;
        _jobRec[b] = _curRec[env];
        _jobComp[b] = completion;
        _jobBack[b] = back;
    }

    // FIFO with `conc` identical slots: a job arriving (in arrival order) starts on the earliest free slot.
    private double Admit(int env, int q, int conc, double arrival, double actual, double expected, double observed, bool commit)
    {
        var sb = ((env * Q) + q) * C;
        var slot = 0;
        for (var k = 1; k < conc; k++)
        {
            if (_slotFree[sb + k] < _slotFree[sb + slot])
            {
                slot = k;
            }
        }

        var start = Math.Max(arrival, _slotFree[sb + slot]);
        var finish = start + actual;
        if (commit)
        {
            _slotFree[sb + slot] = finish;
            var qi = (env * Q) + q;
            var c = _jobCount[qi];
            if (c >= _jobCap)
            {
                Prune(env, q, Math.Min(arrival, _now[env]));
                c = _jobCount[qi];
            }

            if (c >= _jobCap)
            {
                throw new InvalidOperationException($"Environment {env}: executor {q} holds {c} jobs, its capacity; the episode is longer than the simulator was sized for.");
            }

            var b = (qi * _jobCap) + c;
            _jobArrival[b] = arrival;
            _jobStart[b] = start;
            _jobFinish[b] = finish;
            _jobExpected[b] = expected;
            _jobObserved[b] = observed;
            _jobRec[b] = -1; // Place marks the agent's own runs
            _jobCount[qi] = c + 1;
        }

        return finish;
    }

    // The finish of a job arriving at `arrival` with expected time `expected` at executor q, with every
    // job in it (in FIFO order) taking its expected time: a running one from its actual start (at
    // least until now, since it is still running), a queued one from when a slot frees. Jobs that
    // finished by now are gone (Prune). Admit's schedule with the realised times is not touched.
    private double ExpectedFinish(int env, int q, int conc, double arrival, double expected)
    {
        var now = _now[env];
        Prune(env, q, now);
        Span<double> free = stackalloc double[C];
        for (var k = 0; k < conc; k++)
        {
            free[k] = now;
        }

        var qi = (env * Q) + q;
        var b = qi * _jobCap;
        for (var pass = 0; pass < 2; pass++)
        {
            // Running jobs hold their slots first; then the waiting ones in FIFO order.
            for (var k = 0; k < _jobCount[qi]; k++)
            {
                var running = _jobStart[b + k] <= now;
                if (running != (pass == 0))
                {
                    continue;
                }

                var slot = EarliestSlot(free, conc);
                free[slot] = running
                    ? Math.Max(now, _jobStart[b + k] + _jobExpected[b + k])
                    : Math.Max(_jobArrival[b + k], free[slot]) + _jobExpected[b + k];
            }
        }

        var s = EarliestSlot(free, conc);
        return Math.Max(arrival, free[s]) + expected;
    }

    private static int EarliestSlot(ReadOnlySpan<double> free, int conc)
    {
        var slot = 0;
        for (var k = 1; k < conc; k++)
        {
            if (free[k] < free[slot])
            {
                slot = k;
            }
        }

        return slot;
    }

    // Drops jobs finished by `t` (no later query looks before the current decision time).
    private void Prune(int env, int q, double t)
    {
        var qi = (env * Q) + q;
        var b = qi * _jobCap;
        var c = _jobCount[qi];
        var w = 0;
        var keep = q > 0 && _reportInterval[env] > 0;
        for (var k = 0; k < c; k++)
        {
            if (keep && _jobFinish[b + k] <= t)
            {
                var d = (qi * DoneCap) + (_doneNext![qi] % DoneCap);
                _doneArrival![d] = _jobArrival[b + k];
                _doneStart![d] = _jobStart[b + k];
                _doneFinish![d] = _jobFinish[b + k];
                _doneObserved![d] = _jobObserved[b + k];
                _doneNext[qi]++;
            }

            if (_jobFinish[b + k] > t)
            {
                if (w != k)
                {
                    _jobArrival[b + w] = _jobArrival[b + k];
                    _jobStart[b + w] = _jobStart[b + k];
                    _jobFinish[b + w] = _jobFinish[b + k];
                    _jobExpected[b + w] = _jobExpected[b + k];
                    _jobObserved[b + w] = _jobObserved[b + k];
                    _jobRec[b + w] = _jobRec[b + k];
                    _jobComp[b + w] = _jobComp[b + k];
                    _jobBack[b + w] = _jobBack[b + k];
                }

                w++;
            }
        }

        _jobCount[qi] = w;
    }

    // The task's own completion: exact, since FIFO queues let no later job overtake it.
    // Queue wait and execution time of the last placement Place computed (transfer = delay - both).
    private double _placedQueue;
    private double _placedExec;
    private double _placedOverhead;

    private void Place(int env, int row, bool commit, out double delay, out double energy, out double completion, bool expectedTimes = false)
    {
        var now = _now[env];
        var m = _curModel[env];
        var mi = (env * M) + m;
        var jitter = expectedTimes ? 1.0 : _curJitter[env];
        var pw = new DevicePowerTable(_power[env * 4], _power[(env * 4) + 1], _power[(env * 4) + 2], _power[(env * 4) + 3]);
        if (row < L)
        {
            var expected = ExecOf(env, m, row);
            var actual = expected * jitter;
            var finish = expectedTimes ? ExpectedFinish(env, 0, _localConc[env], now, expected) : Admit(env, 0, _localConc[env], now, actual, expected, expected * ObsLocalOf(env, m), commit);
            _placedOverhead = _ovLocal[mi];
            completion = finish + _placedOverhead;
            delay = completion - now;
            (_placedQueue, _placedExec) = (finish - actual - now, actual);
            if (commit && !expectedTimes && row == 0 && _estOn[env])
            {
                PushEstimate(env, 0, m, finish, ReqOf(env, m), actual);
            }

            if (commit && !expectedTimes)
            {
                MarkOwnRun(env, 0, completion, double.NaN);
            }

            var measured = _joules[(mi * L) + row];
            energy = pw.LocalJoules(actual, double.IsNaN(measured) ? null : measured);
            return;
        }

        var p = row - L;
        var pi = (env * P) + p;
        var reqBytes = ReqOf(env, m);
        var respBytes = RespOf(env, m);
        var upload = reqBytes * 8.0 / _up[pi];
        var download = respBytes * 8.0 / _down[pi];
        var linkStart = Math.Max(now, _linkFree[pi]);
        var arrival = linkStart + upload + (0.5 * _rtt[pi]);
        AdvanceBackground(env, p, now);
        var peerExpected = PeerExecOf(env, p, m);
        var peerFinish = expectedTimes ? ExpectedFinish(env, 1 + p, _slotConc[pi], arrival, peerExpected) : Admit(env, 1 + p, _slotConc[pi], arrival, peerExpected * jitter, peerExpected, peerExpected * ObsPeerOf(env, p, m), commit);
        var back = peerFinish + (0.5 * _rtt[pi]) + download;
        (_placedQueue, _placedExec) = (peerFinish - (peerExpected * jitter) - arrival, peerExpected * jitter);
        if (commit && !expectedTimes && _estOn[env])
        {
            PushEstimate(env, 1 + p, m, peerFinish, reqBytes, peerExpected * jitter);
        }
        _placedOverhead = _ovPeer[mi];
        completion = back + _placedOverhead;
        delay = completion - now;
        // As the agent prices it (Dispatcher): radio for the call's wire time (the call less the peer's
        // queue and execution) less the round trip it estimates, when that leaves at least 1 ms, else the
        // bytes at its throughput estimate; waiting for the rest of the call.
        var call = back - now;
        var wire = call - _placedQueue - _placedExec - _pricedRtt[(pi * M) + m];
        var radioTime = wire >= 0.001
            ? Math.Min(wire, call)
            : Math.Min(call, _obsRate[pi] > 0 ? (reqBytes + respBytes) * 8.0 / _obsRate[pi] : upload + download);
        energy = pw.OffloadJoules(radioTime, call - radioTime);
        if (commit)
        {
            _linkFree[pi] = linkStart + upload;
            _agentBusyUntil[pi] = Math.Max(_agentBusyUntil[pi], peerFinish);
            var own = PruneOwn(pi, now);
            if (own >= _ownCap)
            {
                throw new InvalidOperationException($"Environment {env}: {own} of the agent's requests are in flight to peer {p}, the simulator's capacity.");
            }

            _ownBack[(pi * _ownCap) + own] = back;
            _ownCount[pi] = own + 1;
            if (!expectedTimes)
            {
                MarkOwnRun(env, 1 + p, completion, back);
            }
        }
    }

    // ---- observation ----

    // Counts and residual work of every executor at the current decision time, as the executors report them.
    private void Scan(int env)
    {
        var now = _now[env];
        if (_estOn[env])
        {
            FlushEstimates(env, now);
        }

        for (var q = 0; q < Q; q++)
        {
            if (q > 0)
            {
                if (q - 1 >= _peerCount[env])
                {
                    _running[q] = _queued[q] = _residCount[q] = 0;
                    _residSum[q] = 0;
                    continue;
                }

                AdvanceBackground(env, q - 1, now);
            }

            Prune(env, q, now);
            var qi = (env * Q) + q;
            var b = qi * _jobCap;
            int running = 0, queued = 0, n = 0, arriving = 0;
            double sum = 0.0, arrivingWork = 0.0;
            if (q > 0 && _reportInterval[env] > 0)
            {
                // The peer's queue as its last load report showed it (AgentContext.PeerReportIntervalSeconds).
                var at = LastReport(env, q - 1, now);
                for (var k = 0; k < _jobCount[qi]; k++)
                {
                    if (_jobArrival[b + k] > now)
                    {
                        arriving++;
                        arrivingWork += _jobObserved[b + k];
                    }
                    else if (_jobArrival[b + k] <= at)
                    {
                        Snapshot(_jobStart[b + k], _jobObserved[b + k], at, (q * _jobCap) + n++, ref running, ref queued, ref sum);
                    }
                }

                var d = qi * DoneCap;
                for (var k = Math.Min(_doneNext![qi], DoneCap) - 1; k >= 0; k--)
                {
                    if (_doneArrival![d + k] <= at && _doneFinish![d + k] > at && n < _jobCap)
                    {
                        Snapshot(_doneStart![d + k], _doneObserved![d + k], at, (q * _jobCap) + n++, ref running, ref queued, ref sum);
                    }
                }

                _running[q] = running;
                _queued[q] = queued;
                _arriving[q] = arriving;
                _arrivingWork[q] = arrivingWork;
                _residCount[q] = n;
                _residSum[q] = sum;
                continue;
            }

            for (var k = 0; k < _jobCount[qi]; k++)
            {
                if (_jobArrival[b + k] > now)
                {
                    // Still on its way to the peer (only the agent's own jobs arrive in the future):
                    // the peer does not know it yet, the agent does.
                    arriving++;
                    arrivingWork += _jobObserved[b + k];
                    continue;
                }

                double residual;
                if (_jobStart[b + k] <= now)
                {
                    running++;
                    residual = Math.Max(0, _jobObserved[b + k] - (now - _jobStart[b + k]));
                }
                else
                {
                    queued++;
                    residual = _jobObserved[b + k];
                }

                _resid[(q * _jobCap) + n++] = residual;
                sum += residual;
            }

            _running[q] = running;
            _queued[q] = queued;
            _arriving[q] = arriving;
            _arrivingWork[q] = arrivingWork;
            _residCount[q] = n;
            _residSum[q] = sum;
        }
    }

    // The time of the last load report of peer p that has reached the agent by `now`: reports every
    // interval from the peer's phase, each arriving half a round trip after its snapshot.
    private double LastReport(int env, int p, double now)
    {
        var pi = (env * P) + p;
        var interval = _reportInterval[env];
        var phase = _reportPhase[pi];
        var seen = now - (0.5 * _rtt[pi]) - phase;
        return phase + (Math.Floor(seen / interval) * interval);
    }

    // One task in a load report's snapshot taken at `at`, as the peer's executor reports it: running
    // (started by then) with its expected time less what it had run, else queued with its expected time.
    private void Snapshot(double start, double observed, double at, int slot, ref int running, ref int queued, ref double sum)
    {
        double residual;
        if (start <= at)
        {
            running++;
            residual = Math.Max(0, observed - (at - start));
        }
        else
        {
            queued++;
            residual = observed;
        }

        _resid[slot] = residual;
        sum += residual;
    }

    // The candidate as the live ClusterView would describe it (after Scan).
    private CandidateState Candidate(int env, int row)
    {
        var m = _curModel[env];
        var mi = (env * M) + m;
        if (row < L)
        {
            return new CandidateState
            {
                IsLocal = true,
                IsQuantizedVariant = row > 0,
                AccuracyDropPoints = _drop[(mi * L) + row],
                RoundTripSeconds = 0,
                UplinkBitsPerSecond = double.PositiveInfinity,
                DownlinkBitsPerSecond = double.PositiveInfinity,
                ExpectedExecSeconds = ExecOf(env, m, row) * ObsLocalOf(env, m),
                Running = _running[0],
                Queued = _queued[0],
                MaxConcurrency = _localConc[env],
                ResidualWorkSeconds = _residSum[0],
                ResidualSeconds = _resid.AsSpan(0, _residCount[0]),
            };
        }

        var p = row - L;
        var pi = (env * P) + p;
        var q = 1 + p;
        return new CandidateState
        {
            IsLocal = false,
            RoundTripSeconds = _obsRtt[pi],
            UplinkBitsPerSecond = _obsRate[pi] > 0 ? _obsRate[pi] : _up[pi],
            DownlinkBitsPerSecond = _obsRate[pi] > 0 ? _obsRate[pi] : _down[pi],
            ExpectedExecSeconds = PeerExecOf(env, p, m) * ObsPeerOf(env, p, m),
            Running = _running[q],
            Queued = _queued[q],
            MaxConcurrency = _slotConc[pi],
            ResidualWorkSeconds = _residSum[q],
            ResidualSeconds = _resid.AsSpan(q * _jobCap, _residCount[q]),
            OwnInFlight = PruneOwn(pi, _now[env]),
            UploadBacklogSeconds = Math.Max(0.0, _linkFree[pi] - _now[env]),
            ArrivingTasks = _arriving[q],
            ArrivingWorkSeconds = _arrivingWork[q],
        };
    }

    // Drops the agent's requests to peer slot pi answered by `t`; returns how many are still in flight.
    private int PruneOwn(int pi, double t)
    {
        var b = pi * _ownCap;
        var c = _ownCount[pi];
        var w = 0;
        for (var k = 0; k < c; k++)
        {
            if (_ownBack[b + k] > t)
            {
                _ownBack[b + w++] = _ownBack[b + k];
            }
        }

        _ownCount[pi] = w;
        return w;
    }

    // The device-energy estimate the live agent makes for a candidate (DevicePowerTable on expected times).
    private double EstimatedEnergy(int env, int row, in TaskState task, in CandidateState c, double delayEstimate)
    {
        var pw = new DevicePowerTable(_power[env * 4], _power[(env * 4) + 1], _power[(env * 4) + 2], _power[(env * 4) + 3]);
        if (row < L)
        {
            var measured = _joules[(((env * M) + _curModel[env]) * L) + row];
            return pw.LocalJoules(c.ExpectedExecSeconds, double.IsNaN(measured) ? null : measured);
        }

        var transfer = Core.Offloading.Policies.CompletionEstimate.TransferSeconds(task.RequestBytes, task.ResponseBytes, c.UplinkBitsPerSecond, c.DownlinkBitsPerSecond);
        return pw.OffloadJoules(transfer, delayEstimate - transfer);
    }

    // The estimate with the agent's own traffic (ObservationEncoder.OwnTrafficOffloadSeconds, as the live
    // ClusterView): a local row's is its EstimatedEnergy.
    private double OwnTrafficEnergy(int env, int row, in TaskState task, in CandidateState c, double localEnergy)
    {
        if (row < L)
        {
            return localEnergy;
        }

        var pw = new DevicePowerTable(_power[env * 4], _power[(env * 4) + 1], _power[(env * 4) + 2], _power[(env * 4) + 3]);
        ObservationEncoder.OwnTrafficOffloadSeconds(task, c, out var radio, out var wait);
        return pw.OffloadJoules(radio, wait);
    }

    private void CheckEnv(int env)
    {
        if ((uint)env >= (uint)_n)
        {
            throw new ArgumentOutOfRangeException(nameof(env), env, $"Environment index must be in [0, {_n}).");
        }
    }
}

/// <summary>One placed task of the agent simulator: what eval live compares with a logged request.</summary>
/// <param name="Model">Model index in the context.</param>
/// <param name="Row">Row it was placed on (0-2 local variants, 3.. peers).</param>
/// <param name="DelaySeconds">Completion minus decision time.</param>
/// <param name="QueueSeconds">Waiting for an executor slot.</param>
/// <param name="TransferSeconds">Upload (including waiting for the link), round trip and download; 0 locally (the agent's overhead is not in it).</param>
/// <param name="ExecSeconds">Execution (with its jitter).</param>
/// <param name="EnergyJoules">The device's energy.</param>
public readonly record struct AgentTaskOutcome(int Model, int Row, double DelaySeconds, double QueueSeconds, double TransferSeconds, double ExecSeconds, double EnergyJoules)
{
    /// <summary>The agent's own time (the model's calibrated overhead; in the delay, not in the other terms).</summary>
    public double OverheadSeconds { get; init; }
}
