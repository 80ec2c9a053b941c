using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Learning.Simulation.Agent;

/// <summary>
/// Where agent-profile contexts are drawn from at each episode: ranges that cover real deployments
/// (log-uniform where a quantity spans decades). <see cref="Train"/> is the default; a fixed
/// context (<see cref="Fixed"/>, e.g. <see cref="AgentContext.Demo"/>) is used for evaluation.
/// Drawing fills a reused <see cref="AgentContext"/>: nothing is allocated per episode.
/// </summary>
public sealed record AgentContextRange
{
    /// <summary>The training ranges (every default below).</summary>
    public static AgentContextRange Train { get; } = new();

    /// <summary>Names <see cref="Named"/> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = ["train", "demo", "no-peers", "many-peers", "slow-links", "fast-links", "overload"];

    /// <summary>
    /// A named range for evaluation: "train" (<see cref="Train"/>), "demo" (the fixed
    /// <see cref="AgentContext.Demo"/>), and the ends of the training ranges: "no-peers" (0 peers:
    /// only the device's variants), "many-peers" (7-8 peers), "slow-links" (RTT 100-300 ms, 1-4
    /// Mbit/s), "fast-links" (RTT 0.2-1 ms, 300-1000 Mbit/s), "overload" (offered load 1.5-3).
    /// </summary>
    /// <exception cref="ArgumentException">An unknown name (the message lists the known ones).</exception>
    public static AgentContextRange Named(string name) => name switch
    {
        "train" => Train,
        "demo" => Fixed(AgentContext.Demo()),
        "no-peers" => new() { PeersMin = 0, PeersMax = 0 },
        "many-peers" => new() { PeersMin = 7, PeersMax = AgentContext.MaxPeers },
        "slow-links" => new() { PeersMin = 1, RoundTripMin = 0.1, RoundTripMax = 0.3, BandwidthMin = 1e6, BandwidthMax = 4e6 },
        "fast-links" => new() { PeersMin = 1, RoundTripMin = 0.0002, RoundTripMax = 0.001, BandwidthMin = 3e8, BandwidthMax = 1e9 },
        "overload" => new() { LoadMin = 1.5, LoadMax = 3 },
        _ => throw new ArgumentException($"Unknown agent context range '{name}'; known: {string.Join(", ", Names)}."),
    };

    /// <summary>A fixed context: every episode uses a copy of <paramref name="context"/> (arrivals still drawn from the episode seed).</summary>
    public static AgentContextRange Fixed(AgentContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Validate();
        var copy = new AgentContext();
        copy.CopyFrom(context);
        return new AgentContextRange { FixedContext = copy };
    }

    /// <summary>When set, every episode uses this context.</summary>
    public AgentContext? FixedContext { get; init; }

    /// <summary>Peer count, uniform in [min, max].</summary>
    public int PeersMin { get; init; }

    /// <summary>Most peers.</summary>
    public int PeersMax { get; init; } = AgentContext.MaxPeers;

    /// <summary>Round-trip time, log-uniform, s (0.2 ms to 300 ms).</summary>
    public double RoundTripMin { get; init; } = 0.0002;

    /// <summary>Largest round-trip time, s.</summary>
    public double RoundTripMax { get; init; } = 0.3;

    /// <summary>Uplink bandwidth, log-uniform, bit/s (1 Mbit/s to 1 Gbit/s); the downlink is the uplink times a log-uniform factor in [0.5, 4], clamped to the same range.</summary>
    public double BandwidthMin { get; init; } = 1e6;

    /// <summary>Largest bandwidth, bit/s.</summary>
    public double BandwidthMax { get; init; } = 1e9;

    /// <summary>Peer speed relative to the device, log-uniform (0.25x to 20x).</summary>
    public double SpeedMin { get; init; } = 0.25;

    /// <summary>Fastest peer relative to the device.</summary>
    public double SpeedMax { get; init; } = 20;

    /// <summary>Largest background utilisation of a peer (0 with probability 0.3, else uniform in [0, max]); other clients' jobs take 10-500 ms (log-uniform mean per peer).</summary>
    public double BackgroundMax { get; init; } = 0.9;

    /// <summary>Largest sigma of the log-normal factor on each task's actual execution time (uniform in [0, max] per episode).</summary>
    public double ExecJitterSigmaMax { get; init; } = 0.3;

    /// <summary>Offered load on the device (jobs x fp32 work / local concurrency), log-uniform: idle to overload.</summary>
    public double LoadMin { get; init; } = 0.02;

    /// <summary>Largest offered load (3 = three times what the device alone can serve).</summary>
    public double LoadMax { get; init; } = 3;

    /// <summary>Probability that the OCR pipeline (det -> cls -> rec) is one of the workloads.</summary>
    public double OcrProbability { get; init; } = 0.5;

    /// <summary>Probability that requests carry deadlines.</summary>
    public double DeadlineProbability { get; init; } = 0.3;

    /// <summary>Probability of bursty arrivals (else Poisson).</summary>
    public double BurstyProbability { get; init; } = 0.3;

    /// <summary>
    /// Probability that an episode pins one quantity at an end of its range (peer count, every
    /// round trip, every link's bandwidth up and down, or every peer's speed; each of the four
    /// equally likely, low or high end equally likely), as the evaluation sets <c>peers-0</c> ...
    /// <c>speed-20x</c> do; the rest of the context is drawn as usual. 0 (the default) draws every
    /// quantity from its range and consumes no random numbers for this, so the default ranges'
    /// episodes are unchanged. Training with it covers the ends that a log-uniform draw over the
    /// whole range seldom reaches together (e.g. every peer slower than the device).
    /// </summary>
    public double EndsProbability { get; init; }

    /// <summary>
    /// Probability that an episode is a <b>demo world</b>: the demo's device, power table and OCR
    /// pipeline (<see cref="AgentContext.Demo"/>: det 30 ms, cls 5 ms, rec 59 ms on the board, its
    /// tensors' sizes), each model's times scaled by one log-uniform factor in [0.7, 1.4] per model,
    /// 2 pages/s times a log-uniform factor in [0.5, 2], Poisson or bursty arrivals, with 1-3 peers
    /// whose round trip, bandwidth, speed, slots and background load are drawn from these ranges
    /// (every peer serves the three models). It puts the deployments the demo stands for (board-scale
    /// detection at the low end of the OCR det range, links the repository never lists) inside the
    /// training distribution. 0 (the default) consumes no random numbers, so the default ranges'
    /// episodes are unchanged.
    /// </summary>
    public double DemoWorldProbability { get; init; }

    /// <summary>True when every field of <paramref name="c"/> lies inside these ranges (the demo's contexts must).</summary>
    public bool Contains(AgentContext c, out string why)
    {
        ArgumentNullException.ThrowIfNull(c);
        why = "";
        if (c.PeerCount < PeersMin || c.PeerCount > PeersMax)
        {
            why = $"peer count {c.PeerCount}";
            return false;
        }

        for (var p = 0; p < c.PeerCount; p++)
        {
            var peer = c.Peers[p];
            if (peer.RoundTripSeconds < RoundTripMin || peer.RoundTripSeconds > RoundTripMax)
            {
                why = $"peer {peer.Name} round trip {peer.RoundTripSeconds} s";
                return false;
            }

            if (peer.UplinkBitsPerSecond < BandwidthMin || peer.UplinkBitsPerSecond > BandwidthMax || peer.DownlinkBitsPerSecond < BandwidthMin || peer.DownlinkBitsPerSecond > BandwidthMax)
            {
                why = $"peer {peer.Name} bandwidth";
                return false;
            }

            if (peer.Speed < SpeedMin || peer.Speed > SpeedMax)
            {
                why = $"peer {peer.Name} speed {peer.Speed}";
                return false;
            }

            if (peer.BackgroundUtilisation > BackgroundMax)
            {
                why = $"peer {peer.Name} background {peer.BackgroundUtilisation}";
                return false;
            }
        }

        var load = OfferedLoad(c);
        if (load < LoadMin || load > LoadMax)
        {
            why = $"offered load {load}";
            return false;
        }

        return true;
    }

    /// <summary>Offered load on the device: jobs per second x expected fp32 work per job / local concurrency.</summary>
    public static double OfferedLoad(AgentContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return c.JobsPerSecond * MeanWorkPerJob(c) / c.LocalConcurrency;
    }

    /// <summary>Expected fp32 seconds of device work per job of the mix.</summary>
    public static double MeanWorkPerJob(AgentContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        double total = 0, weights = 0;
        for (var w = 0; w < c.WorkloadCount; w++)
        {
            var wl = c.Workloads[w];
            var work = c.Models[wl.Stage0].ExecFp32;
            if (wl.StageCount > 1)
            {
                var perLine = 0.0;
                for (var k = 1; k < wl.StageCount; k++)
                {
                    perLine += c.Models[wl.Stage(k)].ExecFp32;
                }

                work += 0.5 * (wl.LinesMin + wl.LinesMax) * perLine;
            }

            total += wl.Weight * work;
            weights += wl.Weight;
        }

        return total / weights;
    }

    /// <summary>Fills <paramref name="c"/> with a context drawn from these ranges (or the fixed context).</summary>
    public void Draw(ref SimRandom rng, AgentContext c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (FixedContext is { } fixedContext)
        {
            c.CopyFrom(fixedContext);
            return;
        }

        Array.Clear(c.PeerExecSeconds); // drawn peers run at the device's time / their speed
        Array.Clear(c.PeerPricedRoundTripSeconds);
        Array.Clear(c.PeerObservedExecRatio); // drawn peers: their ObservedExecRatio for every model

        if (DemoWorldProbability > 0 && rng.NextDouble() < DemoWorldProbability)
        {
            DrawDemoWorld(ref rng, c);
            return;
        }

        // The device: power table around the agent's default (5/10/2/0 W) and beyond.
        var idle = rng.Uniform(1, 8);
        c.Power = new DevicePowerTable(idle, idle + LogUniform(ref rng, 1, 20), LogUniform(ref rng, 0.3, 4), rng.NextDouble() < 0.5 ? 0 : rng.Uniform(0, 0.5));
        c.LocalConcurrency = rng.NextDouble() < 0.5 ? 1 : 2 + rng.NextInt(3);
        var measured = rng.NextDouble() < 0.5;
        var deadlines = rng.NextDouble() < DeadlineProbability;

        // Models: the OCR trio (board-scale times and the OIP tensors' sizes) and 0..3 generic models.
        var ocr = rng.NextDouble() < OcrProbability;
        var m = 0;
        if (ocr)
        {
            c.Models[m++] = DrawModel(ref rng, c, "ocr-det", LogUniform(ref rng, 0.03, 0.6), (long)LogUniform(ref rng, 2e5, 5e6), (long)LogUniform(ref rng, 5e4, 2e6), measured, deadlines);
            c.Models[m++] = DrawModel(ref rng, c, "ocr-cls", LogUniform(ref rng, 0.001, 0.03), (long)LogUniform(ref rng, 5e4, 2.5e5), (long)LogUniform(ref rng, 8, 64), measured, deadlines);
            c.Models[m++] = DrawModel(ref rng, c, "ocr-rec", LogUniform(ref rng, 0.005, 0.2), (long)LogUniform(ref rng, 5e4, 5e5), (long)LogUniform(ref rng, 2e4, 2e6), measured, deadlines);
        }

        var generic = ocr ? rng.NextInt(4) : 1 + rng.NextInt(3);
        for (var g = 0; g < generic; g++)
        {
            c.Models[m++] = DrawModel(ref rng, c, GenericNames[g], LogUniform(ref rng, 0.002, 1.0), (long)LogUniform(ref rng, 1e3, 4e6), (long)LogUniform(ref rng, 16, 2.5e5), measured, deadlines);
        }

        c.ModelCount = m;
        var wCount = 0;
        if (ocr)
        {
            var lines = 1 + rng.NextInt(AgentContext.MaxLines);
            c.Workloads[wCount++] = new AgentWorkload { StageCount = 3, Stage0 = 0, Stage1 = 1, Stage2 = 2, LinesMin = 1, LinesMax = lines, Weight = rng.Uniform(0.2, 1) };
        }

        for (var g = 0; g < generic; g++)
        {
            var model = ocr ? 3 + g : g;
            c.Workloads[wCount++] = new AgentWorkload { StageCount = 1, Stage0 = model, Stage1 = model, Stage2 = model, LinesMin = 1, LinesMax = 1, Weight = rng.Uniform(0.2, 1) };
        }

        c.WorkloadCount = wCount;

        // Peers (one quantity pinned at an end of its range with EndsProbability).
        var pinned = -1;
        var pinHigh = false;
        if (EndsProbability > 0 && rng.NextDouble() < EndsProbability)
        {
            pinned = rng.NextInt(4);
            pinHigh = rng.NextDouble() < 0.5;
        }

        c.PeerCount = PeersMin + rng.NextInt(PeersMax - PeersMin + 1);
        if (pinned == 0)
        {
            c.PeerCount = pinHigh ? PeersMax : PeersMin;
        }

        for (var p = 0; p < c.PeerCount; p++)
        {
            var rtt = LogUniform(ref rng, RoundTripMin, RoundTripMax);
            var up = LogUniform(ref rng, BandwidthMin, BandwidthMax);
            var down = Math.Clamp(up * LogUniform(ref rng, 0.5, 4), BandwidthMin, BandwidthMax);
            switch (pinned)
            {
                case 1:
                    rtt = pinHigh ? RoundTripMax : RoundTripMin;
                    break;
                case 2:
                    up = down = pinHigh ? BandwidthMax : BandwidthMin;
                    break;
            }

            var served = 0;
            for (var k = 0; k < c.ModelCount; k++)
            {
                if (rng.NextDouble() < 0.85)
                {
                    served |= 1 << k;
                }
            }

            c.Peers[p] = new AgentPeerProfile
            {
                Name = PeerNames[p],
                Kind = rtt < 0.02 ? ServerKind.Edge : ServerKind.Cloud,
                RoundTripSeconds = rtt,
                UplinkBitsPerSecond = up,
                DownlinkBitsPerSecond = down,
                Speed = pinned == 3 ? (pinHigh ? SpeedMax : SpeedMin) : LogUniform(ref rng, SpeedMin, SpeedMax),
                Concurrency = 1 + rng.NextInt(AgentContext.MaxConcurrency),
                ServedModels = served,
                BackgroundUtilisation = rng.NextDouble() < 0.3 ? 0 : rng.Uniform(0, BackgroundMax),
                BackgroundMeanExecSeconds = LogUniform(ref rng, 0.01, 0.5),
            };
        }

        // Arrivals: the offered load on the device decides the job rate.
        c.Arrivals = rng.NextDouble() < BurstyProbability ? ArrivalKind.Bursty : ArrivalKind.Poisson;
        c.BurstMean = rng.Uniform(2, 8);
        c.ExecJitterSigma = rng.Uniform(0, ExecJitterSigmaMax);
        var load = LogUniform(ref rng, LoadMin, LoadMax);
        c.JobsPerSecond = load * c.LocalConcurrency / MeanWorkPerJob(c);
    }

    private static readonly AgentContext DemoTemplate = AgentContext.Demo();

    // The demo's device and workload with drawn peers (DemoWorldProbability); allocates nothing.
    private void DrawDemoWorld(ref SimRandom rng, AgentContext c)
    {
        c.CopyFrom(DemoTemplate);
        for (var m = 0; m < c.ModelCount; m++)
        {
            var model = c.Models[m];
            model.ExecFp32 *= LogUniform(ref rng, 0.7, 1.4);
            c.Models[m] = model;
        }

        c.PeerCount = 1 + rng.NextInt(3);
        for (var p = 0; p < c.PeerCount; p++)
        {
            var rtt = LogUniform(ref rng, RoundTripMin, RoundTripMax);
            var up = LogUniform(ref rng, BandwidthMin, BandwidthMax);
            c.Peers[p] = new AgentPeerProfile
            {
                Name = PeerNames[p],
                Kind = rtt < 0.02 ? ServerKind.Edge : ServerKind.Cloud,
                RoundTripSeconds = rtt,
                UplinkBitsPerSecond = up,
                DownlinkBitsPerSecond = Math.Clamp(up * LogUniform(ref rng, 0.5, 4), BandwidthMin, BandwidthMax),
                Speed = LogUniform(ref rng, SpeedMin, SpeedMax),
                Concurrency = 1 + rng.NextInt(2),
                ServedModels = (1 << c.ModelCount) - 1,
                BackgroundUtilisation = rng.NextDouble() < 0.5 ? 0 : rng.Uniform(0, Math.Min(0.5, BackgroundMax)),
                BackgroundMeanExecSeconds = LogUniform(ref rng, 0.01, 0.5),
            };
        }

        c.Arrivals = rng.NextDouble() < BurstyProbability ? ArrivalKind.Bursty : ArrivalKind.Poisson;
        c.BurstMean = rng.Uniform(2, 8);
        c.ExecJitterSigma = rng.Uniform(0, ExecJitterSigmaMax);
        c.JobsPerSecond = DemoTemplate.JobsPerSecond * LogUniform(ref rng, 0.5, 2);
    }

    private static readonly string[] PeerNames = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"];

    private static readonly string[] GenericNames = ["model-a", "model-b", "model-c"];

    private static AgentModelProfile DrawModel(ref SimRandom rng, AgentContext c, string name, double exec, long request, long response, bool measured, bool deadlines)
    {
        var model = AgentContext.Model(name, request, response, exec);
        if (rng.NextDouble() < 0.6)
        {
            model.ExecInt8 = exec / LogUniform(ref rng, 1.2, 3);
            model.DropInt8 = rng.Uniform(0, 2);
        }

        if (rng.NextDouble() < 0.4)
        {
            model.ExecMixed = exec / LogUniform(ref rng, 1.05, 2);
            model.DropMixed = rng.Uniform(0, 1);
        }

        if (measured)
        {
            var active = c.Power.ActiveWatts;
            model.JoulesFp32 = active * exec * rng.Uniform(0.7, 1.3);
            model.JoulesInt8 = double.IsNaN(model.ExecInt8) ? double.NaN : active * model.ExecInt8 * rng.Uniform(0.6, 1.2);
            model.JoulesMixed = double.IsNaN(model.ExecMixed) ? double.NaN : active * model.ExecMixed * rng.Uniform(0.6, 1.2);
        }

        model.DeadlineSeconds = deadlines ? exec * LogUniform(ref rng, 1.5, 20) : double.PositiveInfinity;
        return model;
    }

    // Clamped: exp(log(x)) can round a hair outside [lo, hi] (0.2 ms came out as 0.19999999999999985 ms,
    // outside the range Contains checks), most visibly when a range is pinned to one end.
    private static double LogUniform(ref SimRandom rng, double lo, double hi) => Math.Clamp(Math.Exp(rng.Uniform(Math.Log(lo), Math.Log(hi))), lo, hi);
}
