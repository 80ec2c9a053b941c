using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class Ina3221IioSourceTests
{
    [Fact]
    public void Discover_JetPack4Nano_ReadsMilliwattsAndUsesPom5vInAsTotal()
    {
        using var fs = new FakeSysfs();
        Boards.JetPack4Nano(fs, inMw: 2467, gpuMw: 40, cpuMw: 493);

        using var source = Ina3221IioSource.Discover(fs.Root);

        Assert.NotNull(source);
        Assert.Equal(["POM_5V_IN", "POM_5V_GPU", "POM_5V_CPU"], source.RailNames);
        Assert.True(source.TryRead(out var sample));
        Assert.Equal(2.467, sample.TotalWatts, 9);
        Assert.Equal(0.040, sample.Rails[1].Watts, 9);
        Assert.Equal(0.493, sample.Rails[2].Watts, 9);
        Assert.Contains("6-0040 (iio:device0)", source.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_OrinNano_ReturnsNull()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs);

        Assert.Null(Ina3221IioSource.Discover(fs.Root));
    }
}
