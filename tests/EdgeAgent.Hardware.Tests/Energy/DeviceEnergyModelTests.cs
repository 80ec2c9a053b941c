using EdgeAgent.Hardware.Energy;

namespace EdgeAgent.Hardware.Tests.Energy;

public sealed class DeviceEnergyModelTests
{
    private readonly DeviceEnergyModel _model = new(new EnergyModelOptions { IdleWatts = 5, BusyWatts = 11, RadioWatts = 2, WaitWatts = 0.5 });

    [Fact]
    public void LocalJoules_IsBusyAboveIdleTimesExec()
    {
        Assert.Equal(6 * 0.25, _model.LocalJoules(0.25, "fp32"), 12);
    }

    [Fact]
    public void OffloadJoules_IsRadioTimesTransferPlusWaitTimesWait()
    {
        Assert.Equal((2 * 0.1) + (0.5 * 0.4), _model.OffloadJoules(1_000_000, 0, 0.1, 0.4), 12);
    }

    [Fact]
    public void OffloadJoules_InfiniteTransfer_IsLargeButFinite()
    {
        var joules = _model.OffloadJoules(1, 0, double.PositiveInfinity, 0);
        Assert.True(double.IsFinite(joules) && joules > 1000);
    }
}
