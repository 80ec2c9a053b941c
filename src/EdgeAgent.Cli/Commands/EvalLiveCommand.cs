using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Cluster;
using EdgeAgent.Demo.Live;
using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Learning.Simulation.Agent.Calibration;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent eval live`: the live (delay, energy) front of the demo cluster against the simulator's prediction on the calibrated context.</summary>
internal static class EvalLiveCommand
{
    public static Command Create()
    {
        static DemoSettings Defaults() => new();
        var duration = new Option<TimeSpan>("--duration") { Description = "How long the workload runs at each preference: 20, 20s, 2m (a bare number is seconds).", DefaultValueFactory = _ => TimeSpan.FromSeconds(20), CustomParser = DurationArgument.Parse };
        var rate = new Option<double>("--rate") { Description = "OCR items per second.", DefaultValueFactory = _ => 1.5 };
        var policy = new Option<string>("--policy") { Description = "The agent's policy: learned, heuristic, local or peer.", DefaultValueFactory = _ => "learned" };
        policy.AcceptOnlyFromAmong("learned", "heuristic", "local", "peer");
        var policyFile = new Option<string?>("--policy-file") { Description = "The learned policy's ONNX file (default: policies/agent-default.onnx beside the binary)." };
        var preferences = new Option<int>("--preferences") { Description = "Delay weights evenly spaced over [0, 1] (11: 0, 0.1, ..., 1).", DefaultValueFactory = _ => 11 };
        var preferenceValues = new Option<string?>("--preference-values") { Description = "The delay weights to sweep, comma-separated (0,0.1,0.15,0.2,0.3,1), each in [0, 1] and given once, instead of --preferences' even spacing: a comparison's time goes to the weights where the policies can differ." };
        var linkProfile = new Option<string>("--link-profile") { Description = "The demo peers: NAME:rtt=5ms,bw=200mbit,speed=2.4;NAME:... or 'default'.", DefaultValueFactory = _ => "default" };
        var calibration = new Option<string?>("--calibration") { Description = "Predict with this calibration file (default: fit one from this run's own decision log)." };
        var episodes = new Option<int>("--episodes") { Description = "Simulated episodes of 100 decisions per preference (with --observed-estimates run: a tenth of it, at least 1, at each of the mixture's 100 contexts).", DefaultValueFactory = _ => 16 };
        var report = new Option<string>("--report") { Description = "Directory for the decision log, calibration.json, report.json, report.md and fronts.png.", DefaultValueFactory = _ => "eval-live" };
        var models = new Option<string>("--models") { Description = "Model repository with the PaddleOCR models.", DefaultValueFactory = _ => Defaults().ModelsPath };
        models.MustNotBeEmpty();
        var seed = new Option<int>("--seed") { Description = "Seed of the rendered workload and of the simulated episodes.", DefaultValueFactory = _ => 1 };
        var realLinks = new Option<bool>("--real-links") { Description = "Run each peer as its own process in a Linux network namespace behind a veth pair with tbf at its profile's bandwidth (needs root and iproute2; this kernel has no netem, so the round trip stays emulated in the agent). Without it, or where namespaces cannot be made, peers run in-process with emulated links." };
        var fromLog = new Option<bool>("--from-log") { Description = "Do not run the cluster: predict the runs already logged in --report's decision log again (e.g. after changing the simulator or the calibration)." };
        var observed = new Option<string>("--observed-estimates") { Description = "Which of the agent's own estimates (expected execution times, RTT, throughput) the simulated policy sees: 'run' (each preference's from its own run in the log, sizes, link estimates and response-size records each mixed over the run's spread), 'run-median' (each run's medians) or 'log' (the calibration's, the same for every run).", DefaultValueFactory = _ => LiveEvaluation.EstimatesRun };
        observed.AcceptOnlyFromAmong(LiveEvaluation.EstimatesRun, LiveEvaluation.EstimatesRunMedian, LiveEvaluation.EstimatesLog);
        var sizeMix = new Option<string>("--size-mix") { Description = "With --observed-estimates run: 'per-job' (each simulated job draws its size from the run's 5-95 % levels, as a live run mixes them) or 'per-context' (one size level per simulated context, the prediction before 5 December 2026).", DefaultValueFactory = _ => LiveEvaluation.SizesPerJob };
        sizeMix.AcceptOnlyFromAmong(LiveEvaluation.SizesPerJob, LiveEvaluation.SizesPerContext);
        var clientCap = new Option<int>("--client-cap") { Description = "Items in flight the simulated client allows, as the demo's driver (an arrival due at the cap waits for an item to finish); 0: open arrivals (the prediction before 5 December 2026).", DefaultValueFactory = _ => WorkloadDriver.DefaultMaxInFlight };
        var passes = new Option<int>("--passes") { Description = "Passes over the preferences, forward then backward then forward ... (each run --duration long; each preference's point pools its runs, the calibration all runs): with 2 or more the machine's drift over the sweep does not fall on the last preferences.", DefaultValueFactory = _ => 1 };
        var dynamics = new Option<string>("--estimator-dynamics") { Description = "The agent's estimates in the prediction: 'off' (fixed within each simulated context) or 'exec' (each server's execution-time estimate of each model moves with the simulated runs' times, recency-weighted as the agent's executors estimate them).", DefaultValueFactory = _ => LiveEvaluation.DynamicsOff };
        var peerReports = new Option<string>("--peer-reports") { Description = "The simulated agent's picture of each peer's queue: 'lagged' (as the live agent's, from the peer's last load report, sent every Agent:LoadReportInterval) or 'exact' (the queue as it is at each decision: the prediction before 5 December 2026 16:00 UTC).", DefaultValueFactory = _ => LiveEvaluation.ReportsLagged };
        var order = new Option<string>("--order") { Description = "The order of the (first) pass over the preferences: 'forward' (w_delay 0 first) or 'backward' (w_delay 1 first, so the greedy end, whose burst of offloads can leave the agent's link estimates far below the links, runs last).", DefaultValueFactory = _ => "forward" };
        var traceObservations = new Option<string?>("--trace-observations") { Description = "Also write the prospective prediction's simulated observations to this CSV file (each decision of the first episode at every mixture context: one line per present candidate, the features by name), to set beside the decision log's rows at a switch point." };
        var command = new Command("live",
            "Sweep the preferences on the demo cluster (an agent and emulated peers on loopback) with the identical OCR workload at each, measure the live (delay, device energy per request) points from the agent's decision log, calibrate the simulator from that log (or --calibration), predict each point with the same policy in the agent simulator, and print both with the gap per point and the term (queueing, transfer, execution, agent overhead; compute or radio energy) that explains it; writes report.json, report.md and fronts.png.");
        foreach (var option in new Option[] { duration, rate, policy, policyFile, preferences, preferenceValues, linkProfile, calibration, episodes, report, models, seed, realLinks, fromLog, observed, sizeMix, clientCap, passes, dynamics, peerReports, order, traceObservations })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            LiveEvaluation evaluation;
            string directory;
            try
            {
                var count = parseResult.GetValue(preferences);
                if (count is < 2 or > 101)
                {
                    throw new ArgumentException($"--preferences must be between 2 and 101, got {count}.");
                }

                var values = parseResult.GetValue(preferenceValues);
                if (values is not null && parseResult.Tokens.Any(t => t.Value == "--preferences"))
                {
                    throw new ArgumentException("give --preferences or --preference-values, not both.");
                }

                var sweep = values is null ? DemoComparison.EvenPreferences(count, 0.5) : ParsePreferenceValues(values);

                if (parseResult.GetValue(episodes) is var e && e is < 1 or > 4096)
                {
                    throw new ArgumentException($"--episodes must be between 1 and 4096, got {e}.");
                }

                if (!DemoProfiles.TryParseContext(parseResult.GetValue(linkProfile)!, out var peers, out var why))
                {
                    throw new ArgumentException($"--link-profile: {why}.");
                }

                var file = parseResult.GetValue(policyFile) is { } f ? Path.GetFullPath(f) : null;
                if (file is not null && !File.Exists(file))
                {
                    throw new ArgumentException($"--policy-file: {file} does not exist.");
                }

                if (parseResult.GetValue(passes) is var n && n is < 1 or > 20)
                {
                    throw new ArgumentException($"--passes must be between 1 and 20, got {n}.");
                }

                if (parseResult.GetValue(dynamics) is not (LiveEvaluation.DynamicsOff or LiveEvaluation.DynamicsExec) and var d)
                {
                    throw new ArgumentException($"--estimator-dynamics must be '{LiveEvaluation.DynamicsOff}' or '{LiveEvaluation.DynamicsExec}', got '{d}'.");
                }

                if (parseResult.GetValue(order) is not ("forward" or "backward") and var o)
                {
                    throw new ArgumentException($"--order must be 'forward' or 'backward', got '{o}'.");
                }

                if (parseResult.GetValue(peerReports) is not (LiveEvaluation.ReportsExact or LiveEvaluation.ReportsLagged) and var pr)
                {
                    throw new ArgumentException($"--peer-reports must be '{LiveEvaluation.ReportsLagged}' or '{LiveEvaluation.ReportsExact}', got '{pr}'.");
                }

                var demo = new DemoSettings
                {
                    Duration = parseResult.GetValue(duration),
                    Rate = parseResult.GetValue(rate),
                    Policy = parseResult.GetValue(policy)!,
                    PolicyFile = file,
                    Peers = peers,
                    ModelsPath = parseResult.GetValue(models)!,
                    Seed = parseResult.GetValue(seed),
                };
                if (parseResult.GetValue(realLinks) && !parseResult.GetValue(fromLog))
                {
                    if (NetworkNamespacePeer.Unavailable() is { } unavailable)
                    {
                        await error.WriteLineAsync($"edgeagent eval live: --real-links: {unavailable}; the peers run in-process with emulated links instead.");
                    }
                    else
                    {
                        demo = demo with { RealLinks = BenchCommand.SelfCommand() ?? throw new ArgumentException("--real-links: cannot tell how this edgeagent was started, so it cannot start peer processes.") };
                    }
                }

                demo.Validate();
                directory = Path.GetFullPath(parseResult.GetValue(report)!);
                evaluation = new LiveEvaluation(new LiveEvaluationSettings
                {
                    Demo = demo,
                    Preferences = sweep,
                    OutputDirectory = directory,
                    CalibrationPath = parseResult.GetValue(calibration),
                    Episodes = e,
                    Seed = (ulong)parseResult.GetValue(seed),
                    ObservedEstimates = parseResult.GetValue(observed)!,
                    SizeMix = parseResult.GetValue(sizeMix)!,
                    ClientMaxInFlight = parseResult.GetValue(clientCap) is var cap && cap is >= 0 and <= 1024 ? cap : throw new ArgumentException($"--client-cap must be between 0 and 1024, got {cap}."),
                    Passes = n,
                    Backward = parseResult.GetValue(order) == "backward",
                    EstimatorDynamics = parseResult.GetValue(dynamics)!,
                    PeerReports = parseResult.GetValue(peerReports)!,
                    ObservationTracePath = parseResult.GetValue(traceObservations) is { } tracePath ? Path.GetFullPath(tracePath) : null,
                });
            }
            catch (ArgumentException ex)
            {
                await error.WriteLineAsync("edgeagent eval live: " + ex.Message);
                return 2;
            }

            LiveEvaluationReport result;
            try
            {
                if (parseResult.GetValue(fromLog))
                {
                    result = evaluation.Predict(line => output.WriteLine(line));
                }
                else
                {
                    await output.WriteLineAsync($"Live runs write their decisions to {evaluation.DatabasePath}.");
                    result = await evaluation.RunAsync(TimeProvider.System, line => output.WriteLine(line), cancellationToken);
                }
            }
            catch (Exception ex) when (ex is ArgumentException or CalibrationException or DecisionDatabaseException or PackageFetchException or Node.Hosting.NodeStartupException or Inference.Policy.PolicyFileException)
            {
                await error.WriteLineAsync("edgeagent eval live: " + ex.Message);
                return 2;
            }

            await output.WriteLineAsync();
            await output.WriteLineAsync(LiveEvaluation.Format(result));
            foreach (var path in LiveEvaluation.Write(result, directory))
            {
                await output.WriteLineAsync("wrote " + path);
            }

            return 0;
        });
        return command;
    }

    /// <summary>
    /// The delay weights of --preference-values, ascending: 2 to 101 numbers in [0, 1] (invariant culture), each once
    /// (a weight given twice would pool two runs into one point of the front).
    /// </summary>
    /// <exception cref="ArgumentException">The list cannot be used; the message names the option and the value.</exception>
    internal static IReadOnlyList<double> ParsePreferenceValues(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var weights = new List<double>(parts.Length);
        foreach (var part in parts)
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || !double.IsFinite(w))
            {
                throw new ArgumentException($"--preference-values: '{part}' in '{text}' is not a number; give delay weights in [0, 1], comma-separated (0,0.1,0.2,1).");
            }

            if (w is < 0 or > 1)
            {
                throw new ArgumentException($"--preference-values: {part} is outside [0, 1].");
            }

            // The log's runs are matched to a weight within 1e-6 (LiveEvaluation.Predict), so closer weights are one run.
            if (weights.Any(v => Math.Abs(v - w) < 1e-6))
            {
                throw new ArgumentException($"--preference-values: {part} is given twice.");
            }

            // The sweep's unmeasured warm-up runs are logged at these weights; a measured run there would pool with them.
            if (DemoComparison.WarmUpPreferences.Any(v => Math.Abs(v - w) < 1e-6))
            {
                throw new ArgumentException($"--preference-values: {part} is a weight of the sweep's unmeasured warm-up runs ({string.Join(", ", DemoComparison.WarmUpPreferences.Select(v => v.ToString(CultureInfo.InvariantCulture)))}); choose another.");
            }

            weights.Add(Math.Round(w, 6));
        }

        if (weights.Count is < 2 or > 101)
        {
            throw new ArgumentException($"--preference-values needs between 2 and 101 delay weights, got {weights.Count}.");
        }

        weights.Sort();
        return weights;
    }
}
