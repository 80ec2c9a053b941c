using EdgeAgent.Hardware.Power;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class Ina3221HwmonSourceTests
{
    [Fact]
    public void Discover_OrinNano_ReadsThreeRailsAndUsesVddInAsTotal()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs);

        using var source = Ina3221HwmonSource.Discover(fs.Root);

        Assert.NotNull(source);
        Assert.Equal(["VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"], source.RailNames);
        Assert.True(source.TryRead(out var sample));
        Assert.Equal(PowerSourceKind.Measured, sample.Kind);
        Assert.Equal(5.096 * 1.000, sample.TotalWatts, 9);
        Assert.Equal(5.096 * 0.096, sample.Rails[1].Watts, 9);
        Assert.Equal(5.096, sample.Rails[2].Volts!.Value, 9);
        Assert.Equal(0.280, sample.Rails[2].Amperes!.Value, 9);
        Assert.Contains("1-0040 (hwmon1)", source.Description, StringComparison.Ordinal);
        Assert.Contains("total = VDD_IN", source.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_AgxOrin_SkipsNcAndSumsRailsOfBothChips()
    {
        using var fs = new FakeSysfs();
        Boards.AgxOrin(fs);

        using var source = Ina3221HwmonSource.Discover(fs.Root);

        Assert.NotNull(source);
        Assert.Equal(["VDD_GPU_SOC", "VDD_CPU_CV", "VIN_SYS_5V0", "VDDQ_VDD2_1V8AO"], source.RailNames);
        Assert.True(source.TryRead(out var sample));
        var expected = (19.752 * 0.160) + (19.752 * 0.040) + (4.984 * 0.664) + (4.984 * 0.096);
        Assert.Equal(expected, sample.TotalWatts, 9);
        Assert.Contains("sum of rails", source.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_ValuesChange_ReadsFreshValuesFromOpenFiles()
    {
        using var fs = new FakeSysfs();
        var hwmon = Boards.OrinNano(fs);
        using var source = Ina3221HwmonSource.Discover(fs.Root)!;
        Assert.True(source.TryRead(out _));

        fs.Write($"{hwmon}/curr1_input", "2000");
        fs.Write($"{hwmon}/in1_input", "5000");

        Assert.True(source.TryRead(out var sample));
        Assert.Equal(10.0, sample.TotalWatts, 9);
    }

    [Fact]
    public void TryRead_FileVanishes_ReturnsFalse()
    {
        using var fs = new FakeSysfs();
        var hwmon = Boards.OrinNano(fs);
        using var source = Ina3221HwmonSource.Discover(fs.Root)!;

        File.Delete(fs.PathOf($"{hwmon}/curr2_input"));
        fs.Write($"{hwmon}/in2_input", "not a number");

        Assert.False(source.TryRead(out var sample));
        Assert.Null(sample);
    }

    [Fact]
    public void Discover_HwmonNumberChanged_FindsItBySearching()
    {
        using var fs = new FakeSysfs();
        Boards.AddIna3221Hwmon(fs, "1-0040", 7, [("VDD_IN", 5000, 2000), ("NC", 0, 0), ("VDD_SOC", 5000, 100)]);

        using var source = Ina3221HwmonSource.Discover(fs.Root);

        Assert.NotNull(source);
        Assert.Equal(["VDD_IN", "VDD_SOC"], source.RailNames);
        Assert.Contains("hwmon7", source.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_NoJetson_ReturnsNull()
    {
        using var fs = new FakeSysfs();
        Boards.JetPack4Nano(fs);

        Assert.Null(Ina3221HwmonSource.Discover(fs.Root));
        Assert.Null(Ina3221HwmonSource.Discover(Path.Join(fs.Root, "missing")));
    }
}

public sealed class Ina3221FastPathTests
{
    [Fact]
    public void TryReadTotal_OrinNano_EqualsFullReadTotal()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs);
        using IPowerSource source = Ina3221HwmonSource.Discover(fs.Root)!;

        Assert.True(source.TryRead(out var sample));
        Assert.True(source.TryReadTotal(out var total, out var cumulative));

        Assert.Equal(sample.TotalWatts, total, 12);
        Assert.Null(cumulative);
    }

    [Fact]
    public void TryReadTotal_AgxOrin_SumsAllRails()
    {
        using var fs = new FakeSysfs();
        Boards.AgxOrin(fs);
        using IPowerSource source = Ina3221HwmonSource.Discover(fs.Root)!;

        Assert.True(source.TryRead(out var sample));
        Assert.True(source.TryReadTotal(out var total, out _));

        Assert.Equal(sample.TotalWatts, total, 12);
    }
}
