using System.Globalization;
using System.Text.Json;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeAgent.Node.Agent;

/// <summary>What the agent knows of one local variant of a model from its profile on this device.</summary>
/// <param name="Variant">Variant name ("fp32", "int8", "mixed-3").</param>
/// <param name="ExecSeconds">Measured median execution time (profile p50) on this device, alone.</param>
/// <param name="MeasuredEnergyJoules">Energy per inference when a power sensor measured it; null when the profile's figure is modelled or absent.</param>
/// <param name="AccuracyDropPoints">Accuracy lost against the float model, in points (0 for fp32).</param>
public sealed record LocalVariantCost(string Variant, double ExecSeconds, double? MeasuredEnergyJoules, double AccuracyDropPoints);

/// <summary>
/// The local variants the agent offers its policy, per served model, from the profile files
/// <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/profiles/&lt;Agent:ProfileDevice&gt;.json</c> written by
/// `edgeagent models profile`. Read once when the agent starts (the repository is scanned once);
/// restart the agent after profiling again.
/// <list type="bullet">
/// <item>The default variant (fp32) is always offered, with its profile figures when it has them.</item>
/// <item>Any other variant is offered only with a valid profile entry whose accuracy drop is known
/// and at most <see cref="AgentOptions.MaxAccuracyDropPoints"/>; without an accuracy figure the
/// loss is unknown, so the variant is not offered.</item>
/// <item>A profile that cannot be read gives one warning naming the file; its variants are not
/// offered. An entry with unusable figures gives one warning naming the file and the variant; that
/// variant is not offered.</item>
/// </list>
/// </summary>
public sealed partial class LocalVariantProfiles
{
    private readonly Dictionary<string, IReadOnlyList<LocalVariantCost>> _byModel = new(StringComparer.Ordinal);

    /// <summary>Reads the profiles of every model in <paramref name="catalog"/> for <see cref="AgentOptions.ProfileDevice"/>.</summary>
    public LocalVariantProfiles(ModelCatalog catalog, AgentOptions options, ILogger<LocalVariantProfiles>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        var log = (ILogger?)logger ?? NullLogger.Instance;
        foreach (var model in catalog.Models)
        {
            var path = VariantProfile.PathFor(model.Files.Directory, options.ProfileDevice);
            if (!File.Exists(path))
            {
                if (model.Variants.Count > 1)
                {
                    Log.NoProfile(log, model.Name, model.VersionString, path);
                }

                continue;
            }

            VariantProfile profile;
            try
            {
                profile = VariantProfile.Read(path);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException or JsonException or NotSupportedException)
            {
                Log.ProfileUnreadable(log, path, ex.Message);
                continue;
            }

            var offered = Map(profile, path, model.Name, model.Version, model.Variants, model.DefaultVariant, options.MaxAccuracyDropPoints, log);
            _byModel[model.Name] = offered;
            MaxLocalCandidates = Math.Max(MaxLocalCandidates, 1 + offered.Count(c => c.Variant != model.DefaultVariant));
            Log.Offered(log, model.Name, model.VersionString, string.Join(", ", offered.Select(Describe)), path);
        }
    }

    /// <summary>Most local candidates (the default variant plus offered others) any model has: 1 without profiles.</summary>
    public int MaxLocalCandidates { get; private set; } = 1;

    /// <summary>Models with a usable profile for this device.</summary>
    public int ProfiledModels => _byModel.Count;

    /// <summary>
    /// The offered variants of <paramref name="model"/> with profile figures, the default variant
    /// first when it is profiled; empty when the model has no usable profile.
    /// </summary>
    public IReadOnlyList<LocalVariantCost> For(string model) => _byModel.GetValueOrDefault(model) ?? [];

    /// <summary>
    /// Maps one profile to the variants to offer (pure apart from logging; see the class remarks).
    /// </summary>
    /// <param name="profile">The profile as read.</param>
    /// <param name="path">Its file, for messages.</param>
    /// <param name="model">The served model's name.</param>
    /// <param name="version">The served version.</param>
    /// <param name="servedVariants">Variants in the repository for that version.</param>
    /// <param name="defaultVariant">The variant always offered (fp32 when model.onnx exists).</param>
    /// <param name="maxAccuracyDropPoints">Largest accuracy loss allowed for other variants, in points.</param>
    /// <param name="logger">Receives one message per variant not offered.</param>
    public static IReadOnlyList<LocalVariantCost> Map(
        VariantProfile profile, string path, string model, long version, IReadOnlyList<string> servedVariants, string defaultVariant, double maxAccuracyDropPoints, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(servedVariants);
        ArgumentNullException.ThrowIfNull(logger);
        if (profile.Variants is null)
        {
            Log.ProfileUnreadable(logger, path, "it lists no variants");
            return [];
        }

        if (profile.Model != model || profile.Version != version)
        {
            Log.ProfileUnreadable(logger, path, string.Create(CultureInfo.InvariantCulture,
                $"it describes {profile.Model}/{profile.Version}, not {model}/{version} (copied from another model?)"));
            return [];
        }

        var measuredPower = string.Equals(profile.PowerSource?.Kind, "measured", StringComparison.OrdinalIgnoreCase);
        var offered = new List<LocalVariantCost>();
        foreach (var variant in servedVariants.OrderBy(v => v == defaultVariant ? 0 : 1).ThenBy(v => v, StringComparer.Ordinal))
        {
            var isDefault = variant == defaultVariant;
            if (!profile.Variants.TryGetValue(variant, out var cost) || cost is null)
            {
                if (!isDefault)
                {
                    Log.VariantSkipped(logger, variant, model, "the profile has no entry for it", path);
                }

                continue;
            }

            if (Invalid(cost) is { } problem)
            {
                Log.VariantInvalid(logger, path, variant, problem);
                continue;
            }

            var drop = profile.AccuracyDropPoints(variant);
            if (!isDefault)
            {
                if (drop is null)
                {
                    Log.VariantSkipped(logger, variant, model, "its accuracy loss against fp32 is unknown (no accuracy figure comparable with fp32's); run `edgeagent models profile` with accuracy samples", path);
                    continue;
                }

                if (drop > maxAccuracyDropPoints)
                {
                    Log.VariantSkipped(logger, variant, model, string.Create(CultureInfo.InvariantCulture,
                        $"it loses {drop:0.###} accuracy points, more than Agent:MaxAccuracyDropPoints = {maxAccuracyDropPoints:0.###}"), path);
                    continue;
                }
            }

            var energy = measuredPower && cost.EnergyJPerInference is { } joules ? joules : (double?)null;
            offered.Add(new LocalVariantCost(variant, cost.LatencyP50Ms / 1000.0, energy, drop ?? 0.0));
        }

        return offered;
    }

    private static string? Invalid(VariantCost cost)
    {
        if (!(cost.LatencyP50Ms > 0 && double.IsFinite(cost.LatencyP50Ms)))
        {
            return string.Create(CultureInfo.InvariantCulture, $"latency_p50_ms is {cost.LatencyP50Ms}, not a positive number of milliseconds");
        }

        if (cost.EnergyJPerInference is { } joules && !(joules >= 0 && double.IsFinite(joules)))
        {
            return string.Create(CultureInfo.InvariantCulture, $"energy_j_per_inference is {joules}, not a non-negative number of joules");
        }

        if (cost.Accuracy is { } accuracy && !(accuracy.Value >= 0 && accuracy.Value <= 1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"accuracy value is {accuracy.Value}, not in [0, 1]");
        }

        return null;
    }

    private static string Describe(LocalVariantCost cost) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{cost.Variant} (p50 {cost.ExecSeconds * 1000:0.###} ms, {(cost.MeasuredEnergyJoules is { } j ? $"{j:0.####} J measured" : "energy modelled")}, drop {cost.AccuracyDropPoints:0.###} points)");

    private static partial class Log
    {
        [LoggerMessage(EventId = 2045, Level = LogLevel.Warning, Message = "Variant profile '{Path}' cannot be used ({Reason}); its variants are not offered, the default variant runs.")]
        public static partial void ProfileUnreadable(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 2046, Level = LogLevel.Warning, Message = "Variant profile '{Path}': variant {Variant} is not offered: {Problem}.")]
        public static partial void VariantInvalid(ILogger logger, string path, string variant, string problem);

        [LoggerMessage(EventId = 2042, Level = LogLevel.Information, Message = "Variant {Variant} of {Model} is not offered: {Reason} (profile '{Path}').")]
        public static partial void VariantSkipped(ILogger logger, string variant, string model, string reason, string path);

        [LoggerMessage(EventId = 2043, Level = LogLevel.Information, Message = "Model {Model} version {Version}: local variants offered {Variants} (profile '{Path}').")]
        public static partial void Offered(ILogger logger, string model, string version, string variants, string path);

        [LoggerMessage(EventId = 2044, Level = LogLevel.Information, Message = "Model {Model} version {Version} has variants but no profile '{Path}' for this device; only its default variant is offered (run `edgeagent models profile`, or set Agent:ProfileDevice).")]
        public static partial void NoProfile(ILogger logger, string model, string version, string path);
    }
}
