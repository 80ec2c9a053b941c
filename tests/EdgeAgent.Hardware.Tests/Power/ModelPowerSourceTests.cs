using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class ModelPowerSourceTests
{
    [Theory]
    [InlineData(0.0, 5.0)]
    [InlineData(0.5, 7.5)]
    [InlineData(1.0, 10.0)]
    [InlineData(3.0, 10.0)]
    public void TryRead_Utilisation_InterpolatesIdleToBusyAndIsLabelledModelled(double utilisation, double watts)
    {
        using var source = new ModelPowerSource(DeviceProfile.JetsonOrinNano, () => utilisation);

        Assert.True(source.TryRead(out var sample));

        Assert.Equal(watts, sample.TotalWatts, 9);
        Assert.Equal(PowerSourceKind.Modelled, sample.Kind);
        Assert.Equal(PowerSourceKind.Modelled, source.Kind);
        Assert.Contains("modelled", source.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_BusyBelowIdle_ThrowsNamingProfile()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ModelPowerSource(new DeviceProfile("bad", 5, 4), () => 0));
        Assert.Contains("'bad'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromCpuUtilisation_ProcStat_UsesNonIdleShareOfJiffies()
    {
        using var fs = new FakeSysfs();
        fs.Write("/proc/stat", "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0");
        using var source = ModelPowerSource.FromCpuUtilisation(DeviceProfile.RaspberryPi4, fs.Root);
        Assert.True(source.TryRead(out var first));
        Assert.Equal(2.6, first.TotalWatts, 9);

        // +300 busy jiffies, +100 idle: 75 % utilisation.
        fs.Write("/proc/stat", "cpu  250 0 250 900 0 0 0 0 0 0\ncpu0 50 0 50 400 0 0 0 0 0 0");

        Assert.True(source.TryRead(out var second));
        Assert.Equal(2.6 + ((5.5 - 2.6) * 0.75), second.TotalWatts, 9);
    }
}
