using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// Intel (and recent AMD) RAPL through powercap: <c>/sys/class/powercap/intel-rapl:N/energy_uj</c>,
/// cumulative microjoules wrapping at <c>max_energy_range_uj</c>. Power is the energy difference
/// over the time between reads, so the first read only primes the counters. Total = the platform
/// zone ("psys") where present, else packages plus DRAM. Since 2020 kernels make energy_uj
/// readable by root only; see the README for the udev rule.
/// </summary>
public sealed partial class RaplPowerSource : IPowerSource
{
    private readonly EnergyCounterRail[] _zones;
    private readonly bool[] _inTotal;
    private readonly TimeProvider _time;
    private long _lastTimestamp;
    private bool _primed;
    private long _totalMicrojoules;

    private RaplPowerSource(EnergyCounterRail[] zones, bool[] inTotal, TimeProvider time, string description)
    {
        _zones = zones;
        _inTotal = inTotal;
        _time = time;
        Description = description;
    }

    /// <inheritdoc />
    public string Name => "rapl";

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public PowerSourceKind Kind => PowerSourceKind.Measured;

    /// <summary>Zone names read, in order.</summary>
    public IReadOnlyList<string> RailNames => Array.ConvertAll(_zones, z => z.Label);

    /// <summary>Zone folders present under <paramref name="sysfsRoot"/>, readable or not.</summary>
    public static IReadOnlyList<string> FindZones(string sysfsRoot = "/")
    {
        var powercap = SysfsAttribute.Under(sysfsRoot, "/sys/class/powercap");
        if (!Directory.Exists(powercap))
        {
            return [];
        }

        return [.. Directory.EnumerateDirectories(powercap, "intel-rapl:*")
            .Where(d => ZonePattern().IsMatch(Path.GetFileName(d)))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Opens the readable RAPL zones under <paramref name="sysfsRoot"/>; null when none is present or readable.</summary>
    public static RaplPowerSource? Discover(string sysfsRoot, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var zones = new List<EnergyCounterRail>();
        var names = new List<string>();
        foreach (var zone in FindZones(sysfsRoot))
        {
            var folder = Path.GetFileName(zone);
            var name = SysfsAttribute.ReadText(Path.Join(zone, "name")) ?? folder;
            var topLevel = folder.Count(c => c == ':') == 1;
            if (!topLevel && name != "dram")
            {
                // core/uncore are parts of their package's energy; only DRAM is outside it.
                continue;
            }

            var energy = Path.Join(zone, "energy_uj");
            if (!SysfsAttribute.CanRead(energy))
            {
                continue;
            }

            var range = SysfsAttribute.ReadText(Path.Join(zone, "max_energy_range_uj"));
            var rangeMicrojoules = long.TryParse(range, System.Globalization.CultureInfo.InvariantCulture, out var r) && r > 0 ? r : 0;
            zones.Add(new EnergyCounterRail(name, new SysfsAttribute(energy), rangeMicrojoules));
            names.Add($"{name} ({folder})");
        }

        if (zones.Count == 0)
        {
            return null;
        }

        var hasPsys = zones.Any(z => z.Label == "psys");
        var inTotal = zones.Select(z => !hasPsys || z.Label == "psys").ToArray();
        var rule = hasPsys ? "total = psys" : "total = packages + dram";
        return new RaplPowerSource([.. zones], inTotal, time, $"RAPL energy counters: {string.Join(", ", names)}; {rule}");
    }

    /// <inheritdoc />
    public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
    {
        sample = null;
        var now = _time.GetTimestamp();
        Span<long> deltas = stackalloc long[_zones.Length];
        for (var i = 0; i < _zones.Length; i++)
        {
            if (!_zones[i].TryUpdate(out deltas[i]))
            {
                return false;
            }
        }

        var seconds = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
        _lastTimestamp = now;
        if (!_primed)
        {
            _primed = true;
            return false;
        }

        if (seconds <= 0)
        {
            return false;
        }

        var rails = new RailReading[_zones.Length];
        var totalWatts = 0.0;
        for (var i = 0; i < _zones.Length; i++)
        {
            var watts = deltas[i] / 1e6 / seconds;
            rails[i] = new RailReading(_zones[i].Label, watts);
            if (_inTotal[i])
            {
                totalWatts += watts;
                _totalMicrojoules += deltas[i];
            }
        }

        sample = new PowerSample(totalWatts, rails, PowerSourceKind.Measured) { CumulativeJoules = _totalMicrojoules / 1e6 };
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var zone in _zones)
        {
            zone.Dispose();
        }
    }

    [GeneratedRegex(@"^intel-rapl:\d+(:\d+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex ZonePattern();
}
