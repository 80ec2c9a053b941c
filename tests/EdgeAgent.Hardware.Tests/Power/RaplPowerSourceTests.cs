using EdgeAgent.Hardware.Power;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class RaplPowerSourceTests
{
    [Fact]
    public void TryRead_TwoReads_PowerIsEnergyOverTimeOfPackagePlusDram()
    {
        using var fs = new FakeSysfs();
        var time = new FakeTimeProvider();
        Boards.RaplHost(fs, packageUj: 1_000_000, dramUj: 500_000);
        using var source = RaplPowerSource.Discover(fs.Root, time)!;

        Assert.Equal(["package-0", "dram"], source.RailNames);
        Assert.False(source.TryRead(out _)); // primes

        time.Advance(TimeSpan.FromSeconds(2));
        Boards.SetRapl(fs, "intel-rapl:0", 1_000_000 + 30_000_000);
        Boards.SetRapl(fs, "intel-rapl:0:2", 500_000 + 4_000_000);

        Assert.True(source.TryRead(out var sample));
        Assert.Equal(15.0, sample.Rails[0].Watts, 9);
        Assert.Equal(2.0, sample.Rails[1].Watts, 9);
        Assert.Equal(17.0, sample.TotalWatts, 9);
        Assert.Equal(34.0, sample.CumulativeJoules!.Value, 9);
    }

    [Fact]
    public void TryRead_CounterWraps_UsesMaxEnergyRange()
    {
        using var fs = new FakeSysfs();
        var time = new FakeTimeProvider();
        const long range = 262_143_328_850;
        Boards.RaplHost(fs, packageUj: range - 1_000_000, dramUj: 0, range: range);
        using var source = RaplPowerSource.Discover(fs.Root, time)!;
        Assert.False(source.TryRead(out _));

        time.Advance(TimeSpan.FromSeconds(1));
        Boards.SetRapl(fs, "intel-rapl:0", 9_000_000); // wrapped: 1 J before the wrap, 9 J after

        Assert.True(source.TryRead(out var sample));
        Assert.Equal(10.0, sample.Rails[0].Watts, 9);
    }

    [Fact]
    public void Discover_Psys_TotalIsPlatformZoneOnly()
    {
        using var fs = new FakeSysfs();
        var time = new FakeTimeProvider();
        Boards.RaplHost(fs, packageUj: 0, dramUj: 0, psysUj: 0);
        using var source = RaplPowerSource.Discover(fs.Root, time)!;
        source.TryRead(out _);

        time.Advance(TimeSpan.FromSeconds(1));
        Boards.SetRapl(fs, "intel-rapl:0", 5_000_000);
        Boards.SetRapl(fs, "intel-rapl:1", 12_000_000);

        Assert.True(source.TryRead(out var sample));
        Assert.Equal(12.0, sample.TotalWatts, 9);
        Assert.Contains("total = psys", source.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_NoPowercap_ReturnsNull()
    {
        using var fs = new FakeSysfs();
        Assert.Null(RaplPowerSource.Discover(fs.Root, TimeProvider.System));
        Assert.Empty(RaplPowerSource.FindZones(fs.Root));
    }
}
