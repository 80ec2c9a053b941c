using System.Diagnostics;
using EdgeAgent.Core.Pareto;
using EdgeAgent.Learning.Simulation;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>What to evaluate: model, contexts, episodes, seeds and preference grids.</summary>
public sealed record EvaluationSettings
{
    /// <summary>Simulator profile.</summary>
    public MecParameters Parameters { get; init; } = MecParameters.Gmorl;

    /// <summary>Contexts of the evaluated episodes.</summary>
    public ContextRange Contexts { get; init; } = ContextRange.Benchmark;

    /// <summary>
    /// Any simulator profile: episodes are played in <c>Environment.CreateLike(episodes, Seed, autoReset: false)</c>
    /// (its profile, constants and contexts). Null: a <see cref="MecVecEnv"/> of <see cref="Parameters"/> and <see cref="Contexts"/>.
    /// </summary>
    public IVecEnv? Environment { get; init; }

    /// <summary>How reports name the contexts when <see cref="Environment"/> is set (default: <see cref="Contexts"/>).</summary>
    public string? ContextDescription { get; init; }

    /// <summary>The simulator profile evaluated.</summary>
    public string Profile => Environment?.Profile ?? Parameters.Profile;

    /// <summary>The contexts as reports name them.</summary>
    public string ContextText => Environment is null ? Contexts.ToString() : ContextDescription ?? "the profile's contexts";

    /// <summary>An environment of the evaluated profile and contexts (one environment; methods read its layout and capabilities).</summary>
    public IVecEnv Prototype() => Environment ?? new MecVecEnv(Parameters, Contexts, 1, Seed, autoReset: false);

    /// <summary>Episodes per point (the same episode seeds for every method and preference).</summary>
    public int Episodes { get; init; } = 50;

    /// <summary>Run seed; episode k uses seed Mix(Seed, k).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>The uniform preference grid (w_delay values), GMORL's 101 points by default.</summary>
    public IReadOnlyList<double> Preferences { get; init; } = ExpectedUtility.UniformGrid(101);

    /// <summary>Extra preferences resolving the bend of the front (w_delay >= 0.9 by default); empty for none.</summary>
    public IReadOnlyList<double> BendPreferences { get; init; } = BendGrid(ExpectedUtility.UniformGrid(101));

    /// <summary>Cloud probabilities swept by the random baseline.</summary>
    public IReadOnlyList<double> RandomCloudProbabilities { get; init; } = [.. Enumerable.Range(0, 11).Select(i => i / 10.0)];

    /// <summary>Preferences at which expensive methods (rollout) are evaluated.</summary>
    public IReadOnlyList<double> SparsePreferences { get; init; } = [0.0, 0.5, 0.9, 0.95, 0.98, 0.99, 0.995, 1.0];

    /// <summary>Episodes for expensive methods (the first ones of the common seeds).</summary>
    public int SparseEpisodes { get; init; } = 10;

    /// <summary>0.9, 0.9025, ..., 1.0 without the values already on <paramref name="uniform"/>.</summary>
    public static IReadOnlyList<double> BendGrid(IReadOnlyList<double> uniform)
    {
        ArgumentNullException.ThrowIfNull(uniform);
        var onGrid = uniform.Select(w => Math.Round(w, 6)).ToHashSet();
        return [.. Enumerable.Range(0, 41).Select(k => Math.Round(0.9 + (k * 0.0025), 6)).Where(w => !onGrid.Contains(w))];
    }

    /// <summary>Throws when a setting is out of range; the message names it.</summary>
    /// <exception cref="ArgumentException">Out of range.</exception>
    public void Validate()
    {
        if (Environment is null)
        {
            Parameters.Validate();
            Contexts.Validate(Parameters);
        }

        if (Episodes is < 1 or > 100_000)
        {
            throw new ArgumentException($"Episodes must be in [1, 100000]; got {Episodes}.");
        }

        if (SparseEpisodes < 1)
        {
            throw new ArgumentException($"Sparse episodes must be at least 1; got {SparseEpisodes}.");
        }

        foreach (var w in Preferences.Concat(BendPreferences).Concat(SparsePreferences))
        {
            if (!(w is >= 0 and <= 1))
            {
                throw new ArgumentException($"Preference weights must be in [0, 1]; got {w}.");
            }
        }

        if (Preferences.Count == 0)
        {
            throw new ArgumentException("The preference grid must not be empty.");
        }
    }
}

/// <summary>How a method is evaluated.</summary>
public enum MethodCost
{
    /// <summary>Every preference of the uniform and bend grids, every episode.</summary>
    Full,

    /// <summary>The sparse preferences and the first sparse-episode seeds only (look-ahead).</summary>
    Sparse,
}

/// <summary>A method to compare: one policy, or several variants forming one front (random with p swept).</summary>
/// <param name="Name">Name in reports.</param>
/// <param name="Variants">The policies; preference-independent ones give one point each.</param>
/// <param name="Cost">Full or sparse evaluation.</param>
/// <param name="IsSubject">True for the policy under test (ratios are taken against it).</param>
/// <param name="OwnPreferences">
/// When given (one per variant), variant k is evaluated only at preference OwnPreferences[k]: the
/// multi-policy upper bound, one policy trained per preference and interpolated nowhere.
/// </param>
public sealed record MethodSpec(string Name, IReadOnlyList<ISimPolicy> Variants, MethodCost Cost = MethodCost.Full, bool IsSubject = false,
    IReadOnlyList<double>? OwnPreferences = null)
{
    /// <summary>Name of the multi-policy upper bound in reports.</summary>
    public const string UpperBoundName = "upper-bound";
}

/// <summary>One evaluated point: a policy at one preference (or once, when it ignores preferences).</summary>
public sealed class PointResult
{
    /// <summary>Variant name.</summary>
    public required string Variant { get; init; }

    /// <summary>Preference w_delay, or null for preference-independent policies.</summary>
    public double? DelayWeight { get; init; }

    /// <summary>True when the preference is on the uniform grid (or the policy ignores preferences).</summary>
    public bool OnUniformGrid { get; init; }

    /// <summary>Mean total episode delay, seconds.</summary>
    public double MeanDelay { get; init; }

    /// <summary>Mean total episode energy, joules.</summary>
    public double MeanEnergy { get; init; }

    /// <summary>Standard error of the mean delay.</summary>
    public double DelayStdError { get; init; }

    /// <summary>Standard error of the mean energy.</summary>
    public double EnergyStdError { get; init; }

    /// <summary>Episodes averaged.</summary>
    public int Episodes { get; init; }

    /// <summary>Per-episode total delay (episode k used seed Mix(seed, k)).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double[] EpisodeDelay { get; init; } = [];

    /// <summary>Per-episode total energy.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double[] EpisodeEnergy { get; init; } = [];

    /// <summary>The point in objective space.</summary>
    public ObjectivePoint Point => new(MeanDelay, MeanEnergy);
}

/// <summary>A method's evaluated points and timing.</summary>
public sealed class MethodResult
{
    /// <summary>Method name.</summary>
    public required string Name { get; init; }

    /// <summary>Full or sparse.</summary>
    public MethodCost Cost { get; init; }

    /// <summary>True for the policy under test.</summary>
    public bool IsSubject { get; init; }

    /// <summary>Every evaluated point.</summary>
    public required List<PointResult> Points { get; init; }

    /// <summary>Mean wall time of one decision (one environment), microseconds, measured in this run.</summary>
    public double DecisionMicroseconds { get; init; }
}

/// <summary>
/// Plays every method on the same episodes (common random numbers: episode k of every method and
/// preference uses seed Mix(seed, k), and arrivals never depend on actions) and records the mean
/// total episode delay and energy per point. Actual completion times: servers are drained after
/// the last decision.
/// </summary>
public sealed class FrontEvaluator(EvaluationSettings settings)
{
    /// <summary>The settings.</summary>
    public EvaluationSettings Settings { get; } = settings ?? throw new ArgumentNullException(nameof(settings));

    /// <summary>Progress messages (method, point) for the command line; may be null.</summary>
    public Action<string>? Progress { get; init; }

    /// <summary>
    /// The standard baselines: random (p swept), all-cloud and least-loaded (the gmorl model only),
    /// greedy (environments with <see cref="IExactCost"/>), the heuristic (the agent profile), LinUCB,
    /// all-local and all-peer (the agent profile), and optionally rollout (with <see cref="ISnapshotEnv"/> too).
    /// </summary>
    /// <exception cref="ArgumentException">Rollout asked for on an environment without snapshots or exact costs.</exception>
    public IReadOnlyList<MethodSpec> StandardBaselines(bool includeRollout, int rolloutHorizon = 10, int rolloutFutures = 4, bool rolloutObservedOnly = false, Baselines.RolloutContinuation rolloutContinuation = Baselines.RolloutContinuation.Greedy, bool rolloutObservedState = false)
    {
        var prototype = Settings.Prototype();
        var list = new List<MethodSpec>();
        if (prototype is MecVecEnv)
        {
            list.Add(new("random", [.. Settings.RandomCloudProbabilities.Select(p => (ISimPolicy)new Baselines.RandomPolicy(p))]));
            list.Add(new("all-cloud", [new Baselines.AllCloudPolicy()]));
            list.Add(new("least-loaded", [new Baselines.LeastLoadedPolicy()]));
        }

        if (prototype is IExactCost)
        {
            list.Add(new("greedy", [new Baselines.GreedyPolicy()]));
        }

        if (prototype is Simulation.Agent.AgentVecEnv)
        {
            list.Add(new(Baselines.ExpectedGreedyPolicy.MethodName, [new Baselines.ExpectedGreedyPolicy()]));
            list.Add(new(Baselines.EstimateGreedyPolicy.MethodName, [new Baselines.EstimateGreedyPolicy()]));
            list.Add(new(EvaluationReport.HeuristicName, [Baselines.CorePolicyBaseline.Heuristic()]));
        }

        list.Add(new("linucb", [new Baselines.LinUcbPolicy()]));
        if (prototype is Simulation.Agent.AgentVecEnv)
        {
            list.Add(new("all-local", [Baselines.CorePolicyBaseline.AllLocal()]));
            list.Add(new("all-peer", [Baselines.CorePolicyBaseline.AllPeer()]));
        }

        if (includeRollout)
        {
            prototype.RequireSnapshots("The rollout baseline");
            prototype.RequireExactCost("The rollout baseline");
            list.Add(new MethodSpec("rollout", [new Baselines.RolloutPolicy(rolloutHorizon, rolloutFutures, rolloutObservedOnly, rolloutContinuation, rolloutObservedState)], MethodCost.Sparse));
        }

        return list;
    }

    /// <summary>Evaluates every method; see the class summary.</summary>
    public IReadOnlyList<MethodResult> Run(IEnumerable<MethodSpec> methods, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(methods);
        Settings.Validate();
        var results = new List<MethodResult>();
        foreach (var method in methods)
        {
            var points = new List<PointResult>();
            long decisions = 0;
            long ticks = 0;
            if (method.OwnPreferences is { } own && own.Count != method.Variants.Count)
            {
                throw new ArgumentException($"Method '{method.Name}' has {method.Variants.Count} variants but {own.Count} own preferences.");
            }

            for (var v = 0; v < method.Variants.Count; v++)
            {
                var policy = method.Variants[v];
                var episodes = method.Cost == MethodCost.Sparse ? Math.Min(Settings.SparseEpisodes, Settings.Episodes) : Settings.Episodes;
                IEnumerable<(double? W, bool Uniform)> prefs = method.OwnPreferences is { } ownW
                    ? [(ownW[v], Settings.Preferences.Contains(ownW[v]))]
                    : !policy.UsesPreference
                    ? [(null, true)]
                    : method.Cost == MethodCost.Sparse
                        ? Settings.SparsePreferences.Select(w => ((double?)w, Settings.Preferences.Contains(w)))
                        : Settings.Preferences.Select(w => ((double?)w, true)).Concat(Settings.BendPreferences.Select(w => ((double?)w, false)));
                foreach (var (w, uniform) in prefs)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var point = Play(policy, w, uniform, episodes, ref decisions, ref ticks);
                    points.Add(point);
                }

                Progress?.Invoke($"{method.Name}: {policy.Name} done ({points.Count} points)");
            }

            results.Add(new MethodResult
            {
                Name = method.Name,
                Cost = method.Cost,
                IsSubject = method.IsSubject,
                Points = points,
                DecisionMicroseconds = decisions == 0 ? 0 : ticks * 1e6 / Stopwatch.Frequency / decisions,
            });
        }

        return results;
    }

    private PointResult Play(ISimPolicy policy, double? delayWeight, bool uniform, int episodes, ref long decisions, ref long ticks)
    {
        var env = Settings.Prototype().CreateLike(episodes, Settings.Seed, autoReset: false);
        var w = delayWeight ?? 0.5;
        for (var i = 0; i < episodes; i++)
        {
            env.Reset(i, SimRandom.Mix(Settings.Seed, (ulong)i));
            env.SetPreference(i, w);
        }

        var n = env.Count;
        var servers = new float[n * env.MaxServers * env.FeatureCount];
        var mask = new float[n * env.MaxServers];
        var pref = new float[n * 2];
        var actions = new int[n];
        var rT = new float[n];
        var rE = new float[n];
        var done = new bool[n];
        policy.Begin(env, w, SimRandom.Mix(Settings.Seed, (ulong)BitConverter.DoubleToInt64Bits(w)));
        var active = n;
        while (active > 0)
        {
            env.Observe(servers, mask, pref);
            var start = Stopwatch.GetTimestamp();
            policy.Act(env, servers, mask, pref, actions);
            ticks += Stopwatch.GetTimestamp() - start;
            decisions += active;
            env.Step(actions, rT, rE, done);
            policy.Observe(env, actions, rT, rE);
            active = 0;
            for (var i = 0; i < n; i++)
            {
                active += env.IsDone(i) ? 0 : 1;
            }
        }

        var delay = new double[n];
        var energy = new double[n];
        for (var i = 0; i < n; i++)
        {
            var last = env.LastEpisode(i);
            delay[i] = last.DelayCost; // the rewards' units: seconds for gmorl, normalised costs for agent
            energy[i] = last.EnergyCost;
        }

        return new PointResult
        {
            Variant = policy.Name,
            DelayWeight = delayWeight,
            OnUniformGrid = uniform,
            MeanDelay = delay.Average(),
            MeanEnergy = energy.Average(),
            DelayStdError = StdError(delay),
            EnergyStdError = StdError(energy),
            Episodes = n,
            EpisodeDelay = delay,
            EpisodeEnergy = energy,
        };
    }

    internal static double StdError(IReadOnlyList<double> values)
    {
        if (values.Count < 2)
        {
            return 0;
        }

        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1);
        return Math.Sqrt(variance / values.Count);
    }
}
