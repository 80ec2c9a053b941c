using System.Diagnostics.CodeAnalysis;

namespace EdgeAgent.Hardware.Power;

/// <summary>
/// NVIDIA Jetson power monitors on JetPack 4 (Nano, TX2, Xavier): the ina3221x IIO driver at
/// <c>/sys/bus/i2c/drivers/ina3221x/&lt;bus&gt;-&lt;addr&gt;/iio:device*/</c>, with
/// <c>rail_name_N</c> and <c>in_power{N}_input</c> in mW for N = 0..2. Total power is POM_5V_IN or
/// VDD_IN where present (Nano: POM_5V_IN), else the sum of the rails (Xavier).
/// </summary>
public sealed class Ina3221IioSource : IPowerSource
{
    private readonly (string Label, SysfsAttribute Power)[] _channels;

    private Ina3221IioSource((string, SysfsAttribute)[] channels, string description)
    {
        _channels = channels;
        Description = description;
    }

    /// <inheritdoc />
    public string Name => "ina3221-iio";

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public PowerSourceKind Kind => PowerSourceKind.Measured;

    /// <summary>The rails this source reads.</summary>
    public IReadOnlyList<string> RailNames => Array.ConvertAll(_channels, c => c.Label);

    /// <summary>Finds ina3221x IIO devices under <paramref name="sysfsRoot"/>; null when there are none.</summary>
    public static Ina3221IioSource? Discover(string sysfsRoot = "/")
    {
        var driver = SysfsAttribute.Under(sysfsRoot, "/sys/bus/i2c/drivers/ina3221x");
        if (!Directory.Exists(driver))
        {
            return null;
        }

        var channels = new List<(string, SysfsAttribute)>();
        var chips = new List<string>();
        foreach (var device in Directory.EnumerateDirectories(driver).Order(StringComparer.Ordinal))
        {
            foreach (var iio in Directory.EnumerateDirectories(device, "iio:device*").Order(StringComparer.Ordinal))
            {
                var found = 0;
                for (var n = 0; n <= 2; n++)
                {
                    var label = SysfsAttribute.ReadText(Path.Join(iio, $"rail_name_{n}"));
                    var power = Path.Join(iio, $"in_power{n}_input");
                    if (label is null or "" or "NC" || !File.Exists(power))
                    {
                        continue;
                    }

                    channels.Add((label, new SysfsAttribute(power)));
                    found++;
                }

                if (found > 0)
                {
                    chips.Add($"{Path.GetFileName(device)} ({Path.GetFileName(iio)})");
                }
            }
        }

        if (channels.Count == 0)
        {
            return null;
        }

        var rails = string.Join(", ", channels.Select(c => c.Item1));
        var total = channels.Any(c => PowerSample.IsInputRail(c.Item1)) ? "total = input rail" : "total = sum of rails";
        return new Ina3221IioSource([.. channels], $"INA3221 via ina3221x IIO (JetPack 4) at {string.Join(", ", chips)}: {rails}; {total}");
    }

    /// <inheritdoc />
    public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
    {
        var rails = new RailReading[_channels.Length];
        for (var i = 0; i < _channels.Length; i++)
        {
            if (!_channels[i].Power.TryReadInt64(out var milliwatts))
            {
                sample = null;
                return false;
            }

            rails[i] = new RailReading(_channels[i].Label, milliwatts / 1000.0);
        }

        sample = new PowerSample(PowerSample.TotalOf(rails), rails, PowerSourceKind.Measured);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var channel in _channels)
        {
            channel.Power.Dispose();
        }
    }
}
