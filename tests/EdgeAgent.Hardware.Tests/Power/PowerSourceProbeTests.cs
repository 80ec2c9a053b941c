using EdgeAgent.Hardware.Power;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Hardware.Tests.Power;

public sealed class PowerSourceProbeTests
{
    [Fact]
    public void Probe_OrinNano_SelectsIna3221HwmonAndListsTheRest()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs);

        var report = PowerSourceProbe.Probe(new PowerOptions { SysfsRoot = fs.Root }, new FakeTimeProvider());
        using var selected = report.Selected;

        Assert.Equal("ina3221-hwmon", selected.Name);
        Assert.Equal(PowerOptions.SourceNames.Skip(1), report.Candidates.Select(c => c.Name));
        Assert.True(report.Candidates.Single(c => c.Name == "model").Available);
        Assert.False(report.Candidates.Single(c => c.Name == "rapl").Available);
    }

    [Fact]
    public void Probe_JetPack4Nano_SelectsIio()
    {
        using var fs = new FakeSysfs();
        Boards.JetPack4Nano(fs);

        using var selected = PowerSourceProbe.Probe(new PowerOptions { SysfsRoot = fs.Root }, new FakeTimeProvider()).Selected;

        Assert.Equal("ina3221-iio", selected.Name);
    }

    [Fact]
    public void Probe_NothingToRead_FallsBackToLabelledModelWithBoardProfile()
    {
        using var fs = new FakeSysfs();
        fs.Write("/proc/device-tree/model", "Raspberry Pi 4 Model B Rev 1.4\0");
        fs.Write("/proc/stat", "cpu  1 0 1 8 0 0 0 0 0 0");

        using var selected = PowerSourceProbe.Probe(new PowerOptions { SysfsRoot = fs.Root }, new FakeTimeProvider()).Selected;

        Assert.Equal("model", selected.Name);
        Assert.Equal(PowerSourceKind.Modelled, selected.Kind);
        Assert.Contains("raspberry-pi-4", selected.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_RaplPresentButUnreadable_SaysWhy()
    {
        using var fs = new FakeSysfs();
        Boards.RaplHost(fs, 1, 1);
        File.Delete(fs.PathOf("/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/energy_uj"));
        File.Delete(fs.PathOf("/sys/devices/virtual/powercap/intel-rapl/intel-rapl:0/intel-rapl:0:2/energy_uj"));

        var report = PowerSourceProbe.Probe(new PowerOptions { SysfsRoot = fs.Root }, new FakeTimeProvider());
        using var selected = report.Selected;

        Assert.Equal("model", selected.Name);
        Assert.Contains("not readable", report.Candidates.Single(c => c.Name == "rapl").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Probe_ForcedSourceMissing_ThrowsNamingSettingAndReason()
    {
        using var fs = new FakeSysfs();

        var ex = Assert.Throws<InvalidOperationException>(() =>
            PowerSourceProbe.Probe(new PowerOptions { SysfsRoot = fs.Root, Source = "rapl" }, new FakeTimeProvider()));

        Assert.Contains("EdgeAgent:Hardware:Power:Source 'rapl'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("intel-rapl", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("battery", "Source 'battery'")]
    [InlineData("ina219", "Ina219Bus")]
    public void Validate_BadOptions_NamesTheSetting(string source, string expected)
    {
        var error = new PowerOptions { Source = source }.Validate();

        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
