using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeAgent.Core.Offloading;

namespace EdgeAgent.Inference.Repository;

/// <summary>
/// Measured cost of every variant of one model version on one device:
/// <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/profiles/&lt;device&gt;.json</c>, written by
/// `edgeagent models profile` and read by the agent. Latency in milliseconds, memory in
/// megabytes, energy in joules per inference (null when not measurable, with the reason in
/// <see cref="VariantCost.EnergySource"/>).
/// </summary>
public sealed record VariantProfile
{
    /// <summary>Format identifier; readers refuse other values.</summary>
    public const string CurrentSchema = "edgeagent.variant-profile/1";

    public string Schema { get; init; } = CurrentSchema;

    public required string Model { get; init; }

    public required long Version { get; init; }

    public required string Device { get; init; }

    public required DateTimeOffset MeasuredAt { get; init; }

    public required ProfileSettings Settings { get; init; }

    public required PowerSourceInfo PowerSource { get; init; }

    /// <summary>Variant name ("fp32", "int8", "mixed-4"...) to its cost.</summary>
    public required IReadOnlyDictionary<string, VariantCost> Variants { get; init; }

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Path of the profile file of a version folder for a device.</summary>
    public static string PathFor(string versionDirectory, string device) =>
        Path.Combine(versionDirectory, "profiles", device + ".json");

    public void Write(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    /// <summary>
    /// Accuracy lost by <paramref name="variant"/> against the float model, in points (100 x the
    /// difference of figures in [0, 1]), or null when the profile cannot say. The float variant
    /// ("fp32") loses nothing. A figure measured against the fp32 model's own outputs
    /// (reference "fp32": box F1, output cosine) loses <c>100 * (1 - value)</c>; a figure measured
    /// against ground truth loses <c>100 * (fp32 value - value)</c>, which needs the fp32 variant's
    /// figure with the same metric and dataset. Gains count as 0.
    /// </summary>
    public double? AccuracyDropPoints(string variant)
    {
        ArgumentNullException.ThrowIfNull(variant);
        if (variant == ModelVariant.Fp32)
        {
            return 0.0;
        }

        if (!Variants.TryGetValue(variant, out var cost) || cost.Accuracy is not { } accuracy || !double.IsFinite(accuracy.Value))
        {
            return null;
        }

        if (accuracy.Reference == ModelVariant.Fp32)
        {
            return Math.Max(0.0, 100.0 * (1.0 - accuracy.Value));
        }

        if (Variants.TryGetValue(ModelVariant.Fp32, out var fp32) && fp32.Accuracy is { } baseline && double.IsFinite(baseline.Value)
            && baseline.Metric == accuracy.Metric && baseline.Dataset == accuracy.Dataset && baseline.Reference == accuracy.Reference)
        {
            return Math.Max(0.0, 100.0 * (baseline.Value - accuracy.Value));
        }

        return null;
    }

    /// <summary>Reads a profile file; a wrong schema or malformed JSON gives an error naming the file.</summary>
    public static VariantProfile Read(string path)
    {
        try
        {
            var profile = JsonSerializer.Deserialize<VariantProfile>(File.ReadAllText(path), Json)
                ?? throw new InvalidDataException($"Profile '{path}' is empty.");
            if (profile.Schema != CurrentSchema)
            {
                throw new InvalidDataException($"Profile '{path}' has schema '{profile.Schema}'; expected '{CurrentSchema}'.");
            }

            return profile;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Profile '{path}' is not valid: {e.Message}", e);
        }
    }
}

/// <summary>How the figures were measured.</summary>
public sealed record ProfileSettings(int IntraOpThreads, int InterOpThreads, bool AllowSpinning, string GraphOptimization, int Runs, int Warmup, IReadOnlyDictionary<string, long[]> InputShapes);

/// <summary>Where energy figures come from: kind "measured", "modelled" or "none".</summary>
public sealed record PowerSourceInfo(string Name, string Kind, string Description);

/// <summary>The cost of one variant.</summary>
public sealed record VariantCost
{
    public required string File { get; init; }

    public required double LatencyP50Ms { get; init; }

    public required double LatencyP95Ms { get; init; }

    public required double LatencyMeanMs { get; init; }

    /// <summary>Peak resident memory added by loading and running the variant.</summary>
    public required double PeakMemoryMb { get; init; }

    public required string MemorySource { get; init; }

    /// <summary>Joules per inference, or null when not measurable.</summary>
    public double? EnergyJPerInference { get; init; }

    /// <summary>"rapl (measured)", "model (estimate)", or "not measurable: ..." .</summary>
    public required string EnergySource { get; init; }

    /// <summary>Accuracy and the data it was measured on, or null when none was measured.</summary>
    public AccuracyFigure? Accuracy { get; init; }
}
