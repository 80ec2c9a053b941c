using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Live;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Export;
using EdgeAgent.Learning.Nn;
using EdgeAgent.Learning.Sac;
using EdgeAgent.Learning.Simulation;
using EdgeAgent.Learning.Simulation.Agent;
using EdgeAgent.Learning.Simulation.Agent.Calibration;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent train`: preference-conditioned Discrete SAC on the simulator, exported to an ONNX policy.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", "Train an offloading policy with Discrete SAC in the simulator and export it to ONNX.");
        var profile = new Option<string>("--profile") { Description = "Simulator profile: " + string.Join(", ", MecParameters.ProfileNames) + " or " + AgentVecEnv.ProfileName + " (what the live agent faces: the device's variants and 0-8 peers).", DefaultValueFactory = _ => "gmorl" };
        var output = new Option<FileInfo>("--out") { Description = "Policy file to write (.onnx).", Required = true };
        var minutes = new Option<double>("--minutes") { Description = "Wall-clock training budget in minutes.", DefaultValueFactory = _ => 60 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of environments, networks and sampling.", DefaultValueFactory = _ => 1 };
        var edgesMax = new Option<int?>("--edges-max") { Description = "E_max: most edge servers (S = E_max + 1; default 10). The gmorl profiles only: the agent profile has S = 11 (3 local variants, 8 peers)." };
        var resume = new Option<FileInfo?>("--resume") { Description = "Checkpoint to continue from, or a policy file (.onnx) whose actor to start from (critics fresh: continue with --bc-updates cloning)." };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "Checkpoint file written every few minutes (default: OUT with .ckpt)." };
        var checkpointMinutes = new Option<double>("--checkpoint-minutes") { Description = "Minutes between checkpoints.", DefaultValueFactory = _ => 3 };
        var fixedPreference = new Option<double?>("--fixed-preference") { Description = "Train for this w_delay only: one policy of the multi-policy upper bound (gmorl profiles: at the benchmark context E = 6, 4/2 GHz; agent: over --contexts)." };
        var contexts = new Option<string>("--contexts") { Description = "Context ranges drawn per episode. gmorl profiles: train (E 1..8, 3.5-4.5/1.75-2.25 GHz), test (E 1..E_max, 3-5/1.5-2.5 GHz) or benchmark (E = 6, 4/2 GHz); agent: " + string.Join(", ", AgentContexts.Names) + ".", DefaultValueFactory = _ => "train" };
        var ownTraffic = new Option<bool>("--own-traffic") { Description = "Agent profile: observe in the own-traffic layout (F = 42: the agent's own requests in flight, its upload backlog and arriving work per peer, and the delay and device-energy estimates with them; the committed agent-default.onnx's layout; --own-rate adds the column the live agent also produces). Resuming a policy file of the 37- or 41-column layout maps its columns by name (new columns start at zero)." };
        var ownRate = new Option<bool>("--own-rate") { Description = "Agent profile: the own-traffic layout plus the agent's own recent request rate (F = 43: own_request_rate, log2(1 + requests/s), Core's OwnRequestRate, decayed over 2 s; what the live agent produces). Implies --own-traffic. Resuming a file of an older layout maps its columns by name (the new column starts at zero)." };
        var ownPipeline = new Option<bool>("--own-pipeline") { Description = "Agent profile: the --own-rate layout plus the agent's own requests in flight that a later stage of their page follows (F = 44: own_followed_in_flight, log2(1 + requests); the live agent counts requests its client marks with the parameter edgeagent.followed). Implies --own-rate. Resuming a file of an older layout maps its columns by name (the new column starts at zero)." };
        var ownBatch = new Option<bool>("--own-batch") { Description = "Agent profile: the --own-pipeline layout plus the agent's own requests that arrive with the one being decided and are decided right after it (F = 45: own_batch_after, log2(1 + requests); a page's other lines when they go out at once after its detection; the live agent reads it from the request parameter edgeagent.batch_after). Implies --own-pipeline. Resuming a file of an older layout maps its columns by name (the new column starts at zero)." };
        var calibration = new Option<FileInfo?>("--calibration") { Description = "Agent profile: train on the context `edgeagent calibrate --from-log` fitted to a deployment (every episode that context, arrivals drawn per episode) instead of --contexts; with --resume policies/agent-default.onnx a fine-tune for that deployment. Writing --out over the agent's --policy-file makes the agent reload it." };
        var peerReports = new Option<string>("--peer-reports") { Description = "With --calibration: the simulated agent's picture of each peer's queue: 'lagged' (from the peer's last load report, sent every Agent:LoadReportInterval, as the live agent sees it and as `eval live` predicts) or 'exact' (the queue at each decision, as the generic training contexts show it; fine-tunes before 5 December 2026 19:00 UTC).", DefaultValueFactory = _ => LiveEvaluation.ReportsLagged };
        peerReports.AcceptOnlyFromAmong(LiveEvaluation.ReportsLagged, LiveEvaluation.ReportsExact);
        var environments = new Option<int?>("--environments") { Description = "Parallel environments (default 32)." };
        var batch = new Option<int?>("--batch") { Description = "Minibatch size (default 256)." };
        var hidden = new Option<int?>("--hidden") { Description = "Hidden width of actor and critics (default 64)." };
        var learningRate = new Option<double?>("--lr") { Description = "Learning rate of actor and critics (default 3e-4)." };
        var cloning = new Option<int?>("--bc-updates") { Description = "Warm-start updates cloning the greedy baseline (default 2000; 0 disables)." };
        var updatesPerStep = new Option<int?>("--updates-per-step") { Description = "Gradient steps per vector step of all environments (default 1)." };
        var gamma = new Option<double?>("--gamma") { Description = "Discount (default 0.95)." };
        var nStep = new Option<int?>("--n-step") { Description = "n of n-step returns (default 3)." };
        var temperature = new Option<double?>("--temperature") { Description = "Initial entropy temperature (default 0.05)." };
        var fixedTemperature = new Option<bool>("--fixed-temperature") { Description = "Keep the temperature fixed instead of tuning it toward the target entropy." };
        var progressSeconds = new Option<double>("--progress-seconds") { Description = "Seconds between progress lines.", DefaultValueFactory = _ => 30 };
        var probeMinutes = new Option<double>("--probe-minutes") { Description = "Minutes between probes of policy against greedy (0 disables).", DefaultValueFactory = _ => 2 };
        var teacher = new Option<string>("--teacher") { Description = "Planner the warm start clones: greedy (immediate marginal cost) or rollout (greedy continuation over sampled futures; slower labels, better actions).", DefaultValueFactory = _ => "greedy" };
        teacher.AcceptOnlyFromAmong("greedy", "rollout");
        var teacherWeight = new Option<double?>("--teacher-weight") { Description = "Weight of the teacher's cross-entropy kept in SAC's actor loss after the warm start (default 0: pure SAC)." };
        var dagger = new Option<double?>("--dagger") { Description = "While cloning, the chance an environment follows the actor's own action, so the teacher labels the states the actor reaches (default 0)." };
        var cloningExploration = new Option<double?>("--cloning-exploration") { Description = "While cloning, the chance an environment acts at random (before --dagger's share; exploration for the critics; default 0.2). With --dagger 1 and a small value the teacher labels nearly only the states the actor's own actions reach." };
        var rolloutHorizon = new Option<int?>("--rollout-horizon") { Description = "Greedy steps the rollout teacher simulates after each tried placement (default 10)." };
        var focus = new Option<double?>("--focus") { Description = "Share of drawn preferences taken from [--focus-min, 1], by default [0.8, 1], where the gmorl profile's trade-off lies (default 0.5; 0 with --low-focus 0 draws uniformly)." };
        var focusMin = new Option<double?>("--focus-min") { Description = "Lower end of the focused preference range [--focus-min, 1], w_delay in [0, 1) (default 0.8)." };
        var lowFocus = new Option<double?>("--low-focus") { Description = "Share of drawn preferences taken from [0, --low-focus-max], where servers differ only by upload energy (default 0.1)." };
        var preferenceEncoding = new Option<string>("--preference-encoding") { Description = "How the preference enters the networks: linear (w_delay, w_energy) or log (also ln(w + 0.01), finer near either end). Resuming a linear checkpoint with log widens it with zero weights.", DefaultValueFactory = _ => "linear" };
        preferenceEncoding.AcceptOnlyFromAmong("linear", "log");
        var lowFocusMax = new Option<double?>("--low-focus-max") { Description = "Upper end of the low-focus preference range, w_delay in (0, 1] (default 0.1)." };
        var endpoints = new Option<double?>("--endpoints") { Description = "Share of drawn preferences that are exactly w_delay = 0 or 1, half each (default 0)." };
        var costFeatures = new Option<bool>("--cost-features") { Description = "Give the networks a scalarised cost estimate per server (gap to the cheapest server, log delay share, cheapest flag), computed inside the policy file from its inputs: the gmorl profiles' closed form, or the agent layout's own delay and energy estimates normalised by the device's fp32 row. Resuming a checkpoint or policy file without it widens it with zero weights." };
        var greedyBelow = new Option<float?>("--greedy-below") { Description = "With --cost-features: below this w_delay the actor's logits blend toward the cheapest server by the cost estimate, exactly it at w_delay = 0 (default 0: off). Resuming a checkpoint with another value keeps every weight." };
        var rewardUnits = new Option<string>("--reward-units") { Description = "Agent profile: how each task's delay and energy are scaled into the rewards (and the rollout teacher's costs): model (by its model's fp32 time and energy on the idle device) or item (every model's seconds and joules alike, by the mix's mean fp32 task: the units of an OCR item's delay and joules). Recorded in the policy file's edgeagent.training.reward_units.", DefaultValueFactory = _ => "model" };
        rewardUnits.AcceptOnlyFromAmong("model", "item");
        var rolloutObserved = new Option<bool>("--rollout-observed") { Description = "Agent profile: the rollout teacher's sampled futures also redraw what the simulator has drawn but the observation does not carry (the next arrival, the current page's lines, realised execution times), so it labels decisions the actor can learn from what it sees." };
        var rolloutObservedState = new Option<bool>("--rollout-observed-state") { Description = "Agent profile: as --rollout-observed (implies it), and the teacher's sampled futures also redraw the realised remaining times of the runs already running or queued and the lines of pages still in detection, so it plans on the current state only as the observation summarises it." };
        var rolloutContinuation = new Option<string>("--rollout-continuation") { Description = "Agent profile: what the rollout teacher continues with after each tried placement: greedy, heuristic, or both (each row valued at the better of the two: labels at least as good as either's own decisions).", DefaultValueFactory = _ => "greedy" };
        rolloutContinuation.AcceptOnlyFromAmong("greedy", "heuristic", "both");
        var rolloutFutures = new Option<int?>("--rollout-futures") { Description = "Sampled futures per tried placement of the rollout teacher (default 4)." };
        Option[] all = [profile, output, minutes, seed, edgesMax, ownTraffic, ownRate, ownPipeline, ownBatch, resume, checkpoint, checkpointMinutes, fixedPreference, contexts, environments, batch, hidden,
            learningRate, cloning, updatesPerStep, gamma, nStep, temperature, fixedTemperature, progressSeconds, probeMinutes,
            teacher, teacherWeight, dagger, cloningExploration, rolloutHorizon, rolloutFutures, rolloutObserved, rolloutObservedState, rolloutContinuation, focus, focusMin, lowFocus, lowFocusMax, preferenceEncoding, costFeatures, endpoints, greedyBelow, calibration, peerReports, rewardUnits];
        foreach (var o in all)
        {
            command.Options.Add(o);
        }

        command.SetAction((parseResult, cancellationToken) =>
        {
            var console = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            try
            {
                var profileName = parseResult.GetValue(profile)!;
                var isAgent = profileName == AgentVecEnv.ProfileName;
                var fixedW = parseResult.GetValue(fixedPreference);
                MecParameters? parameters = null;
                ContextRange? contextRange = null;
                IVecEnv? agentEnvironment = null;
                string contextText;
                if (isAgent)
                {
                    if (parseResult.GetValue(edgesMax) is not null)
                    {
                        throw new ArgumentException("--edges-max applies to the gmorl profiles; the agent profile has S = 11 (3 local variants, 8 peers).");
                    }

                    var calibrationFile = parseResult.GetValue(calibration);
                    if (calibrationFile is null && parseResult.Tokens.Any(t => t.Value == "--peer-reports"))
                    {
                        throw new ArgumentException("--peer-reports applies with --calibration (the generic training contexts show each peer's queue exactly).");
                    }

                    var (agentRange, description) = calibrationFile is not null
                        ? Calibrated(calibrationFile.FullName, parseResult.Tokens.Any(t => t.Value == "--contexts"), parseResult.GetValue(peerReports)!)
                        : AgentContexts.Get(parseResult.GetValue(contexts)!);
                    var withOwnBatch = parseResult.GetValue(ownBatch);
                    var withOwnPipeline = parseResult.GetValue(ownPipeline) || withOwnBatch;
                    var (withOwnTraffic, withOwnRate) = (parseResult.GetValue(ownTraffic) || parseResult.GetValue(ownRate) || withOwnPipeline, parseResult.GetValue(ownRate) || withOwnPipeline);
                    if (calibrationFile is not null && !withOwnTraffic && parseResult.GetValue(resume) is { } resumed
                        && string.Equals(resumed.Extension, ".onnx", StringComparison.OrdinalIgnoreCase) && resumed.Exists)
                    {
                        // A fine-tune resumes a policy file in its own layout (the committed agent-default.onnx has the
                        // own-traffic columns), so `train --calibration F --resume policies/agent-default.onnx` needs no layout flag.
                        (withOwnTraffic, withOwnRate, withOwnPipeline, withOwnBatch) = PolicyOwnColumns.Of([resumed.FullName]);
                        if (withOwnTraffic)
                        {
                            console.WriteLine($"layout of {resumed.Name}: {(withOwnBatch ? "own traffic, own request rate, own followed requests and own batch (as --own-batch)" : withOwnPipeline ? "own traffic, own request rate and own followed requests (as --own-pipeline)" : withOwnRate ? "own traffic and own request rate (as --own-rate)" : "own traffic (as --own-traffic)")}");
                        }
                    }

                    agentEnvironment = new AgentVecEnv(agentRange, 1, parseResult.GetValue(seed),
                        layout: EdgeAgent.Core.Observation.FeatureLayout.Agent(ownTraffic: withOwnTraffic, ownRate: withOwnRate, ownPipeline: withOwnPipeline, ownBatch: withOwnBatch),
                        rewardUnits: Enum.Parse<AgentRewardUnits>(parseResult.GetValue(rewardUnits)!, ignoreCase: true));
                    contextText = description;
                }
                else
                {
                    if (parseResult.GetValue(calibration) is not null)
                    {
                        throw new ArgumentException("--calibration applies to the agent profile (--profile agent).");
                    }

                    if (parseResult.Tokens.Any(t => t.Value == "--reward-units"))
                    {
                        throw new ArgumentException("--reward-units applies to the agent profile (--profile agent).");
                    }

                    parameters = MecParameters.ForProfile(profileName) with { MaxEdges = parseResult.GetValue(edgesMax) ?? 10 };
                    var contextName = fixedW is null ? parseResult.GetValue(contexts) : "benchmark";
                    contextRange = contextName switch
                    {
                        "train" => ContextRange.Train with { EdgesMax = Math.Min(ContextRange.Train.EdgesMax, parameters.MaxEdges) },
                        "test" => ContextRange.Test with { EdgesMax = parameters.MaxEdges },
                        "benchmark" => ContextRange.Fixed(Math.Min(6, parameters.MaxEdges), 4e9, 2e9),
                        _ => throw new ArgumentException($"--contexts must be train, test or benchmark; got '{contextName}'."),
                    };
                    contextText = contextRange.ToString();
                }

                var defaults = new SacOptions();
                var options = defaults with
                {
                    Environments = parseResult.GetValue(environments) ?? defaults.Environments,
                    BatchSize = parseResult.GetValue(batch) ?? defaults.BatchSize,
                    Hidden = parseResult.GetValue(hidden) ?? defaults.Hidden,
                    ActorLearningRate = parseResult.GetValue(learningRate) ?? defaults.ActorLearningRate,
                    CriticLearningRate = parseResult.GetValue(learningRate) ?? defaults.CriticLearningRate,
                    BehaviourCloningUpdates = parseResult.GetValue(cloning) ?? defaults.BehaviourCloningUpdates,
                    UpdatesPerStep = parseResult.GetValue(updatesPerStep) ?? defaults.UpdatesPerStep,
                    Gamma = parseResult.GetValue(gamma) ?? defaults.Gamma,
                    NStep = parseResult.GetValue(nStep) ?? defaults.NStep,
                    Temperature = parseResult.GetValue(temperature) ?? defaults.Temperature,
                    TuneTemperature = !parseResult.GetValue(fixedTemperature),
                    Teacher = Enum.Parse<TeacherKind>(parseResult.GetValue(teacher)!, ignoreCase: true),
                    TeacherWeight = parseResult.GetValue(teacherWeight) ?? defaults.TeacherWeight,
                    CloningStudentProbability = parseResult.GetValue(dagger) ?? defaults.CloningStudentProbability,
                    CloningExploration = parseResult.GetValue(cloningExploration) ?? defaults.CloningExploration,
                    RolloutHorizon = parseResult.GetValue(rolloutHorizon) ?? defaults.RolloutHorizon,
                    RolloutFutures = parseResult.GetValue(rolloutFutures) ?? defaults.RolloutFutures,
                    RolloutObservedOnly = parseResult.GetValue(rolloutObserved) || parseResult.GetValue(rolloutObservedState),
                    RolloutObservedState = parseResult.GetValue(rolloutObservedState),
                    RolloutContinuation = EvalCommand.ParseContinuation(parseResult.GetValue(rolloutContinuation)!),
                    FocusProbability = parseResult.GetValue(focus) ?? defaults.FocusProbability,
                    FocusDelayWeightMin = parseResult.GetValue(focusMin) ?? defaults.FocusDelayWeightMin,
                    LowFocusProbability = parseResult.GetValue(lowFocus) ?? defaults.LowFocusProbability,
                    LowFocusDelayWeightMax = parseResult.GetValue(lowFocusMax) ?? defaults.LowFocusDelayWeightMax,
                    PreferenceEncoding = Enum.Parse<PreferenceEncoding>(parseResult.GetValue(preferenceEncoding)!, ignoreCase: true),
                    UseCostFeatures = parseResult.GetValue(costFeatures),
                    EndpointProbability = parseResult.GetValue(endpoints) ?? defaults.EndpointProbability,
                    GreedyBelow = parseResult.GetValue(greedyBelow) ?? defaults.GreedyBelow,
                };
                options.Validate();
                var minutesValue = parseResult.GetValue(minutes);
                if (!(minutesValue > 0))
                {
                    throw new ArgumentException($"--minutes must be positive; got {minutesValue}.");
                }

                var outFile = parseResult.GetValue(output)!;
                var checkpointPath = parseResult.GetValue(checkpoint)?.FullName ?? Path.ChangeExtension(outFile.FullName, ".ckpt");
                var settings = new TrainingSettings
                {
                    Parameters = parameters,
                    Contexts = contextRange,
                    Environment = agentEnvironment,
                    ProbeDescription = isAgent ? "training contexts, other seeds" : null,
                    FixedDelayWeight = fixedW,
                    Duration = TimeSpan.FromMinutes(minutesValue),
                    Seed = parseResult.GetValue(seed),
                    CheckpointPath = checkpointPath,
                    CheckpointInterval = TimeSpan.FromMinutes(parseResult.GetValue(checkpointMinutes)),
                    ProgressInterval = TimeSpan.FromSeconds(parseResult.GetValue(progressSeconds)),
                    ProbeInterval = TimeSpan.FromMinutes(parseResult.GetValue(probeMinutes)),
                };
                var trainer = new SacTrainer(options, settings, TimeProvider.System);
                var resumeFile = parseResult.GetValue(resume);
                if (resumeFile is not null)
                {
                    if (string.Equals(resumeFile.Extension, ".onnx", StringComparison.OrdinalIgnoreCase))
                    {
                        trainer.LoadPolicyFile(resumeFile.FullName);
                    }
                    else
                    {
                        trainer.LoadCheckpoint(resumeFile.FullName);
                    }

                    console.WriteLine($"resumed from {resumeFile.FullName}: {trainer.EnvironmentSteps} steps, {trainer.Agent.Updates} updates"
                        + (trainer.Adapted is { } adapted ? $"; {adapted}" : ""));
                }

                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"training profile={trainer.Layout.Profile} S={trainer.Layout.MaxServers} F={trainer.Layout.FeatureCount} contexts={contextText} preference={(fixedW is null ? "conditioned" : fixedW.Value.ToString("0.###", CultureInfo.InvariantCulture))} actor={PolicyExporter.SizeSummary(trainer.Agent.Actor)} critics=2x{trainer.Agent.Critic1.ParameterCount} weights; {options}"));
                trainer.Run(p => console.WriteLine(p.ToString()), cancellationToken);
                var final = trainer.Probe();
                var probeText = string.Join(' ', final.Select(p => p.Describe()));
                var expectedText = final.All(p => double.IsFinite(p.ExpectedRatio)) ? "; after '/': policy/greedy-expected" : "";
                console.WriteLine($"final probe (policy/greedy scalarised cost, {trainer.ProbeContext}{expectedText}): {probeText}");
                var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    ["edgeagent.training.command"] = "edgeagent " + string.Join(' ', parseResult.Tokens.Select(t => t.Value)),
                    ["edgeagent.training.profile"] = trainer.Layout.Profile,
                    ["edgeagent.training.seed"] = settings.Seed.ToString(CultureInfo.InvariantCulture),
                    ["edgeagent.training.environment_steps"] = trainer.EnvironmentSteps.ToString(CultureInfo.InvariantCulture),
                    ["edgeagent.training.updates"] = trainer.Agent.Updates.ToString(CultureInfo.InvariantCulture),
                    ["edgeagent.training.contexts"] = contextText,
                    ["edgeagent.training.fixed_delay_weight"] = fixedW?.ToString("R", CultureInfo.InvariantCulture) ?? "",
                    ["edgeagent.training.final_probe"] = probeText,
                    ["edgeagent.training.reward_units"] = agentEnvironment is AgentVecEnv trained ? trained.RewardUnits.ToString().ToLowerInvariant() : "",
                };
                PolicyExporter.Save(trainer.Agent.Actor, trainer.Layout, outFile.FullName, metadata);
                console.WriteLine($"wrote {outFile.FullName} ({new FileInfo(outFile.FullName).Length} bytes) and checkpoint {checkpointPath}");
                return Task.FromResult(0);
            }
            catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or FormatException or CalibrationException)
            {
                error.WriteLine("edgeagent train: " + e.Message);
                return Task.FromResult(2);
            }
            catch (TrainingDivergedException e)
            {
                // No policy file is written: a NaN actor decides nothing sensible (and the agent would refuse it).
                error.WriteLine("edgeagent train: " + e.Message);
                return Task.FromResult(1);
            }
        });
        return command;
    }

    // The calibrated deployment as a fixed context range, and its description for the policy file's metadata (and `eval --calibration`'s report).
    // peerReports: LiveEvaluation.ReportsLagged (each peer's queue from its last load report, as the live agent sees it) or ReportsExact.
    internal static (AgentContextRange Range, string Description) Calibrated(string path, bool contextsGiven, string peerReports = LiveEvaluation.ReportsExact)
    {
        if (contextsGiven)
        {
            throw new ArgumentException("--calibration and --contexts exclude each other: the calibration is the context.");
        }

        var calibration = DeploymentCalibration.Read(path);
        var context = calibration.ToContext();
        var lagged = peerReports == LiveEvaluation.ReportsLagged;
        context.PeerReportIntervalSeconds = lagged ? LiveEvaluation.AgentReportIntervalSeconds() : 0;
        var peers = string.Join(", ", calibration.Peers.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Name} {p.RoundTripSeconds * 1000:0.#} ms {p.BitsPerSecond / 1e6:0.#} Mbit/s {p.Speed:0.##}x")));
        return (AgentContextRange.Fixed(context), string.Create(CultureInfo.InvariantCulture,
            $"calibrated {Path.GetFileName(path)} ({calibration.Source.Requests} requests of {calibration.Source.Database}; {context.ModelCount} models; peers {peers}; {calibration.Arrivals.JobsPerSecond:0.##} jobs/s {calibration.Arrivals.Kind}{(lagged ? string.Create(CultureInfo.InvariantCulture, $"; peer queues as their load reports every {context.PeerReportIntervalSeconds * 1000:0} ms show them") : "")})"));
    }
}
