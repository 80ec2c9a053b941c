using System.Device.I2c;
using System.Diagnostics.CodeAnalysis;

namespace EdgeAgent.Hardware.Power;

/// <summary>An INA219 on I2C as a power source (one rail: the supply it sits in).</summary>
public sealed class Ina219PowerSource : IPowerSource
{
    private readonly Ina219 _chip;
    private readonly string _rail;

    /// <summary>Reads <paramref name="chip"/> as the rail named <paramref name="rail"/>.</summary>
    public Ina219PowerSource(Ina219 chip, string rail, string description)
    {
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentException.ThrowIfNullOrWhiteSpace(rail);
        _chip = chip;
        _rail = rail;
        Description = description;
    }

    /// <inheritdoc />
    public string Name => "ina219";

    /// <inheritdoc />
    public string Description { get; }

    /// <inheritdoc />
    public PowerSourceKind Kind => PowerSourceKind.Measured;

    /// <summary>Opens the INA219 at <paramref name="address"/> on I2C bus <paramref name="bus"/> (<c>/dev/i2c-N</c>).</summary>
    public static Ina219PowerSource Open(int bus, int address, Ina219Settings settings, string rail = "VIN")
    {
        var device = I2cDevice.Create(new I2cConnectionSettings(bus, address));
        try
        {
            var chip = new Ina219(device, settings);
            return new Ina219PowerSource(chip, rail,
                $"INA219 on /dev/i2c-{bus} at 0x{address:X2} ({settings.ShuntOhms} ohm shunt, up to {settings.MaxCurrentAmperes} A): {rail}");
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public bool TryRead([NotNullWhen(true)] out PowerSample? sample)
    {
        try
        {
            if (!_chip.TryRead(out var reading))
            {
                sample = null;
                return false;
            }

            RailReading[] rails = [new RailReading(_rail, reading.Watts, reading.BusVolts, reading.Amperes)];
            sample = new PowerSample(reading.Watts, rails, PowerSourceKind.Measured);
            return true;
        }
        catch (IOException)
        {
            // A NAK or bus error: no reading this time.
            sample = null;
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _chip.Dispose();
}
