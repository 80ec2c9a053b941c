using System.Buffers.Binary;
using System.Device.I2c;

namespace EdgeAgent.Hardware.Tests.Power;

/// <summary>
/// A register-level INA219: a register pointer, configuration and calibration registers that the
/// driver writes, and measurement registers computed from the physical shunt and bus voltages the
/// test sets, the way the chip's datasheet describes (current = shunt * cal / 4096, power =
/// current * bus / 5000). A power-on reset clears the calibration, after which current and power
/// read zero.
/// </summary>
internal sealed class FakeIna219Device : I2cDevice
{
    private readonly ushort[] _registers = new ushort[6];
    private byte _pointer;

    public FakeIna219Device(int bus = 1, int address = 0x40)
    {
        ConnectionSettings = new I2cConnectionSettings(bus, address);
        PowerOnReset();
    }

    public override I2cConnectionSettings ConnectionSettings { get; }

    public double ShuntVolts { get; set; }

    public double BusVolts { get; set; }

    public int CalibrationWrites { get; private set; }

    public ushort Configuration => _registers[0];

    public ushort Calibration => _registers[5];

    public void PowerOnReset()
    {
        Array.Clear(_registers);
        _registers[0] = 0x399F;
    }

    public override void Read(Span<byte> buffer)
    {
        var value = RegisterValue(_pointer);
        Span<byte> bytes = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        bytes[..Math.Min(2, buffer.Length)].CopyTo(buffer);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length == 0)
        {
            return;
        }

        if (buffer[0] > 5)
        {
            throw new IOException($"INA219 has no register 0x{buffer[0]:X2}.");
        }

        _pointer = buffer[0];
        if (buffer.Length == 3)
        {
            var value = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
            switch (_pointer)
            {
                case 0:
                    if ((value & 0x8000) != 0)
                    {
                        PowerOnReset();
                    }
                    else
                    {
                        _registers[0] = value;
                    }

                    break;
                case 5:
                    _registers[5] = (ushort)(value & 0xFFFE);
                    CalibrationWrites++;
                    break;
                default:
                    throw new IOException($"INA219 register 0x{_pointer:X2} is read-only.");
            }
        }
        else if (buffer.Length != 1)
        {
            throw new IOException("INA219 writes are a pointer byte, optionally followed by two data bytes.");
        }
    }

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        Write(writeBuffer);
        Read(readBuffer);
    }

    private ushort RegisterValue(byte register)
    {
        var pgaVolts = 0.04 * (1 << ((_registers[0] >> 11) & 0x3));
        var shunt = (int)Math.Round(Math.Clamp(ShuntVolts, -pgaVolts, pgaVolts) / 10e-6);
        var bus = (int)Math.Round(BusVolts / 4e-3);
        var current = (int)((long)shunt * _registers[5] / 4096);
        var overflow = current is > short.MaxValue or < short.MinValue;
        var power = Math.Abs((long)current * bus / 5000);
        return register switch
        {
            0 => _registers[0],
            1 => (ushort)(short)shunt,
            2 => (ushort)((bus << 3) | 0b10 | (overflow ? 1 : 0)),
            3 => (ushort)Math.Min(power, ushort.MaxValue),
            4 => (ushort)(short)Math.Clamp(current, short.MinValue, short.MaxValue),
            _ => _registers[5],
        };
    }
}
