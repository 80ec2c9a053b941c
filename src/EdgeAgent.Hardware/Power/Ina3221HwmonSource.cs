using System.Diagnostics.CodeAnalysis;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// NVIDIA Jetson power monitors on JetPack 5 and 6: INA3221 chips bound to the kernel's ina3221
/// hwmon driver. Chips are discovered by scanning <c>/sys/bus/i2c/devices/*/name</c>; for each,
/// the <c>hwmon/hwmon*</c> folder (its number changes between boots) gives channels 1..3 with
/// <c>inN_label</c>, <c>inN_input</c> (mV) and <c>currN_input</c> (mA). Unconnected channels
/// ("NC"), disabled channels, the shunt-voltage channels 4..6 and the sum channel 7 are skipped.
/// Total power is VDD_IN where present (Orin Nano, Orin NX), else the sum of the rails (AGX Orin).
/// </summary>
public sealed class Ina3221HwmonSource : IPowerSource
{
    private readonly Channel[] _channels;

    private Ina3221HwmonSource(Channel[] channels, string description)
    {
        _channels = channels;
        Description = description;
    }

    /// <inheritdoc />
    public string Name => "ina3221-hwmon";

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public PowerSourceKind Kind => PowerSourceKind.Measured;

    /// <summary>The rails this source reads, in chip and channel order.</summary>
    public IReadOnlyList<string> RailNames => Array.ConvertAll(_channels, c => c.Label);

    /// <summary>Finds INA3221 hwmon channels under <paramref name="sysfsRoot"/> ("/" on a real machine); null when there are none.</summary>
    public static Ina3221HwmonSource? Discover(string sysfsRoot = "/")
    {
        var devices = SysfsAttribute.Under(sysfsRoot, "/sys/bus/i2c/devices");
        if (!Directory.Exists(devices))
        {
            return null;
        }

        var channels = new List<Channel>();
        var chips = new List<string>();
        foreach (var device in Directory.EnumerateDirectories(devices).Order(StringComparer.Ordinal))
        {
            if (SysfsAttribute.ReadText(Path.Join(device, "name")) != "ina3221")
            {
                continue;
            }

            var hwmonParent = Path.Join(device, "hwmon");
            if (!Directory.Exists(hwmonParent))
            {
                continue;
            }

            var hwmon = Directory.EnumerateDirectories(hwmonParent, "hwmon*").Order(StringComparer.Ordinal).FirstOrDefault();
            if (hwmon is null)
            {
                continue;
            }

            var found = 0;
            for (var n = 1; n <= 3; n++)
            {
                var label = SysfsAttribute.ReadText(Path.Join(hwmon, $"in{n}_label"));
                if (label is null or "" or "NC")
                {
                    continue;
                }

                if (SysfsAttribute.ReadText(Path.Join(hwmon, $"in{n}_enable")) == "0")
                {
                    continue;
                }

                var voltage = Path.Join(hwmon, $"in{n}_input");
                var current = Path.Join(hwmon, $"curr{n}_input");
                if (!File.Exists(voltage) || !File.Exists(current))
                {
                    continue;
                }

                channels.Add(new Channel(label, new SysfsAttribute(voltage), new SysfsAttribute(current)));
                found++;
            }

            if (found > 0)
            {
                chips.Add($"{Path.GetFileName(device)} ({Path.GetFileName(hwmon)})");
            }
        }

        if (channels.Count == 0)
        {
            return null;
        }

        var rails = string.Join(", ", channels.Select(c => c.Label));
        var total = channels.Any(c => PowerSample.IsInputRail(c.Label)) ? "total = VDD_IN" : "total = sum of rails";
        return new Ina3221HwmonSource([.. channels], $"INA3221 via hwmon at {string.Join(", ", chips)}: {rails}; {total}");
    }

    /// <inheritdoc />
    public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
    {
        var rails = new RailReading[_channels.Length];
        for (var i = 0; i < _channels.Length; i++)
        {
            var channel = _channels[i];
            if (!channel.Voltage.TryReadInt64(out var millivolts) || !channel.Current.TryReadInt64(out var milliamps))
            {
                sample = null;
                return false;
            }

            var volts = millivolts / 1000.0;
            var amperes = milliamps / 1000.0;
            rails[i] = new RailReading(channel.Label, volts * amperes, volts, amperes);
        }

        sample = new PowerSample(PowerSample.TotalOf(rails), rails, PowerSourceKind.Measured);
        return true;
    }

    /// <inheritdoc />
    public bool TryReadTotal(out double totalWatts, out double? cumulativeJoules)
    {
        cumulativeJoules = null;
        foreach (var channel in _channels)
        {
            if (PowerSample.IsInputRail(channel.Label))
            {
                if (channel.Voltage.TryReadInt64(out var millivolts) && channel.Current.TryReadInt64(out var milliamps))
                {
                    totalWatts = millivolts * (double)milliamps / 1e6;
                    return true;
                }

                totalWatts = 0;
                return false;
            }
        }

        if (TryRead(out var sample))
        {
            totalWatts = sample.TotalWatts;
            return true;
        }

        totalWatts = 0;
        return false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Voltage.Dispose();
            channel.Current.Dispose();
        }
    }

    private sealed record Channel(string Label, SysfsAttribute Voltage, SysfsAttribute Current);
}
