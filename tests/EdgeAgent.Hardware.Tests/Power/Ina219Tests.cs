using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class Ina219Tests
{
    private static readonly Ina219Settings Breakout = new() { ShuntOhms = 0.1, MaxCurrentAmperes = 3.2 };

    [Fact]
    public void ComputeCalibration_Datasheet_TruncatesAndClearsBitZero()
    {
        var (cal, lsb) = Ina219.ComputeCalibration(Breakout);

        // current_lsb = 3.2 / 32768 = 97.65625 uA; cal = trunc(0.04096 / (97.65625e-6 * 0.1)) = 4194.
        Assert.Equal(4194, cal);
        Assert.Equal(0.04096 / (4194 * 0.1), lsb, 15);
    }

    [Theory]
    [InlineData(0.0, 3.2)]
    [InlineData(0.1, 0.0)]
    [InlineData(0.1, 1e-6)]
    [InlineData(double.NaN, 1.0)]
    public void ComputeCalibration_BadSettings_ThrowsNamingTheSetting(double ohms, double amps)
    {
        var ex = Assert.Throws<ArgumentException>(() => Ina219.ComputeCalibration(new Ina219Settings { ShuntOhms = ohms, MaxCurrentAmperes = amps }));
        Assert.Matches("ShuntOhms|MaxCurrentAmperes", ex.Message);
    }

    [Fact]
    public void Constructor_WritesConfigurationAndCalibration()
    {
        var device = new FakeIna219Device();

        using var chip = new Ina219(device, Breakout with { BusVoltageRange = Ina219BusVoltageRange.Range16V, ShuntRange = Ina219ShuntRange.Range160mV });

        // BRNG=0, PG=10, BADC=SADC=0011, mode 111.
        Assert.Equal(0b0_0_10_0011_0011_111, device.Configuration);
        Assert.Equal(chip.Calibration, device.Calibration);
    }

    [Fact]
    public void TryRead_PositiveCurrent_ReturnsSiValues()
    {
        var device = new FakeIna219Device { ShuntVolts = 0.05, BusVolts = 5.04 };
        using var chip = new Ina219(device, Breakout);

        Assert.True(chip.TryRead(out var reading));

        Assert.Equal(5.04, reading.BusVolts, 9);
        Assert.Equal(0.05, reading.ShuntVolts, 9);
        Assert.Equal(0.5, reading.Amperes, 3);
        Assert.Equal(5.04 * 0.5, reading.Watts, 2);
    }

    [Fact]
    public void ReadAmperes_NegativeCurrent_IsSigned()
    {
        var device = new FakeIna219Device { ShuntVolts = -0.02, BusVolts = 12.0 };
        using var chip = new Ina219(device, Breakout);

        Assert.Equal(-0.2, chip.ReadAmperes(), 3);
        Assert.Equal(-0.02, chip.ReadShuntVolts(), 9);
        Assert.Equal(12.0 * 0.2, chip.ReadWatts(), 2);
    }

    [Fact]
    public void ReadAmperes_AfterPowerOnReset_RewritesCalibrationFirst()
    {
        var device = new FakeIna219Device { ShuntVolts = 0.1, BusVolts = 5.0 };
        using var chip = new Ina219(device, Breakout);
        var writesBefore = device.CalibrationWrites;

        device.PowerOnReset();

        Assert.Equal(1.0, chip.ReadAmperes(), 3);
        Assert.Equal(5.0, chip.ReadWatts(), 2);
        Assert.Equal(writesBefore + 2, device.CalibrationWrites);
    }

    [Fact]
    public void PowerSource_WrapsChipAsOneMeasuredRail()
    {
        var device = new FakeIna219Device { ShuntVolts = 0.08, BusVolts = 5.1 };
        using var source = new Ina219PowerSource(new Ina219(device, Breakout), "VIN", "test");

        Assert.True(source.TryRead(out var sample));

        Assert.Equal(PowerSourceKind.Measured, sample.Kind);
        Assert.Equal("VIN", Assert.Single(sample.Rails).Name);
        Assert.Equal(5.1 * 0.8, sample.TotalWatts, 2);
    }
}
