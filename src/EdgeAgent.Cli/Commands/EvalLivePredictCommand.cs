using System.CommandLine;
using System.Globalization;
using System.Text;
using EdgeAgent.Core.Pareto;
using EdgeAgent.Learning.Baselines;
using EdgeAgent.Learning.Evaluation;
using EdgeAgent.Learning.Simulation.Agent;
using EdgeAgent.Learning.Simulation.Agent.Calibration;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// `edgeagent eval live-predict`: screening in eval live's own units, without a live run. Each policy
/// (learned files and baselines) is played in the agent simulator on one calibrated context at every
/// preference; its (mean delay, mean device energy per request) points form its front, as the live
/// front of `eval live` does, and each front's hypervolume is compared with the first policy's under
/// the pair's own reference point (1.1 x the worse of the two fronts' worst delay and energy, as
/// `eval live-compare` takes it over the sweeps it compares). Where a baseline's front beats the first
/// (generic) policy's by several percent, a fine-tune on that calibration has something to gain.
/// </summary>
internal static class EvalLivePredictCommand
{
    public static Command Create()
    {
        var calibration = new Option<string>("--calibration") { Description = "The deployment: a calibration file (`calibrate --from-log`, `eval live`, or one written for screening).", Required = true };
        var policies = new Option<string[]>("--policy-file") { Description = "Learned policy files; the first is the baseline every other front is compared with.", Required = true, AllowMultipleArgumentsPerToken = true };
        var baselines = new Option<string?>("--baselines") { Description = "Comma-separated baselines played as well: greedy-expected, heuristic, rollout, rollout-item (the rollout teacher scoring its look-ahead in item reward units, as `train --reward-units item`), all-local, all-peer.", DefaultValueFactory = _ => "greedy-expected,heuristic" };
        var preferences = new Option<int>("--preferences") { Description = "Delay weights evenly spaced over [0, 1].", DefaultValueFactory = _ => 11 };
        var episodes = new Option<int>("--episodes") { Description = "Simulated episodes of --steps decisions per preference.", DefaultValueFactory = _ => 20 };
        var steps = new Option<int>("--steps") { Description = "Decisions per episode.", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulated episodes (common to every policy).", DefaultValueFactory = _ => 1 };
        var clientCap = new Option<int>("--client-cap") { Description = "Items in flight the simulated client allows (the demo driver's 8); -1: the calibration file's own.", DefaultValueFactory = _ => WorkloadDriverCap };
        var peerReports = new Option<string>("--peer-reports") { Description = "The simulated agent's picture of each peer's queue: 'lagged' (from the peer's last load report, every Agent:LoadReportInterval, as the live agent's and as `eval live` predicts) or 'exact' (the queue at each decision; this tool before 5 December 2026 19:00 UTC).", DefaultValueFactory = _ => Demo.Live.LiveEvaluation.ReportsLagged };
        peerReports.AcceptOnlyFromAmong(Demo.Live.LiveEvaluation.ReportsLagged, Demo.Live.LiveEvaluation.ReportsExact);
        var probes = new Option<bool>("--no-probes") { Description = "Leave the agent's link probes out of the simulated energy." };
        var command = new Command("live-predict",
            "Screen a deployment in eval live's units without running it: play learned policies and baselines in the agent simulator on a calibration at every preference, print each front's (mean delay, mean device energy per request) points and its hypervolume against the first policy's (pairwise reference 1.1 x the worse of the two fronts' worst point, as eval live-compare takes it).");
        foreach (var option in new Option[] { calibration, policies, baselines, preferences, episodes, steps, seed, clientCap, peerReports, probes })
        {
            command.Options.Add(option);
        }

        command.SetAction((parseResult, cancellationToken) =>
        {
            var output = parseResult.InvocationConfiguration.Output;
            var error = parseResult.InvocationConfiguration.Error;
            var opened = new List<OnnxLogitsModel>();
            try
            {
                var count = parseResult.GetValue(preferences);
                if (count is < 2 or > 101)
                {
                    throw new ArgumentException($"--preferences must be between 2 and 101, got {count}.");
                }

                var n = parseResult.GetValue(episodes);
                if (n is < 1 or > 4096)
                {
                    throw new ArgumentException($"--episodes must be between 1 and 4096, got {n}.");
                }

                var stepCount = parseResult.GetValue(steps);
                if (stepCount is < 1 or > 100_000)
                {
                    throw new ArgumentException($"--steps must be between 1 and 100000, got {stepCount}.");
                }

                var path = parseResult.GetValue(calibration)!;
                var context = DeploymentCalibration.Read(path).ToContext();
                if (parseResult.GetValue(clientCap) is var cap && cap >= 0)
                {
                    context.MaxJobsInFlight = cap;
                }

                context.PeerReportIntervalSeconds = parseResult.GetValue(peerReports) == Demo.Live.LiveEvaluation.ReportsLagged ? Demo.Live.LiveEvaluation.AgentReportIntervalSeconds() : 0;

                var methods = new List<(string Name, ISimPolicy Policy, AgentRewardUnits Units)>();
                foreach (var file in parseResult.GetValue(policies)!)
                {
                    if (!File.Exists(file))
                    {
                        throw new ArgumentException($"--policy-file: {file} does not exist.");
                    }

                    var model = new OnnxLogitsModel(file);
                    opened.Add(model);
                    model.ReadRowsOf(Core.Observation.FeatureLayout.Agent(ownTraffic: true, ownRate: true, ownPipeline: true, ownBatch: true));
                    var name = Path.GetFileNameWithoutExtension(file);
                    while (methods.Any(m => m.Name == name))
                    {
                        name += "'";
                    }

                    methods.Add((name, new LogitsPolicy(name, model, model.Layout.MaxServers), AgentRewardUnits.Model));
                }

                foreach (var b in (parseResult.GetValue(baselines) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                {
                    methods.Add(b switch
                    {
                        "greedy-expected" => (b, new ExpectedGreedyPolicy(), AgentRewardUnits.Model),
                        "heuristic" => (b, CorePolicyBaseline.Heuristic(), AgentRewardUnits.Model),
                        "rollout" => (b, new RolloutPolicy(), AgentRewardUnits.Model),
                        "rollout-item" => (b, new RolloutPolicy(), AgentRewardUnits.Item),
                        "all-local" => (b, CorePolicyBaseline.AllLocal(), AgentRewardUnits.Model),
                        "all-peer" => (b, CorePolicyBaseline.AllPeer(), AgentRewardUnits.Model),
                        _ => throw new ArgumentException($"--baselines: unknown baseline '{b}'."),
                    });
                }

                var weights = ExpectedUtility.UniformGrid(count);
                var probeModel = parseResult.GetValue(probes) ? null : EdgeAgent.Demo.Live.LiveEvaluation.AgentProbes();
                var fronts = new List<RequestTerms[]>();
                foreach (var (name, policy, units) in methods)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    fronts.Add([.. weights.Select(w => SimulatedRequests.Predict(context, policy, w, n, (ulong)parseResult.GetValue(seed), stepCount, probeModel, units))]);
                    error.WriteLine($"{name}: done");
                }

                output.Write(Format(path + (context.PeerReportIntervalSeconds > 0 ? string.Create(CultureInfo.InvariantCulture, $" (peer queues as their load reports every {context.PeerReportIntervalSeconds * 1000:0} ms show them)") : " (peer queues exact)"), weights, methods.Select(m => m.Name).ToArray(), fronts));
                return Task.FromResult(0);
            }
            catch (Exception ex) when (ex is ArgumentException or IOException or CalibrationException or EdgeAgent.Inference.Policy.PolicyFileException or InvalidOperationException)
            {
                error.WriteLine("edgeagent eval live-predict: " + ex.Message);
                return Task.FromResult(2);
            }
            finally
            {
                opened.ForEach(m => m.Dispose());
            }
        });
        return command;
    }

    private const int WorkloadDriverCap = EdgeAgent.Demo.Cluster.WorkloadDriver.DefaultMaxInFlight;

    /// <summary>Every front's points, and each front's hypervolume against the first's under the pair's reference point.</summary>
    internal static string Format(string calibration, IReadOnlyList<double> weights, IReadOnlyList<string> names, IReadOnlyList<RequestTerms[]> fronts)
    {
        var text = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        text.AppendLine(ci, $"Calibration {calibration}: mean delay ms / mean device energy J per request (offloaded share), simulated");
        text.AppendLine("| w_delay | " + string.Join(" | ", names) + " |");
        text.AppendLine("|---|" + string.Concat(names.Select(_ => "---|")));
        for (var k = 0; k < weights.Count; k++)
        {
            text.AppendLine(string.Create(ci, $"| {weights[k]:0.###} | ") + string.Join(" | ", fronts.Select(f => string.Create(ci, $"{f[k].DelaySeconds * 1000:0.0} / {f[k].EnergyJoules:0.0000} ({f[k].OffloadedShare:P0})"))) + " |");
        }

        text.AppendLine();
        text.AppendLine(ci, $"Hypervolume against {names[0]} (reference 1.1 x the worse of the pair's worst delay and energy):");
        var first = Points(fronts[0]);
        for (var i = 1; i < fronts.Count; i++)
        {
            var other = Points(fronts[i]);
            var reference = new ObjectivePoint(1.1 * first.Concat(other).Max(p => p.Delay), 1.1 * first.Concat(other).Max(p => p.Energy));
            var a = Hypervolume.Compute(first, reference);
            var b = Hypervolume.Compute(other, reference);
            text.AppendLine(ci, $"  {names[i]} / {names[0]}: {b / a:0.0000} (HV {b:0.######} / {a:0.######}, reference {reference.Delay:0.####} s, {reference.Energy:0.####} J)");
        }

        return text.ToString();
    }

    private static ObjectivePoint[] Points(RequestTerms[] front) => [.. front.Where(t => t.Requests > 0).Select(t => new ObjectivePoint(t.DelaySeconds, t.EnergyJoules))];
}
