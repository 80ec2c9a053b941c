using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Learning.Export;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Sac;

/// <summary>Where and how long to train, beside the algorithm's own <see cref="SacOptions"/>.</summary>
public sealed record TrainingSettings
{
    /// <summary>The gmorl model's constants (profile), with <see cref="Contexts"/>; ignored when <see cref="Environment"/> is set.</summary>
    public MecParameters? Parameters { get; init; }

    /// <summary>Contexts drawn per episode in the gmorl model (with <see cref="Parameters"/>).</summary>
    public ContextRange? Contexts { get; init; }

    /// <summary>
    /// Any simulator profile: the trainer's environments are <c>Environment.CreateLike(N, Seed, autoReset: true)</c>
    /// (its profile, constants and training contexts). Null: a <see cref="MecVecEnv"/> of <see cref="Parameters"/> and <see cref="Contexts"/>.
    /// </summary>
    public IVecEnv? Environment { get; init; }

    /// <summary>
    /// Where the probe plays (<c>CreateLike</c> of it), or null for the default: the gmorl benchmark
    /// context (E = 6, 4/2 GHz) for the gmorl model, else the training environment's contexts.
    /// </summary>
    public IVecEnv? ProbeEnvironment { get; init; }

    /// <summary>How progress lines name the probe's context (default "E=6 4/2 GHz" for the gmorl model).</summary>
    public string? ProbeDescription { get; init; }

    /// <summary>The environment to train in: <see cref="Environment"/>, or the gmorl model of <see cref="Parameters"/> and <see cref="Contexts"/>.</summary>
    /// <exception cref="ArgumentException">Neither is set.</exception>
    public IVecEnv Prototype() => Environment
        ?? (Parameters is { } p && Contexts is { } c ? new MecVecEnv(p, c, 1, Seed)
            : throw new ArgumentException("Training settings need an Environment, or Parameters and Contexts."));

    /// <summary>Train for this one preference only (the multi-policy upper bound); null for preference-conditioned training.</summary>
    public double? FixedDelayWeight { get; init; }

    /// <summary>Wall-clock budget.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Stop after this many environment steps (tests); null for no limit.</summary>
    public long? MaxEnvironmentSteps { get; init; }

    /// <summary>Seed of the environments, the networks and the sampling.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Checkpoint file, rewritten every <see cref="CheckpointInterval"/> and at the end; null for none.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>Time between checkpoints.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>Time between progress reports.</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time between probes of front quality (0 disables).</summary>
    public TimeSpan ProbeInterval { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Episodes per preference in a probe.</summary>
    public int ProbeEpisodes { get; init; } = 4;
}

/// <summary>One progress report.</summary>
public sealed record TrainingProgress(
    TimeSpan Elapsed,
    long EnvironmentSteps,
    long Updates,
    double StepsPerSecond,
    double UpdatesPerSecond,
    bool Cloning,
    SacUpdateStats Last,
    double BehaviourEntropy,
    IReadOnlyList<ProbePoint>? Probe,
    string ProbeContext = "E=6 4/2 GHz")
{
    /// <summary>One line for a log.</summary>
    public override string ToString()
    {
        var line = string.Create(CultureInfo.InvariantCulture,
            $"t={Elapsed.TotalMinutes:0.0}min steps={EnvironmentSteps} ({StepsPerSecond:0}/s) updates={Updates} ({UpdatesPerSecond:0.0}/s) phase={(Cloning ? "clone" : "sac")} entropy={Last.Entropy:0.000} behaviour_entropy={BehaviourEntropy:0.000} alpha={Last.Temperature:0.0000} critic_loss={Last.CriticLoss:0.0000} actor_loss={Last.ActorLoss:0.000} meanQ={Last.MeanQ:0.00}");
        if (Probe is { Count: > 0 })
        {
            var parts = Probe.Select(p => p.Describe());
            var expected = Probe.All(p => double.IsFinite(p.ExpectedRatio))
                ? string.Create(CultureInfo.InvariantCulture, $"/greedy-expected cost after '/', {ProbeContext}) mean={Probe.Average(p => p.Ratio):0.0000}/{Probe.Average(p => p.ExpectedRatio):0.0000}")
                : string.Create(CultureInfo.InvariantCulture, $", {ProbeContext}) mean={Probe.Average(p => p.Ratio):0.0000}");
            line += $" probe(policy/greedy cost{expected} [{string.Join(' ', parts)}]";
        }

        return line;
    }
}

/// <summary>
/// Training produced a loss, weight or reward scale that is NaN or infinite (a learning rate too
/// high, or a simulator fault). <see cref="SacTrainer.Run"/> stops at the first such value and
/// writes no checkpoint from that point on, so the last checkpoint holds finite networks.
/// </summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// Runs preference-conditioned Discrete SAC on the batched simulator: N environments with
/// evenly spaced preferences (redrawn at episode ends with some probability), contexts drawn per
/// episode, replay with preference relabelling and n-step returns, an optional warm start by
/// cloning the greedy baseline, periodic probes, checkpoints and resume.
/// </summary>
public sealed class SacTrainer
{
    /// <summary>Metadata value identifying checkpoint files.</summary>
    public const string CheckpointKind = "edgeagent-sac-checkpoint";

    private readonly SacOptions _o;
    private readonly TrainingSettings _settings;
    private readonly TimeProvider _time;
    private readonly IVecEnv _env;
    private readonly ReplayBuffer _replay;
    private readonly ITeacher _teacher;
    private readonly Random _random;
    private readonly double[] _baseWeights;
    private readonly int _s, _f;
    private double _scaleDelay = double.NaN, _scaleEnergy = double.NaN;
    private long _environmentSteps;
    private TimeSpan _elapsedBefore;
    private TimeSpan? _checkpointWrittenAt;

    /// <summary>Creates environments, networks and the replay buffer.</summary>
    public SacTrainer(SacOptions options, TrainingSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        if (settings.FixedDelayWeight is { } fixedWeight && !(fixedWeight is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(settings), fixedWeight, "The fixed preference (w_delay) must be in [0, 1].");
        }

        _o = options;
        _settings = settings;
        _time = time;
        _env = settings.Prototype().CreateLike(options.Environments, settings.Seed, autoReset: true);
        if (!_env.AutoReset)
        {
            throw new ArgumentException($"The '{_env.Profile}' simulator did not create auto-resetting environments for training.");
        }

        _s = _env.MaxServers;
        _f = _env.FeatureCount;
        _random = new Random(unchecked((int)(settings.Seed * 2654435761UL)));
        // The agent layout's cost features come from its rows' own estimates; the gmorl profiles' from their constants.
        var agentCost = options.UseCostFeatures && _env.Layout.IsAgentLayout ? AgentCostFeatures.For(_env.Layout) : null;
        var cost = options.UseCostFeatures && agentCost is null
            ? _env.RequireMec("The closed-form cost features (--cost-features, and --greedy-below with them)").Parameters.CostFeaturesFor(_env.Layout)
            : null;
        Agent = new DiscreteSac(options, _s, _f, new Random(unchecked((int)settings.Seed) ^ 0x5ac), cost, agentCost);
        _replay = new ReplayBuffer(options.ReplayCapacity, options.Environments, _s, _f);
        var needsTeacher = options.BehaviourCloningUpdates > 0 || options.TeacherWeight > 0;
        if (needsTeacher)
        {
            _env.RequireExactCost(options.Teacher == TeacherKind.Rollout ? "The rollout teacher" : "The greedy teacher");
        }

        _teacher = options.Teacher == TeacherKind.Rollout && needsTeacher
            ? new RolloutTeacher(_env, options.RolloutHorizon, options.RolloutFutures, SimRandom.Mix(settings.Seed, 0x7EAC), options.RolloutObservedOnly, options.RolloutContinuation, options.RolloutObservedState)
            : new GreedyTeacher();
        _baseWeights = new double[options.Environments];
        for (var i = 0; i < _baseWeights.Length; i++)
        {
            _baseWeights[i] = settings.FixedDelayWeight ?? (_baseWeights.Length == 1 ? 0.5 : (double)i / (_baseWeights.Length - 1));
            _env.SetPreference(i, _baseWeights[i]);
        }
    }

    /// <summary>The learner.</summary>
    public DiscreteSac Agent { get; }

    /// <summary>The observation layout the actor is trained on.</summary>
    public Core.Observation.FeatureLayout Layout => _env.Layout;

    /// <summary>Environment steps taken (including before a resume).</summary>
    public long EnvironmentSteps => _environmentSteps;

    /// <summary>Trains until the budget is spent or <paramref name="cancellationToken"/> fires; reports progress through <paramref name="report"/>.</summary>
    public void Run(Action<TrainingProgress>? report, CancellationToken cancellationToken)
    {
        var n = _o.Environments;
        var states = new float[n * _s * _f];
        var masks = new float[n * _s];
        var prefs = new float[n * 2];
        var actions = new int[n];
        var teacher = new int[n];
        var delay = new float[n];
        var energy = new float[n];
        var done = new bool[n];
        var weights = new float[n];
        var batch = new SacBatch(_o.BatchSize, _s, _f);
        var probe = _settings.ProbeInterval > TimeSpan.Zero ? CreateProbe() : null;

        var start = _time.GetTimestamp();
        var lastReport = start;
        var lastProbe = start;
        var lastCheckpoint = start;
        var stepsAtReport = _environmentSteps;
        var updatesAtReport = Agent.Updates;
        SacUpdateStats last = default;
        double behaviourEntropy = 0;
        IReadOnlyList<ProbePoint>? probed = null;
        while (!cancellationToken.IsCancellationRequested
            && _elapsedBefore + _time.GetElapsedTime(start) < _settings.Duration
            && (_settings.MaxEnvironmentSteps is null || _environmentSteps < _settings.MaxEnvironmentSteps))
        {
            var cloning = _o.BehaviourCloningUpdates > 0 && Agent.Updates < _o.BehaviourCloningUpdates;
            _env.Observe(states, masks, prefs);
            behaviourEntropy = Agent.Act(states, masks, prefs, n, actions, _random, deterministic: false);
            if (cloning || _o.TeacherWeight > 0)
            {
                _teacher.Label(_env, teacher);
            }
            else
            {
                teacher.AsSpan().Fill(-1);
            }

            for (var i = 0; i < n; i++)
            {
                weights[i] = (float)_env.DelayWeight(i);
                if (cloning)
                {
                    var u = _random.NextDouble();
                    actions[i] = u < _o.CloningExploration ? RandomPresent(i, masks)
                        : u < _o.CloningExploration + ((1 - _o.CloningExploration) * _o.CloningStudentProbability) ? actions[i]
                        : teacher[i];
                }
            }

            _env.Step(actions, delay, energy, done);
            _replay.Add(states, masks, actions, teacher, delay, energy, done, weights);
            _environmentSteps += n;
            for (var i = 0; i < n; i++)
            {
                if (done[i] && _settings.FixedDelayWeight is null)
                {
                    _env.SetPreference(i, _random.NextDouble() < _o.PreferenceResampleProbability ? _o.DrawDelayWeight(_random) : _baseWeights[i]);
                }
            }

            if (_replay.Count >= Math.Max(_o.WarmupTransitions, _o.BatchSize) && _replay.Added > _o.NStep + 1)
            {
                if (double.IsNaN(_scaleDelay))
                {
                    EstimateRewardScales();
                }

                for (var u = 0; u < _o.UpdatesPerStep; u++)
                {
                    cloning = _o.BehaviourCloningUpdates > 0 && Agent.Updates < _o.BehaviourCloningUpdates;
                    Sample(batch, cloning);
                    last = Agent.Update(batch, cloning);
                    if (NonFinite(last) is { } what)
                    {
                        throw Diverged(what, _elapsedBefore + _time.GetElapsedTime(start));
                    }
                }
            }

            var now = _time.GetTimestamp();
            if (probe is not null && _time.GetElapsedTime(lastProbe, now) >= _settings.ProbeInterval && Agent.Updates > 0)
            {
                probed = probe.Run(Agent);
                lastProbe = _time.GetTimestamp();
            }

            if (_settings.CheckpointPath is not null && _time.GetElapsedTime(lastCheckpoint, now) >= _settings.CheckpointInterval)
            {
                _elapsedBefore += _time.GetElapsedTime(start, now);
                start = now;
                ThrowIfNetworksNotFinite(_elapsedBefore);
                SaveCheckpoint(_settings.CheckpointPath);
                _checkpointWrittenAt = _elapsedBefore;
                lastCheckpoint = now;
            }

            if (report is not null && (_time.GetElapsedTime(lastReport, now) >= _settings.ProgressInterval || probed is not null))
            {
                var seconds = Math.Max(1e-9, _time.GetElapsedTime(lastReport, now).TotalSeconds);
                report(new TrainingProgress(_elapsedBefore + _time.GetElapsedTime(start, now), _environmentSteps, Agent.Updates,
                    (_environmentSteps - stepsAtReport) / seconds, (Agent.Updates - updatesAtReport) / seconds,
                    _o.BehaviourCloningUpdates > 0 && Agent.Updates < _o.BehaviourCloningUpdates, last, behaviourEntropy, probed, ProbeContext));
                probed = null;
                lastReport = now;
                stepsAtReport = _environmentSteps;
                updatesAtReport = Agent.Updates;
            }
        }

        _elapsedBefore += _time.GetElapsedTime(start);
        ThrowIfNetworksNotFinite(_elapsedBefore);
        if (_settings.CheckpointPath is not null)
        {
            SaveCheckpoint(_settings.CheckpointPath);
            _checkpointWrittenAt = _elapsedBefore;
        }
    }

    // The first statistic of an update that is not finite, or null.
    private static string? NonFinite(SacUpdateStats stats) =>
        !double.IsFinite(stats.CriticLoss) ? $"the critic loss is {stats.CriticLoss}"
        : !double.IsFinite(stats.ActorLoss) ? $"the actor loss is {stats.ActorLoss}"
        : !double.IsFinite(stats.Entropy) ? $"the policy entropy is {stats.Entropy}"
        : !double.IsFinite(stats.Temperature) ? $"the entropy temperature is {stats.Temperature}"
        : !double.IsFinite(stats.MeanQ) ? $"the mean Q is {stats.MeanQ}"
        : null;

    // Before a checkpoint (and at the end): every weight of the five networks, the temperature and the reward scales.
    private void ThrowIfNetworksNotFinite(TimeSpan elapsed)
    {
        if (!double.IsFinite(Agent.LogTemperature))
        {
            throw Diverged($"the entropy temperature's logarithm is {Agent.LogTemperature}", elapsed);
        }

        if (!double.IsNaN(_scaleDelay) && !(double.IsFinite(_scaleDelay) && double.IsFinite(_scaleEnergy)))
        {
            throw Diverged($"the reward scales are {_scaleDelay} (delay) and {_scaleEnergy} (energy): the simulator returned a reward that is not finite", elapsed);
        }

        foreach (var (network, name) in new[] { (Agent.Actor, "actor"), (Agent.Critic1, "critic1"), (Agent.Critic2, "critic2"), (Agent.Target1, "target1"), (Agent.Target2, "target2") })
        {
            foreach (var parameter in network.Parameters)
            {
                var values = parameter.Value;
                for (var i = 0; i < values.Length; i++)
                {
                    if (!float.IsFinite(values[i]))
                    {
                        throw Diverged(string.Create(CultureInfo.InvariantCulture, $"weight '{name}.{parameter.Name}' holds {values[i]} at element {i} of {values.Length}"), elapsed);
                    }
                }
            }
        }
    }

    private TrainingDivergedException Diverged(string what, TimeSpan elapsed)
    {
        var checkpoint = _settings.CheckpointPath is null ? "No checkpoint is kept by this run."
            : _checkpointWrittenAt is { } at
                ? string.Create(CultureInfo.InvariantCulture, $"The checkpoint {_settings.CheckpointPath} (written at t={at.TotalMinutes:0.0} min) holds the last finite networks; nothing later was written.")
                : File.Exists(_settings.CheckpointPath) ? $"No checkpoint was written by this run; {_settings.CheckpointPath} is as it was." : "No checkpoint was written.";
        return new TrainingDivergedException(string.Create(CultureInfo.InvariantCulture,
            $"training diverged at update {Agent.Updates} (t={elapsed.TotalMinutes:0.0} min, {_environmentSteps} steps): {what}. {checkpoint} Lower the learning rate (--lr) or the updates per step, or resume from an earlier checkpoint."));
    }

    /// <summary>Runs the probe once now (for a final report).</summary>
    public IReadOnlyList<ProbePoint> Probe() => CreateProbe().Run(Agent);

    /// <summary>Writes networks, optimiser moments, temperature, reward scales and counters (not the replay buffer).</summary>
    public void SaveCheckpoint(string path)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["kind"] = CheckpointKind,
            [ServerSetNetwork.ArchitectureKey] = Agent.Actor.Shape.Describe(),
            ["layout"] = _env.Layout.Describe(),
            ["profile"] = _env.Profile,
            ["fixed_delay_weight"] = _settings.FixedDelayWeight?.ToString("R", CultureInfo.InvariantCulture) ?? "",
        };
        var tensors = new List<StoredTensor>();
        tensors.AddRange(TensorFile.FromParameters(Agent.Actor.Parameters, "actor."));
        tensors.AddRange(TensorFile.FromParameters(Agent.Critic1.Parameters, "critic1."));
        tensors.AddRange(TensorFile.FromParameters(Agent.Critic2.Parameters, "critic2."));
        tensors.AddRange(TensorFile.FromParameters(Agent.Target1.Parameters, "target1."));
        tensors.AddRange(TensorFile.FromParameters(Agent.Target2.Parameters, "target2."));
        string[] names = ["actor", "critic1", "critic2"];
        for (var k = 0; k < 3; k++)
        {
            var adam = Agent.Optimisers[k];
            for (var i = 0; i < adam.Parameters.Count; i++)
            {
                tensors.Add(new StoredTensor($"adam.{names[k]}.m.{adam.Parameters[i].Name}", adam.Parameters[i].Shape, adam.FirstMoments[i]));
                tensors.Add(new StoredTensor($"adam.{names[k]}.v.{adam.Parameters[i].Name}", adam.Parameters[i].Shape, adam.SecondMoments[i]));
            }
        }

        float[] state =
        [
            (float)Agent.LogTemperature, (float)_scaleDelay, (float)_scaleEnergy,
            BitConverter.Int32BitsToSingle((int)(_environmentSteps & 0xffffffff)), BitConverter.Int32BitsToSingle((int)(_environmentSteps >> 32)),
            BitConverter.Int32BitsToSingle((int)Agent.Updates), (float)_elapsedBefore.TotalSeconds,
            BitConverter.Int32BitsToSingle((int)Agent.Optimisers[0].StepCount), BitConverter.Int32BitsToSingle((int)Agent.Optimisers[1].StepCount),
            BitConverter.Int32BitsToSingle((int)Agent.Optimisers[2].StepCount),
        ];
        tensors.Add(new StoredTensor("trainer.state", [state.Length], state));
        TensorFile.Write(path, metadata, tensors);
    }

    /// <summary>
    /// What <see cref="LoadCheckpoint"/> changed in the checkpoint's networks ("input layers widened
    /// with cost-feature columns (new weights start at zero)", "actor greedy below w_delay 0.01", ...),
    /// or null when it was loaded as written.
    /// </summary>
    public string? Adapted { get; private set; }

    /// <summary>
    /// Restores a checkpoint written by <see cref="SaveCheckpoint"/> for the same architecture and layout
    /// (a <see cref="PreferenceEncoding.Linear"/> one also into a <see cref="PreferenceEncoding.Log"/> run: see <see cref="SacOptions.PreferenceEncoding"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, or written for another architecture, layout or preference; the message says which.</exception>
    public void LoadCheckpoint(string path)
    {
        var (metadata, read) = TensorFile.Read(path);
        var tensors = new Dictionary<string, StoredTensor>(read, StringComparer.Ordinal);
        string Get(string key) => metadata.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: the checkpoint lacks '{key}'.");
        if (Get("kind") != CheckpointKind)
        {
            throw new InvalidDataException($"{path}: not a training checkpoint (kind '{Get("kind")}').");
        }

        void Same(string key, string expected, string what)
        {
            var actual = Get(key);
            if (actual != expected)
            {
                throw new InvalidDataException($"{path}: the checkpoint was trained with {what} '{actual}', but this run uses '{expected}'.");
            }
        }

        var shape = Agent.Actor.Shape;
        ServerSetShape stored;
        try
        {
            stored = ServerSetShape.Parse(Get(ServerSetNetwork.ArchitectureKey));
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        var adaptable = stored != shape
            && IsAdaptable(stored, shape);
        if (adaptable)
        {
            // Widen every input layer (and its Adam moments) with zero rows for the new columns: the
            // networks compute exactly what they did, and training learns to use the new inputs. A
            // new GreedyBelow keeps every weight and changes only the actor's output below it.
            var widened = string.Join(" and ", new[]
            {
                stored.Preference != shape.Preference ? "log preference columns" : null,
                stored.CostColumns == 0 && shape.CostColumns > 0 ? "cost-feature columns" : null,
            }.OfType<string>());
            Adapted = string.Join("; ", new[]
            {
                widened.Length > 0 ? $"input layers widened with {widened} (new weights start at zero)" : null,
                stored.GreedyBelow != shape.GreedyBelow
                    ? shape.GreedyBelow > 0 ? string.Create(CultureInfo.InvariantCulture, $"actor greedy below w_delay {shape.GreedyBelow:R}") : "actor's greedy end removed"
                    : null,
            }.OfType<string>());
            foreach (var (name, tensor) in tensors.ToList())
            {
                if (stored.InputWidth != shape.InputWidth && name.EndsWith("encoder.in.weight", StringComparison.Ordinal) && tensor.Data.Length == stored.InputWidth * shape.Hidden)
                {
                    tensors[name] = new StoredTensor(name, [shape.InputWidth, shape.Hidden], WidenInputRows(tensor.Data, stored, shape));
                }
            }
        }
        else
        {
            Same(ServerSetNetwork.ArchitectureKey, shape.Describe(), "network");
            Adapted = null;
        }

        Same("layout", _env.Layout.Describe(), "observation layout");
        Same("fixed_delay_weight", _settings.FixedDelayWeight?.ToString("R", CultureInfo.InvariantCulture) ?? "", "fixed preference");
        try
        {
            TensorFile.CopyInto(tensors, Agent.Actor.Parameters, "actor.");
            TensorFile.CopyInto(tensors, Agent.Critic1.Parameters, "critic1.");
            TensorFile.CopyInto(tensors, Agent.Critic2.Parameters, "critic2.");
            TensorFile.CopyInto(tensors, Agent.Target1.Parameters, "target1.");
            TensorFile.CopyInto(tensors, Agent.Target2.Parameters, "target2.");
            string[] names = ["actor", "critic1", "critic2"];
            for (var k = 0; k < 3; k++)
            {
                var adam = Agent.Optimisers[k];
                for (var i = 0; i < adam.Parameters.Count; i++)
                {
                    Copy(tensors, $"adam.{names[k]}.m.{adam.Parameters[i].Name}", adam.FirstMoments[i]);
                    Copy(tensors, $"adam.{names[k]}.v.{adam.Parameters[i].Name}", adam.SecondMoments[i]);
                }
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        if (!tensors.TryGetValue("trainer.state", out var st) || st.Data.Length < 10)
        {
            throw new InvalidDataException($"{path}: the checkpoint lacks the trainer state.");
        }

        var s = st.Data;
        Agent.LogTemperature = s[0];
        _scaleDelay = s[1];
        _scaleEnergy = s[2];
        _environmentSteps = (uint)BitConverter.SingleToInt32Bits(s[3]) | ((long)BitConverter.SingleToInt32Bits(s[4]) << 32);
        Agent.Updates = BitConverter.SingleToInt32Bits(s[5]);
        _elapsedBefore = TimeSpan.FromSeconds(s[6]);
        for (var k = 0; k < 3; k++)
        {
            Agent.Optimisers[k].StepCount = BitConverter.SingleToInt32Bits(s[7 + k]);
        }
    }

    private static void Copy(IReadOnlyDictionary<string, StoredTensor> tensors, string name, float[] target)
    {
        if (!tensors.TryGetValue(name, out var t) || t.Data.Length != target.Length)
        {
            throw new InvalidDataException($"The checkpoint has no tensor '{name}' of {target.Length} values.");
        }

        t.Data.CopyTo(target, 0);
    }

    /// <summary>How progress lines name the probe's context.</summary>
    public string ProbeContext => _settings.ProbeDescription
        ?? (_settings.ProbeEnvironment is null && _env is MecVecEnv ? "E=6 4/2 GHz" : "probe contexts");

    private PolicyProbe CreateProbe()
    {
        // 0.2 and 0.3: where the agent profile's fronts bend (offloading gives way to the device), which 0.1 and 0.5 miss.
        double[] weights = _settings.FixedDelayWeight is { } w ? [w] : [0.1, 0.2, 0.3, 0.5, 0.85, 0.9, 0.95, 1.0];
        var episodes = _settings.FixedDelayWeight is null ? _settings.ProbeEpisodes : _settings.ProbeEpisodes * 4;
        if (_settings.ProbeEnvironment is { } probeEnvironment)
        {
            return new PolicyProbe(probeEnvironment, weights, episodes, _settings.Seed + 1_000_003);
        }

        if (_env is not MecVecEnv mec)
        {
            return new PolicyProbe(_env, weights, episodes, _settings.Seed + 1_000_003);
        }

        var p = mec.Parameters;
        var context = _settings.FixedDelayWeight is null ? ContextRange.Benchmark : mec.Contexts;
        var edges = Math.Min(6, p.MaxEdges);
        if (_settings.FixedDelayWeight is null && edges != 6)
        {
            context = ContextRange.Fixed(edges, 4e9, 2e9);
        }

        return new PolicyProbe(p, context, weights, episodes, _settings.Seed + 1_000_003);
    }

    private int RandomPresent(int env, float[] masks) =>
        _env is MecVecEnv mec ? _random.Next(mec.PresentServers(env)) : VecEnv.RandomPresent(masks.AsSpan(env * _s, _s), _random);

    private void EstimateRewardScales()
    {
        if (!_o.NormaliseRewards)
        {
            _scaleDelay = 1;
            _scaleEnergy = 1;
            return;
        }

        var count = (int)_replay.Count;
        double sd = 0, se = 0;
        for (var i = 0; i < count; i++)
        {
            sd += Math.Abs(_replay.DelayRewards[i]);
            se += Math.Abs(_replay.EnergyRewards[i]);
        }

        _scaleDelay = Math.Max(1e-12, sd / count * _env.DelayRewardScale);
        _scaleEnergy = Math.Max(1e-12, se / count * _env.EnergyRewardScale);
    }

    private void Sample(SacBatch batch, bool cloning)
    {
        var b = _o.BatchSize;
        var nStep = _o.NStep;
        var oldest = _replay.OldestStep;
        var newest = _replay.Added - 1 - nStep;
        var gamma = _o.Gamma;
        var sf = _s * _f;
        for (var i = 0; i < b; i++)
        {
            var t = oldest + (long)(_random.NextDouble() * (newest - oldest + 1));
            var env = _random.Next(_o.Environments);
            var slot = _replay.Slot(t, env);
            var relabelled = _settings.FixedDelayWeight is null && !cloning && _random.NextDouble() < _o.PreferenceRelabelProbability;
            double w = _settings.FixedDelayWeight ?? (relabelled ? _o.DrawDelayWeight(_random) : _replay.DelayWeights[slot]);
            var aT = w * _env.DelayRewardScale;
            var aE = (1 - w) * _env.EnergyRewardScale;
            var norm = _o.NormaliseRewards ? 1.0 / ((w * _scaleDelay) + ((1 - w) * _scaleEnergy)) : 1.0;
            double reward = 0, discount = 1;
            var terminal = false;
            for (var k = 0; k < nStep; k++)
            {
                var sk = _replay.Slot(t + k, env);
                reward += discount * ((aT * _replay.DelayRewards[sk]) + (aE * _replay.EnergyRewards[sk])) * norm;
                discount *= gamma;
                if (_replay.Done[sk])
                {
                    terminal = true;
                    break;
                }
            }

            _replay.CopyState(slot, batch.States.AsSpan(i * sf, sf), batch.Masks.AsSpan(i * _s, _s));
            if (!terminal)
            {
                _replay.CopyState(_replay.Slot(t + nStep, env), batch.NextStates.AsSpan(i * sf, sf), batch.NextMasks.AsSpan(i * _s, _s));
            }
            else
            {
                // Any valid state will do: its value is multiplied by 0.
                _replay.CopyState(slot, batch.NextStates.AsSpan(i * sf, sf), batch.NextMasks.AsSpan(i * _s, _s));
            }

            batch.Preferences[2 * i] = (float)w;
            batch.Preferences[(2 * i) + 1] = (float)(1 - w);
            batch.Actions[i] = _replay.Actions[slot];
            batch.TeacherActions[i] = relabelled ? -1 : _replay.TeacherActions[slot]; // a label holds for the preference it was made at
            batch.Rewards[i] = (float)reward;
            batch.Discounts[i] = terminal ? 0f : (float)discount;
        }

        batch.Count = b;
    }

    /// <summary>
    /// Starts the actor from the actor of a policy file (<see cref="PolicyImporter.ReadActor"/>; the
    /// committed policy, for instance), widened with zero weights for cost-feature or log-preference
    /// columns the file lacks, with its greedy end set to this run's. The critics, the temperature and
    /// the counters keep their fresh values: a policy file holds no critics, so continue with cloning
    /// (<see cref="SacOptions.BehaviourCloningUpdates"/>) before SAC's actor loss relies on them.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a policy file of this build, or an actor of another size or layout; the message says which.</exception>
    public void LoadPolicyFile(string path)
    {
        var source = PolicyImporter.ReadActor(path);
        var shape = Agent.Actor.Shape;
        var stored = source.Shape;

        // A file of an older layout whose every column this run's layout also has (the 37-column
        // agent files under the own-traffic layout): its input rows move to their columns here and
        // the new columns start with zero weights, so the actor computes what it did.
        int[]? featureMap = null;
        var fileLayout = PolicyImporter.ReadLayout(path);
        if (!fileLayout.Equals(_env.Layout))
        {
            try
            {
                featureMap = _env.Layout.ColumnMap(fileLayout);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }

            stored = stored with { Features = shape.Features, AgentCost = stored.AgentCost is null ? null : shape.AgentCost };
        }

        if (stored != shape && !IsAdaptable(stored, shape))
        {
            throw new InvalidDataException($"{path}: the policy's actor is '{source.Shape.Describe()}', which this run ('{shape.Describe()}') cannot continue from.");
        }

        var tensors = TensorFile.FromParameters(source.Parameters).ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors.ToList())
        {
            if ((featureMap is not null || stored.InputWidth != shape.InputWidth) && name.EndsWith("encoder.in.weight", StringComparison.Ordinal))
            {
                var data = featureMap is null ? tensor.Data : MapFeatureRows(tensor.Data, source.Shape, featureMap, shape.Features);
                tensors[name] = new StoredTensor(name, [shape.InputWidth, shape.Hidden], WidenInputRows(data, stored, shape));
            }
        }

        try
        {
            TensorFile.CopyInto(tensors, Agent.Actor.Parameters);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }

        Adapted = string.Join("; ", new[]
        {
            "actor only (critics start fresh)",
            featureMap is not null ? $"observation columns mapped by name from the file's {fileLayout.FeatureCount} to this layout's {shape.Features} (new columns: zero weights)" : null,
            stored.PreferenceColumns != shape.PreferenceColumns ? "input layer widened with log preference columns (zero weights)" : null,
            stored.CostColumns == 0 && shape.CostColumns > 0 ? "input layer widened with cost-feature columns (zero weights)" : null,
            stored.GreedyBelow != shape.GreedyBelow ? string.Create(CultureInfo.InvariantCulture, $"greedy end below w_delay {shape.GreedyBelow:R} (was {stored.GreedyBelow:R})") : null,
        }.OfType<string>());
    }

    // A stored network this run's shape can continue from: the same sizes, and only inputs added
    // (log preference columns, cost features) or the greedy end changed.
    private static bool IsAdaptable(ServerSetShape stored, ServerSetShape shape) =>
        stored with { Preference = shape.Preference, Cost = shape.Cost, AgentCost = shape.AgentCost, GreedyBelow = shape.GreedyBelow } == shape
        && (stored.Preference == shape.Preference || stored.Preference == PreferenceEncoding.Linear)
        && (stored.Cost is null || stored.Cost == shape.Cost)
        && (stored.AgentCost is null || stored.AgentCost == shape.AgentCost);

    /// <summary>
    /// An input layer's weights [from's input width, hidden] with the observation rows moved to the
    /// columns <paramref name="map"/> gives (file column c -> column map[c] of a row of
    /// <paramref name="features"/>); preference and cost rows follow unchanged, new rows are zero.
    /// </summary>
    private static float[] MapFeatureRows(float[] weights, ServerSetShape from, int[] map, int features)
    {
        var h = from.Hidden;
        var rest = from.InputWidth - from.Features;
        var mapped = new float[(features + rest) * h];
        for (var c = 0; c < from.Features; c++)
        {
            weights.AsSpan(c * h, h).CopyTo(mapped.AsSpan(map[c] * h, h));
        }

        weights.AsSpan(from.Features * h, rest * h).CopyTo(mapped.AsSpan(features * h));
        return mapped;
    }

    /// <summary>
    /// An input layer's weights [stored input width, hidden] re-laid for <paramref name="to"/>'s wider
    /// input (features, preference, cost): each stored row keeps its meaning, new rows are zero.
    /// </summary>
    private static float[] WidenInputRows(float[] weights, ServerSetShape from, ServerSetShape to)
    {
        var h = to.Hidden;
        var widened = new float[to.InputWidth * h];
        var leading = from.Features + from.PreferenceColumns;
        weights.AsSpan(0, leading * h).CopyTo(widened);
        weights.AsSpan(leading * h, from.CostColumns * h).CopyTo(widened.AsSpan((to.Features + to.PreferenceColumns) * h));
        return widened;
    }
}
