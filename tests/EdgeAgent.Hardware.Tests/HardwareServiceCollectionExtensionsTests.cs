using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Hardware.Panel;
using EdgeAgent.Hardware.Power;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Hardware.Tests;

public sealed class HardwareServiceCollectionExtensionsTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static IHost Build(FakeSysfs fs, Dictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>(settings)
        {
            ["EdgeAgent:Hardware:Power:SysfsRoot"] = fs.Root,
        });
        builder.Services.AddEdgeAgentHardware();
        return builder.Build();
    }

    [Fact]
    public async Task AddEdgeAgentHardware_OrinNanoWithoutGpio_MeasuresAndRunsWithPanelDisabled()
    {
        using var fs = new FakeSysfs();
        Boards.OrinNano(fs);
        using var host = Build(fs, new() { ["EdgeAgent:Hardware:Panel:ButtonPin"] = "17", ["EdgeAgent:Hardware:Panel:Chip"] = "63" });

        await host.StartAsync().WaitAsync(Timeout);
        var meter = host.Services.GetRequiredService<EnergyMeter>();
        var deadline = DateTime.UtcNow + Timeout;
        while (meter.SampleCount < 3 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        var panel = host.Services.GetRequiredService<OperatorPanel>();
        var estimator = host.Services.GetRequiredService<IEnergyEstimator>();
        await host.StopAsync().WaitAsync(Timeout);

        Assert.Equal("ina3221-hwmon", meter.Source.Name);
        Assert.Equal(EnergyProvenance.Measured, meter.Provenance);
        Assert.True(meter.SampleCount >= 3);
        Assert.Equal(5.096, meter.LatestTotalWatts, 9);
        Assert.False(panel.IsEnabled);
        Assert.IsType<MeasuredEnergyEstimator>(estimator);
    }

    [Theory]
    [InlineData("EdgeAgent:Hardware:Energy:SampleRateHz", "0", "SampleRateHz")]
    [InlineData("EdgeAgent:Hardware:Power:Source", "battery", "Source 'battery'")]
    [InlineData("EdgeAgent:Hardware:Panel:DebounceMs", "0", "DebounceMs")]
    public async Task AddEdgeAgentHardware_BadSetting_FailsAtStartNamingIt(string key, string value, string expected)
    {
        using var fs = new FakeSysfs();
        using var host = Build(fs, new() { [key] = value });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(Timeout));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OffloadBlinker_PeerPlacement_NotifiesIndicator()
    {
        var indicator = new CountingIndicator();
        IDecisionObserver blinker = new OffloadBlinker(indicator);

        blinker.OnDecision(Ran(Placement.Local("int8")));
        blinker.OnDecision(Ran(Placement.Peer("cloud")));

        Assert.Equal(1, indicator.Count);
    }

    [Fact]
    public void MeasuredEnergyEstimator_BeforeBusySamples_UsesProfileThenMeasuredWattsPerTask()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var watts = 5.0;
        using var source = new ModelPowerSource(new DeviceProfile("p", 0, 100), () => watts / 100);
        using var meter = new EnergyMeter(new MeasuredWrapper(source), new EnergyMeterOptions { IdleWatts = 5.0, IdleTrackingSeconds = 0.5 }, time);
        var estimator = new MeasuredEnergyEstimator(meter, new DeviceEnergyModel(DeviceProfile.JetsonOrinNano.ToPowerTable()));

        Assert.Equal(EnergyProvenance.Modelled, estimator.LocalProvenance);
        Assert.Equal(5.0 * 2.0, estimator.LocalJoules(2.0, "fp32"), 9);

        meter.RunningTasksSignal = () => 2;
        meter.SampleOnce();
        watts = 11.0; // two tasks add 6 W: 3 W each
        for (var i = 0; i < 200; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            meter.SampleOnce();
        }

        Assert.Equal(EnergyProvenance.Measured, ((IEnergyEstimator)estimator).LocalProvenance);
        Assert.InRange(estimator.LocalJoules(2.0, "fp32"), 5.9, 6.1);
        Assert.Equal(2.0 * 1.0, estimator.OffloadJoules(1000, 0, 1.0, 5.0), 9);
        var deadLink = estimator.OffloadJoules(1000, 0, double.PositiveInfinity, 5.0);
        Assert.True(double.IsFinite(deadLink) && deadLink > 1000); // the device model's dead link: finite, and it loses
    }

    /// <summary>A successful request decided and run at <paramref name="placement"/>.</summary>
    private static DecisionRecord Ran(Placement placement) => new(
        DateTimeOffset.UnixEpoch, "m", 16, placement, placement, null, Preference.Balanced, 0.01, 0, 0.01,
        new TaskEnergy(EnergyFigure.Zero, EnergyFigure.Zero), true, new OffloadObservation(new TaskObservation("m", 16, null), []));

    private sealed class CountingIndicator : IOffloadIndicator
    {
        public int Count { get; private set; }

        public void NotifyOffload() => Count++;
    }

    /// <summary>Presents a model source as measured, to drive the meter with a controllable power.</summary>
    private sealed class MeasuredWrapper(IPowerSource inner) : IPowerSource
    {
        public string Name => "wrapped";

        public string Description => "wrapped";

        public PowerSourceKind Kind => PowerSourceKind.Measured;

        public bool TryRead([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out PowerSample? sample)
        {
            inner.TryRead(out var s);
            sample = new PowerSample(s!.TotalWatts, s.Rails, PowerSourceKind.Measured);
            return true;
        }

        public void Dispose()
        {
        }
    }
}
