using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeAgent.Hardware.Power;

/// <summary>Full-scale bus voltage range of an INA219 (configuration bit BRNG).</summary>
public enum Ina219BusVoltageRange
{
    /// <summary>0-16 V.</summary>
    Range16V = 0,

    /// <summary>0-32 V (power-on default).</summary>
    Range32V = 1,
}

/// <summary>Programmable gain of the shunt amplifier (configuration bits PG), as the full-scale shunt voltage.</summary>
public enum Ina219ShuntRange
{
    /// <summary>±40 mV.</summary>
    Range40mV = 0,

    /// <summary>±80 mV.</summary>
    Range80mV = 1,

    /// <summary>±160 mV.</summary>
    Range160mV = 2,

    /// <summary>±320 mV (power-on default).</summary>
    Range320mV = 3,
}

/// <summary>Settings of an INA219 and the shunt it measures across.</summary>
public sealed record Ina219Settings
{
    /// <summary>Shunt resistance in ohms (0.1 on most breakout boards).</summary>
    public double ShuntOhms { get; init; } = 0.1;

    /// <summary>Largest current expected, in amperes; sets the current resolution (I_max / 2^15).</summary>
    public double MaxCurrentAmperes { get; init; } = 3.2;

    /// <summary>Bus voltage range.</summary>
    public Ina219BusVoltageRange BusVoltageRange { get; init; } = Ina219BusVoltageRange.Range32V;

    /// <summary>Shunt voltage range.</summary>
    public Ina219ShuntRange ShuntRange { get; init; } = Ina219ShuntRange.Range320mV;

    /// <summary>
    /// ADC setting for both bus and shunt (configuration bits BADC and SADC): 0x3 is 12-bit single
    /// sample (532 us), 0x8 + k averages 2^k samples (0x9 = 2 samples ... 0xF = 128 samples).
    /// </summary>
    public int AdcMode { get; init; } = 0x3;
}

/// <summary>One INA219 reading in SI units.</summary>
/// <param name="BusVolts">Voltage on the load side of the shunt.</param>
/// <param name="ShuntVolts">Voltage across the shunt (signed).</param>
/// <param name="Amperes">Current (signed; negative when flowing backwards).</param>
/// <param name="Watts">Power as computed by the chip (always non-negative).</param>
public readonly record struct Ina219Reading(double BusVolts, double ShuntVolts, double Amperes, double Watts);

/// <summary>
/// A small driver for the TI INA219 current/power monitor over <see cref="I2cDevice"/>: 16-bit
/// big-endian registers, configuration and calibration computed from the shunt and the maximum
/// current, signed shunt and current registers. Calibration is rewritten before every
/// current/power read because the chip loses it on a brown-out reset and then reports zero.
/// </summary>
public sealed class Ina219 : IDisposable
{
    /// <summary>Configuration register.</summary>
    public const byte ConfigurationRegister = 0x00;

    /// <summary>Shunt voltage register (signed, 10 uV/bit).</summary>
    public const byte ShuntVoltageRegister = 0x01;

    /// <summary>Bus voltage register ((value &gt;&gt; 3) * 4 mV; bit 1 conversion ready, bit 0 overflow).</summary>
    public const byte BusVoltageRegister = 0x02;

    /// <summary>Power register (power LSB = 20 * current LSB).</summary>
    public const byte PowerRegister = 0x03;

    /// <summary>Current register (signed).</summary>
    public const byte CurrentRegister = 0x04;

    /// <summary>Calibration register.</summary>
    public const byte CalibrationRegister = 0x05;

    private const double ShuntLsbVolts = 10e-6;
    private const double BusLsbVolts = 4e-3;
    private readonly I2cDevice _device;
    private readonly bool _ownsDevice;

    /// <summary>Configures the chip on <paramref name="device"/> with <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentException">The settings give a calibration outside the register's range.</exception>
    public Ina219(I2cDevice device, Ina219Settings settings, bool ownsDevice = true)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(settings);
        _device = device;
        _ownsDevice = ownsDevice;
        Settings = settings;
        (Calibration, CurrentLsbAmperes) = ComputeCalibration(settings);
        Configuration = ComputeConfiguration(settings);
        WriteRegister(ConfigurationRegister, Configuration);
        WriteRegister(CalibrationRegister, Calibration);
    }

    /// <summary>The settings the chip was configured with.</summary>
    public Ina219Settings Settings { get; }

    /// <summary>Value written to the calibration register.</summary>
    public ushort Calibration { get; }

    /// <summary>Value written to the configuration register.</summary>
    public ushort Configuration { get; }

    /// <summary>Amperes per bit of the current register for the written calibration.</summary>
    public double CurrentLsbAmperes { get; }

    /// <summary>Watts per bit of the power register (20 * current LSB).</summary>
    public double PowerLsbWatts => 20.0 * CurrentLsbAmperes;

    /// <summary>
    /// Calibration from the datasheet: current_lsb = I_max / 2^15, cal = trunc(0.04096 / (current_lsb
    /// * R_shunt)) with bit 0 cleared (it is read-only). The current LSB is then recomputed from the
    /// truncated value so current and power are exact for the calibration the chip actually uses.
    /// </summary>
    public static (ushort Calibration, double CurrentLsbAmperes) ComputeCalibration(Ina219Settings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!(settings.ShuntOhms > 0 && double.IsFinite(settings.ShuntOhms)))
        {
            throw new ArgumentException($"Ina219 ShuntOhms must be a positive number of ohms (got {settings.ShuntOhms}).", nameof(settings));
        }

        if (!(settings.MaxCurrentAmperes > 0 && double.IsFinite(settings.MaxCurrentAmperes)))
        {
            throw new ArgumentException($"Ina219 MaxCurrentAmperes must be a positive number of amperes (got {settings.MaxCurrentAmperes}).", nameof(settings));
        }

        var currentLsb = settings.MaxCurrentAmperes / 32768.0;
        var raw = Math.Truncate(0.04096 / (currentLsb * settings.ShuntOhms));
        if (raw < 2 || raw > 0xFFFE)
        {
            throw new ArgumentException(
                $"Ina219 ShuntOhms={settings.ShuntOhms} and MaxCurrentAmperes={settings.MaxCurrentAmperes} give calibration {raw}, outside 2..65534; pick a maximum current that suits the shunt.",
                nameof(settings));
        }

        var calibration = (ushort)((int)raw & 0xFFFE);
        return (calibration, 0.04096 / (calibration * settings.ShuntOhms));
    }

    /// <summary>Configuration register value: BRNG, PG, BADC = SADC = AdcMode, mode 7 (shunt and bus, continuous).</summary>
    public static ushort ComputeConfiguration(Ina219Settings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.AdcMode is < 0 or > 0xF || settings.AdcMode is > 0x3 and < 0x8)
        {
            throw new ArgumentException($"Ina219 AdcMode must be 0x0-0x3 or 0x8-0xF (got 0x{settings.AdcMode:X}).", nameof(settings));
        }

        return (ushort)(((int)settings.BusVoltageRange << 13) | ((int)settings.ShuntRange << 11)
            | (settings.AdcMode << 7) | (settings.AdcMode << 3) | 0b111);
    }

    /// <summary>Voltage across the shunt in volts (signed).</summary>
    public double ReadShuntVolts() => (short)ReadRegister(ShuntVoltageRegister) * ShuntLsbVolts;

    /// <summary>Bus voltage in volts.</summary>
    public double ReadBusVolts() => (ReadRegister(BusVoltageRegister) >> 3) * BusLsbVolts;

    /// <summary>Current in amperes (signed), after rewriting the calibration.</summary>
    public double ReadAmperes()
    {
        WriteRegister(CalibrationRegister, Calibration);
        return (short)ReadRegister(CurrentRegister) * CurrentLsbAmperes;
    }

    /// <summary>Power in watts, after rewriting the calibration.</summary>
    public double ReadWatts()
    {
        WriteRegister(CalibrationRegister, Calibration);
        return ReadRegister(PowerRegister) * PowerLsbWatts;
    }

    /// <summary>Reads bus, shunt, current and power; false when the chip flags a math overflow (current or power invalid).</summary>
    public bool TryRead(out Ina219Reading reading)
    {
        WriteRegister(CalibrationRegister, Calibration);
        var bus = ReadRegister(BusVoltageRegister);
        var shunt = (short)ReadRegister(ShuntVoltageRegister);
        var current = (short)ReadRegister(CurrentRegister);
        var power = ReadRegister(PowerRegister);
        reading = new Ina219Reading((bus >> 3) * BusLsbVolts, shunt * ShuntLsbVolts, current * CurrentLsbAmperes, power * PowerLsbWatts);
        return (bus & 0x1) == 0;
    }

    /// <summary>Reads a 16-bit big-endian register.</summary>
    public ushort ReadRegister(byte register)
    {
        Span<byte> value = stackalloc byte[2];
        _device.WriteRead([register], value);
        return BinaryPrimitives.ReadUInt16BigEndian(value);
    }

    /// <summary>Writes a 16-bit big-endian register.</summary>
    public void WriteRegister(byte register, ushort value)
    {
        Span<byte> buffer = stackalloc byte[3];
        buffer[0] = register;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[1..], value);
        _device.Write(buffer);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_ownsDevice)
        {
            _device.Dispose();
        }
    }
}
