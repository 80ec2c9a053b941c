using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Hardware.Power;

/// <summary>Which power source to use and how to reach it; bound from <c>EdgeAgent:Hardware:Power</c>.</summary>
public sealed class PowerOptions
{
    /// <summary>Configuration section.</summary>
    public const string Section = "EdgeAgent:Hardware:Power";

    /// <summary>Names <see cref="Source"/> accepts.</summary>
    public static IReadOnlyList<string> SourceNames { get; } =
        ["auto", "ina3221-hwmon", "ina3221-iio", "ina219", "tegrastats", "hwmon", "rapl", "model"];

    /// <summary>Root under which /sys, /proc and /usr/bin are looked up ("/" on a real machine).</summary>
    [Required]
    public string SysfsRoot { get; set; } = "/";

    /// <summary>"auto" picks the best available source; any other name from <see cref="SourceNames"/> forces it.</summary>
    [Required]
    public string Source { get; set; } = "auto";

    /// <summary>I2C bus of an INA219 (<c>/dev/i2c-N</c>); null when none is wired.</summary>
    [Range(0, 255)]
    public int? Ina219Bus { get; set; }

    /// <summary>I2C address of the INA219 (0x40-0x4F).</summary>
    [Range(0x40, 0x4F)]
    public int Ina219Address { get; set; } = 0x40;

    /// <summary>Shunt resistance of the INA219 board in ohms.</summary>
    [Range(0.0001, 100.0)]
    public double Ina219ShuntOhms { get; set; } = 0.1;

    /// <summary>Largest current expected through the INA219 shunt, in amperes.</summary>
    [Range(0.001, 100.0)]
    public double Ina219MaxCurrentAmperes { get; set; } = 3.2;

    /// <summary>Name of the rail the INA219 measures.</summary>
    public string Ina219Rail { get; set; } = "VIN";

    /// <summary>tegrastats sampling interval in milliseconds.</summary>
    [Range(10, 10_000)]
    public int TegrastatsIntervalMs { get; set; } = 100;

    /// <summary>Built-in model profile ("jetson-orin-nano", "raspberry-pi-4"); null detects the board from the device tree.</summary>
    public string? Profile { get; set; }

    /// <summary>Idle power for the model source, overriding the profile's.</summary>
    [Range(0.0, 10_000.0)]
    public double? IdleWatts { get; set; }

    /// <summary>Busy power for the model source, overriding the profile's.</summary>
    [Range(0.0, 10_000.0)]
    public double? BusyWatts { get; set; }

    /// <summary>
    /// The device profile for the model source: the named built-in profile, else the board named
    /// in the device tree, else Jetson Orin Nano figures; IdleWatts/BusyWatts override either.
    /// </summary>
    /// <exception cref="ArgumentException">Profile names no built-in profile.</exception>
    public DeviceProfile ResolveProfile()
    {
        DeviceProfile profile;
        if (Profile is { Length: > 0 } name)
        {
            if (!DeviceProfile.BuiltIn.TryGetValue(name, out var builtIn))
            {
                throw new ArgumentException(
                    $"{Section}:Profile '{name}' is not a built-in profile; use one of {string.Join(", ", DeviceProfile.BuiltIn.Keys)} or set IdleWatts and BusyWatts.");
            }

            profile = builtIn;
        }
        else
        {
            var model = SysfsAttribute.ReadText(SysfsAttribute.Under(SysfsRoot, "/proc/device-tree/model"))?.TrimEnd('\0') ?? "";
            profile = model.Contains("Raspberry Pi 4", StringComparison.OrdinalIgnoreCase)
                ? DeviceProfile.RaspberryPi4
                : model.Contains("Orin Nano", StringComparison.OrdinalIgnoreCase)
                    ? DeviceProfile.JetsonOrinNano
                    : DeviceProfile.JetsonOrinNano with { Name = "default (jetson-orin-nano figures; set Profile or IdleWatts/BusyWatts)" };
        }

        if (IdleWatts is not null || BusyWatts is not null)
        {
            profile = new DeviceProfile("configured", IdleWatts ?? profile.IdleWatts, BusyWatts ?? profile.BusyWatts);
        }

        return profile;
    }

    /// <summary>Checks the cross-field rules; returns a message naming the setting, or null when valid.</summary>
    public string? Validate()
    {
        if (!SourceNames.Contains(Source, StringComparer.Ordinal))
        {
            return $"{Section}:Source '{Source}' is not a power source; use one of {string.Join(", ", SourceNames)}.";
        }

        if (Source == "ina219" && Ina219Bus is null)
        {
            return $"{Section}:Source is 'ina219' but {Section}:Ina219Bus is not set.";
        }

        if (IdleWatts is { } idle && BusyWatts is { } busy && busy < idle)
        {
            return $"{Section}:BusyWatts ({busy}) must be at least {Section}:IdleWatts ({idle}).";
        }

        if (Profile is { Length: > 0 } name && !DeviceProfile.BuiltIn.ContainsKey(name))
        {
            return $"{Section}:Profile '{name}' is not a built-in profile; use one of {string.Join(", ", DeviceProfile.BuiltIn.Keys)} or set IdleWatts and BusyWatts.";
        }

        return null;
    }
}
