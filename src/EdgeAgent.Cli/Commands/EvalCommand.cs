using System.CommandLine;
using System.Globalization;
using EdgeAgent.Core.Pareto;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Export;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// `edgeagent eval`: fronts of a policy file and the baselines on common random numbers, with
/// hypervolume (reference point stated), normalised hypervolume, expected utility and per-preference
/// comparison with greedy; `edgeagent eval speed`: simulator steps per second.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var policy = new Option<FileInfo?>("--policy") { Description = "ONNX policy file to evaluate (optional: without it only the baselines are evaluated)." };
        var profile = new Option<string>("--profile") { Description = "Simulator profile: gmorl, shannon, gmorl-local or agent (what the live agent faces; --edges and the GHz options are for the gmorl profiles).", DefaultValueFactory = _ => "gmorl" };
        var edges = new Option<int?>("--edges") { Description = "Fixed number of edge servers E (default 6 unless --contexts is given)." };
        var edgesMin = new Option<int?>("--edges-min") { Description = "Lower end of the edge count range (with --edges-max)." };
        var edgesMax = new Option<int?>("--edges-max") { Description = "Upper end of the edge count range." };
        var cloudGhz = new Option<double?>("--cloud-ghz") { Description = "Fixed cloud frequency in GHz (default 4)." };
        var cloudRange = new Option<string?>("--cloud-ghz-range") { Description = "Cloud frequency range in GHz, MIN:MAX." };
        var edgeGhz = new Option<double?>("--edge-ghz") { Description = "Fixed edge frequency in GHz (default 2)." };
        var edgeRange = new Option<string?>("--edge-ghz-range") { Description = "Edge frequency range in GHz, MIN:MAX." };
        var contexts = new Option<string?>("--contexts") { Description = "Named context ranges. gmorl profiles: train (E 1..8, 3.5-4.5/1.75-2.25 GHz) or test (E 1..10, 3-5/1.5-2.5 GHz); agent (default train, seeds other than training's): " + string.Join(", ", AgentContexts.Names) + "." };
        var preferences = new Option<int>("--preferences") { Description = "Uniform preference grid size (101 gives w_delay = 0, 0.01, ..., 1).", DefaultValueFactory = _ => 101 };
        var noBend = new Option<bool>("--no-bend") { Description = "Leave out the extra preferences resolving the bend (w_delay >= 0.9)." };
        var episodes = new Option<int>("--episodes") { Description = "Episodes per point.", DefaultValueFactory = _ => 50 };
        var seed = new Option<ulong>("--seed") { Description = "Run seed (episode k uses a seed derived from it and k).", DefaultValueFactory = _ => 1 };
        var report = new Option<DirectoryInfo?>("--report") { Description = "Directory for report.json, report.md and fronts.png." };
        var rollout = new Option<bool>("--rollout") { Description = "Also evaluate the rollout baseline (expensive: sparse preferences, few episodes)." };
        var rolloutGrid = new Option<bool>("--rollout-grid") { Description = "Evaluate the rollout baseline at the uniform preference grid (--preferences) instead of its sparse preferences (0, 0.5, 0.9-1), so its hypervolume compares with the other methods'." };
        var rolloutEpisodes = new Option<int>("--rollout-episodes") { Description = "Episodes for the rollout baseline.", DefaultValueFactory = _ => 10 };
        var rolloutHorizon = new Option<int>("--rollout-horizon") { Description = "Greedy steps after the tried placement.", DefaultValueFactory = _ => 10 };
        var rolloutFutures = new Option<int>("--rollout-futures") { Description = "Sampled futures per tried placement.", DefaultValueFactory = _ => 4 };
        var rolloutContinuation = new Option<string>("--rollout-continuation") { Description = "Agent profile: what the rollout baseline continues with after each tried placement: greedy, heuristic, or both (each row valued at the better of the two).", DefaultValueFactory = _ => "greedy" };
        rolloutContinuation.AcceptOnlyFromAmong("greedy", "heuristic", "both");
        var rolloutObservedState = new Option<bool>("--rollout-observed-state") { Description = "Agent profile: as --rollout-observed (implies it), and the sampled futures also redraw the realised remaining times of the runs already running or queued and the lines of pages still in detection, so the rollout plans on the current state only as the observation summarises it." };
        var rolloutObserved = new Option<bool>("--rollout-observed") { Description = "Agent profile: the rollout baseline's sampled futures also redraw what the simulator has drawn but the observation does not carry (the next arrival, the current page's lines, realised execution times), so it plans on what the agent can know." };
        var compare = new Option<FileInfo[]>("--compare") { Description = "Other preference-conditioned policy files evaluated beside --policy on the same seeds (for example one trained on other context ranges); repeatable.", AllowMultipleArgumentsPerToken = true };
        var upperBound = new Option<DirectoryInfo?>("--upper-bound") { Description = "Directory of fixed-preference policies (edgeagent train --fixed-preference W): the multi-policy upper bound, each evaluated at its own W only." };
        var rewardUnits = new Option<string>("--reward-units") { Description = "Agent profile: the objectives' units, model (each task's delay and energy / its model's fp32 time and energy on the idle device) or item (every model's seconds and joules alike, / the mix's mean fp32 task: an episode's total as OCR items add it up).", DefaultValueFactory = _ => "model" };
        rewardUnits.AcceptOnlyFromAmong("model", "item");
        var baselines = new Option<string?>("--baselines") { Description = "Comma-separated subset of baselines (default all). gmorl profiles: random,all-cloud,least-loaded,greedy,linucb; agent: greedy,greedy-expected,greedy-estimate,heuristic,linucb,all-local,all-peer (greedy: the simulator's exact one-step cost, which knows each task's realised execution time, so clairvoyant; greedy-expected: the same exact queues with expected instead of realised execution times, what a scheduler could know; greedy-estimate: the lowest one-step cost by the observation's own estimates, what a deployed policy sees)." };

        var calibration = new Option<FileInfo?>("--calibration") { Description = "Agent profile: evaluate on the context `edgeagent calibrate --from-log` (or `eval live`) fitted to a deployment (every episode that context, arrivals drawn per episode) instead of --contexts: e.g. a fine-tuned policy (--policy) against the generic one (--compare) and greedy-expected there." };
        var command = new Command("eval", "Evaluate a policy and the baselines: Pareto fronts, hypervolume, expected utility, reports.");
        foreach (var o in new Option[] { policy, profile, edges, edgesMin, edgesMax, cloudGhz, cloudRange, edgeGhz, edgeRange, contexts, preferences, noBend, episodes, seed, report, rollout, rolloutGrid, rolloutEpisodes, rolloutHorizon, rolloutFutures, rolloutObserved, rolloutObservedState, rolloutContinuation, baselines, upperBound, compare, rewardUnits, calibration })
        {
            command.Options.Add(o);
        }

        command.SetAction((parseResult, ct) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                var isAgent = parseResult.GetValue(profile) == AgentVecEnv.ProfileName;
                var parameters = isAgent ? MecParameters.Gmorl : MecParameters.ForProfile(parseResult.GetValue(profile)!);
                IVecEnv? agentEnvironment = null;
                string? agentContexts = null;
                var range = ContextRange.Benchmark;
                if (isAgent)
                {
                    var gmorlOnly = new (string Name, bool Given)[]
                    {
                        ("--edges", parseResult.GetValue(edges) is not null), ("--edges-min", parseResult.GetValue(edgesMin) is not null),
                        ("--edges-max", parseResult.GetValue(edgesMax) is not null), ("--cloud-ghz", parseResult.GetValue(cloudGhz) is not null),
                        ("--cloud-ghz-range", parseResult.GetValue(cloudRange) is not null), ("--edge-ghz", parseResult.GetValue(edgeGhz) is not null),
                        ("--edge-ghz-range", parseResult.GetValue(edgeRange) is not null),
                    }.FirstOrDefault(o => o.Given);
                    if (gmorlOnly.Given)
                    {
                        throw new ArgumentException($"{gmorlOnly.Name} applies to the gmorl profiles; choose agent contexts with --contexts ({string.Join(", ", AgentContexts.Names)}).");
                    }

                    var (agentRange, description) = parseResult.GetValue(calibration) is { } calibrationFile
                        ? TrainCommand.Calibrated(calibrationFile.FullName, parseResult.GetValue(contexts) is not null)
                        : AgentContexts.Get(parseResult.GetValue(contexts) ?? "train");
                    // The own-traffic layout when a policy file evaluated here has its columns (older files read their columns of it).
                    var files = (parseResult.GetValue(compare) ?? []).Append(parseResult.GetValue(policy)).OfType<FileInfo>().Where(f => f.Exists);
                    agentEnvironment = new AgentVecEnv(agentRange, 1, parseResult.GetValue(seed), autoReset: false,
                        layout: PolicyOwnColumns.Of(files.Select(f => f.FullName)).Layout,
                        rewardUnits: Enum.Parse<AgentRewardUnits>(parseResult.GetValue(rewardUnits)!, ignoreCase: true));
                    agentContexts = description;
                }
                else
                {
                    if (parseResult.Tokens.Any(t => t.Value == "--reward-units"))
                    {
                        throw new ArgumentException("--reward-units applies to the agent profile (--profile agent).");
                    }

                    if (parseResult.GetValue(calibration) is not null)
                    {
                        throw new ArgumentException("--calibration applies to the agent profile (--profile agent).");
                    }

                    range = BuildContexts(parseResult.GetValue(contexts), parseResult.GetValue(edges), parseResult.GetValue(edgesMin), parseResult.GetValue(edgesMax),
                        parseResult.GetValue(cloudGhz), parseResult.GetValue(cloudRange), parseResult.GetValue(edgeGhz), parseResult.GetValue(edgeRange));
                }

                var n = parseResult.GetValue(preferences);
                if (n < 2)
                {
                    throw new ArgumentException($"--preferences must be at least 2; got {n}.");
                }

                var settings = new EvaluationSettings
                {
                    Parameters = parameters,
                    Contexts = range,
                    Environment = agentEnvironment,
                    ContextDescription = agentContexts,
                    Episodes = parseResult.GetValue(episodes),
                    Seed = parseResult.GetValue(seed),
                    Preferences = ExpectedUtility.UniformGrid(n),
                    BendPreferences = parseResult.GetValue(noBend) ? [] : EvaluationSettings.BendGrid(ExpectedUtility.UniformGrid(n)),
                    SparseEpisodes = parseResult.GetValue(rolloutEpisodes),
                };
                if (parseResult.GetValue(rolloutGrid))
                {
                    settings = settings with { SparsePreferences = settings.Preferences };
                }

                settings.Validate();
                var evaluator = new FrontEvaluator(settings) { Progress = m => error.WriteLine(m) };
                var layout = settings.Prototype().Layout;
                var methods = new List<MethodSpec>();
                var opened = new List<OnnxLogitsModel>(); // every policy file this run loads, disposed at the end
                try
                {
                    foreach (var other in parseResult.GetValue(compare) ?? [])
                    {
                        var m = OpenPolicy(other, layout, opened);
                        var name = Path.GetFileNameWithoutExtension(other.Name);
                        if (methods.Any(x => x.Name == name) || name is "policy" or MethodSpec.UpperBoundName)
                        {
                            throw new ArgumentException($"--compare: the name '{name}' is taken; rename the file.");
                        }

                        methods.Add(new MethodSpec(name, [new LogitsPolicy(name, m, m.Layout.MaxServers)]));
                    }

                    if (parseResult.GetValue(upperBound) is { } upperDir)
                    {
                        methods.Add(LoadUpperBound(upperDir, layout, opened));
                    }

                    if (parseResult.GetValue(policy) is { } file)
                    {
                        var model = OpenPolicy(file, layout, opened);
                        methods.Add(new MethodSpec("policy", [new LogitsPolicy("policy", model, model.Layout.MaxServers)], IsSubject: true));
                    }

                    var chosen = parseResult.GetValue(baselines)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    foreach (var b in evaluator.StandardBaselines(parseResult.GetValue(rollout), parseResult.GetValue(rolloutHorizon), parseResult.GetValue(rolloutFutures), parseResult.GetValue(rolloutObserved), ParseContinuation(parseResult.GetValue(rolloutContinuation)!), parseResult.GetValue(rolloutObservedState)))
                    {
                        if (chosen is null || chosen.Contains(b.Name) || b.Name == "rollout")
                        {
                            methods.Add(b);
                        }
                    }

                    string[] known = isAgent ? ["greedy", "greedy-expected", "greedy-estimate", "heuristic", "linucb", "all-local", "all-peer"] : ["random", "all-cloud", "least-loaded", "greedy", "linucb"];
                    if (chosen?.FirstOrDefault(c => !known.Contains(c)) is { } unknown)
                    {
                        throw new ArgumentException($"--baselines names an unknown baseline '{unknown}' for profile {settings.Profile}; known: {string.Join(",", known)}.");
                    }

                    var results = evaluator.Run(methods, ct);
                    var rep = EvaluationReport.Build(settings, results);
                    output.Write(ReportWriter.Markdown(rep).Split("## Points")[0]);
                    if (parseResult.GetValue(report) is { } dir)
                    {
                        foreach (var path in ReportWriter.Write(rep, dir.FullName))
                        {
                            output.WriteLine($"wrote {path}");
                        }
                    }
                }
                finally
                {
                    opened.ForEach(m => m.Dispose());
                }

                return Task.FromResult(0);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or InvalidOperationException or EdgeAgent.Inference.Policy.PolicyFileException or EdgeAgent.Learning.Simulation.Agent.Calibration.CalibrationException)
            {
                error.WriteLine($"eval: {ex.Message}");
                return Task.FromResult(2);
            }
        });

        command.Subcommands.Add(CreateSpeed());
        command.Subcommands.Add(CreateDecisions());
        command.Subcommands.Add(EvalLiveCommand.Create());
        command.Subcommands.Add(EvalLiveCompareCommand.Create());
        command.Subcommands.Add(EvalLivePredictCommand.Create());
        return command;
    }

    /// <summary>Opens a policy file, registers it in <paramref name="opened"/> for disposal, and refuses a layout the simulator does not produce.</summary>
    private static OnnxLogitsModel OpenPolicy(FileInfo file, EdgeAgent.Core.Observation.FeatureLayout layout, List<OnnxLogitsModel> opened)
    {
        var model = new OnnxLogitsModel(file.FullName);
        opened.Add(model);
        model.ReadRowsOf(layout);
        return model;
    }

    /// <summary>Every fixed-preference policy in <paramref name="directory"/>, as one method whose variants each play at their own preference.</summary>
    private static MethodSpec LoadUpperBound(DirectoryInfo directory, EdgeAgent.Core.Observation.FeatureLayout layout, List<OnnxLogitsModel> opened)
    {
        if (!directory.Exists)
        {
            throw new ArgumentException($"--upper-bound: directory '{directory.FullName}' does not exist.");
        }

        var files = directory.GetFiles("*.onnx").OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new ArgumentException($"--upper-bound: '{directory.FullName}' holds no .onnx policy.");
        }

        var variants = new List<ISimPolicy>();
        var weights = new List<double>();
        foreach (var file in files)
        {
            var m = OpenPolicy(file, layout, opened);
            var w = m.FixedDelayWeight ?? throw new ArgumentException($"--upper-bound: {file.Name} is not a fixed-preference policy (no '{OnnxLogitsModel.FixedDelayWeightKey}' in its metadata).");
            if (weights.Contains(w))
            {
                throw new ArgumentException($"--upper-bound: two policies are trained for w_delay = {w.ToString(CultureInfo.InvariantCulture)}.");
            }

            weights.Add(w);
            variants.Add(new LogitsPolicy(string.Create(CultureInfo.InvariantCulture, $"fixed w={w:0.###}"), m, m.Layout.MaxServers));
        }

        return new MethodSpec(MethodSpec.UpperBoundName, variants, OwnPreferences: weights);
    }

    /// <summary>The rollout continuation named on the command line (greedy, heuristic, both).</summary>
    internal static Learning.Baselines.RolloutContinuation ParseContinuation(string name) => name switch
    {
        "heuristic" => Learning.Baselines.RolloutContinuation.Heuristic,
        "both" => Learning.Baselines.RolloutContinuation.GreedyOrHeuristic,
        _ => Learning.Baselines.RolloutContinuation.Greedy,
    };

    private static Command CreateDecisions()
    {
        var policy = new Option<FileInfo>("--policy") { Description = "ONNX policy file (the student).", Required = true };
        var contexts = new Option<string>("--contexts") { Description = "Agent context set.", DefaultValueFactory = _ => "demo-fast-cloud" };
        var weights = new Option<string>("--weights") { Description = "Comma-separated delay weights.", DefaultValueFactory = _ => "0.6,0.62,0.64,0.66,0.67,0.68,0.7,0.72,0.74,0.76" };
        var episodes = new Option<int>("--episodes") { Description = "Episodes per weight.", DefaultValueFactory = _ => 10 }.MustBeBetween(1, 100_000);
        var seed = new Option<ulong>("--seed") { Description = "Run seed.", DefaultValueFactory = _ => 21 };
        var driver = new Option<string>("--driver") { Description = "Who plays the episodes: policy, heuristic, greedy-expected, rollout, rollout-observed, rollout-observed-both (continuing with greedy or the heuristic, the better) or rollout-observed-state (as rollout-observed-both, and its futures also redraw the realised remaining times and the lines of pages still in detection).", DefaultValueFactory = _ => "heuristic" };
        driver.AcceptOnlyFromAmong("policy", "heuristic", "greedy-expected", "rollout", "rollout-observed", "rollout-observed-both", "rollout-observed-state");
        var command = new Command("decisions", "Diagnostic: the policy file, the heuristic, greedy-expected and the rollout teacher (with and without the simulator's hidden draws) asked on the same states, which one of them (--driver) reaches; per model, each one's share of decisions per row and its agreement with the driver.");
        foreach (var o in new Option[] { policy, contexts, weights, episodes, seed, driver })
        {
            command.Options.Add(o);
        }

        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            try
            {
                var file = parseResult.GetValue(policy)!;
                var (range, _) = AgentContexts.Get(parseResult.GetValue(contexts)!);
                var prototype = new AgentVecEnv(range, 1, parseResult.GetValue(seed), autoReset: false,
                    layout: PolicyOwnColumns.Of([file.FullName]).Layout);
                using var model = new OnnxLogitsModel(file.FullName);
                model.ReadRowsOf(prototype.Layout);
                var deciders = new ISimPolicy[]
                {
                    new LogitsPolicy("policy", model, model.Layout.MaxServers),
                    Learning.Baselines.CorePolicyBaseline.Heuristic(),
                    new Learning.Baselines.ExpectedGreedyPolicy(),
                    new Learning.Baselines.RolloutPolicy(),
                    new Learning.Baselines.RolloutPolicy(observedOnly: true),
                    new Learning.Baselines.RolloutPolicy(observedOnly: true, continuation: Learning.Baselines.RolloutContinuation.GreedyOrHeuristic),
                    new Learning.Baselines.RolloutPolicy(continuation: Learning.Baselines.RolloutContinuation.GreedyOrHeuristic, observedState: true),
                };
                var names = new[] { "policy", "heuristic", "greedy-expected", "rollout", "rollout-observed", "rollout-observed-both", "rollout-observed-state" };
                var ws = parseResult.GetValue(weights)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var w) && w is >= 0 and <= 1
                        ? w : throw new ArgumentException($"--weights: '{x}' is not a delay weight in [0, 1]."))
                    .ToList();
                if (ws.Count == 0)
                {
                    throw new ArgumentException("--weights: give at least one delay weight in [0, 1].");
                }
                output.Write(DecisionComparison.Run(prototype, deciders, Array.IndexOf(names, parseResult.GetValue(driver)), ws, parseResult.GetValue(episodes), parseResult.GetValue(seed)));
                return 0;
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or InvalidOperationException or EdgeAgent.Inference.Policy.PolicyFileException)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"edgeagent eval decisions: {ex.Message.ReplaceLineEndings(" ")}");
                return 2;
            }
        });
        return command;
    }

    private static Command CreateSpeed()
    {
        var edges = new Option<int>("--edges") { Description = "Edge servers E.", DefaultValueFactory = _ => 6 };
        var steps = new Option<long>("--steps") { Description = "Steps to time.", DefaultValueFactory = _ => 2_000_000 };
        var envs = new Option<int>("--envs") { Description = "Environments stepped as one batch.", DefaultValueFactory = _ => 1 };
        var profile = new Option<string>("--profile") { Description = "Simulator profile (gmorl, shannon, gmorl-local, agent; agent draws its training contexts and ignores --edges).", DefaultValueFactory = _ => "gmorl" };
        var command = new Command("speed", "Simulator steps per second with random actions on one core (observation encoded every step), and the ratio to the reference Python environment's figure.");
        command.Options.Add(edges);
        command.Options.Add(steps);
        command.Options.Add(envs);
        command.Options.Add(profile);
        command.SetAction(parseResult =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            try
            {
                if (parseResult.GetValue(profile) == Learning.Simulation.Agent.AgentVecEnv.ProfileName)
                {
                    var agentEnv = new Learning.Simulation.Agent.AgentVecEnv(Learning.Simulation.Agent.AgentContextRange.Train, 1, 1);
                    var a = SimulatorSpeed.Measure(agentEnv, parseResult.GetValue(envs), parseResult.GetValue(steps), 1);
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"profile agent, training contexts (0-8 peers), {parseResult.GetValue(envs)} env(s), random actions, one thread: {a.Steps:N0} steps in {a.Seconds:0.000} s = {a.StepsPerSecond:N0} steps/s wall clock; {a.CpuSeconds:0.000} s of processor time = {a.StepsPerCpuSecond:N0} steps/s ({a.Episodes} episodes)"));
                    return 0;
                }

                var p = MecParameters.ForProfile(parseResult.GetValue(profile)!);
                var e = parseResult.GetValue(edges);
                var r = SimulatorSpeed.Measure(p, ContextRange.Fixed(e, 4e9, 2e9), parseResult.GetValue(envs), parseResult.GetValue(steps), 1);
                var inv = CultureInfo.InvariantCulture;
                output.WriteLine(string.Create(inv, $"profile {p.Profile}, E = {e}, {parseResult.GetValue(envs)} env(s), random actions, one thread: {r.Steps:N0} steps in {r.Seconds:0.000} s = {r.StepsPerSecond:N0} steps/s wall clock; {r.CpuSeconds:0.000} s of processor time = {r.StepsPerCpuSecond:N0} steps/s ({r.Episodes} episodes)"));
                output.WriteLine(string.Create(inv, $"ratio to the reference Python environment ({SimulatorSpeed.ReferencePythonStepsPerSecond:N0} steps/s at E = 6 on one core of this machine class; an external figure, Python is not run in this process): {r.StepsPerSecond / SimulatorSpeed.ReferencePythonStepsPerSecond:0.0}x wall clock, {r.StepsPerCpuSecond / SimulatorSpeed.ReferencePythonStepsPerSecond:0.0}x processor time"));
                return 0;
            }
            catch (ArgumentException ex)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"eval speed: {ex.Message}");
                return 2;
            }
        });
        return command;
    }

    internal static ContextRange BuildContexts(string? named, int? edges, int? edgesMin, int? edgesMax, double? cloudGhz, string? cloudRange, double? edgeGhz, string? edgeRange)
    {
        var baseRange = named switch
        {
            null => ContextRange.Benchmark,
            "train" => ContextRange.Train,
            "test" => ContextRange.Test,
            _ => throw new ArgumentException($"--contexts must be 'train' or 'test'; got '{named}'."),
        };
        if (edges is { } e)
        {
            baseRange = baseRange with { EdgesMin = e, EdgesMax = e };
        }

        if (edgesMin is not null || edgesMax is not null)
        {
            baseRange = baseRange with { EdgesMin = edgesMin ?? baseRange.EdgesMin, EdgesMax = edgesMax ?? baseRange.EdgesMax };
        }

        if (cloudGhz is { } c)
        {
            baseRange = baseRange with { CloudHzMin = c * 1e9, CloudHzMax = c * 1e9 };
        }

        if (cloudRange is not null)
        {
            var (lo, hi) = ParseRange(cloudRange, "--cloud-ghz-range");
            baseRange = baseRange with { CloudHzMin = lo * 1e9, CloudHzMax = hi * 1e9 };
        }

        if (edgeGhz is { } g)
        {
            baseRange = baseRange with { EdgeHzMin = g * 1e9, EdgeHzMax = g * 1e9 };
        }

        if (edgeRange is not null)
        {
            var (lo, hi) = ParseRange(edgeRange, "--edge-ghz-range");
            baseRange = baseRange with { EdgeHzMin = lo * 1e9, EdgeHzMax = hi * 1e9 };
        }

        return baseRange;
    }

    private static (double Lo, double Hi) ParseRange(string text, string option)
    {
        var parts = text.Split(':');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var lo)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var hi))
        {
            return (lo, hi);
        }

        throw new ArgumentException($"{option} must be MIN:MAX in GHz (for example 3:5); got '{text}'.");
    }
}
