using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class LinkEstimatorTests
{
    [Fact]
    public void ThroughputBitsPerSecond_NoSample_IsPrior()
    {
        var link = new LinkEstimator(100e6);
        Assert.Equal(100e6, link.ThroughputBitsPerSecond);
        Assert.Equal(0, link.RoundTripSeconds);
    }

    [Fact]
    public void AddRoundTrip_Samples_SmoothedWithEwma()
    {
        var link = new LinkEstimator(100e6, alpha: 0.5);
        link.AddRoundTrip(TimeSpan.FromMilliseconds(40));
        link.AddRoundTrip(TimeSpan.FromMilliseconds(20));
        Assert.Equal(0.030, link.RoundTripSeconds, 9);
        Assert.Equal(2, link.RoundTripSamples);
    }

    [Fact]
    public void AddTransfer_SubtractsPeerBusyAndRtt()
    {
        var link = new LinkEstimator(1e6, alpha: 0.5);
        link.AddRoundTrip(TimeSpan.FromMilliseconds(20));
        // 1 MB took 250 ms: 100 ms queue+exec on the peer, 20 ms RTT, so 130 ms of transfer.
        Assert.True(link.AddTransfer(1_000_000, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(100)));
        Assert.Equal(8e6 / 0.130, link.ThroughputBitsPerSecond, 3);
        Assert.Equal(1, link.ThroughputSamples);
    }

    [Fact]
    public void AddTransfer_WithoutPeerTimings_IsSkipped()
    {
        var link = new LinkEstimator(1e6);
        Assert.False(link.AddTransfer(1_000_000, TimeSpan.FromMilliseconds(250), null));
        Assert.Equal(1e6, link.ThroughputBitsPerSecond);
    }

    [Fact]
    public void AddTransfer_TransferUnderAMillisecond_IsSkipped()
    {
        var link = new LinkEstimator(1e6, minimumSampleBytes: 0);
        link.AddRoundTrip(TimeSpan.FromMilliseconds(10));
        Assert.False(link.AddTransfer(100, TimeSpan.FromMilliseconds(10.5), TimeSpan.Zero));
        Assert.Equal(0, link.ThroughputSamples);
    }

    // Regression: `edgeagent status` showed 0.0 Mbit/s after one small offload (12 bytes in about
    // 5 ms of latency read as 19 kbit/s), and the policy then saw a hopeless link.
    [Fact]
    public void AddTransfer_SmallOffload_StaysPriorAndUnmeasured()
    {
        var link = new LinkEstimator(100e6);
        link.AddRoundTrip(TimeSpan.FromMilliseconds(2));

        Assert.False(link.AddTransfer(12 + 150, TimeSpan.FromMilliseconds(8), TimeSpan.FromMilliseconds(1)));

        Assert.Equal(100e6, link.ThroughputBitsPerSecond);
        Assert.Equal(0, link.ThroughputSamples);
    }

    [Fact]
    public void AddTransfer_AtTheMinimumSampleSize_Counts()
    {
        var link = new LinkEstimator(100e6, alpha: 1, minimumSampleBytes: 64 * 1024);

        Assert.False(link.AddTransfer((64 * 1024) - 1, TimeSpan.FromMilliseconds(10), TimeSpan.Zero));
        Assert.True(link.AddTransfer(64 * 1024, TimeSpan.FromMilliseconds(10), TimeSpan.Zero));

        Assert.Equal(64 * 1024 * 8 / 0.010, link.ThroughputBitsPerSecond, 3);
        Assert.Equal(1, link.ThroughputSamples);
    }

    // The demo's cold first transfer (516 KB in 196 ms on a 200 Mbit/s link) is the estimate only
    // while it is the only sample; two good samples outvote it (a moving average with weight 0.3
    // would still be at 126 Mbit/s after two and 161 after four).
    [Fact]
    public void AddTransfer_OneSlowSampleThenGoodOnes_MedianDiscardsTheOutlier()
    {
        var link = new LinkEstimator(100e6);
        Assert.True(link.AddTransfer(516_000, TimeSpan.FromMilliseconds(196), TimeSpan.Zero));
        Assert.Equal(516_000 * 8 / 0.196, link.ThroughputBitsPerSecond, 1);

        Assert.True(link.AddTransfer(1_000_000, TimeSpan.FromMilliseconds(40), TimeSpan.Zero));
        Assert.True(link.AddTransfer(1_000_000, TimeSpan.FromMilliseconds(40), TimeSpan.Zero));

        Assert.Equal(200e6, link.ThroughputBitsPerSecond, 1);
    }

    [Fact]
    public void AddTransfer_LinkSlowsDown_EstimateFollowsWithinTheWindow()
    {
        var link = new LinkEstimator(100e6);
        for (var i = 0; i < LinkEstimator.ThroughputWindow; i++)
        {
            Assert.True(link.AddTransfer(1_000_000, TimeSpan.FromMilliseconds(40), TimeSpan.Zero));
        }

        // Three samples at 20 Mbit/s are the majority of the five-sample window.
        for (var i = 0; i < 3; i++)
        {
            Assert.True(link.AddTransfer(1_000_000, TimeSpan.FromMilliseconds(400), TimeSpan.Zero));
        }

        Assert.Equal(20e6, link.ThroughputBitsPerSecond, 1);
        Assert.Equal(LinkEstimator.ThroughputWindow + 3, link.ThroughputSamples);
    }

    [Fact]
    public void Constructor_NegativeMinimumSampleSize_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LinkEstimator(1e6, minimumSampleBytes: -1));
}
