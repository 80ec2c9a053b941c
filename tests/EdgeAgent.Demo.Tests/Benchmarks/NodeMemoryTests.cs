using System.Net;
using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.Demo.Tests.Benchmarks;

public sealed class NodeMemoryTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    // What the OpenTelemetry Prometheus exporter writes for the runtime's meter (abridged).
    private const string Exposition = """
        # TYPE dotnet_gc_last_collection_heap_size_bytes gauge
        # UNIT dotnet_gc_last_collection_heap_size_bytes bytes
        dotnet_gc_last_collection_heap_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="gen0"} 1048576 1733300000000
        dotnet_gc_last_collection_heap_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="gen2"} 10485760 1733300000000
        dotnet_gc_last_collection_heap_size_bytes{otel_scope_name="System.Runtime",gc_heap_generation="loh"} 2097152 1733300000000
        # TYPE dotnet_gc_last_collection_memory_committed_size_bytes gauge
        dotnet_gc_last_collection_memory_committed_size_bytes{otel_scope_name="System.Runtime"} 31457280 1733300000000
        # TYPE rpc_server_duration_milliseconds histogram
        rpc_server_duration_milliseconds_count{rpc_method="ModelInfer"} 99
        """;

    private readonly string _root = Path.Combine(Path.GetTempPath(), "edgeagent-nodememory-test-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public void ReadStatus_StatusFile_SplitsResidentMemoryInBytes()
    {
        Directory.CreateDirectory(Path.Combine(_root, "42"));
        File.WriteAllText(Path.Combine(_root, "42", "status"), "Name:\tedgeagent\nVmRSS:\t  200000 kB\nRssAnon:\t   80000 kB\nRssFile:\t   88000 kB\nRssShmem:\t   32000 kB\nThreads:\t20\n");

        var sample = NodeMemory.ReadStatus(42, _root);

        Assert.Equal(new NodeMemorySample(200000L * 1024, 80000L * 1024, 88000L * 1024, 32000L * 1024, null, null), sample);
        Assert.Equal(120000L * 1024, sample!.Code);
        Assert.Null(sample.Native);
        Assert.Null(NodeMemory.ReadStatus(7, _root));
    }

    [Fact]
    public void ReadStatus_ThisProcess_HasAnonymousMemory()
    {
        var sample = NodeMemory.ReadStatus(Environment.ProcessId);

        Assert.NotNull(sample);
        Assert.True(sample.Anonymous > 0 && sample.Anonymous <= sample.Resident);
    }

    [Fact]
    public void ParseRuntimeMetrics_RuntimeMeter_SumsTheHeapOverGenerationsAndReadsCommitted()
    {
        var (heap, committed) = NodeMemory.ParseRuntimeMetrics(Exposition);

        Assert.Equal(13L * 1048576, heap);
        Assert.Equal(30L * 1048576, committed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# TYPE rpc_server_duration_milliseconds histogram\nrpc_server_duration_milliseconds_count 3\n")]
    [InlineData("dotnet_gc_last_collection_heap_size_bytes{gc_heap_generation=\"gen0\"} NaN\ndotnet_gc_last_collection_memory_committed_size_bytes\n")]
    public void ParseRuntimeMetrics_NoUsableSample_Nulls(string text)
    {
        var (heap, committed) = NodeMemory.ParseRuntimeMetrics(text);

        Assert.Null(heap);
        Assert.Null(committed);
    }

    [Fact]
    public void Native_AnonymousLessCommitted_NeverNegative()
    {
        var sample = new NodeMemorySample(200, 80, 90, 30, 20, 50);

        Assert.Equal((long?)30, sample.Native);
        Assert.Equal((long?)0, (sample with { GcCommitted = 100 }).Native);
    }

    [Fact]
    public void Describe_Samples_MeansOfTheFirstAndLastFifth()
    {
        const long Mb = 1048576;
        var samples = Enumerable.Range(0, 10)
            .Select(i => new NodeMemorySample((100 + i) * Mb, (60 + i) * Mb, 30 * Mb, 10 * Mb, 10 * Mb, 20 * Mb))
            .ToList();

        var line = MemoryTrend.Describe(samples);

        // First fifth: rows 0-1 (RSS mean 100.5), last fifth: rows 8-9 (108.5): +8.0 %.
        Assert.Contains("first and the last 2 of 10 rows", line, StringComparison.Ordinal);
        Assert.Contains("RSS 100.5 -> 108.5 MB (+8.0%)", line, StringComparison.Ordinal);
        Assert.Contains("managed heap 10.0 -> 10.0 MB (+0.0%)", line, StringComparison.Ordinal);
        Assert.Contains("native (anonymous less GC committed) 40.5 -> 48.5 MB", line, StringComparison.Ordinal);
        Assert.Contains("code (mapped files and JIT) 40.0 -> 40.0 MB", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_WithoutRuntimeFiguresOrRows_SaysSo()
    {
        var samples = new[] { new NodeMemorySample(100, 60, 30, 10, null, null), new NodeMemorySample(110, 70, 30, 10, null, null) };

        Assert.Contains("managed heap -", MemoryTrend.Describe(samples), StringComparison.Ordinal);
        Assert.Contains("fewer than two rows", MemoryTrend.Describe(samples[..1]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RuntimeMemoryScraper_Endpoint_LatestHoldsTheScrapedFigures()
    {
        var handler = new FixedAnswer(Exposition);
        using var http = new HttpClient(handler);
        var scraper = new RuntimeMemoryScraper(http, new Uri("http://127.0.0.1:9/metrics"));
        using var stop = new CancellationTokenSource();

        Assert.Null(scraper.Latest.ManagedHeap);
        var run = scraper.RunAsync(TimeSpan.FromHours(1), stop.Token);
        await handler.Answered.Task.WaitAsync(Bound);
        // The figures are stored once the answer is read (bounded wait, nothing timed).
        var until = DateTime.UtcNow + Bound;
        while (scraper.Latest.ManagedHeap is null && DateTime.UtcNow < until)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        await run.WaitAsync(Bound);

        Assert.Equal(13L * 1048576, scraper.Latest.ManagedHeap);
        Assert.Equal(30L * 1048576, scraper.Latest.GcCommitted);
    }

    [Fact]
    public async Task RuntimeMemoryScraper_EndpointFails_KeepsNulls()
    {
        var handler = new FixedAnswer(null);
        using var http = new HttpClient(handler);
        var scraper = new RuntimeMemoryScraper(http, new Uri("http://127.0.0.1:9/metrics"));
        using var stop = new CancellationTokenSource();

        var run = scraper.RunAsync(TimeSpan.FromHours(1), stop.Token);
        await handler.Answered.Task.WaitAsync(Bound);
        await stop.CancelAsync();
        await run.WaitAsync(Bound);

        Assert.Null(scraper.Latest.ManagedHeap);
        Assert.Null(scraper.Latest.GcCommitted);
    }

    // Answers every request with the text (200) or, given null, with 503; Answered completes after the first.
    private sealed class FixedAnswer(string? text) : HttpMessageHandler
    {
        public TaskCompletionSource Answered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = text is null
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                : new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(text) };
            Answered.TrySetResult();
            return Task.FromResult(response);
        }
    }
}
