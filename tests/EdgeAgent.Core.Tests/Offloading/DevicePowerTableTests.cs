using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;

namespace EdgeAgent.Core.Tests.Offloading;

public sealed class DevicePowerTableTests
{
    private static readonly DevicePowerTable Table = new(IdleWatts: 5, BusyWatts: 12, RadioWatts: 2, WaitWatts: 0.5);

    [Fact]
    public void LocalJoules_NoMeasurement_IsActivePowerTimesTime() => Assert.Equal(7 * 0.2, Table.LocalJoules(0.2, null), 12);

    [Fact]
    public void LocalJoules_Measured_UsesTheVariantsJoules() => Assert.Equal(0.37, Table.LocalJoules(0.2, 0.37));

    [Fact]
    public void LocalJoules_BusyBelowIdle_IsZero() => Assert.Equal(0, new DevicePowerTable(10, 5, 1, 0).LocalJoules(1));

    [Fact]
    public void OffloadJoules_RadioForTransfersWaitPowerForTheRest() => Assert.Equal((2 * 0.1) + (0.5 * 0.3), Table.OffloadJoules(0.1, 0.3), 12);

    [Fact]
    public void OffloadJoules_DeadLink_CountsMillionSeconds() => Assert.Equal(2e6, Table.OffloadJoules(double.PositiveInfinity, 0));

    [Fact]
    public void CompletionEstimate_ResponseAndDownlink_AddDownloadTerm()
    {
        var task = new TaskObservation("m", 1000, null) { ExpectedResponseBytes = 500 };
        var server = new ServerObservation { Placement = Placement.Peer("p"), Kind = ServerKind.Edge, UplinkBitsPerSecond = 8e4, DownlinkBitsPerSecond = 4e4, RoundTripSeconds = 0.01, ExpectedExecSeconds = 0.02 };
        Assert.Equal(0.1 + 0.01 + 0.02 + 0.1, CompletionEstimate.Seconds(task, server), 12);
        Assert.Equal(0.1 + 0.01 + 0.02, CompletionEstimate.Seconds(task with { }, server with { DownlinkBitsPerSecond = double.PositiveInfinity }), 12);
    }
}
