using System.CommandLine;
using System.Globalization;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Node.Agent;
using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench policy`: decision latency of an ONNX policy through ONNX Runtime.</summary>
internal static class BenchPolicyCommand
{
    public static Command Create()
    {
        var command = new Command("policy",
            "Measure the decision latency of an ONNX offloading policy (p50/p99): a policy in the agent layout as the agent decides (ClusterView observation, encoding, ONNX Runtime) against the heuristic on the same observations; any other against a copy-and-argmax baseline.");
        var policyFile = new Option<FileInfo>("--policy") { Description = "Policy file (.onnx).", DefaultValueFactory = _ => new FileInfo("policies/agent-default.onnx") };
        var decisions = new Option<int>("--decisions") { Description = "Timed decisions.", DefaultValueFactory = _ => 20000 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads.", DefaultValueFactory = _ => 1 };
        var spinning = new Option<bool>("--spinning") { Description = "Allow ONNX Runtime's intra-op threads to spin." };
        var fileGraph = new Option<bool>("--file-graph") { Description = "Run the file's own graph (mask input) instead of sessions specialised to the present rows (the agent's default)." };
        var present = new Option<int>("--present") { Description = "Present servers per observation, 1..S; 0 draws it from 1..S for each (the default). Not for agent-layout policies (see --candidates)." };
        var candidates = new Option<int>("--candidates") { Description = "Agent-layout policies: candidates per decision, 3 local variants plus peers (4..S).", DefaultValueFactory = _ => 9 };
        command.Options.Add(policyFile);
        command.Options.Add(decisions);
        command.Options.Add(threads);
        command.Options.Add(spinning);
        command.Options.Add(fileGraph);
        command.Options.Add(present);
        command.Options.Add(candidates);
        command.SetAction(parseResult =>
        {
            var console = parseResult.InvocationConfiguration.Output;
            var count = parseResult.GetValue(decisions);
            if (count < 100)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"edgeagent bench policy: --decisions must be at least 100; got {count}.");
                return 2;
            }

            var presentCount = parseResult.GetValue(present);
            if (presentCount < 0)
            {
                parseResult.InvocationConfiguration.Error.WriteLine($"edgeagent bench policy: --present must be 0 (drawn from 1..S) or a count of servers; got {presentCount}.");
                return 2;
            }

            try
            {
                var options = new OnnxPolicyOptions { IntraOpThreads = parseResult.GetValue(threads), AllowSpinning = parseResult.GetValue(spinning), SpecializePresentRows = !parseResult.GetValue(fileGraph) };
                var file = parseResult.GetValue(policyFile)!.FullName;
                bool agentLayout;
                string fileLayout;
                using (var probe = OnnxPolicySession.Open(file, expected: null, options))
                {
                    agentLayout = probe.Layout.IsAgentLayout;
                    fileLayout = probe.Layout.Describe(); // the file's own columns (37, 41 or 42), not the agent's full layout
                }

                if (agentLayout)
                {
                    var candidateCount = parseResult.GetValue(candidates);
                    if (candidateCount < 4 || candidateCount > LearnedPolicy.AgentLayout.MaxServers)
                    {
                        parseResult.InvocationConfiguration.Error.WriteLine($"edgeagent bench policy: --candidates must be between 4 and {LearnedPolicy.AgentLayout.MaxServers}; got {candidateCount}.");
                        return 2;
                    }

                    var result = AgentDecisionBenchmark.Run(file, candidateCount, decisions: count, warmup: 2000, seed: 1, runner: options);
                    var (learned, fileGraph, heuristic) = (result.Learned, result.LearnedFileGraph, result.Heuristic);
                    console.WriteLine($"policy {file}: {fileLayout}");
                    console.WriteLine(learned.ToString());
                    console.WriteLine(fileGraph.ToString());
                    console.WriteLine(heuristic.ToString());
                    foreach (var part in result.Parts)
                    {
                        console.WriteLine(part.ToString());
                    }

                    console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"garbage collection pauses during the timed decisions: {result.GcPauseUs:0} us in all"));
                    console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"p99 agent decision {learned.P99Us:0.0} us (target <= 100 us: {(learned.P99Us <= 100 ? "met" : "not met")}); {learned.P50Us / Math.Max(heuristic.P50Us, 1e-3):0.0}x the heuristic's decision at p50; specialised / file's own graph: p50 {learned.P50Us / Math.Max(fileGraph.P50Us, 1e-3):0.000}, p99 {learned.P99Us / Math.Max(fileGraph.P99Us, 1e-3):0.000}"));
                    return 0;
                }

                using var policy = OnnxPolicy.Load(parseResult.GetValue(policyFile)!.FullName, expected: null, options);
                if (presentCount > policy.Layout.MaxServers)
                {
                    parseResult.InvocationConfiguration.Error.WriteLine($"edgeagent bench policy: --present {presentCount} exceeds the policy's S = {policy.Layout.MaxServers}.");
                    return 2;
                }

                var (p, b) = PolicyLatencyBenchmark.Run(policy, count, warmup: 2000, seed: 1, present: presentCount);
                console.WriteLine($"policy {parseResult.GetValue(policyFile)!.FullName}: {policy.Layout.Describe()}");
                console.WriteLine(p.ToString());
                console.WriteLine(b.ToString());
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"p99 decision {p.P99Us:0.0} us (target <= 50 us: {(p.P99Us <= 50 ? "met" : "not met")}); the network costs {p.P50Us / Math.Max(b.P50Us, 1e-3):0}x the copy-and-argmax baseline at p50"));
                return 0;
            }
            catch (PolicyFileException e)
            {
                parseResult.InvocationConfiguration.Error.WriteLine("edgeagent bench policy: " + e.Message);
                return 2;
            }
        });
        return command;
    }
}
