using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// Generic hwmon power and energy files under <c>/sys/class/hwmon/hwmon*/</c>:
/// <c>powerN_input</c> or <c>powerN_average</c> (microwatts) and <c>energyN_input</c> (cumulative
/// microjoules). Covers an INA219/INA226 bound to the kernel's ina2xx driver and other monitors.
/// INA3221 chips are left to <see cref="Ina3221HwmonSource"/>. Total = the sum of the sensors
/// found; energy sensors give power from the difference between reads, so with any of them the
/// first read only primes.
/// </summary>
public sealed partial class HwmonPowerSource : IPowerSource
{
    private readonly (string Label, SysfsAttribute Power)[] _powerRails;
    private readonly EnergyCounterRail[] _energyRails;
    private readonly TimeProvider _time;
    private long _lastTimestamp;
    private bool _primed;

    private HwmonPowerSource((string, SysfsAttribute)[] powerRails, EnergyCounterRail[] energyRails, TimeProvider time, string description)
    {
        _powerRails = powerRails;
        _energyRails = energyRails;
        _time = time;
        Description = description;
        _primed = energyRails.Length == 0;
    }

    /// <inheritdoc />
    public string Name => "hwmon";

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public PowerSourceKind Kind => PowerSourceKind.Measured;

    /// <summary>Sensors read, in order (power sensors first).</summary>
    public IReadOnlyList<string> RailNames => [.. _powerRails.Select(r => r.Label), .. _energyRails.Select(r => r.Label)];

    /// <summary>Opens the readable hwmon power/energy sensors under <paramref name="sysfsRoot"/>; null when there are none.</summary>
    public static HwmonPowerSource? Discover(string sysfsRoot, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var hwmonClass = SysfsAttribute.Under(sysfsRoot, "/sys/class/hwmon");
        if (!Directory.Exists(hwmonClass))
        {
            return null;
        }

        var power = new List<(string, SysfsAttribute)>();
        var energy = new List<EnergyCounterRail>();
        foreach (var hwmon in Directory.EnumerateDirectories(hwmonClass, "hwmon*").Order(StringComparer.Ordinal))
        {
            var chip = SysfsAttribute.ReadText(Path.Join(hwmon, "name")) ?? Path.GetFileName(hwmon);
            if (chip == "ina3221")
            {
                continue;
            }

            foreach (var file in Directory.EnumerateFiles(hwmon).Order(StringComparer.Ordinal))
            {
                var match = SensorPattern().Match(Path.GetFileName(file));
                if (!match.Success || !SysfsAttribute.CanRead(file))
                {
                    continue;
                }

                var kind = match.Groups["kind"].Value;
                var index = match.Groups["index"].Value;
                if (kind == "energy" && match.Groups["what"].Value != "input")
                {
                    continue;
                }

                if (kind == "power" && match.Groups["what"].Value == "average" && File.Exists(Path.Join(hwmon, $"power{index}_input")))
                {
                    continue; // prefer the instantaneous value when both exist
                }

                var label = SysfsAttribute.ReadText(Path.Join(hwmon, $"{kind}{index}_label")) ?? $"{kind}{index}";
                var name = $"{chip}/{label}";
                if (kind == "power")
                {
                    power.Add((name, new SysfsAttribute(file)));
                }
                else
                {
                    energy.Add(new EnergyCounterRail(name, new SysfsAttribute(file), 0));
                }
            }
        }

        if (power.Count == 0 && energy.Count == 0)
        {
            return null;
        }

        var all = power.Select(p => p.Item1).Concat(energy.Select(e => e.Label + " (energy)"));
        return new HwmonPowerSource([.. power], [.. energy], time, $"hwmon sensors: {string.Join(", ", all)}; total = sum");
    }

    /// <inheritdoc />
    public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
    {
        sample = null;
        var rails = new RailReading[_powerRails.Length + _energyRails.Length];
        for (var i = 0; i < _powerRails.Length; i++)
        {
            if (!_powerRails[i].Power.TryReadInt64(out var microwatts))
            {
                return false;
            }

            rails[i] = new RailReading(_powerRails[i].Label, microwatts / 1e6);
        }

        if (_energyRails.Length > 0)
        {
            var now = _time.GetTimestamp();
            var seconds = _time.GetElapsedTime(_lastTimestamp, now).TotalSeconds;
            _lastTimestamp = now;
            for (var i = 0; i < _energyRails.Length; i++)
            {
                if (!_energyRails[i].TryUpdate(out var delta))
                {
                    return false;
                }

                rails[_powerRails.Length + i] = new RailReading(_energyRails[i].Label, seconds > 0 ? delta / 1e6 / seconds : 0);
            }

            if (!_primed || seconds <= 0)
            {
                _primed = true;
                return false;
            }
        }

        var total = 0.0;
        foreach (var rail in rails)
        {
            total += rail.Watts;
        }

        sample = new PowerSample(total, rails, PowerSourceKind.Measured);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var rail in _powerRails)
        {
            rail.Power.Dispose();
        }

        foreach (var rail in _energyRails)
        {
            rail.Dispose();
        }
    }

    [GeneratedRegex(@"^(?<kind>power|energy)(?<index>\d+)_(?<what>input|average)$", RegexOptions.CultureInvariant)]
    private static partial Regex SensorPattern();
}
