using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>
/// Named context sets of the agent profile for training and evaluation (<c>edgeagent train|eval
/// --profile agent --contexts NAME</c>): the full training ranges, the demo's fixed context, and
/// the ends of the ranges (no peers, eight peers, slow links, fast links), and the training ranges
/// with one quantity pinned at an end of its range (round trip 0.2 or 300 ms, bandwidth 1 or
/// 1000 Mbit/s up and down, every peer 0.25x or 20x the device), where an observation's features
/// take their extreme values.
/// </summary>
public static class AgentContexts
{
    /// <summary>Names accepted by <see cref="Get"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["train", "train-ends", "demo", "peers-0", "peers-1", "peers-8", "slow-links", "fast-links", "rtt-0.2ms", "rtt-300ms", "bw-1mbit", "bw-1000mbit", "speed-0.25x", "speed-20x", "no-noise", "demo-slow-links", "demo-near-edge", "demo-fast-cloud", "train-demo", "train-demo-half", "demo-world"];

    /// <summary>The demo's context with its two peers' round trip (s), bandwidth up and down (bit/s) and speed replaced.</summary>
    private static AgentContext Demo((double Rtt, double Bandwidth, double Speed) edge, (double Rtt, double Bandwidth, double Speed) cloud)
    {
        var c = AgentContext.Demo();
        foreach (var (index, link) in new[] { (0, edge), (1, cloud) })
        {
            var peer = c.Peers[index];
            peer.RoundTripSeconds = link.Rtt;
            peer.UplinkBitsPerSecond = link.Bandwidth;
            peer.DownlinkBitsPerSecond = link.Bandwidth;
            peer.Speed = link.Speed;
            c.Peers[index] = peer;
        }

        return c;
    }

    /// <summary>The context set called <paramref name="name"/> and a description for reports.</summary>
    /// <exception cref="ArgumentException">Unknown name; the message lists the known ones.</exception>
    public static (AgentContextRange Range, string Description) Get(string name)
    {
        var train = AgentContextRange.Train;
        return name switch
        {
            "train" => (train, "agent training ranges (0-8 peers, RTT 0.2-300 ms, 1-1000 Mbit/s, peer speed 0.25-20x, idle to overload)"),
            "train-ends" => (train with { EndsProbability = 0.5 }, "agent training ranges, half the episodes with one quantity pinned at an end of its range (peer count 0 or 8, every RTT 0.2 or 300 ms, every link 1 or 1000 Mbit/s, every peer 0.25x or 20x)"),
            "train-demo" => (train with { DemoWorldProbability = 0.3 }, "agent training ranges, 30 % of the episodes demo worlds (the demo's board, power table and OCR pipeline, times x 0.7-1.4, 1-4 pages/s, 1-3 peers with links, speeds and load drawn from the training ranges)"),
            "train-demo-half" => (train with { DemoWorldProbability = 0.5 }, "agent training ranges, 50 % of the episodes demo worlds (the demo's board, power table and OCR pipeline, times x 0.7-1.4, 1-4 pages/s, 1-3 peers with links, speeds and load drawn from the training ranges)"),
            "demo-world" => (train with { DemoWorldProbability = 1 }, "demo worlds: the demo's board, power table and OCR pipeline (times x 0.7-1.4, 1-4 pages/s) with 1-3 peers whose links, speeds and load are drawn from the training ranges"),
            "demo" => (AgentContextRange.Fixed(AgentContext.Demo()), "the demo's context (OCR pipeline, edge 5 ms 200 Mbit/s 2.4x, cloud 40 ms 50 Mbit/s 3x)"),
            "peers-0" => (train with { PeersMin = 0, PeersMax = 0 }, "training ranges with 0 peers (the device's variants only)"),
            "peers-1" => (train with { PeersMin = 1, PeersMax = 1 }, "training ranges with 1 peer"),
            "peers-8" => (train with { PeersMin = AgentContext.MaxPeers, PeersMax = AgentContext.MaxPeers }, "training ranges with 8 peers"),
            "slow-links" => (train with { RoundTripMin = 0.1, RoundTripMax = 0.3, BandwidthMin = 1e6, BandwidthMax = 5e6 }, "training ranges with slow links (RTT 100-300 ms, 1-5 Mbit/s)"),
            "fast-links" => (train with { RoundTripMin = 0.0002, RoundTripMax = 0.002, BandwidthMin = 300e6, BandwidthMax = 1e9 }, "training ranges with fast links (RTT 0.2-2 ms, 300-1000 Mbit/s)"),
            "rtt-0.2ms" => (train with { RoundTripMin = 0.0002, RoundTripMax = 0.0002 }, "training ranges with every round trip 0.2 ms (the range's low end)"),
            "rtt-300ms" => (train with { RoundTripMin = 0.3, RoundTripMax = 0.3 }, "training ranges with every round trip 300 ms (the range's high end)"),
            "bw-1mbit" => (train with { BandwidthMin = 1e6, BandwidthMax = 1e6 }, "training ranges with every link 1 Mbit/s up and down (the range's low end)"),
            "bw-1000mbit" => (train with { BandwidthMin = 1e9, BandwidthMax = 1e9 }, "training ranges with every link 1000 Mbit/s up and down (the range's high end)"),
            "speed-0.25x" => (train with { SpeedMin = 0.25, SpeedMax = 0.25 }, "training ranges with every peer 0.25x the device (the range's low end)"),
            "speed-20x" => (train with { SpeedMin = 20, SpeedMax = 20 }, "training ranges with every peer 20x the device (the range's high end)"),
            "no-noise" => (train with { ExecJitterSigmaMax = 0, BackgroundMax = 0 }, "training ranges without execution-time jitter and peer background load (the observation's estimates then miss only the queue model's approximations)"),
            "demo-slow-links" => (AgentContextRange.Fixed(Demo(edge: (0.030, 20e6, 2.0), cloud: (0.150, 10e6, 3.0))), "the demo's context with slow links (edge 30 ms 20 Mbit/s 2x, cloud 150 ms 10 Mbit/s 3x: the live comparison's second link profile)"),
            "demo-near-edge" => (AgentContextRange.Fixed(Demo(edge: (0.002, 500e6, 1.2), cloud: (0.080, 100e6, 3.0))), "the demo's context with a fast near edge of board class (edge 2 ms 500 Mbit/s 1.2x, cloud 80 ms 100 Mbit/s 3x: the live comparison's third link profile)"),
            "demo-fast-cloud" => (AgentContextRange.Fixed(Demo(edge: (0.010, 100e6, 1.2), cloud: (0.030, 400e6, 3.0))), "the demo's context with a fast cloud behind a slow edge (edge 10 ms 100 Mbit/s 1.2x, cloud 30 ms 400 Mbit/s 3x: the live comparison's second link profile since 4 December 05:22 UTC)"),
            _ => throw new ArgumentException($"Unknown agent context set '{name}'; known: {string.Join(", ", Names)}."),
        };
    }
}
