using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class LinkPacerTests
{
    [Fact]
    public async Task WaitAsync_TwoChunks_SecondWaitsForFirst()
    {
        var time = new FakeTimeProvider();
        var pacer = new LinkPacer(8000, time); // 1000 bytes per second

        var first = pacer.WaitAsync(1000, CancellationToken.None);
        var second = pacer.WaitAsync(1000, CancellationToken.None);
        Assert.False(first.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(second.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void WaitAsync_Unlimited_CompletesAtOnce()
    {
        var pacer = new LinkPacer(double.PositiveInfinity, new FakeTimeProvider());
        Assert.False(pacer.Limited);
        Assert.True(pacer.WaitAsync(1 << 20, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task SendAsync_EmulatedRtt_DelaysBeforeSendingAndAfterResponse()
    {
        var time = new FakeTimeProvider();
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var inner = new RecordingHandler(reached);
        using var handler = new EmulatedLinkHandler(new LinkEmulation(TimeSpan.FromMilliseconds(100), double.PositiveInfinity), time, inner);
        using var invoker = new HttpMessageInvoker(handler);
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://peer.test/");

        var send = invoker.SendAsync(request, CancellationToken.None);
        Assert.False(reached.Task.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(50));
        await reached.Task.WaitAsync(TimeSpan.FromSeconds(5));

        // The response waits the other half; step fake time until it arrives and count the steps.
        var advancedMs = 0;
        while (!send.IsCompleted && advancedMs < 1000)
        {
            await Task.Delay(1);
            time.Advance(TimeSpan.FromMilliseconds(1));
            advancedMs++;
        }

        using var response = await send.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.InRange(advancedMs, 50, 1000);
    }

    private sealed class RecordingHandler(TaskCompletionSource reached) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            reached.TrySetResult();
            return Task.FromResult(new HttpResponseMessage(System.Net.HttpStatusCode.OK));
        }
    }
}
