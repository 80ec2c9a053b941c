namespace EdgeAgent.Learning.Nn;

/// <summary>
/// Splits a range of independent work items into at most one chunk per core. Small ranges run
/// inline: on two shared cores, a task per few rows costs more than it saves.
/// </summary>
internal static class Parallelism
{
    /// <summary>Worker count; at most the processor count.</summary>
    public static int MaxWorkers { get; set; } = Environment.ProcessorCount;

    /// <summary>Runs body(start, end) over [0, count) in contiguous chunks.</summary>
    /// <param name="count">Number of items.</param>
    /// <param name="workPerItem">Rough cost of one item in multiply-adds; decides whether splitting pays.</param>
    /// <param name="body">Processes items [start, end).</param>
    public static void For(int count, long workPerItem, Action<int, int> body)
    {
        const long MinWorkPerChunk = 200_000;
        var workers = (int)Math.Min(MaxWorkers, Math.Max(1, count * workPerItem / MinWorkPerChunk));
        workers = Math.Min(workers, count);
        if (workers <= 1)
        {
            body(0, count);
            return;
        }

        Parallel.For(0, workers, w =>
        {
            var start = (int)((long)count * w / workers);
            var end = (int)((long)count * (w + 1) / workers);
            body(start, end);
        });
    }
}
