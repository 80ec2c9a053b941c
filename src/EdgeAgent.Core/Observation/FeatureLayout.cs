using System.Globalization;

namespace EdgeAgent.Core.Observation;

/// <summary>What one per-server feature column measures.</summary>
public enum FeatureKind
{
    /// <summary>Constant 1 for a present server (lets the network tell present rows from absent rows filled with -1).</summary>
    Bias,

    /// <summary>Server compute speed, in GHz (cycles per second / 1e9).</summary>
    ComputeGhz,

    /// <summary>Number of present servers minus one (the edge count E in the gmorl profile).</summary>
    ServerCount,

    /// <summary>Size of the task being placed, in Mbit (bits / 1e6).</summary>
    TaskMbit,

    /// <summary>1 while the episode runs (the reference's 1 - done); always 1 in the live agent.</summary>
    Active,

    /// <summary>Uplink rate from the task's user to this server, in units of 1e8 bit/s.</summary>
    UplinkRate,

    /// <summary>Number of tasks executing on the server.</summary>
    Executing,

    /// <summary>1 for the device itself (a `local` server), 0 otherwise.</summary>
    IsLocal,

    /// <summary>Upload time of the task to this server, in seconds (0 for local).</summary>
    UploadSeconds,
}

/// <summary>One scalar feature column: what it is, its name and unit as recorded in policy files.</summary>
public readonly record struct FeatureSpec(FeatureKind Kind, string Name, string Unit);

/// <summary>
/// The order and meaning of the per-server feature columns of an observation [S, F]: scalar
/// features first (in <see cref="Scalars"/> order), then <see cref="HistogramBins"/> counts of
/// executing tasks by residual work in bins of <see cref="HistogramBinBits"/>, the last bin
/// open-ended. Absent servers (beyond the present count, up to <see cref="MaxServers"/>) are rows
/// of -1 with mask 0. The layout travels with a policy as ONNX metadata_props
/// (<see cref="ToMetadata"/>, <see cref="FromMetadata"/>) so the agent refuses a policy whose layout
/// it does not produce.
/// </summary>
public sealed class FeatureLayout : IEquatable<FeatureLayout>
{
    /// <summary>Metadata key prefix of every layout entry.</summary>
    public const string MetadataPrefix = "edgeagent.layout.";

    /// <summary>Version of the metadata format written by <see cref="ToMetadata"/>.</summary>
    public const int FormatVersion = 1;

    private readonly FeatureSpec[] _scalars;

    /// <summary>Creates a layout.</summary>
    /// <exception cref="ArgumentException">A value is out of range (named in the message).</exception>
    public FeatureLayout(string profile, int maxServers, IEnumerable<FeatureKind> scalars, int histogramBins, double histogramBinBits)
    {
        ArgumentNullException.ThrowIfNull(scalars);
        if (string.IsNullOrWhiteSpace(profile) || profile.Contains(',', StringComparison.Ordinal))
        {
            throw new ArgumentException("The profile name must be a non-empty name without commas.", nameof(profile));
        }

        if (maxServers is < 1 or > 4096)
        {
            throw new ArgumentException($"The maximum server count must be in [1, 4096]; got {maxServers}.", nameof(maxServers));
        }

        if (histogramBins is < 0 or > 4096)
        {
            throw new ArgumentException($"The histogram bin count must be in [0, 4096]; got {histogramBins}.", nameof(histogramBins));
        }

        if (histogramBins > 0 && !(histogramBinBits > 0 && double.IsFinite(histogramBinBits)))
        {
            throw new ArgumentException($"The histogram bin width must be a positive number of bits; got {histogramBinBits}.", nameof(histogramBinBits));
        }

        _scalars = [.. scalars.Select(Describe)];
        if (_scalars.Length == 0 && histogramBins == 0)
        {
            throw new ArgumentException("A layout needs at least one feature.", nameof(scalars));
        }

        if (_scalars.Select(s => s.Kind).Distinct().Count() != _scalars.Length)
        {
            throw new ArgumentException("A scalar feature appears twice in the layout.", nameof(scalars));
        }

        Profile = profile;
        MaxServers = maxServers;
        HistogramBins = histogramBins;
        HistogramBinBits = histogramBins > 0 ? histogramBinBits : 0;
    }

    /// <summary>
    /// The gmorl profile's layout: the reference implementation's per-server vector (constant 1,
    /// f (GHz), E, L (Mbit), 1 - done, rate (1e8 bit/s), n executing), the upload time L / rate (s),
    /// then 60 bins of 1 Mbit (68 features). The upload time is a ratio of two other features; given
    /// explicitly, a small network need not learn to divide, and both the upload energy and the
    /// upload delay are proportional to it. <paramref name="maxEdges"/> edges plus the cloud give S.
    /// </summary>
    public static FeatureLayout Gmorl(int maxEdges = 10, int histogramBins = 60, double histogramBinBits = 1e6) =>
        new("gmorl", maxEdges + 1,
            [FeatureKind.Bias, FeatureKind.ComputeGhz, FeatureKind.ServerCount, FeatureKind.TaskMbit, FeatureKind.Active, FeatureKind.UplinkRate, FeatureKind.Executing, FeatureKind.UploadSeconds],
            histogramBins, histogramBinBits);

    /// <summary>Name of the simulator profile the layout belongs to ("gmorl", "shannon", ...).</summary>
    public string Profile { get; }

    /// <summary>S: rows of an observation (servers the policy can choose among, present or not).</summary>
    public int MaxServers { get; }

    /// <summary>Scalar features, in column order.</summary>
    public IReadOnlyList<FeatureSpec> Scalars => _scalars;

    /// <summary>Number of residual-work histogram bins after the scalars.</summary>
    public int HistogramBins { get; }

    /// <summary>Width of one histogram bin in bits of residual work (1e6 = 1 Mbit).</summary>
    public double HistogramBinBits { get; }

    /// <summary>F: columns per server row.</summary>
    public int FeatureCount => _scalars.Length + HistogramBins;

    /// <summary>Column of a scalar feature, or -1 when the layout does not have it.</summary>
    public int IndexOf(FeatureKind kind) => Array.FindIndex(_scalars, s => s.Kind == kind);

    /// <summary>Every column name with its unit, in order: "name[unit]".</summary>
    public IReadOnlyList<string> ColumnNames()
    {
        var names = new List<string>(FeatureCount);
        names.AddRange(_scalars.Select(s => $"{s.Name}[{s.Unit}]"));
        for (var b = 0; b < HistogramBins; b++)
        {
            var lo = b * HistogramBinBits / 1e6;
            var hi = (b + 1) * HistogramBinBits / 1e6;
            names.Add(b == HistogramBins - 1
                ? string.Create(CultureInfo.InvariantCulture, $"residual_hist_{b}[tasks with residual >= {lo:0.###} Mbit]")
                : string.Create(CultureInfo.InvariantCulture, $"residual_hist_{b}[tasks with residual in [{lo:0.###}, {hi:0.###}) Mbit]"));
        }

        return names;
    }

    /// <summary>The layout as string key/values for ONNX metadata_props.</summary>
    public IReadOnlyDictionary<string, string> ToMetadata()
    {
        var inv = CultureInfo.InvariantCulture;
        return new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [MetadataPrefix + "version"] = FormatVersion.ToString(inv),
            [MetadataPrefix + "profile"] = Profile,
            [MetadataPrefix + "max_servers"] = MaxServers.ToString(inv),
            [MetadataPrefix + "feature_count"] = FeatureCount.ToString(inv),
            [MetadataPrefix + "scalar_features"] = string.Join(',', _scalars.Select(s => s.Kind.ToString())),
            [MetadataPrefix + "histogram_bins"] = HistogramBins.ToString(inv),
            [MetadataPrefix + "histogram_bin_bits"] = HistogramBinBits.ToString("R", inv),
            [MetadataPrefix + "columns"] = string.Join(';', ColumnNames()),
            [MetadataPrefix + "absent_row_value"] = "-1",
            [MetadataPrefix + "preference"] = "w_delay,w_energy (sum 1)",
        };
    }

    /// <summary>Reads a layout written by <see cref="ToMetadata"/>; other keys are ignored.</summary>
    /// <exception cref="FormatException">A key is missing or malformed (named in the message).</exception>
    public static FeatureLayout FromMetadata(IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        string Get(string key) => metadata.TryGetValue(MetadataPrefix + key, out var v)
            ? v
            : throw new FormatException($"Policy metadata lacks '{MetadataPrefix}{key}'.");
        int GetInt(string key) => int.TryParse(Get(key), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"Policy metadata '{MetadataPrefix}{key}' is not an integer: '{Get(key)}'.");

        var version = GetInt("version");
        if (version != FormatVersion)
        {
            throw new FormatException($"Policy metadata '{MetadataPrefix}version' is {version}; this build reads version {FormatVersion}.");
        }

        var kinds = new List<FeatureKind>();
        foreach (var name in Get("scalar_features").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse(name, false, out FeatureKind kind) || !Enum.IsDefined(kind))
            {
                throw new FormatException($"Policy metadata '{MetadataPrefix}scalar_features' names an unknown feature '{name}'.");
            }

            kinds.Add(kind);
        }

        if (!double.TryParse(Get("histogram_bin_bits"), NumberStyles.Float, CultureInfo.InvariantCulture, out var binBits))
        {
            throw new FormatException($"Policy metadata '{MetadataPrefix}histogram_bin_bits' is not a number.");
        }

        FeatureLayout layout;
        try
        {
            layout = new FeatureLayout(Get("profile"), GetInt("max_servers"), kinds, GetInt("histogram_bins"), binBits);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException("Policy metadata describes an invalid layout: " + ex.Message, ex);
        }

        if (layout.FeatureCount != GetInt("feature_count"))
        {
            throw new FormatException($"Policy metadata '{MetadataPrefix}feature_count' is {GetInt("feature_count")} but the listed features make {layout.FeatureCount}.");
        }

        return layout;
    }

    /// <summary>Throws unless <paramref name="other"/> describes the same columns (the agent's check before loading a policy).</summary>
    /// <exception cref="InvalidOperationException">The layouts differ; the message says how.</exception>
    public void EnsureCompatible(FeatureLayout other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (!Equals(other))
        {
            throw new InvalidOperationException(
                $"Observation layout mismatch: policy expects {other.Describe()}, this build produces {Describe()}.");
        }
    }

    /// <summary>A one-line description: profile, S, F and columns.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"profile={Profile} S={MaxServers} F={FeatureCount} scalars=[{string.Join(',', _scalars.Select(s => s.Kind))}] histogram={HistogramBins}x{HistogramBinBits / 1e6:0.###}Mbit");

    /// <inheritdoc />
    public bool Equals(FeatureLayout? other) =>
        other is not null && Profile == other.Profile && MaxServers == other.MaxServers && HistogramBins == other.HistogramBins
        && HistogramBinBits.Equals(other.HistogramBinBits) && _scalars.Select(s => s.Kind).SequenceEqual(other._scalars.Select(s => s.Kind));

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as FeatureLayout);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Profile, MaxServers, HistogramBins, HistogramBinBits, _scalars.Length);

    /// <inheritdoc />
    public override string ToString() => Describe();

    private static FeatureSpec Describe(FeatureKind kind) => kind switch
    {
        FeatureKind.Bias => new(kind, "bias", "1"),
        FeatureKind.ComputeGhz => new(kind, "compute_speed", "GHz"),
        FeatureKind.ServerCount => new(kind, "server_count_minus_one", "servers"),
        FeatureKind.TaskMbit => new(kind, "task_size", "Mbit"),
        FeatureKind.Active => new(kind, "active", "1"),
        FeatureKind.UplinkRate => new(kind, "uplink_rate", "1e8 bit/s"),
        FeatureKind.Executing => new(kind, "executing", "tasks"),
        FeatureKind.IsLocal => new(kind, "is_local", "1"),
        FeatureKind.UploadSeconds => new(kind, "upload_time", "s"),
        _ => throw new ArgumentException($"Unknown feature kind {kind}.", nameof(kind)),
    };
}
