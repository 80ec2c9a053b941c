using EdgeAgent.Core.Offloading;
using EdgeAgent.Learning.Simulation.Agent;

namespace EdgeAgent.Learning.Evaluation;

/// <summary>
/// The live agent's link probes (Node's LinkProber) as eval live's prediction models them: a peer
/// whose link took no throughput sample (an offload, or a probe) for <see cref="ProbeAfterSeconds"/>
/// gets a probe at the prober's next tick, when no call of the agent is in flight to it and the
/// previous probe's budget pause is over; the probe carries bytes sized to take
/// <see cref="TargetSeconds"/> at the link's rate (between <see cref="MinBytes"/> and
/// <see cref="MaxBytes"/>), half each way, and costs the device radio W for its transfer and wait W
/// for the round trip, as the prober prices it. The defaults are the agent's (Agent:LinkProbe*).
/// </summary>
public sealed record LinkProbeModel
{
    /// <summary>Agent:LinkProbeAfter, s.</summary>
    public double ProbeAfterSeconds { get; init; } = 5;

    /// <summary>Largest probe, both directions, bytes (Agent:LinkProbeMaxBytes; 0: no probes).</summary>
    public long MaxBytes { get; init; } = 1024 * 1024;

    /// <summary>Smallest probe, bytes (the larger of Agent:ThroughputSampleMinBytes and 16 KiB).</summary>
    public long MinBytes { get; init; } = 64 * 1024;

    /// <summary>Agent:LinkProbeBudgetBytesPerSecond.</summary>
    public double BudgetBytesPerSecond { get; init; } = 128 * 1024;

    /// <summary>How long a probe keeps the link busy at its rate, s (LinkProber.TargetProbeSeconds).</summary>
    public double TargetSeconds { get; init; } = 0.025;

    /// <summary>The prober's pass interval: a quarter of <see cref="ProbeAfterSeconds"/>, between 50 ms and 1 s.</summary>
    public double TickSeconds => Math.Clamp(ProbeAfterSeconds / 4, 0.05, 1.0);

    /// <summary>
    /// The device joules of the probes sent to peer <paramref name="peer"/> of <paramref name="context"/>
    /// during an episode that ends at <paramref name="end"/> (s), given the agent's calls to that peer
    /// as (sent, answered) times; the link counts as sampled at time 0 (a running agent's link).
    /// </summary>
    public (int Probes, double Joules) Episode(AgentContext context, int peer, IReadOnlyList<(double Sent, double Back)> calls, double end)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(calls);
        if (MaxBytes <= 0 || ProbeAfterSeconds <= 0)
        {
            return (0, 0);
        }

        var p = context.Peers[peer];
        var rate = p.ObservedBitsPerSecond > 0 ? p.ObservedBitsPerSecond : p.UplinkBitsPerSecond;
        var bytes = Math.Clamp(Math.Round(rate / 8.0 * TargetSeconds), MinBytes, Math.Max(MinBytes, MaxBytes));
        var up = Math.Floor(bytes / 2);
        var transfer = (up * 8.0 / p.UplinkBitsPerSecond) + ((bytes - up) * 8.0 / p.DownlinkBitsPerSecond);
        var elapsed = transfer + p.RoundTripSeconds;
        var power = context.Power;
        var joules = power.OffloadJoules(transfer, elapsed - transfer);
        var sampled = 0.0;
        var allowed = 0.0;
        var probes = 0;
        for (var t = TickSeconds; t <= end; t += TickSeconds)
        {
            var busy = false;
            foreach (var (sent, back) in calls)
            {
                if (back <= t)
                {
                    sampled = Math.Max(sampled, back);
                }
                else if (sent <= t)
                {
                    busy = true;
                }
            }

            if (!busy && t - sampled >= ProbeAfterSeconds && t >= allowed)
            {
                probes++;
                sampled = t + elapsed;
                allowed = sampled + (bytes / BudgetBytesPerSecond);
            }
        }

        return (probes, probes * joules);
    }
}
