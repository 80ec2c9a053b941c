using System.Globalization;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// One sample of a node process's memory: its resident set as Linux splits it (/proc/PID/status:
/// anonymous pages; pages of mapped files, the binaries and assemblies; shared memory, which for a
/// .NET process is the JIT's double-mapped code) and, when the node exports the runtime's meter
/// (Telemetry:RuntimeMetrics) on its Prometheus endpoint, the managed heap after the last garbage
/// collection and the memory the collector had committed then.
/// </summary>
/// <param name="Resident">VmRSS, bytes.</param>
/// <param name="Anonymous">RssAnon, bytes: the managed heap's committed pages and all native heaps (C runtime, ONNX Runtime, thread stacks).</param>
/// <param name="Files">RssFile, bytes: mapped files (code and read-only data of the binaries and assemblies).</param>
/// <param name="Shared">RssShmem, bytes: the JIT's code (mapped twice through a memory file, write and execute apart).</param>
/// <param name="ManagedHeap">Managed heap after the last collection (all generations), bytes; null when the node does not export it.</param>
/// <param name="GcCommitted">Memory the garbage collector had committed at the last collection, bytes; null when the node does not export it.</param>
public sealed record NodeMemorySample(long Resident, long Anonymous, long Files, long Shared, long? ManagedHeap, long? GcCommitted)
{
    /// <summary>Anonymous resident memory less the collector's committed memory: native allocations (a lower bound, since committed pages not yet touched are not resident); null without <see cref="GcCommitted"/>.</summary>
    public long? Native => GcCommitted is { } committed ? Math.Max(0, Anonymous - committed) : null;

    /// <summary>Mapped files and JIT code together: code, bounded by what the process loads and compiles.</summary>
    public long Code => Files + Shared;
}

/// <summary>Reads <see cref="NodeMemorySample"/>s.</summary>
public static class NodeMemory
{
    /// <summary>The runtime meter's managed heap size after the last collection, per generation (Prometheus name prefix).</summary>
    public const string HeapMetric = "dotnet_gc_last_collection_heap_size";

    /// <summary>The runtime meter's committed memory at the last collection (Prometheus name prefix).</summary>
    public const string CommittedMetric = "dotnet_gc_last_collection_memory_committed_size";

    /// <summary>VmRSS, RssAnon, RssFile and RssShmem of process <paramref name="pid"/>, or null when /proc does not say.</summary>
    public static NodeMemorySample? ReadStatus(int pid, string procRoot = "/proc")
    {
        var path = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture), "status");
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        long? Field(string name)
        {
            foreach (var line in lines)
            {
                if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length <= name.Length || line[name.Length] != ':')
                {
                    continue;
                }

                var parts = line[(name.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return parts.Length == 2 && parts[1] == "kB" && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
            }

            return null;
        }

        return Field("VmRSS") is { } rss
            ? new NodeMemorySample(rss, Field("RssAnon") ?? 0, Field("RssFile") ?? 0, Field("RssShmem") ?? 0, null, null)
            : null;
    }

    /// <summary>
    /// The managed heap (summed over its generations) and the collector's committed memory from a
    /// Prometheus text exposition; each null when the text has no sample of it.
    /// </summary>
    public static (long? ManagedHeap, long? GcCommitted) ParseRuntimeMetrics(string exposition)
    {
        ArgumentNullException.ThrowIfNull(exposition);
        double? heap = null;
        double? committed = null;
        foreach (var raw in exposition.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var nameEnd = line.IndexOfAny(['{', ' ']);
            if (nameEnd <= 0)
            {
                continue;
            }

            var name = line[..nameEnd];
            var isHeap = name.StartsWith(HeapMetric, StringComparison.Ordinal);
            if (!isHeap && !name.StartsWith(CommittedMetric, StringComparison.Ordinal))
            {
                continue;
            }

            // The value follows the labels (which may hold spaces inside quotes); a timestamp may follow it.
            var close = line[nameEnd] == '{' ? line.LastIndexOf('}') : -1;
            var rest = close > 0 ? line[(close + 1)..] : line[nameEnd..];
            var fields = rest.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0 || !double.TryParse(fields[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                continue;
            }

            if (isHeap)
            {
                heap = (heap ?? 0) + value;
            }
            else
            {
                committed = (committed ?? 0) + value;
            }
        }

        return ((long?)heap, (long?)committed);
    }
}

/// <summary>
/// Scrapes a node's Prometheus endpoint for the runtime's managed heap and committed memory
/// (<see cref="NodeMemory.ParseRuntimeMetrics"/>) every interval in the background, so a slow
/// scrape never holds up the caller; <see cref="Latest"/> is the last answer.
/// </summary>
public sealed class RuntimeMemoryScraper(HttpClient http, Uri metrics)
{
    private readonly Lock _lock = new();
    private (long? ManagedHeap, long? GcCommitted) _latest;

    /// <summary>The last scrape's figures (nulls before the first answer, or when the node does not export them).</summary>
    public (long? ManagedHeap, long? GcCommitted) Latest
    {
        get
        {
            lock (_lock)
            {
                return _latest;
            }
        }
    }

    /// <summary>Scrapes now and then every <paramref name="interval"/> until <paramref name="cancellationToken"/> is cancelled; a failed scrape keeps the last figures.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(interval);
                var figures = NodeMemory.ParseRuntimeMetrics(await http.GetStringAsync(metrics, timeout.Token).ConfigureAwait(false));
                lock (_lock)
                {
                    _latest = figures;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
            {
                // Not answering now (a node starved of CPU, a build without the meter): the last figures stay.
            }

            try
            {
                await Task.Delay(interval, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>
/// How a node's memory moved over a run: the mean of the first and of the last fifth of its
/// samples (at least one each), per part, so one sample taken during a burst (a stopped peer's
/// waiting calls, a collection about to happen) does not decide the growth.
/// </summary>
public static class MemoryTrend
{
    /// <summary>One line for the soak's summary; says so when there are fewer than two samples.</summary>
    public static string Describe(IReadOnlyList<NodeMemorySample> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        if (samples.Count < 2)
        {
            return "  agent memory after warm-up: fewer than two rows, no trend";
        }

        var span = Math.Max(1, samples.Count / 5);
        var first = samples.Take(span).ToList();
        var last = samples.Skip(samples.Count - span).ToList();
        string Part(string name, Func<NodeMemorySample, long?> part)
        {
            var a = Mean(first, part);
            var b = Mean(last, part);
            if (a is null || b is null)
            {
                return $"{name} -";
            }

            var (from, to) = (a.Value, b.Value);
            var growth = from > 0 ? (to / from) - 1 : 0;
            return string.Create(CultureInfo.InvariantCulture, $"{name} {from / 1048576.0:0.0} -> {to / 1048576.0:0.0} MB ({growth:+0.0%;-0.0%})");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"  agent memory after warm-up, means of the first and the last {span} of {samples.Count} rows: {Part("RSS", s => s.Resident)}; {Part("managed heap", s => s.ManagedHeap)}; {Part("GC committed", s => s.GcCommitted)}; {Part("native (anonymous less GC committed)", s => s.Native)}; {Part("code (mapped files and JIT)", s => s.Code)}");
    }

    private static double? Mean(List<NodeMemorySample> samples, Func<NodeMemorySample, long?> part)
    {
        var values = samples.Select(part).Where(v => v is not null).Select(v => (double)v!.Value).ToList();
        return values.Count == samples.Count ? values.Average() : null;
    }
}
