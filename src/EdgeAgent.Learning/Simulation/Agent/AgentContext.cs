using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Learning.Simulation.Agent;

/// <summary>How tasks arrive in an agent-profile episode.</summary>
public enum ArrivalKind
{
    /// <summary>A Poisson process of jobs.</summary>
    Poisson,

    /// <summary>Bursts: burst events form a Poisson process; each brings a geometric number of jobs (mean <see cref="AgentContext.BurstMean"/>) 1 ms apart on average.</summary>
    Bursty,

    /// <summary>Jobs exactly 1 / rate apart (tests and benchmarks).</summary>
    Periodic,
}

/// <summary>Local variants of a model, in row order: the default float model, int8, mixed precision.</summary>
public static class LocalVariants
{
    /// <summary>Number of local rows (variants) per observation.</summary>
    public const int Count = 3;

    /// <summary>Variant names in row order ("fp32" is the default variant, row "local").</summary>
    public static IReadOnlyList<string> Names { get; } = ["fp32", "int8", "mixed"];
}

/// <summary>
/// One model of the workload as this device and the network see it. Times in seconds on the device
/// (peers run the float model, exec / speed); bytes as they travel over the OIP.
/// </summary>
public struct AgentModelProfile
{
    /// <summary>Model name (for observations and reports).</summary>
    public string Name { get; set; }

    /// <summary>Bytes of one request (what an offload uploads).</summary>
    public long RequestBytes { get; set; }

    /// <summary>Bytes of one response (what an offload downloads).</summary>
    public long ResponseBytes { get; set; }

    /// <summary>
    /// The response size the agent's observation shows (its smoothed record of recent responses, a
    /// calibrated deployment's), bytes; 0 or unset: <see cref="ResponseBytes"/>, the observation is the truth.
    /// </summary>
    public long ObservedResponseBytes { get; set; }

    /// <summary>Expected execution time on the device per variant (fp32, int8, mixed), s; NaN = the variant is not offered (no profile, or over the accuracy bound). fp32 is required.</summary>
    public double ExecFp32 { get; set; }

    /// <summary>int8 expected execution time, s (NaN: not offered).</summary>
    public double ExecInt8 { get; set; }

    /// <summary>Mixed-precision expected execution time, s (NaN: not offered).</summary>
    public double ExecMixed { get; set; }

    /// <summary>Measured joules per inference per variant (NaN: not measured, the power table's (busy - idle) x time applies).</summary>
    public double JoulesFp32 { get; set; }

    /// <summary>int8 measured joules (NaN: not measured).</summary>
    public double JoulesInt8 { get; set; }

    /// <summary>Mixed measured joules (NaN: not measured).</summary>
    public double JoulesMixed { get; set; }

    /// <summary>int8 accuracy drop, points.</summary>
    public double DropInt8 { get; set; }

    /// <summary>Mixed accuracy drop, points.</summary>
    public double DropMixed { get; set; }

    /// <summary>Relative deadline of each request, s (+infinity: none).</summary>
    public double DeadlineSeconds { get; set; }

    /// <summary>
    /// What the agent's observation shows as the device's expected execution time, over the true
    /// expected time (its profile is not the loaded device: a calibrated deployment's ratio); 0 or
    /// unset: 1, the observation is the truth.
    /// </summary>
    public double ObservedExecRatio { get; set; }

    /// <summary>
    /// The agent's own time per request run on the device (decoding, deciding, tensor conversion,
    /// building the response: the decision log's delay less its queue, transfer and execution), s;
    /// added after the task's completion, so a pipeline's next stage waits for it. 0: none.
    /// </summary>
    public double OverheadLocalSeconds { get; set; }

    /// <summary>The agent's own time per request offloaded to a peer (as <see cref="OverheadLocalSeconds"/>, outside the peer call), s. 0: none.</summary>
    public double OverheadPeerSeconds { get; set; }

    /// <summary>Expected execution time of variant <paramref name="v"/> (0 fp32, 1 int8, 2 mixed).</summary>
    public readonly double Exec(int v) => v switch { 0 => ExecFp32, 1 => ExecInt8, _ => ExecMixed };

    /// <summary>Measured joules of variant <paramref name="v"/> (NaN when not measured).</summary>
    public readonly double Joules(int v) => v switch { 0 => JoulesFp32, 1 => JoulesInt8, _ => JoulesMixed };

    /// <summary>Accuracy drop of variant <paramref name="v"/>, points (0 for fp32).</summary>
    public readonly double Drop(int v) => v switch { 0 => 0, 1 => DropInt8, _ => DropMixed };
}

/// <summary>One peer (edge or cloud server) as reached from this device.</summary>
public struct AgentPeerProfile
{
    /// <summary>Peer name (placements are "peer:name").</summary>
    public string Name { get; set; }

    /// <summary>Edge or cloud (a label; the numbers decide).</summary>
    public ServerKind Kind { get; set; }

    /// <summary>Round-trip time, s (half each way).</summary>
    public double RoundTripSeconds { get; set; }

    /// <summary>Uplink bandwidth, bit/s (uploads to this peer are sent one after another at this rate).</summary>
    public double UplinkBitsPerSecond { get; set; }

    /// <summary>Downlink bandwidth, bit/s (each response at this rate).</summary>
    public double DownlinkBitsPerSecond { get; set; }

    /// <summary>Compute speed relative to the device (exec on the peer = device fp32 exec / speed).</summary>
    public double Speed { get; set; }

    /// <summary>Bounded concurrency of the peer's FIFO executor.</summary>
    public int Concurrency { get; set; }

    /// <summary>Bit m set: the peer serves model m.</summary>
    public int ServedModels { get; set; }

    /// <summary>Fraction of the peer's capacity other clients use (Poisson jobs), in [0, 1).</summary>
    public double BackgroundUtilisation { get; set; }

    /// <summary>Mean execution time of other clients' jobs on the peer, s (each job's time is exponential with this mean; the peer estimates it by the mean).</summary>
    public double BackgroundMeanExecSeconds { get; set; }

    /// <summary>What the agent's observation shows as this peer's expected execution time over the true one (0 or unset: 1).</summary>
    public double ObservedExecRatio { get; set; }

    /// <summary>The round trip the agent's observation shows for this peer (its own estimate), s; 0 or unset: the true <see cref="RoundTripSeconds"/>.</summary>
    public double ObservedRoundTripSeconds { get; set; }

    /// <summary>The throughput the agent's observation shows for this peer's link (its own estimate, both directions), bit/s; 0 or unset: the true bandwidths.</summary>
    public double ObservedBitsPerSecond { get; set; }
}

/// <summary>
/// One workload of the mix: a single model (<see cref="StageCount"/> 1) or a pipeline such as OCR
/// (det -> cls -> rec): stage 0 runs once, then for each of 1..<see cref="LinesMax"/> lines the
/// later stages run one after another, each a decision of its own made when its input is back.
/// </summary>
public struct AgentWorkload
{
    /// <summary>Number of stages (1 to 3).</summary>
    public int StageCount { get; set; }

    /// <summary>Model of stage 0.</summary>
    public int Stage0 { get; set; }

    /// <summary>Model of stage 1 (per line).</summary>
    public int Stage1 { get; set; }

    /// <summary>Model of stage 2 (per line).</summary>
    public int Stage2 { get; set; }

    /// <summary>Fewest lines per job (pipelines).</summary>
    public int LinesMin { get; set; }

    /// <summary>Most lines per job (pipelines, at most <see cref="AgentContext.MaxLines"/>).</summary>
    public int LinesMax { get; set; }

    /// <summary>Share of jobs (relative weight).</summary>
    public double Weight { get; set; }

    /// <summary>
    /// Mean lines per job (a calibrated pipeline): each job has floor(mean) or floor(mean) + 1 lines,
    /// the latter with probability frac(mean), within [<see cref="LinesMin"/>, <see cref="LinesMax"/>].
    /// 0 or unset: uniform between <see cref="LinesMin"/> and <see cref="LinesMax"/>.
    /// </summary>
    public double LinesMean { get; set; }

    /// <summary>
    /// True: the lines of a job run one after another (line k + 1's first per-line stage is decided
    /// when line k's last stage is back), as the demo's OcrPipeline reads them; false (the default of
    /// the training ranges): every line's first per-line stage is decided when stage 0 is back.
    /// </summary>
    public bool SequentialLines { get; set; }

    /// <summary>Model of stage <paramref name="k"/>.</summary>
    public readonly int Stage(int k) => k switch { 0 => Stage0, 1 => Stage1, _ => Stage2 };
}

/// <summary>
/// One episode's world for the agent profile: the device (power table, executor concurrency, the
/// models with their variants), the peers and the workload. Drawn per episode by
/// <see cref="AgentContextRange"/> into a reused instance (no allocation per episode), or built
/// explicitly for a fixed context (<see cref="Demo"/>, tests).
/// </summary>
public sealed class AgentContext
{
    /// <summary>Most models per context.</summary>
    public const int MaxModels = 6;

    /// <summary>Most workloads per context.</summary>
    public const int MaxWorkloads = 6;

    /// <summary>Most lines of a pipeline job.</summary>
    public const int MaxLines = 4;

    /// <summary>Most peers.</summary>
    public const int MaxPeers = 8;

    /// <summary>Largest executor concurrency.</summary>
    public const int MaxConcurrency = 8;

    /// <summary>The device's power table (local energy and radio energy).</summary>
    public DevicePowerTable Power { get; set; } = DevicePowerTable.Default;

    /// <summary>Concurrency of the device's executor (shared by every local variant).</summary>
    public int LocalConcurrency { get; set; } = 1;

    /// <summary>Models (first <see cref="ModelCount"/> entries used).</summary>
    public AgentModelProfile[] Models { get; } = new AgentModelProfile[MaxModels];

    /// <summary>Models in use.</summary>
    public int ModelCount { get; set; }

    /// <summary>Peers (first <see cref="PeerCount"/> entries used).</summary>
    public AgentPeerProfile[] Peers { get; } = new AgentPeerProfile[MaxPeers];

    /// <summary>Peers in use (0 to 8).</summary>
    public int PeerCount { get; set; }

    /// <summary>Workloads (first <see cref="WorkloadCount"/> entries used).</summary>
    public AgentWorkload[] Workloads { get; } = new AgentWorkload[MaxWorkloads];

    /// <summary>Workloads in use (at least 1).</summary>
    public int WorkloadCount { get; set; }

    /// <summary>Arrival process of jobs.</summary>
    public ArrivalKind Arrivals { get; set; } = ArrivalKind.Poisson;

    /// <summary>Jobs per second (a pipeline job is one arrival).</summary>
    public double JobsPerSecond { get; set; } = 1;

    /// <summary>Mean jobs per burst (<see cref="ArrivalKind.Bursty"/>).</summary>
    public double BurstMean { get; set; } = 4;

    /// <summary>
    /// Expected execution time of model m on peer p at [p * <see cref="MaxModels"/> + m], s (a
    /// calibrated deployment's measured mean there); 0: the device's fp32 time / the peer's speed.
    /// </summary>
    public double[] PeerExecSeconds { get; } = new double[MaxPeers * MaxModels];

    /// <summary>
    /// The round trip the agent takes off an offload's wire time when it prices the radio time, for
    /// model m on peer p at [p * <see cref="MaxModels"/> + m], s: its RTT estimate at the reply, which
    /// a large transfer raises (a calibrated deployment's); 0: the RTT its observation shows.
    /// </summary>
    public double[] PeerPricedRoundTripSeconds { get; } = new double[MaxPeers * MaxModels];

    /// <summary>
    /// The agent's expected execution time of model m on peer p in its observations over the true
    /// one, at [p * <see cref="MaxModels"/> + m] (a calibrated deployment's: one ratio per peer
    /// averages models whose estimates are off in opposite directions); 0: the peer's
    /// <see cref="AgentPeerProfile.ObservedExecRatio"/>.
    /// </summary>
    public double[] PeerObservedExecRatio { get; } = new double[MaxPeers * MaxModels];

    /// <summary>Sigma of the log-normal factor (mean 1) on each task's actual execution time (0: exactly the expected time).</summary>
    public double ExecJitterSigma { get; set; } = 0.1;

    /// <summary>Most request-size classes (<see cref="SizeClassCount"/>).</summary>
    public const int MaxSizeClasses = 10;

    /// <summary>
    /// The client's cap on jobs in flight (a job from its arrival until its last task is back, as the
    /// demo's WorkloadDriver counts an OCR item): an arrival due while this many jobs are in flight
    /// waits until one finishes, then comes at once (the schedule itself does not move, so late
    /// arrivals catch up); its delays count from when it comes. 0: no cap (an open arrival process).
    /// </summary>
    public int MaxJobsInFlight { get; set; }

    /// <summary>
    /// Dynamics of the agent's own execution-time estimates (false: off, every estimate fixed for the
    /// episode at the profile's observed ratio, as before; the training contexts' setting). True: each
    /// executor (the device, each peer) keeps the live executors' estimate of each model
    /// (Inference's ExecTimeEstimate: robust, recency-weighted mean and line in the input size over
    /// its last 32 runs), fed with the simulated runs (input bytes, execution time with its jitter)
    /// as each finishes; the agent's observed time is the observed ratio times that estimate over
    /// the expected time. So it moves request by request with the runs the simulated agent sends
    /// there and stays where it is on an executor it does not use. At an episode's start each holds
    /// 32 earlier runs (size classes and jitters drawn on a random stream of its own, so arrivals and
    /// jitters are the same with and without it; the jitters divided by their recency-weighted mean):
    /// the episode starts near the observed ratio's level, with a live estimate's spread of runs
    /// behind it, and moves from there. For predicting a live run.
    /// </summary>
    public bool DynamicExecEstimates { get; set; }

    /// <summary>
    /// How old the agent's picture of each peer's queue is. 0 (the training contexts' setting): the
    /// observation shows each peer's running and queued tasks and their residual work as they are at
    /// the decision. Greater than 0: as the live agent sees them, from the peer's last load report:
    /// each peer sends a snapshot of its executor every this many seconds (the agent's
    /// Agent:LoadReportInterval, 250 ms by default; each peer's phase drawn per episode on a random
    /// stream of its own), which reaches the agent half a round trip later and stays its picture
    /// until the next one; a snapshot shows the tasks that had arrived at the peer and not finished
    /// at its time, a running one with its expected time less what it had run (the executor's
    /// residual). So a request the agent got back a moment ago can still show as running there, and
    /// one that reached the peer since the snapshot shows only as the agent's own request in flight.
    /// The agent's own traffic (requests in flight, still on their way, the upload backlog) is its
    /// own bookkeeping and stays current. For predicting a live run.
    /// </summary>
    public double PeerReportIntervalSeconds { get; set; }

    /// <summary>
    /// Request-size classes of the workload (a calibrated deployment's spread of request sizes: the
    /// recognition lines' widths): each job draws one class, uniformly, and every task of it takes
    /// its model's profile in that class (<see cref="SizeClassModels"/>: request and response bytes,
    /// the device's expected times and the agent's estimate of them; <see cref="SizeClassPeerExecSeconds"/>,
    /// <see cref="SizeClassPeerObservedExecRatio"/>), so the load of an episode is the mix of sizes,
    /// as in a live run, not one size for all. The agent's record of each model's response size,
    /// deadlines and measured joules stay <see cref="Models"/>'. 0: every task at <see cref="Models"/>' profile.
    /// </summary>
    public int SizeClassCount { get; set; }

    /// <summary>Model m's profile in size class k at [k * <see cref="MaxModels"/> + m] (<see cref="SizeClassCount"/>).</summary>
    public AgentModelProfile[] SizeClassModels { get; } = new AgentModelProfile[MaxSizeClasses * MaxModels];

    /// <summary>Expected execution time of model m on peer p in size class k at [(k * <see cref="MaxPeers"/> + p) * <see cref="MaxModels"/> + m], s; 0: the class's device fp32 time / the peer's speed.</summary>
    public double[] SizeClassPeerExecSeconds { get; } = new double[MaxSizeClasses * MaxPeers * MaxModels];

    /// <summary>The agent's expected time of model m on peer p in size class k over the true one, at the index of <see cref="SizeClassPeerExecSeconds"/>; 0: the peer's ratio as without classes.</summary>
    public double[] SizeClassPeerObservedExecRatio { get; } = new double[MaxSizeClasses * MaxPeers * MaxModels];

    /// <summary>
    /// Sets <see cref="SizeClassCount"/> and the classes' profiles from <paramref name="classes"/>,
    /// contexts of the same deployment at different request sizes (the same models and peers in the
    /// same order; their models, <see cref="PeerExecSeconds"/> and <see cref="PeerObservedExecRatio"/>
    /// are taken, the rest of this context stays).
    /// </summary>
    /// <exception cref="ArgumentException">More than <see cref="MaxSizeClasses"/> classes, or a class with other models or peers.</exception>
    public void SetSizeClasses(IReadOnlyList<AgentContext> classes)
    {
        ArgumentNullException.ThrowIfNull(classes);
        if (classes.Count > MaxSizeClasses)
        {
            throw new ArgumentException($"At most {MaxSizeClasses} size classes, got {classes.Count}.", nameof(classes));
        }

        for (var k = 0; k < classes.Count; k++)
        {
            var c = classes[k];
            if (c.ModelCount != ModelCount || c.PeerCount != PeerCount || Enumerable.Range(0, ModelCount).Any(m => c.Models[m].Name != Models[m].Name)
                || Enumerable.Range(0, PeerCount).Any(p => c.Peers[p].Name != Peers[p].Name))
            {
                throw new ArgumentException($"Size class {k} has other models or peers than the context.", nameof(classes));
            }

            Array.Copy(c.Models, 0, SizeClassModels, k * MaxModels, MaxModels);
            Array.Copy(c.PeerExecSeconds, 0, SizeClassPeerExecSeconds, k * MaxPeers * MaxModels, MaxPeers * MaxModels);
            Array.Copy(c.PeerObservedExecRatio, 0, SizeClassPeerObservedExecRatio, k * MaxPeers * MaxModels, MaxPeers * MaxModels);
        }

        SizeClassCount = classes.Count;
    }

    /// <summary>Copies every field of <paramref name="other"/> into this instance.</summary>
    public void CopyFrom(AgentContext other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Power = other.Power;
        LocalConcurrency = other.LocalConcurrency;
        Array.Copy(other.Models, Models, MaxModels);
        ModelCount = other.ModelCount;
        Array.Copy(other.Peers, Peers, MaxPeers);
        Array.Copy(other.PeerExecSeconds, PeerExecSeconds, PeerExecSeconds.Length);
        Array.Copy(other.PeerPricedRoundTripSeconds, PeerPricedRoundTripSeconds, PeerPricedRoundTripSeconds.Length);
        Array.Copy(other.PeerObservedExecRatio, PeerObservedExecRatio, PeerObservedExecRatio.Length);
        PeerCount = other.PeerCount;
        Array.Copy(other.Workloads, Workloads, MaxWorkloads);
        WorkloadCount = other.WorkloadCount;
        Arrivals = other.Arrivals;
        JobsPerSecond = other.JobsPerSecond;
        BurstMean = other.BurstMean;
        ExecJitterSigma = other.ExecJitterSigma;
        MaxJobsInFlight = other.MaxJobsInFlight;
        DynamicExecEstimates = other.DynamicExecEstimates;
        PeerReportIntervalSeconds = other.PeerReportIntervalSeconds;
        SizeClassCount = other.SizeClassCount;
        Array.Copy(other.SizeClassModels, SizeClassModels, SizeClassModels.Length);
        Array.Copy(other.SizeClassPeerExecSeconds, SizeClassPeerExecSeconds, SizeClassPeerExecSeconds.Length);
        Array.Copy(other.SizeClassPeerObservedExecRatio, SizeClassPeerObservedExecRatio, SizeClassPeerObservedExecRatio.Length);
    }

    /// <summary>Throws unless the context is usable; the message names the field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        static void Require(bool ok, string what)
        {
            if (!ok)
            {
                throw new ArgumentException("Agent context: " + what + ".");
            }
        }

        Require(LocalConcurrency is >= 1 and <= MaxConcurrency, $"LocalConcurrency must be in [1, {MaxConcurrency}], got {LocalConcurrency}");
        Require(ModelCount is >= 1 and <= MaxModels, $"ModelCount must be in [1, {MaxModels}], got {ModelCount}");
        Require(PeerCount is >= 0 and <= MaxPeers, $"PeerCount must be in [0, {MaxPeers}], got {PeerCount}");
        Require(WorkloadCount is >= 1 and <= MaxWorkloads, $"WorkloadCount must be in [1, {MaxWorkloads}], got {WorkloadCount}");
        Require(JobsPerSecond > 0 && double.IsFinite(JobsPerSecond), $"JobsPerSecond must be positive, got {JobsPerSecond}");
        Require(BurstMean >= 1 && double.IsFinite(BurstMean), $"BurstMean must be at least 1, got {BurstMean}");
        Require(ExecJitterSigma is >= 0 and <= 2, $"ExecJitterSigma must be in [0, 2], got {ExecJitterSigma}");
        Require(MaxJobsInFlight is >= 0 and <= 1024, $"MaxJobsInFlight must be in [0, 1024] (0: no cap), got {MaxJobsInFlight}");
        Require(SizeClassCount is >= 0 and <= MaxSizeClasses, $"SizeClassCount must be in [0, {MaxSizeClasses}], got {SizeClassCount}");
        for (var k = 0; k < SizeClassCount; k++)
        {
            for (var m = 0; m < ModelCount; m++)
            {
                var model = SizeClassModels[(k * MaxModels) + m];
                Require(model.ExecFp32 > 0 && double.IsFinite(model.ExecFp32) && model.RequestBytes >= 0 && model.ResponseBytes >= 0,
                    $"size class {k} of model {m} needs a positive fp32 exec time and non-negative bytes");
            }
        }

        Require(SizeClassPeerExecSeconds.All(v => v >= 0 && double.IsFinite(v)) && SizeClassPeerObservedExecRatio.All(v => v >= 0 && double.IsFinite(v)),
            "size classes' peer execution times and observed ratios must be finite and non-negative");
        Require(Power.ActiveWatts >= 0 && Power.RadioWatts >= 0 && Power.WaitWatts >= 0, "power table watts must be non-negative");
        for (var m = 0; m < ModelCount; m++)
        {
            var model = Models[m];
            Require(model.ExecFp32 > 0 && double.IsFinite(model.ExecFp32), $"model {m} ({model.Name}) needs a positive fp32 exec time");
            Require(model.RequestBytes >= 0 && model.ResponseBytes >= 0 && model.ObservedResponseBytes >= 0, $"model {m} ({model.Name}) bytes must be non-negative");
            for (var v = 1; v < LocalVariants.Count; v++)
            {
                Require(double.IsNaN(model.Exec(v)) || model.Exec(v) > 0, $"model {m} ({model.Name}) variant {LocalVariants.Names[v]} exec must be positive or NaN (not offered)");
            }

            Require(model.DeadlineSeconds > 0, $"model {m} ({model.Name}) deadline must be positive (+infinity for none)");
            Require(model.OverheadLocalSeconds is >= 0 and <= 60 && model.OverheadPeerSeconds is >= 0 and <= 60, $"model {m} ({model.Name}) agent overheads must be in [0, 60] s");
        }

        for (var p = 0; p < PeerCount; p++)
        {
            var peer = Peers[p];
            Require(peer.RoundTripSeconds >= 0 && double.IsFinite(peer.RoundTripSeconds), $"peer {p} round trip must be a finite non-negative time");
            Require(peer.UplinkBitsPerSecond > 0 && peer.DownlinkBitsPerSecond > 0, $"peer {p} bandwidths must be positive");
            Require(peer.Speed > 0 && double.IsFinite(peer.Speed), $"peer {p} speed must be positive");
            Require(peer.Concurrency is >= 1 and <= MaxConcurrency, $"peer {p} concurrency must be in [1, {MaxConcurrency}]");
            Require(peer.BackgroundUtilisation is >= 0 and < 1, $"peer {p} background utilisation must be in [0, 1)");
            Require(peer.BackgroundUtilisation == 0 || peer.BackgroundMeanExecSeconds is >= 1e-3 and <= 100, $"peer {p} background mean exec must be in [1 ms, 100 s] when there is background load");
            Require(peer.ObservedRoundTripSeconds >= 0 && double.IsFinite(peer.ObservedRoundTripSeconds) && peer.ObservedBitsPerSecond >= 0 && double.IsFinite(peer.ObservedBitsPerSecond), $"peer {p} observed round trip and throughput must be finite and non-negative (0: the true values)");
        }

        Require(PeerReportIntervalSeconds is >= 0 and <= 3600, "the peers' load report interval must be in [0, 3600] s (0: the exact queue state)");
        Require(PeerExecSeconds.All(v => v >= 0 && double.IsFinite(v)), "peer execution times must be finite and non-negative (0: device time / speed)");
        Require(PeerPricedRoundTripSeconds.All(v => v >= 0 && double.IsFinite(v)), "priced round trips must be finite and non-negative (0: the observed round trip)");
        Require(PeerObservedExecRatio.All(v => v >= 0 && double.IsFinite(v)), "observed execution ratios per peer and model must be finite and non-negative (0: the peer's ratio)");
        for (var w = 0; w < WorkloadCount; w++)
        {
            var wl = Workloads[w];
            Require(wl.StageCount is >= 1 and <= 3, $"workload {w} stage count must be 1 to 3");
            for (var k = 0; k < wl.StageCount; k++)
            {
                Require(wl.Stage(k) >= 0 && wl.Stage(k) < ModelCount, $"workload {w} stage {k} names model {wl.Stage(k)}, not in [0, {ModelCount})");
            }

            Require(wl.StageCount == 1 || (wl.LinesMin >= 1 && wl.LinesMax >= wl.LinesMin && wl.LinesMax <= MaxLines), $"workload {w} lines must satisfy 1 <= min <= max <= {MaxLines}");
            Require(wl.Weight > 0 && double.IsFinite(wl.Weight), $"workload {w} weight must be positive");
            Require(wl.LinesMean == 0 || (wl.LinesMean >= wl.LinesMin && wl.LinesMean <= wl.LinesMax), $"workload {w} mean lines must be 0 (uniform) or within [LinesMin, LinesMax], got {wl.LinesMean}");
        }
    }

    /// <summary>
    /// The demo's world (README "Demo", DemoProfiles): the board at 1/3 of the host with its modelled
    /// power table (5/10/2/0 W), fp32 OCR models only, at the demo's sizes as the live demo measured
    /// them (quiet machine, 00:37-00:46 UTC on 2026-12-04, `edgeagent calibrate --from-log` on the
    /// decision logs of an all-local run: 233-306 runs each): det 30 ms on a 480x160 page (request
    /// 921,600 B, response 297,325 B), cls 5 ms, rec 59 ms on a 478-pixel-wide line (request 275,328 B,
    /// response 1,577,107 B: about 60 time steps of 6,625 classes). (Before: det 176 ms and rec 39 ms,
    /// the host's 640x640 det and 320-wide rec profile x 3, and a 1.06 MB rec response: a world in
    /// which offloading det was faster, the opposite of the live demo.) `edge` (RTT 5 ms, 200 Mbit/s,
    /// 2.4x; measured 6.5-7.5 ms, 186-190 Mbit/s, det and rec 2.2-2.3x the board) and `cloud` (RTT
    /// 40 ms, 50 Mbit/s, 3x), each with one executor slot, no background load, 2 OCR pages per second
    /// of 1-2 lines (Poisson).
    /// </summary>
    public static AgentContext Demo()
    {
        var c = new AgentContext { LocalConcurrency = 1, ModelCount = 3, PeerCount = 2, WorkloadCount = 1, JobsPerSecond = 2, Arrivals = ArrivalKind.Poisson };
        c.Models[0] = Model("ocr-det", 3 * 160 * 480 * 4, 297_325, 0.030);
        c.Models[1] = Model("ocr-cls", 3 * 48 * 192 * 4, 8, 0.005);
        c.Models[2] = Model("ocr-rec", 3 * 48 * 478 * 4, 1_577_107, 0.059);
        c.Peers[0] = new AgentPeerProfile { Name = "edge", Kind = ServerKind.Edge, RoundTripSeconds = 0.005, UplinkBitsPerSecond = 200e6, DownlinkBitsPerSecond = 200e6, Speed = 2.4, Concurrency = 1, ServedModels = 0b111 };
        c.Peers[1] = new AgentPeerProfile { Name = "cloud", Kind = ServerKind.Cloud, RoundTripSeconds = 0.040, UplinkBitsPerSecond = 50e6, DownlinkBitsPerSecond = 50e6, Speed = 3.0, Concurrency = 1, ServedModels = 0b111 };
        c.Workloads[0] = new AgentWorkload { StageCount = 3, Stage0 = 0, Stage1 = 1, Stage2 = 2, LinesMin = 1, LinesMax = 2, Weight = 1 };
        return c;
    }

    /// <summary>A model with only the fp32 variant, no measured joules and no deadline.</summary>
    public static AgentModelProfile Model(string name, long requestBytes, long responseBytes, double execFp32) => new()
    {
        Name = name, RequestBytes = requestBytes, ResponseBytes = responseBytes, ExecFp32 = execFp32,
        ExecInt8 = double.NaN, ExecMixed = double.NaN, JoulesFp32 = double.NaN, JoulesInt8 = double.NaN, JoulesMixed = double.NaN,
        DeadlineSeconds = double.PositiveInfinity,
    };
}
