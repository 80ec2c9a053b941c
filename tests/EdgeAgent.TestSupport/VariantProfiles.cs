using EdgeAgent.Inference.Repository;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.TestModels;

/// <summary>Variant profiles for tests, written with the profiler's own serializer (<see cref="VariantProfile.Write"/>).</summary>
public static class TestVariantProfiles
{
    /// <summary>One variant's figures: p50 latency in ms, energy per inference (null: not measurable), accuracy.</summary>
    public sealed record Entry(string Variant, double P50Ms, double? Joules = null, AccuracyFigure? Accuracy = null);

    /// <summary>An accuracy figure measured against the fp32 model's outputs (drop = 100 * (1 - value) points).</summary>
    public static AccuracyFigure Agreement(double value) => new("cosine", value, "synthetic-8", 8, "fp32");

    /// <summary>A profile of <paramref name="model"/>/<paramref name="version"/>; <paramref name="powerKind"/> is "measured", "modelled" or "none".</summary>
    public static VariantProfile Profile(string model, long version, string powerKind, params Entry[] entries) => new()
    {
        Model = model,
        Version = version,
        Device = "testbox",
        MeasuredAt = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero),
        Settings = new ProfileSettings(1, 1, false, "all", 20, 3, new Dictionary<string, long[]> { ["a"] = [1, 4] }),
        PowerSource = new PowerSourceInfo(powerKind == "none" ? "none" : "fake", powerKind, "test power source"),
        Variants = entries.ToDictionary(e => e.Variant, e => new VariantCost
        {
            File = e.Variant == "fp32" ? "model.onnx" : $"model.{e.Variant}.onnx",
            LatencyP50Ms = e.P50Ms,
            LatencyP95Ms = e.P50Ms * 1.2,
            LatencyMeanMs = e.P50Ms * 1.05,
            PeakMemoryMb = 1,
            MemorySource = "test",
            EnergyJPerInference = e.Joules,
            EnergySource = e.Joules is null ? "not measurable: test" : $"fake ({powerKind})",
            Accuracy = e.Accuracy,
        }),
    };

    /// <summary>Writes <paramref name="profile"/> to <c>root/model/version/profiles/device.json</c> and returns the path.</summary>
    public static string Write(string root, string device, VariantProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var path = VariantProfile.PathFor(Path.Combine(root, profile.Model, profile.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)), device);
        profile.Write(path);
        return path;
    }
}

/// <summary>A logger that keeps every message with its level, for asserting on warnings.</summary>
public sealed class ListLogger<T> : ILogger<T>
{
    private readonly List<(LogLevel Level, string Message)> _entries = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Entries
    {
        get
        {
            lock (_entries)
            {
                return _entries.ToArray();
            }
        }
    }

    public IEnumerable<string> Warnings => Entries.Where(e => e.Level == LogLevel.Warning).Select(e => e.Message);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        lock (_entries)
        {
            _entries.Add((logLevel, formatter(state, exception)));
        }
    }
}
