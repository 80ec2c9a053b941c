using System.Globalization;
using EdgeAgent.Core.Observation;

namespace EdgeAgent.Learning.Simulation;

/// <summary>The device itself as a server: no upload, its own compute and energy.</summary>
/// <param name="ComputeHz">The device's compute speed, cycles per second.</param>
/// <param name="Kappa">Effective switched capacitance of the device's processor (energy = kappa * eta * f^2 * L).</param>
public sealed record LocalServerSpec(double ComputeHz = 1e9, double Kappa = 5e-31);

/// <summary>
/// Constants of the GMORL system model (../shared/reference/gmorl.md). Units: seconds, bits, hertz,
/// watts, joules, metres. Defaults are the gmorl profile.
/// </summary>
public sealed record MecParameters
{
    /// <summary>Profile name recorded in observation layouts and policy files.</summary>
    public string Profile { get; init; } = "gmorl";

    /// <summary>Uplink rate formula.</summary>
    public ChannelModel Channel { get; init; } = ChannelModel.Gmorl;

    /// <summary>E_max: the most edge servers an environment can have (S = E_max + 1, +1 with a local server).</summary>
    public int MaxEdges { get; init; } = 10;

    /// <summary>U, users issuing tasks.</summary>
    public int Users { get; init; } = 10;

    /// <summary>T, decisions per episode.</summary>
    public int StepsPerEpisode { get; init; } = 100;

    /// <summary>dt, seconds per step.</summary>
    public double StepSeconds { get; init; } = 1.0;

    /// <summary>System-wide Poisson arrival rate, tasks per step.</summary>
    public double ArrivalsPerStep { get; init; } = 1.0;

    /// <summary>Smallest task, bits (sizes are clipped).</summary>
    public double MinTaskBits { get; init; } = 0.1e6;

    /// <summary>Largest task, bits.</summary>
    public double MaxTaskBits { get; init; } = 100e6;

    /// <summary>eta, CPU cycles per bit.</summary>
    public double CyclesPerBit { get; init; } = 1000;

    /// <summary>kappa of cloud and edge processors.</summary>
    public double Kappa { get; init; } = 5e-31;

    /// <summary>p_off, transmit power while uploading, watts.</summary>
    public double OffloadPowerWatts { get; init; } = 0.01;

    /// <summary>W, channel bandwidth, hertz.</summary>
    public double BandwidthHz { get; init; } = 16.6e6;

    /// <summary>Noise spectral density, dBm/Hz.</summary>
    public double NoiseDbmPerHz { get; init; } = -174;

    /// <summary>Path loss slope A in A*log10(d / 1 km) + B, dB.</summary>
    public double PathLossExponentDb { get; init; } = 35;

    /// <summary>Path loss B at 1 km, dB.</summary>
    public double PathLossAt1KmDb { get; init; } = 133.6;

    /// <summary>Shadowing, applied as a constant loss, dB.</summary>
    public double ShadowingDb { get; init; } = 8;

    /// <summary>Antenna gain, dB.</summary>
    public double AntennaGainDb { get; init; }

    /// <summary>Cloud-user distance range, metres.</summary>
    public double CloudDistanceMin { get; init; } = 1000;

    /// <summary>Upper end of the cloud-user distance range, metres.</summary>
    public double CloudDistanceMax { get; init; } = 2000;

    /// <summary>Edge-user distance range, metres.</summary>
    public double EdgeDistanceMin { get; init; } = 50;

    /// <summary>Upper end of the edge-user distance range, metres.</summary>
    public double EdgeDistanceMax { get; init; } = 500;

    /// <summary>alpha_T of the scalarised reward (delay in seconds).</summary>
    public double DelayRewardScale { get; init; } = 0.01;

    /// <summary>alpha_E of the scalarised reward (energy in joules).</summary>
    public double EnergyRewardScale { get; init; } = 50;

    /// <summary>
    /// When true (GMORL), an offloaded task's energy includes its execution on the server; when
    /// false only the device's radio energy counts (the agent's view of its own battery).
    /// </summary>
    public bool CountServerExecutionEnergy { get; init; } = true;

    /// <summary>
    /// The closed-form cost features (<see cref="Nn.CostFeatures"/>) of observations in
    /// <paramref name="layout"/> under this profile's constants: its eta, p_off, alpha_T and alpha_E,
    /// and kappa only when <see cref="CountServerExecutionEnergy"/> is true.
    /// </summary>
    /// <exception cref="ArgumentException">The layout lacks a column the estimate reads or has the device itself (see <see cref="Nn.CostFeatures.For"/>).</exception>
    public Nn.CostFeatures CostFeaturesFor(FeatureLayout layout) =>
        Nn.CostFeatures.For(layout, CyclesPerBit, CountServerExecutionEnergy ? Kappa : 0, OffloadPowerWatts, DelayRewardScale, EnergyRewardScale);

    /// <summary>The device as an extra server (row 0; cloud moves to row 1), or null for GMORL's layout.</summary>
    public LocalServerSpec? Local { get; init; }

    /// <summary>Histogram bins in observations.</summary>
    public int HistogramBins { get; init; } = 60;

    /// <summary>Histogram bin width, bits.</summary>
    public double HistogramBinBits { get; init; } = 1e6;

    /// <summary>S: rows of an observation.</summary>
    public int MaxServers => MaxEdges + 1 + (Local is null ? 0 : 1);

    /// <summary>Row of the cloud server.</summary>
    public int CloudIndex => Local is null ? 0 : 1;

    /// <summary>Row of the first edge server.</summary>
    public int FirstEdgeIndex => CloudIndex + 1;

    /// <summary>The gmorl profile: the reference implementation's channel; the benchmark.</summary>
    public static MecParameters Gmorl { get; } = new();

    /// <summary>The shannon profile: the paper's Eq. 2.</summary>
    public static MecParameters Shannon { get; } = new() { Profile = "shannon", Channel = ChannelModel.Shannon };

    /// <summary>Profile names accepted by <see cref="ForProfile"/>.</summary>
    public static IReadOnlyList<string> ProfileNames { get; } = ["gmorl", "shannon", "gmorl-local"];

    /// <summary>A named profile: "gmorl", "shannon" or "gmorl-local" (gmorl plus a 1 GHz local server).</summary>
    /// <exception cref="ArgumentException">Unknown profile; the message lists the known ones.</exception>
    public static MecParameters ForProfile(string name) => name switch
    {
        "gmorl" => Gmorl,
        "shannon" => Shannon,
        "gmorl-local" => Gmorl with { Profile = "gmorl-local", Local = new LocalServerSpec() },
        _ => throw new ArgumentException($"Unknown simulator profile '{name}'; known profiles: {string.Join(", ", ProfileNames)}.", nameof(name)),
    };

    /// <summary>The observation layout this profile produces.</summary>
    public FeatureLayout CreateLayout()
    {
        Validate();
        // Every profile writes the gmorl scalars (the Core layout is the one definition of them).
        var scalars = FeatureLayout.Gmorl(MaxEdges, HistogramBins, HistogramBinBits).Scalars.Select(s => s.Kind).ToList();
        if (Local is not null)
        {
            scalars.Add(FeatureKind.IsLocal);
        }

        return new FeatureLayout(Profile, MaxServers, scalars, HistogramBins, HistogramBinBits);
    }

    /// <summary>Throws when a constant is out of range; the message names it.</summary>
    /// <exception cref="ArgumentException">A constant is out of range.</exception>
    public void Validate()
    {
        static void Require(bool ok, string name, object value, string range)
        {
            if (!ok)
            {
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Simulator setting {name} = {value} is out of range: {range}."), name);
            }
        }

        Require(MaxEdges is >= 1 and <= 256, nameof(MaxEdges), MaxEdges, "1..256");
        Require(Users is >= 1 and <= 1024, nameof(Users), Users, "1..1024");
        Require(StepsPerEpisode is >= 1 and <= 100_000, nameof(StepsPerEpisode), StepsPerEpisode, "1..100000");
        Require(StepSeconds > 0, nameof(StepSeconds), StepSeconds, "> 0");
        Require(ArrivalsPerStep is > 0 and <= 50, nameof(ArrivalsPerStep), ArrivalsPerStep, "(0, 50]");
        Require(MinTaskBits > 0 && MaxTaskBits >= MinTaskBits, nameof(MinTaskBits), MinTaskBits, "0 < min <= max");
        Require(CyclesPerBit > 0, nameof(CyclesPerBit), CyclesPerBit, "> 0");
        Require(Kappa >= 0, nameof(Kappa), Kappa, ">= 0");
        Require(OffloadPowerWatts > 0, nameof(OffloadPowerWatts), OffloadPowerWatts, "> 0");
        Require(BandwidthHz > 0, nameof(BandwidthHz), BandwidthHz, "> 0");
        Require(CloudDistanceMin > 0 && CloudDistanceMax >= CloudDistanceMin, nameof(CloudDistanceMin), CloudDistanceMin, "0 < min <= max");
        Require(EdgeDistanceMin > 0 && EdgeDistanceMax >= EdgeDistanceMin, nameof(EdgeDistanceMin), EdgeDistanceMin, "0 < min <= max");
        Require(HistogramBins is >= 0 and <= 4096, nameof(HistogramBins), HistogramBins, "0..4096");
        Require(HistogramBinBits > 0, nameof(HistogramBinBits), HistogramBinBits, "> 0");
        Require(Local is null || (Local.ComputeHz > 0 && Local.Kappa >= 0), nameof(Local), Local?.ComputeHz ?? 0, "local compute > 0, kappa >= 0");
    }
}

/// <summary>
/// Where an episode's context (E, cloud frequency, edge frequencies) is drawn from: E uniform in
/// [EdgesMin, EdgesMax], the cloud frequency uniform in its range, each edge's frequency uniform in
/// its range (drawn per edge, as the reference does).
/// </summary>
public sealed record ContextRange(int EdgesMin, int EdgesMax, double CloudHzMin, double CloudHzMax, double EdgeHzMin, double EdgeHzMax)
{
    /// <summary>The paper's training ranges: E 1..8, cloud 3.5-4.5 GHz, edges 1.75-2.25 GHz.</summary>
    public static ContextRange Train { get; } = new(1, 8, 3.5e9, 4.5e9, 1.75e9, 2.25e9);

    /// <summary>The paper's test ranges: E 1..10, cloud 3-5 GHz, edges 1.5-2.5 GHz.</summary>
    public static ContextRange Test { get; } = new(1, 10, 3.0e9, 5.0e9, 1.5e9, 2.5e9);

    /// <summary>A fixed context (the benchmark: 6 edges, 4 GHz cloud, 2 GHz edges).</summary>
    public static ContextRange Fixed(int edges, double cloudHz, double edgeHz) => new(edges, edges, cloudHz, cloudHz, edgeHz, edgeHz);

    /// <summary>The benchmark context: E = 6, cloud 4 GHz, edges 2 GHz.</summary>
    public static ContextRange Benchmark { get; } = Fixed(6, 4e9, 2e9);

    /// <summary>Throws unless the range fits <paramref name="parameters"/>; the message names the setting.</summary>
    /// <exception cref="ArgumentException">Out of range.</exception>
    public void Validate(MecParameters parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (EdgesMin < 1 || EdgesMax < EdgesMin || EdgesMax > parameters.MaxEdges)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"Edge count range {EdgesMin}..{EdgesMax} is invalid: it must satisfy 1 <= min <= max <= E_max = {parameters.MaxEdges}."));
        }

        if (!(CloudHzMin > 0 && CloudHzMax >= CloudHzMin && double.IsFinite(CloudHzMax)))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Cloud frequency range {CloudHzMin / 1e9}..{CloudHzMax / 1e9} GHz is invalid: it must satisfy 0 < min <= max."));
        }

        if (!(EdgeHzMin > 0 && EdgeHzMax >= EdgeHzMin && double.IsFinite(EdgeHzMax)))
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Edge frequency range {EdgeHzMin / 1e9}..{EdgeHzMax / 1e9} GHz is invalid: it must satisfy 0 < min <= max."));
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"E {EdgesMin}..{EdgesMax}, cloud {CloudHzMin / 1e9:0.###}-{CloudHzMax / 1e9:0.###} GHz, edges {EdgeHzMin / 1e9:0.###}-{EdgeHzMax / 1e9:0.###} GHz");
}
