using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Latency of one way of deciding, microseconds.</summary>
public sealed record DecisionLatency(string Name, int Count, double P50Us, double P99Us, double MeanUs, double MaxUs)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name,-44} n={Count} mean={MeanUs,7:0.0} us  p50={P50Us,7:0.0} us  p99={P99Us,7:0.0} us  max={MaxUs,8:0.0} us");
}

/// <summary>The three ways of deciding <see cref="AgentDecisionBenchmark.Run"/> measures on the same observations.</summary>
/// <param name="Learned">The learned policy as the agent runs it (sessions specialised to the present rows unless the runner turns that off).</param>
/// <param name="LearnedFileGraph">The same policy running the file's own graph with a mask of ones (the runner before the specialisation).</param>
/// <param name="Heuristic">The heuristic.</param>
public sealed record AgentDecisionResult(DecisionLatency Learned, DecisionLatency LearnedFileGraph, DecisionLatency Heuristic);

/// <summary>
/// A decision as the agent makes it on the request path, measured: <see cref="ClusterView.Observe"/>
/// over a board with three profiled variants and peers whose load reports and links vary from
/// decision to decision, then the learned policy's <see cref="LearnedPolicy.Decide"/> (encoding in
/// the agent layout plus the ONNX Runtime run). Interleaved in the same run, on the same
/// observations, in an order rotated every decision: the same policy running the file's own graph
/// (mask input, no specialisation) and the heuristic (the baseline).
/// </summary>
public static class AgentDecisionBenchmark
{
    private sealed class FixedLocal(LocalLoad load) : ILocalLoadSource
    {
        public LocalLoad Load { get; set; } = load;

        public bool Serves(string model) => true;

        public LocalLoad GetLoad(string model) => Load;
    }

    /// <summary>Runs <paramref name="decisions"/> timed decisions of each kind after <paramref name="warmup"/> untimed ones.</summary>
    /// <param name="policyFile">A policy file in the agent layout.</param>
    /// <param name="candidates">Candidates per decision: 3 local variants and candidates - 3 peers (4..S).</param>
    /// <param name="decisions">Timed decisions (at least 100).</param>
    /// <param name="warmup">Untimed decisions first.</param>
    /// <param name="seed">Seed of the situations.</param>
    /// <param name="runner">ONNX Runtime settings.</param>
    /// <exception cref="PolicyFileException">The file is not a policy in the agent layout.</exception>
    public static AgentDecisionResult Run(string policyFile, int candidates, int decisions, int warmup, int seed, OnnxPolicyOptions? runner = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(decisions, 100);
        runner ??= new OnnxPolicyOptions();
        using var policy = new LearnedPolicy(policyFile, LearnedPolicy.AgentLayout, runner, TimeSpan.Zero, TimeProvider.System, NullLogger.Instance, watch: false);
        var fileGraphRunner = new OnnxPolicyOptions { IntraOpThreads = runner.IntraOpThreads, AllowSpinning = runner.AllowSpinning, SpecializePresentRows = false };
        using var fileGraph = new LearnedPolicy(policyFile, LearnedPolicy.AgentLayout, fileGraphRunner, TimeSpan.Zero, TimeProvider.System, NullLogger.Instance, watch: false);
        if (candidates < 4 || candidates > policy.Layout.MaxServers)
        {
            throw new ArgumentOutOfRangeException(nameof(candidates), candidates, $"Candidates must be between 4 (3 local variants and a peer) and the policy's S = {policy.Layout.MaxServers}.");
        }

        var random = new Random(seed);
        var options = new AgentOptions { StaleAfter = TimeSpan.FromHours(1) };
        var time = TimeProvider.System;
        var peers = new List<PeerConnection>();
        for (var p = 0; p < candidates - 3; p++)
        {
            if (!PeerEndpoint.TryParse($"peer{p}", $"http://127.0.0.1:{1 + p};kind={(p % 2 == 0 ? "edge" : "cloud")}", out var endpoint, out var error))
            {
                throw new InvalidOperationException(error);
            }

            var peer = new PeerConnection(endpoint, options, time, new Random(seed + p), NullLogger.Instance);
            var rtt = 0.0005 + (random.NextDouble() * 0.1);
            peer.Link.AddRoundTrip(TimeSpan.FromSeconds(rtt));
            peer.Link.AddTransfer(1_000_000, TimeSpan.FromSeconds(rtt + 0.01 + (8e6 / (1e6 + (random.NextDouble() * 1e9)))), TimeSpan.FromSeconds(0.01));
            peers.Add(peer);
        }

        try
        {
            var local = new FixedLocal(new LocalLoad());
            var view = new ClusterView(local, peers, new DeviceEnergyModel(options.Energy), options);
            view.RecordResponseBytes("ocr-det", 400_000);
            const int Pool = 64;
            var locals = new LocalLoad[Pool];
            var peerLoads = new PeerLoad[Pool][];
            var preferences = new Preference[Pool];
            for (var k = 0; k < Pool; k++)
            {
                locals[k] = new LocalLoad
                {
                    Executing = random.Next(2),
                    Queued = random.Next(4),
                    MaxConcurrency = 1,
                    ResidualWorkSeconds = random.NextDouble() * 0.3,
                    ResidualWorkHistogram = Histogram(random),
                    HistogramBinSeconds = 0.01,
                    MeanExecSeconds = 0.06,
                    Variants = [new LocalVariantCost("fp32", 0.06, null, 0), new LocalVariantCost("int8", 0.03, 0.1, 0.4), new LocalVariantCost("mixed", 0.04, null, 0.2)],
                };
                peerLoads[k] = [.. peers.Select(_ => new PeerLoad
                {
                    Connected = true,
                    ReceivedTimestamp = time.GetTimestamp(),
                    Running = random.Next(3),
                    Queued = random.Next(6),
                    MaxConcurrency = 2,
                    ResidualWorkSeconds = random.NextDouble(),
                    ResidualWorkHistogram = Histogram(random),
                    HistogramBinSeconds = 0.01,
                    Models = new HashSet<string>(["ocr-det"], StringComparer.Ordinal),
                    MeanExecSeconds = new Dictionary<string, double>(StringComparer.Ordinal) { ["ocr-det"] = 0.005 + (random.NextDouble() * 0.05) },
                })];
                preferences[k] = new Preference(random.NextDouble());
            }

            IOffloadPolicy[] deciders = [policy, fileGraph, new HeuristicPolicy()];
            var timings = new double[deciders.Length][];
            for (var d = 0; d < deciders.Length; d++)
            {
                timings[d] = new double[decisions];
            }

            var sink = 0;
            var disagreements = 0;
            Span<Placement> chosen = new Placement[deciders.Length];
            for (var i = -warmup; i < decisions; i++)
            {
                var k = (i + warmup) % Pool;
                local.Load = locals[k];
                for (var p = 0; p < peers.Count; p++)
                {
                    peers[p].ApplyLoad(peerLoads[k][p]);
                }

                for (var j = 0; j < deciders.Length; j++)
                {
                    var d = (i + warmup + j) % deciders.Length;
                    var t0 = Stopwatch.GetTimestamp();
                    chosen[d] = deciders[d].Decide(view.Observe("ocr-det", 1_228_800, TimeSpan.FromSeconds(2)), preferences[k]);
                    var t1 = Stopwatch.GetTimestamp();
                    if (i >= 0)
                    {
                        timings[d][i] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
                    }
                }

                sink += chosen[2].Target.Length;
                disagreements += chosen[0] == chosen[1] ? 0 : 1;
            }

            GC.KeepAlive(sink);
            if (disagreements > 0)
            {
                // Both run the same file; the specialised graph must choose as the file's own does.
                throw new InvalidOperationException($"The specialised and the file's own graph chose differently in {disagreements} of {decisions + warmup} decisions.");
            }

            return new AgentDecisionResult(
                Summarise($"agent decision, learned ({candidates} candidates)", timings[0]),
                Summarise($"  same, file's own graph (mask input)", timings[1]),
                Summarise($"agent decision, heuristic ({candidates} candidates)", timings[2]));
        }
        finally
        {
            foreach (var peer in peers)
            {
                peer.Dispose();
            }
        }
    }

    private static double[] Histogram(Random random)
    {
        var histogram = new double[16];
        for (var b = 0; b < histogram.Length; b++)
        {
            histogram[b] = random.NextDouble() < 0.2 ? random.Next(1, 3) : 0;
        }

        return histogram;
    }

    private static DecisionLatency Summarise(string name, double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        double Percentile(double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
        return new DecisionLatency(name, sorted.Length, Percentile(0.5), Percentile(0.99), sorted.Average(), sorted[^1]);
    }
}
