using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Node.Agent;

/// <summary>One link probe as sent and timed: bytes each way, elapsed and transfer time, whether it made a throughput sample.</summary>
/// <param name="RequestBytes">Bytes of the probe request (filler and framing).</param>
/// <param name="ResponseBytes">Bytes of the probe reply.</param>
/// <param name="Elapsed">From sending to the reply.</param>
/// <param name="Transfer">Elapsed less the link's round trip: the radio's busy time.</param>
/// <param name="Sampled">True when the link estimator took the probe as a throughput sample.</param>
public sealed record LinkProbeResult(long RequestBytes, long ResponseBytes, TimeSpan Elapsed, TimeSpan Transfer, bool Sampled);

/// <summary>What the <see cref="LinkProber"/> has spent on one link (or all): probes, bytes, device joules.</summary>
/// <param name="Probes">Probes sent and answered.</param>
/// <param name="Bytes">Bytes both ways.</param>
/// <param name="Joules">Device energy of the probes (radio while transferring, waiting for the rest), by the agent's energy estimator.</param>
public readonly record struct LinkProbeTotals(long Probes, long Bytes, double Joules);

/// <summary>A link the <see cref="LinkProber"/> can measure: a peer's <see cref="PeerConnection"/> (tests: a fake link).</summary>
public interface ILinkProbeTarget
{
    /// <summary>The peer's name.</summary>
    string Name { get; }

    /// <summary>The link's estimates the probe feeds.</summary>
    LinkEstimator Link { get; }

    /// <summary>True when a probe may be sent now (peer available, the link idle, probes implemented).</summary>
    bool CanProbe { get; }

    /// <summary>Sends one probe; null when the peer does not implement probes.</summary>
    Task<LinkProbeResult?> ProbeAsync(int requestBytes, int responseBytes, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>
/// Keeps every peer's throughput estimate fresh when the policy stops using the peer. The agent
/// measures a link from its own offloads (<see cref="LinkEstimator"/>); a policy that stops
/// offloading to a peer after one slow transfer would otherwise keep that estimate for good (the
/// demo's learned agent read a 200 Mbit/s link as 30.7 Mbit/s from a cold first transfer and never
/// offloaded again). A link whose estimate has taken no sample for <see cref="AgentOptions.LinkProbeAfter"/>
/// (or never took one) gets a probe: PeerService.Probe carries filler bytes both ways, sized to
/// take about <see cref="TargetProbeSeconds"/> at the current estimate, between
/// <see cref="AgentOptions.ThroughputSampleMinBytes"/> (at least 16 KiB) and
/// <see cref="AgentOptions.LinkProbeMaxBytes"/> (0 switches probing off). After a probe of B bytes
/// the link gets no other probe for B / <see cref="AgentOptions.LinkProbeBudgetBytesPerSecond"/>
/// seconds, so probes never use more of a link than the budget on average. A probe too short to
/// make a sample (under a millisecond of transfer: the link is faster than the estimate it was sized
/// from) is followed, after that pause, by one twice as large, up to the largest, until one measures
/// the link. A probe is sent only
/// while the link is idle (no call of this agent in flight to that peer). RTT is kept fresh by the
/// connection's own pings; a peer's execution times come from its load reports, so neither needs a probe.
/// Each probe's device energy (radio while its bytes move, waiting for the rest, by the agent's
/// <see cref="IEnergyEstimator"/>) is counted in <see cref="Totals"/> and, when the agent has an
/// <see cref="EnergyMeter"/>, recorded on it with placement <c>probe:NAME</c>.
/// </summary>
public sealed partial class LinkProber : BackgroundService
{
    /// <summary>Largest probe the agent sends, both directions together, in bytes (the limit of Agent:LinkProbeMaxBytes).</summary>
    public const int MaxProbeBytes = 4 * 1024 * 1024;

    /// <summary>Smallest probe, in bytes (when Agent:ThroughputSampleMinBytes is smaller).</summary>
    public const int MinProbeBytes = 16 * 1024;

    /// <summary>How long a probe should keep the link busy at the current estimate, in seconds: long enough that framing and scheduling are a small part of it.</summary>
    public const double TargetProbeSeconds = 0.025;

    private readonly IReadOnlyList<ILinkProbeTarget> _targets;
    private readonly AgentOptions _options;
    private readonly IEnergyEstimator _energy;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EnergyMeter? _meter;
    private readonly State[] _state;
    private readonly Lock _gate = new();

    /// <summary>Creates the prober over <paramref name="targets"/> (the peers); nothing is sent until it runs.</summary>
    public LinkProber(IReadOnlyList<ILinkProbeTarget> targets, AgentOptions options, IEnergyEstimator energy, TimeProvider time, ILogger<LinkProber> logger, EnergyMeter? meter = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(options);
        _targets = targets;
        _options = options;
        _energy = energy;
        _time = time;
        _logger = logger;
        _meter = meter;
        var now = time.GetTimestamp();
        _state = targets.Select(t => new State { Samples = t.Link.ThroughputSamples, SampledAt = now, NextAllowedAt = now }).ToArray();
    }

    /// <summary>True when Agent:LinkProbeMaxBytes is above 0 and there are peers.</summary>
    public bool Enabled => _options.LinkProbeMaxBytes > 0 && _targets.Count > 0;

    /// <summary>Probes, bytes and device joules over every link since start.</summary>
    public LinkProbeTotals Totals
    {
        get
        {
            lock (_gate)
            {
                return new LinkProbeTotals(_state.Sum(s => s.Probes), _state.Sum(s => s.Bytes), _state.Sum(s => s.Joules));
            }
        }
    }

    /// <summary>Probes, bytes and device joules of the link to <paramref name="peer"/> (zeros for an unknown name).</summary>
    public LinkProbeTotals TotalsFor(string peer)
    {
        lock (_gate)
        {
            for (var i = 0; i < _targets.Count; i++)
            {
                if (string.Equals(_targets[i].Name, peer, StringComparison.Ordinal))
                {
                    return new LinkProbeTotals(_state[i].Probes, _state[i].Bytes, _state[i].Joules);
                }
            }
        }

        return default;
    }

    /// <summary>The size of the next probe on a link estimated at <paramref name="bitsPerSecond"/>, both directions together, in bytes.</summary>
    public int ProbeBytes(double bitsPerSecond)
    {
        var floor = Floor;
        var ceiling = Ceiling;
        var wanted = double.IsFinite(bitsPerSecond) && bitsPerSecond > 0 ? bitsPerSecond / 8.0 * TargetProbeSeconds : ceiling;
        return (int)Math.Clamp(Math.Round(wanted), floor, ceiling);
    }

    /// <summary>The largest probe, both directions together, in bytes (Agent:LinkProbeMaxBytes within <see cref="MinProbeBytes"/>..<see cref="MaxProbeBytes"/>).</summary>
    private int Ceiling => (int)Math.Clamp(_options.LinkProbeMaxBytes, Floor, MaxProbeBytes);

    // The smallest probe: Agent:ThroughputSampleMinBytes within MinProbeBytes..MaxProbeBytes.
    private int Floor => (int)Math.Clamp(_options.ThroughputSampleMinBytes, MinProbeBytes, MaxProbeBytes);

    // A probe of `bytes` grown by `growth` (after probes too short to measure), at most the ceiling.
    private int GrownProbeBytes(int bytes, int growth) => (int)Math.Min(Ceiling, (long)bytes * growth);

    /// <summary>
    /// One pass over the links: every link that is due (no throughput sample for Agent:LinkProbeAfter,
    /// or none yet), outside its budget pause and idle gets one probe, one link after the other.
    /// Returns the number of probes answered. A failed probe is logged at debug level and waits
    /// for the next pass; it does not count against the peer (its load stream and calls decide that).
    /// </summary>
    public async Task<int> ProbeDueAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return 0;
        }

        var probed = 0;
        for (var i = 0; i < _targets.Count; i++)
        {
            var target = _targets[i];
            var state = _state[i];
            var now = _time.GetTimestamp();
            var samples = target.Link.ThroughputSamples;
            if (samples != state.Samples)
            {
                // An offload (or a probe) measured the link since the last look: fresh until LinkProbeAfter from now.
                state.Samples = samples;
                state.SampledAt = now;
                state.Growth = 1;
            }

            var due = samples == 0 || _time.GetElapsedTime(state.SampledAt, now) >= _options.LinkProbeAfter;
            if (!due || now < state.NextAllowedAt || !target.CanProbe)
            {
                continue;
            }

            var bytes = GrownProbeBytes(ProbeBytes(target.Link.ThroughputBitsPerSecond), state.Growth);
            var up = bytes / 2;
            LinkProbeResult? result;
            try
            {
                result = await target.ProbeAsync(up, bytes - up, _options.OffloadTimeout, cancellationToken).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // A failed probe (whatever failed) only means no sample this time; it must not stop the agent.
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                Log.ProbeFailed(_logger, target.Name, ex is RpcException rpc ? rpc.StatusCode.ToString() : ex.GetType().Name);
                state.NextAllowedAt = _time.GetTimestamp() + BudgetPause(bytes);
                continue;
            }

            var end = _time.GetTimestamp();
            state.NextAllowedAt = end + BudgetPause(bytes);
            if (result is null)
            {
                continue;
            }

            var transfer = result.Transfer.TotalSeconds;
            var joules = _energy.OffloadJoules(result.RequestBytes, result.ResponseBytes, transfer, Math.Max(0, result.Elapsed.TotalSeconds - transfer));
            lock (_gate)
            {
                state.Probes++;
                state.Bytes += result.RequestBytes + result.ResponseBytes;
                state.Joules += joules;
            }

            state.Samples = target.Link.ThroughputSamples;
            if (!result.Sampled && bytes < Ceiling)
            {
                // Too short to measure (under a millisecond of transfer): the link is faster than the
                // estimate the probe was sized from. Left as it was, every later probe would be as
                // small and as useless, and an estimate taken in a burst of this agent's own calls
                // (after the greedy end of an eval live sweep: 19 Mbit/s on a 1 Gbit/s link) would
                // stay until the policy offloads there again, which that estimate prevents. So the
                // next probe is twice as large and the link stays due (after the budget's pause).
                state.Growth *= 2;
            }
            else
            {
                state.Growth = 1;
                state.SampledAt = end;
            }

            _meter?.RecordRequest("probe:" + target.Name, new TaskEnergy(EnergyFigure.Zero, new EnergyFigure(joules, EnergyProvenance.Modelled)));
            Log.Probed(_logger, target.Name, result.RequestBytes + result.ResponseBytes, result.Elapsed.TotalMilliseconds, target.Link.ThroughputBitsPerSecond / 1e6, result.Sampled);
            probed++;
        }

        return probed;
    }

    /// <summary>Probes due links every quarter of Agent:LinkProbeAfter (between 50 ms and 1 s) until the agent stops; nothing when probing is off.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Enabled)
        {
            return;
        }

        var tick = TimeSpan.FromTicks(Math.Clamp(_options.LinkProbeAfter.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(tick, _time, stoppingToken).ConfigureAwait(false);
                await ProbeDueAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (RpcException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    // TimeProvider ticks a probe of `bytes` must wait so probes stay within the budget on average.
    private long BudgetPause(int bytes) =>
        (long)Math.Ceiling(bytes / (double)Math.Max(1, _options.LinkProbeBudgetBytesPerSecond) * _time.TimestampFrequency);

    private sealed class State
    {
        public int Samples { get; set; }

        public long SampledAt { get; set; }

        public long NextAllowedAt { get; set; }

        // Factor on the next probe's size: doubled after each probe too short to make a sample, 1 after one that made it.
        public int Growth { get; set; } = 1;

        public long Probes { get; set; }

        public long Bytes { get; set; }

        public double Joules { get; set; }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2070, Level = LogLevel.Debug, Message = "Link probe to peer {Peer}: {Bytes} bytes in {ElapsedMs:0.0} ms; throughput estimate {Mbit:0.0} Mbit/s (sampled: {Sampled}).")]
        public static partial void Probed(ILogger logger, string peer, long bytes, double elapsedMs, double mbit, bool sampled);

        [LoggerMessage(EventId = 2071, Level = LogLevel.Debug, Message = "Link probe to peer {Peer} failed ({Failure}); the next pass tries again.")]
        public static partial void ProbeFailed(ILogger logger, string peer, string failure);
    }
}
