using System.Globalization;
using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Hardware.Energy;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// Settings of the agent role, bound from the "Agent" configuration section (appsettings.json,
/// EDGEAGENT_Agent__Policy style environment variables, command-line flags) and validated at start.
/// </summary>
public sealed class AgentOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Agent";

    /// <summary>
    /// Peers by name, each <c>URL[;rtt=40ms][;bw=50mbit]</c> (see <see cref="PeerEndpoint"/>):
    /// <c>"Peers": { "cloud": "http://10.0.0.5:8001" }</c>, <c>EDGEAGENT_Agent__Peers__cloud=...</c>
    /// or <c>--peer cloud=http://10.0.0.5:8001</c>. Candidates are listed in name order.
    /// </summary>
    public Dictionary<string, string> Peers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Offload policy: learned (the default: the ONNX policy of <see cref="PolicyFile"/>), heuristic, local or peer.</summary>
    public string Policy { get; set; } = "learned";

    /// <summary>
    /// The learned policy's ONNX file (--policy-file), used when <see cref="Policy"/> is "learned";
    /// empty means the agent policy shipped beside the binary, <see cref="DefaultPolicyFile"/>.
    /// The file is reloaded when it changes.
    /// </summary>
    public string PolicyFile { get; set; } = "";

    /// <summary>How often the policy file is polled for changes (a file watcher also reports them at once).</summary>
    public TimeSpan PolicyReloadInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The committed agent policy as the build and the container image ship it: policies/agent-default.onnx beside the binary.</summary>
    public static string DefaultPolicyFile => Path.Combine(AppContext.BaseDirectory, "policies", "agent-default.onnx");

    /// <summary><see cref="PolicyFile"/>, or <see cref="DefaultPolicyFile"/> when it is empty, as a full path.</summary>
    public string ResolvePolicyFile() => Path.GetFullPath(string.IsNullOrWhiteSpace(PolicyFile) ? DefaultPolicyFile : PolicyFile.Trim());

    /// <summary>Initial delay weight in [0, 1] (1 = only delay matters, 0 = only energy).</summary>
    public double Preference { get; set; } = 0.5;

    /// <summary>
    /// Requests of at least this many bytes (uncompressed) are forwarded to a single peer while they
    /// arrive (cut-through, issue 17): the agent decides from the request's fields before its raw
    /// tensors and sends the peer the bytes as they come, the last one after the whole request is
    /// parsed and valid. 0 turns it off (every request is received whole first). Default 256 KiB.
    /// </summary>
    public int CutThroughMinBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// For a request forwarded while it arrives (<see cref="CutThroughMinBytes"/>): a peer's answer
    /// of at least this many bytes goes on to the caller as it arrives (response cut-through, issue
    /// 17), with the agent's own fields encoded after it. Once its first byte is written, a peer that
    /// fails mid-answer ends the call with a reset stream instead of a local run. 0 turns it off
    /// (every answer is received whole, then written), the default: measured, the relay bought no
    /// latency beyond the benchmark's spread (README, "The offload hop") and it gives up the local
    /// fallback for a peer failing mid-answer, so it is opt-in (for example 262144).
    /// </summary>
    public int RelayMinBytes { get; set; }

    /// <summary>
    /// Bytes one receive from a single peer's connection takes at most (<c>ReadAheadStream</c>
    /// under the HTTP/2 client, issue 17): .NET's client alone receives a frame at a time, each after
    /// a 1-byte wait for data. 0 leaves the client's own receives. Default 64 KiB.
    /// </summary>
    public int PeerReadAheadBytes { get; set; } = ReadAheadStream.DefaultBytes;

    /// <summary>
    /// While a request is forwarded to a single plaintext peer (no emulated link) as it arrives (<see cref="CutThroughMinBytes"/>),
    /// the body's DATA frames are sent to the peer in batches of up to this many bytes instead of one
    /// 16 KiB frame per send (<c>PeerWriteBatches</c>, issue 17); only on connections whose peer opened
    /// them with windows of at least twice this. 0 turns it off. Default 128 KiB, at most 256 KiB.
    /// </summary>
    public int PeerWriteBatchBytes { get; set; } = PeerWriteBatches.DefaultBytes;

    /// <summary>Longest wait for a peer before falling back to local execution.</summary>
    public TimeSpan OffloadTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a peer gets no work after a call to it missed its deadline or failed in transport;
    /// doubles per consecutive failure up to <see cref="ReconnectMaxDelay"/> (see <see cref="PeerCircuit"/>).
    /// </summary>
    public TimeSpan PeerBreakDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Hung-peer detection (<see cref="PeerHangDetector"/>): a peer whose oldest outstanding call
    /// has waited this many times its expected time (the 90th percentile of its last 32 answers, or the
    /// call's own estimate when longer) with no answer from the peer meanwhile is taken as hung:
    /// it gets no new work (its circuit opens) and the calls waiting on it run locally at once.
    /// 1.5 to 1000.
    /// </summary>
    public double HungPeerFactor { get; set; } = 4;

    /// <summary>
    /// Shortest wait without any answer that can count as a hang (see <see cref="HungPeerFactor"/>);
    /// 00:00:00 switches hung-peer detection off, and a floor at or above <see cref="OffloadTimeout"/>
    /// never acts before it (either way a hung peer is then noticed when a call misses the offload
    /// timeout), so a short offload timeout set alone is not an error.
    /// </summary>
    public TimeSpan HungPeerFloor { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Interval the agent asks peers to send load reports at.</summary>
    public TimeSpan LoadReportInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A peer whose last load report is older than this is treated as unavailable and its load
    /// stream reconnected; time this agent itself was not running does not count (<see cref="SchedulingLag"/>).
    /// </summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Interval between RTT probes (ServerLive) to each connected peer.</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>First reconnect delay after a peer's load stream breaks; doubles per failure.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Cap of the reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throughput assumed for a peer link before the first measured transfer, in Mbit/s.</summary>
    public double PriorThroughputMbit { get; set; } = 100;

    /// <summary>
    /// Smallest forwarded call (request plus response bytes) whose transfer time counts as a
    /// throughput sample; smaller calls measure latency, not rate, and leave the prior in place
    /// (0 to 1 GiB; 0 counts every call).
    /// </summary>
    public long ThroughputSampleMinBytes { get; set; } = LinkEstimator.DefaultMinimumSampleBytes;

    /// <summary>
    /// A peer link whose throughput estimate has taken no sample (from an offload or a probe) for
    /// this long gets a link probe (<see cref="LinkProber"/>), so a policy that stopped offloading to
    /// a peer after a slow transfer sees the link's rate again.
    /// </summary>
    public TimeSpan LinkProbeAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Largest link probe, both directions together, in bytes (0 switches probing off; otherwise at
    /// least Agent:ThroughputSampleMinBytes and 16 KiB, at most 4 MiB). A probe is sized to keep the
    /// link busy for about 25 ms at its current estimate, within these bounds.
    /// </summary>
    public long LinkProbeMaxBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Average bytes per second link probes may use on one peer's link: after a probe of B bytes that
    /// link gets no other probe for B / budget seconds (at least 1 KiB/s).
    /// </summary>
    public long LinkProbeBudgetBytesPerSecond { get; set; } = 128 * 1024;

    /// <summary>Relative compute speed of this device (1 = reference), used to guess a peer's exec time before it reports one.</summary>
    public double LocalComputeSpeed { get; set; } = 1.0;

    /// <summary>
    /// Largest accuracy loss, in points against the float model, of a quantized variant the agent
    /// may run (--max-accuracy-drop). A variant whose profile shows a larger drop, or no accuracy
    /// figure at all, is not offered; fp32 always is. 0 allows only variants measured without loss.
    /// </summary>
    public double MaxAccuracyDropPoints { get; set; } = 1.0;

    /// <summary>
    /// Device name of the variant profiles the agent reads, <c>&lt;version&gt;/profiles/&lt;name&gt;.json</c>
    /// (--profile-device); the default matches `edgeagent models profile --device`'s, this machine's name.
    /// </summary>
    public string ProfileDevice { get; set; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>Outcomes kept in the in-memory decision log.</summary>
    public int DecisionLogCapacity { get; set; } = 4096;

    /// <summary>Largest gRPC message the agent sends to or accepts from a peer, in bytes.</summary>
    public int MaxPeerMessageBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>How often a peer group's name (dns:///HOST:PORT) is resolved again for members that came or went.</summary>
    public TimeSpan GroupRefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Attempts of one call to a peer group (2-5): a member that fails a call with UNAVAILABLE (it
    /// went away before answering) leaves the call to the next member, within the call's deadline.
    /// </summary>
    public int GroupMaxAttempts { get; set; } = 3;

    /// <summary>Seed of the random source for reconnect jitter (null: from the clock).</summary>
    public int? Seed { get; set; }

    /// <summary>Device power table of the device energy model (<see cref="DeviceEnergyModel"/>), section "Agent:Energy".</summary>
    public EnergyModelOptions Energy { get; set; } = new();

    /// <summary>The parsed peers; call after validation.</summary>
    public IReadOnlyList<PeerEndpoint> ParsePeers()
    {
        var list = new List<PeerEndpoint>(Peers.Count);
        foreach (var (name, value) in Peers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!PeerEndpoint.TryParse(name, value, out var endpoint, out var error))
            {
                throw new OptionsValidationException(Section, typeof(AgentOptions), [error]);
            }

            list.Add(endpoint);
        }

        return list;
    }
}

/// <summary>Checks <see cref="AgentOptions"/> at start; every message names the setting.</summary>
/// <param name="registrations">Named policies registered besides the built-in ones.</param>
public sealed class AgentOptionsValidator(IEnumerable<OffloadPolicyRegistration> registrations) : IValidateOptions<AgentOptions>
{
    /// <summary>A validator that knows only the built-in policies.</summary>
    public AgentOptionsValidator()
        : this([])
    {
    }

    /// <summary>Every name Agent:Policy accepts: registered ones, then learned and the other built-in ones.</summary>
    public IReadOnlyList<string> PolicyNames =>
        registrations.Select(r => r.Name).Append(LearnedPolicy.PolicyName).Concat(OffloadPolicies.Names).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (peerName, value) in options.Peers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!PeerEndpoint.TryParse(peerName, value, out _, out var error))
            {
                errors.Add($"Agent:Peers:{peerName} (--peer): {error}.");
            }
            else if (!names.Add(peerName))
            {
                errors.Add($"Agent:Peers:{peerName} (--peer): peer name '{peerName}' is used twice.");
            }
        }

        if (!PolicyNames.Contains(options.Policy?.Trim() ?? "", StringComparer.OrdinalIgnoreCase))
        {
            errors.Add($"Agent:Policy (--policy) is '{options.Policy}'; use one of {string.Join(", ", PolicyNames)}.");
        }

        if (!(options.Preference >= 0 && options.Preference <= 1))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Agent:Preference (--preference) is {options.Preference}; use a delay weight in [0, 1]."));
        }

        if (options.PolicyFile is { Length: > 0 } file && file.Trim().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"Agent:PolicyFile (--policy-file) is '{file}'; it is not a usable path.");
        }

        if (options.CutThroughMinBytes < 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Agent:CutThroughMinBytes is {options.CutThroughMinBytes}; use 0 (off) or a positive number of bytes."));
        }

        if (options.PeerReadAheadBytes < 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Agent:PeerReadAheadBytes is {options.PeerReadAheadBytes}; use 0 (off) or a positive number of bytes."));
        }

        if (options.PeerWriteBatchBytes != 0 && (options.PeerWriteBatchBytes < PeerWriteBatches.FullFrameBytes || options.PeerWriteBatchBytes > PeerWriteBatches.MaxBytes))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Agent:PeerWriteBatchBytes is {options.PeerWriteBatchBytes}; use 0 (off) or {PeerWriteBatches.FullFrameBytes} to {PeerWriteBatches.MaxBytes} bytes."));
        }

        if (options.RelayMinBytes < 0)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Agent:RelayMinBytes is {options.RelayMinBytes}; use 0 (off) or a positive number of bytes."));
        }

        Positive(options.PolicyReloadInterval, "Agent:PolicyReloadInterval", errors);
        Positive(options.OffloadTimeout, "Agent:OffloadTimeout", errors);
        if (!(options.HungPeerFactor >= 1.5 && options.HungPeerFactor <= 1000))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Agent:HungPeerFactor is {options.HungPeerFactor}; use 1.5 to 1000 (times a call's expected time a peer may stay silent before it counts as hung)."));
        }

        if (options.HungPeerFloor < TimeSpan.Zero)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Agent:HungPeerFloor is {options.HungPeerFloor:c}; use 00:00:00 (no hung-peer detection) or a positive duration below Agent:OffloadTimeout ({options.OffloadTimeout:c}), e.g. 00:00:00.250."));
        }

        Positive(options.LoadReportInterval, "Agent:LoadReportInterval", errors);
        Positive(options.PeerBreakDuration, "Agent:PeerBreakDuration", errors);
        Positive(options.StaleAfter, "Agent:StaleAfter", errors);
        Positive(options.PingInterval, "Agent:PingInterval", errors);
        Positive(options.ReconnectInitialDelay, "Agent:ReconnectInitialDelay", errors);
        Positive(options.GroupRefreshInterval, "Agent:GroupRefreshInterval", errors);
        if (options.GroupMaxAttempts is < 2 or > 5)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Agent:GroupMaxAttempts is {options.GroupMaxAttempts}; use 2 to 5 attempts of one call to a peer group."));
        }

        if (options.ReconnectMaxDelay < options.ReconnectInitialDelay)
        {
            errors.Add("Agent:ReconnectMaxDelay must be at least Agent:ReconnectInitialDelay.");
        }

        if (!(options.PriorThroughputMbit > 0 && double.IsFinite(options.PriorThroughputMbit)))
        {
            errors.Add("Agent:PriorThroughputMbit must be a positive number of Mbit/s.");
        }

        if (options.ThroughputSampleMinBytes is < 0 or > 1L << 30)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"Agent:ThroughputSampleMinBytes is {options.ThroughputSampleMinBytes}; it must be between 0 and {1L << 30} bytes."));
        }

        Positive(options.LinkProbeAfter, "Agent:LinkProbeAfter", errors);
        var probeFloor = Math.Max(options.ThroughputSampleMinBytes, LinkProber.MinProbeBytes);
        if (options.LinkProbeMaxBytes != 0 && probeFloor > LinkProber.MaxProbeBytes)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Agent:LinkProbeMaxBytes is {options.LinkProbeMaxBytes}, but Agent:ThroughputSampleMinBytes ({options.ThroughputSampleMinBytes}) is above the largest probe ({LinkProber.MaxProbeBytes} bytes), so no probe could make a sample; set Agent:LinkProbeMaxBytes to 0 or lower Agent:ThroughputSampleMinBytes."));
        }
        else if (options.LinkProbeMaxBytes != 0 && (options.LinkProbeMaxBytes < probeFloor || options.LinkProbeMaxBytes > LinkProber.MaxProbeBytes))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Agent:LinkProbeMaxBytes is {options.LinkProbeMaxBytes}; use 0 (no link probes) or {probeFloor} to {LinkProber.MaxProbeBytes} bytes (at least Agent:ThroughputSampleMinBytes and {LinkProber.MinProbeBytes}, so a probe makes a throughput sample)."));
        }

        if (options.LinkProbeBudgetBytesPerSecond < 1024)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Agent:LinkProbeBudgetBytesPerSecond is {options.LinkProbeBudgetBytesPerSecond}; use at least 1024 bytes per second (set Agent:LinkProbeMaxBytes to 0 to switch probes off)."));
        }

        if (!(options.LocalComputeSpeed > 0 && double.IsFinite(options.LocalComputeSpeed)))
        {
            errors.Add("Agent:LocalComputeSpeed must be a positive number.");
        }

        if (!(options.MaxAccuracyDropPoints >= 0))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture,
                $"Agent:MaxAccuracyDropPoints (--max-accuracy-drop) is {options.MaxAccuracyDropPoints}; use a number of accuracy points >= 0 (0 allows only variants measured without loss)."));
        }

        if (string.IsNullOrWhiteSpace(options.ProfileDevice) || options.ProfileDevice.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
            || options.ProfileDevice.Contains('/', StringComparison.Ordinal) || options.ProfileDevice.Contains('\\', StringComparison.Ordinal) || options.ProfileDevice is "." or "..")
        {
            errors.Add($"Agent:ProfileDevice (--profile-device) is '{options.ProfileDevice}'; use a device name usable as a file name (profiles/<name>.json).");
        }

        if (options.DecisionLogCapacity is < 1 or > 1_000_000)
        {
            errors.Add("Agent:DecisionLogCapacity must be in [1, 1000000].");
        }

        if (options.MaxPeerMessageBytes < 1024)
        {
            errors.Add("Agent:MaxPeerMessageBytes must be at least 1024.");
        }

        var energy = options.Energy;
        if (!(energy.IdleWatts >= 0 && energy.BusyWatts >= energy.IdleWatts && energy.RadioWatts >= 0 && energy.WaitWatts >= 0
            && double.IsFinite(energy.BusyWatts) && double.IsFinite(energy.RadioWatts) && double.IsFinite(energy.WaitWatts)))
        {
            errors.Add("Agent:Energy needs IdleWatts >= 0, BusyWatts >= IdleWatts, RadioWatts >= 0 and WaitWatts >= 0 (finite watts).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Positive(TimeSpan value, string setting, List<string> errors)
    {
        if (value <= TimeSpan.Zero)
        {
            errors.Add($"{setting} must be a positive duration such as 00:00:05.");
        }
    }
}
