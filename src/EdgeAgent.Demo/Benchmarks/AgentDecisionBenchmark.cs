using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeAgent.Core.Observation;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// Latency of one way of deciding, microseconds, and what it allocated: bytes per decision on the
/// deciding thread (<see cref="GC.GetAllocatedBytesForCurrentThread"/>, independent of the CPU's
/// speed and load), the decisions during which a gen0 collection ran, and the decisions during which
/// the deciding thread was preempted (an involuntary context switch: another thread took its CPU)
/// with the p99 of the decisions that were not (<see cref="P99NotPreemptedUs"/>; NaN where the
/// count cannot be read).
/// </summary>
public sealed record DecisionLatency(string Name, int Count, double P50Us, double P99Us, double MeanUs, double MaxUs, double AllocatedBytes = 0, int WithCollection = 0, int Preempted = 0, double P99NotPreemptedUs = double.NaN)
{
    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name,-44} n={Count} mean={MeanUs,7:0.0} us  p50={P50Us,7:0.0} us  p99={P99Us,7:0.0} us  max={MaxUs,8:0.0} us  alloc={AllocatedBytes,5:0} B  gc={WithCollection}  preempted={Preempted} (p99 of the rest {P99NotPreemptedUs:0.0} us)");
}

/// <summary>The three ways of deciding <see cref="AgentDecisionBenchmark.Run"/> measures on the same observations.</summary>
/// <param name="Learned">The learned policy as the agent runs it (sessions specialised to the present rows unless the runner turns that off).</param>
/// <param name="LearnedFileGraph">The same policy running the file's own graph with a mask of ones (the runner before the specialisation).</param>
/// <param name="Heuristic">The heuristic.</param>
/// <param name="Parts">The parts of the learned decision timed on their own, interleaved with each other in a second phase after the decisions: <see cref="ClusterView.Observe"/>, the encoder, and the ONNX Runtime run on the encoded rows (row packing, the run, argmax).</param>
/// <param name="GcPauseUs">Total pause of the garbage collections during the timed decisions (first phase), microseconds.</param>
public sealed record AgentDecisionResult(DecisionLatency Learned, DecisionLatency LearnedFileGraph, DecisionLatency Heuristic, IReadOnlyList<DecisionLatency> Parts, double GcPauseUs);

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
            var allocated = new long[deciders.Length];
            var collected = new int[deciders.Length];
            var preempted = new bool[deciders.Length][];
            for (var d = 0; d < deciders.Length; d++)
            {
                timings[d] = new double[decisions];
                preempted[d] = new bool[decisions];
            }

            var sink = 0;
            var disagreements = 0;
            var pauseBefore = TimeSpan.Zero;
            Span<Placement> chosen = new Placement[deciders.Length];
            for (var i = -warmup; i < decisions; i++)
            {
                if (i == 0)
                {
                    pauseBefore = GC.GetTotalPauseDuration();
                }

                var k = (i + warmup) % Pool;
                local.Load = locals[k];
                for (var p = 0; p < peers.Count; p++)
                {
                    peers[p].ApplyLoad(peerLoads[k][p]);
                }

                for (var j = 0; j < deciders.Length; j++)
                {
                    var d = (i + warmup + j) % deciders.Length;
                    var gen0 = GC.CollectionCount(0);
                    var bytes = GC.GetAllocatedBytesForCurrentThread();
                    var switches = ThreadSwitches.Involuntary();
                    var t0 = Stopwatch.GetTimestamp();
                    chosen[d] = deciders[d].Decide(view.Observe("ocr-det", 1_228_800, TimeSpan.FromSeconds(2)), preferences[k]);
                    var t1 = Stopwatch.GetTimestamp();
                    if (i >= 0)
                    {
                        timings[d][i] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
                        preempted[d][i] = ThreadSwitches.Involuntary() != switches;
                        allocated[d] += GC.GetAllocatedBytesForCurrentThread() - bytes;
                        collected[d] += GC.CollectionCount(0) == gen0 ? 0 : 1;
                    }
                }

                sink += chosen[2].Target.Length;
                disagreements += chosen[0] == chosen[1] ? 0 : 1;
            }

            var pauseUs = (GC.GetTotalPauseDuration() - pauseBefore).TotalMicroseconds;
            GC.KeepAlive(sink);
            if (disagreements > 0)
            {
                // Both run the same file; the specialised graph must choose as the file's own does.
                throw new InvalidOperationException($"The specialised and the file's own graph chose differently in {disagreements} of {decisions + warmup} decisions.");
            }

            var parts = MeasureParts(policy.Current, view, local, locals, peers, peerLoads, preferences, decisions, warmup);
            return new AgentDecisionResult(
                Summarise($"agent decision, learned ({candidates} candidates)", timings[0], allocated[0], collected[0], preempted[0]),
                Summarise($"  same, file's own graph (mask input)", timings[1], allocated[1], collected[1], preempted[1]),
                Summarise($"agent decision, heuristic ({candidates} candidates)", timings[2], allocated[2], collected[2], preempted[2]),
                parts,
                pauseUs);
        }
        finally
        {
            foreach (var peer in peers)
            {
                peer.Dispose();
            }
        }
    }

    // The learned decision's parts on their own, interleaved with each other in the same rotation:
    // the observation, the encoding of an observation made beforehand, and the ONNX Runtime run on
    // rows encoded beforehand. Separate from the decisions so they do not warm the caches for them.
    private static DecisionLatency[] MeasureParts(OnnxPolicy policy, ClusterView view, FixedLocal local, LocalLoad[] locals, List<PeerConnection> peers, PeerLoad[][] peerLoads, Preference[] preferences, int decisions, int warmup)
    {
        var pool = locals.Length;
        var (s, f) = (policy.Layout.MaxServers, policy.Layout.FeatureCount);
        var encoder = new ObservationEncoder(policy.Layout);
        var observations = new OffloadObservation[pool];
        var rows = new float[pool][];
        var masks = new float[pool][];
        var preferenceRows = new float[pool][];
        for (var k = 0; k < pool; k++)
        {
            local.Load = locals[k];
            for (var p = 0; p < peers.Count; p++)
            {
                peers[p].ApplyLoad(peerLoads[k][p]);
            }

            observations[k] = view.Observe("ocr-det", 1_228_800, TimeSpan.FromSeconds(2));
            (rows[k], masks[k], preferenceRows[k]) = (new float[s * f], new float[s], new float[2]);
            encoder.Encode(observations[k], preferences[k], rows[k], masks[k], preferenceRows[k]);
        }

        var (servers, mask, preference) = (new float[s * f], new float[s], new float[2]);
        const int Parts = 3;
        var timings = new double[Parts][];
        var allocated = new long[Parts];
        var collected = new int[Parts];
        var preempted = new bool[Parts][];
        for (var d = 0; d < Parts; d++)
        {
            timings[d] = new double[decisions];
            preempted[d] = new bool[decisions];
        }

        var sink = 0;
        for (var i = -warmup; i < decisions; i++)
        {
            var k = (i + warmup) % pool;
            local.Load = locals[k];
            for (var p = 0; p < peers.Count; p++)
            {
                peers[p].ApplyLoad(peerLoads[k][p]);
            }

            for (var j = 0; j < Parts; j++)
            {
                var d = (i + warmup + j) % Parts;
                var gen0 = GC.CollectionCount(0);
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var switches = ThreadSwitches.Involuntary();
                var t0 = Stopwatch.GetTimestamp();
                switch (d)
                {
                    case 0:
                        sink += view.Observe("ocr-det", 1_228_800, TimeSpan.FromSeconds(2)).Servers.Count;
                        break;
                    case 1:
                        encoder.Encode(observations[k], preferences[k], servers, mask, preference);
                        break;
                    default:
                        sink += policy.Decide(rows[k], masks[k], preferenceRows[k]);
                        break;
                }

                var t1 = Stopwatch.GetTimestamp();
                if (i >= 0)
                {
                    timings[d][i] = (t1 - t0) * 1e6 / Stopwatch.Frequency;
                    preempted[d][i] = ThreadSwitches.Involuntary() != switches;
                    allocated[d] += GC.GetAllocatedBytesForCurrentThread() - bytes;
                    collected[d] += GC.CollectionCount(0) == gen0 ? 0 : 1;
                }
            }
        }

        GC.KeepAlive(sink);
        return
        [
            Summarise("  part: ClusterView.Observe", timings[0], allocated[0], collected[0], preempted[0]),
            Summarise("  part: encoding (ObservationEncoder)", timings[1], allocated[1], collected[1], preempted[1]),
            Summarise("  part: ONNX Runtime run on encoded rows", timings[2], allocated[2], collected[2], preempted[2]),
        ];
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

    private static DecisionLatency Summarise(string name, double[] values, long allocatedBytes, int withCollection, bool[] preempted)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        var kept = values.Where((_, i) => !preempted[i]).Order().ToArray();
        var count = preempted.Count(p => p);
        return new DecisionLatency(name, sorted.Length, Percentile(sorted, 0.5), Percentile(sorted, 0.99), sorted.Average(), sorted[^1], (double)allocatedBytes / sorted.Length, withCollection,
            count, ThreadSwitches.Readable && kept.Length > 0 ? Percentile(kept, 0.99) : double.NaN);
    }

    private static double Percentile(double[] sorted, double q) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
}

/// <summary>The calling thread's involuntary context switches so far (getrusage RUSAGE_THREAD, Linux); 0 where it cannot be read.</summary>
internal static class ThreadSwitches
{
    private const int RusageThread = 1;

    /// <summary>True when the count can be read here.</summary>
    public static bool Readable { get; } = Probe();

    /// <summary>Involuntary context switches of the calling thread (ru_nivcsw).</summary>
    public static long Involuntary() => Readable && GetRusage(RusageThread, out var usage) == 0 ? usage.InvoluntarySwitches : 0;

    private static bool Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return GetRusage(RusageThread, out _) == 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // struct rusage: two struct timeval (two longs each), then 14 longs ending with ru_nvcsw, ru_nivcsw.
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public nint UserSeconds;
        public nint UserMicroseconds;
        public nint SystemSeconds;
        public nint SystemMicroseconds;
        public nint MaxRss;
        public nint SharedText;
        public nint UnsharedData;
        public nint UnsharedStack;
        public nint MinorFaults;
        public nint MajorFaults;
        public nint Swaps;
        public nint BlockIn;
        public nint BlockOut;
        public nint MessagesSent;
        public nint MessagesReceived;
        public nint Signals;
        public nint VoluntarySwitches;
        public nint InvoluntarySwitches;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetRusage(int who, out Rusage usage);
}
