using EdgeAgent.Core.Offloading.Policies;
using static EdgeAgent.Core.Tests.Offloading.Policies.PolicyScenarios;

namespace EdgeAgent.Core.Tests.Offloading.Policies;

public sealed class CompletionEstimateTests
{
    [Fact]
    public void Seconds_IdlePeer_SumsUploadRttAndExec()
    {
        // 1 MB at 80 Mbit/s = 0.1 s upload, + 0.02 s RTT + 0.3 s exec.
        var seconds = CompletionEstimate.Seconds(Task(bytes: 1_000_000), Peer("cloud", 0.3, 1, uplinkBps: 80e6, rtt: 0.02));
        Assert.Equal(0.42, seconds, 9);
    }

    [Fact]
    public void Seconds_LocalWithFreeSlot_HasNoWaitAndNoUpload()
    {
        var seconds = CompletionEstimate.Seconds(Task(), Local(0.5, 1, executing: 1, residual: 0.4, concurrency: 2));
        Assert.Equal(0.5, seconds, 9);
    }

    [Fact]
    public void Seconds_SaturatedServer_WaitsResidualWorkOverConcurrency()
    {
        var seconds = CompletionEstimate.Seconds(Task(), Local(0.5, 1, executing: 2, queued: 2, residual: 1.6, concurrency: 2));
        Assert.Equal(0.8 + 0.5, seconds, 9);
    }

    [Fact]
    public void UploadSeconds_ZeroUplink_IsInfinite()
    {
        Assert.True(double.IsPositiveInfinity(CompletionEstimate.UploadSeconds(10, Peer("p", 0.1, 1, uplinkBps: 0))));
    }
}
