using EdgeAgent.Hardware.Power;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class HwmonPowerSourceTests
{
    [Fact]
    public void Discover_Ina2xxDriver_ReadsMicrowattsAndSkipsIna3221()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs); // its ina3221 hwmon has no power files and must be left alone
        const string device = "/sys/devices/platform/soc/fe804000.i2c/i2c-1/1-0040/hwmon/hwmon4";
        fs.Write($"{device}/name", "ina219");
        fs.Write($"{device}/in1_input", "5040");
        fs.Write($"{device}/curr1_input", "612");
        fs.Write($"{device}/power1_input", "3084480");
        fs.Write($"{device}/shunt_resistor", "100000");
        fs.Link("/sys/class/hwmon/hwmon4", device);

        using var source = HwmonPowerSource.Discover(fs.Root, new FakeTimeProvider());

        Assert.NotNull(source);
        Assert.Equal(["ina219/power1"], source.RailNames);
        Assert.True(source.TryRead(out var sample));
        Assert.Equal(3.08448, sample.TotalWatts, 9);
    }

    [Fact]
    public void TryRead_EnergySensor_PrimesThenGivesPowerFromDifference()
    {
        using var fs = new FakeSysfs();
        var time = new FakeTimeProvider();
        const string device = "/sys/devices/platform/meter/hwmon/hwmon2";
        fs.Write($"{device}/name", "meter");
        fs.Write($"{device}/energy1_input", "1000000");
        fs.Write($"{device}/energy1_label", "board");
        fs.Link("/sys/class/hwmon/hwmon2", device);
        using var source = HwmonPowerSource.Discover(fs.Root, time)!;

        Assert.False(source.TryRead(out _));
        time.Advance(TimeSpan.FromMilliseconds(500));
        fs.Write($"{device}/energy1_input", "4000000");

        Assert.True(source.TryRead(out var sample));
        Assert.Equal("meter/board", Assert.Single(sample.Rails).Name);
        Assert.Equal(6.0, sample.TotalWatts, 9);
    }

    [Fact]
    public void Discover_NoPowerFiles_ReturnsNull()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs);

        Assert.Null(HwmonPowerSource.Discover(fs.Root, TimeProvider.System));
    }
}
