using System.Diagnostics;
using EdgeAgent.Demo.Cluster;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Latency figures of one measured operation.</summary>
/// <param name="Name">What was measured.</param>
/// <param name="Samples">Measured iterations (after warm-up).</param>
/// <param name="P50Ms">Median, milliseconds.</param>
/// <param name="P95Ms">95th percentile, milliseconds.</param>
/// <param name="MeanMs">Mean, milliseconds.</param>
public sealed record LatencyResult(string Name, int Samples, double P50Ms, double P95Ms, double MeanMs);

/// <summary>Times an asynchronous operation: warm-up iterations, then measured ones, one at a time.</summary>
public static class LatencySampler
{
    /// <summary>Runs <paramref name="operation"/> <paramref name="warmup"/> times unmeasured, then <paramref name="iterations"/> times measured.</summary>
    public static async Task<LatencyResult> MeasureAsync(string name, Func<CancellationToken, Task> operation, int warmup, int iterations, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operation);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        for (var i = 0; i < warmup; i++)
        {
            await operation(cancellationToken).ConfigureAwait(false);
        }

        var samples = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await operation(cancellationToken).ConfigureAwait(false);
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        return new LatencyResult(name, iterations, Percentiles.Of(samples, 50), Percentiles.Of(samples, 95), samples.Average());
    }

    /// <summary>
    /// Measures several operations interleaved round by round (A, B, C, A, B, C, ...), so that
    /// slow drifts of a shared machine's load affect every operation alike.
    /// </summary>
    public static Task<IReadOnlyList<LatencyResult>> MeasureInterleavedAsync(IReadOnlyList<(string Name, Func<CancellationToken, Task> Operation)> operations, int warmup, int iterations, CancellationToken cancellationToken) =>
        MeasureInterleavedAsync(operations, warmup, iterations, measuring: null, cancellationToken);

    /// <summary>
    /// As <see cref="MeasureInterleavedAsync(IReadOnlyList{ValueTuple{string, Func{CancellationToken, Task}}}, int, int, CancellationToken)"/>;
    /// <paramref name="measuring"/> runs once after the warm-up, right before the first measured round
    /// (to read counters such as a process's CPU time over exactly the measured rounds).
    /// </summary>
    public static async Task<IReadOnlyList<LatencyResult>> MeasureInterleavedAsync(IReadOnlyList<(string Name, Func<CancellationToken, Task> Operation)> operations, int warmup, int iterations, Action? measuring, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(iterations);
        for (var i = 0; i < warmup; i++)
        {
            foreach (var (_, operation) in operations)
            {
                await operation(cancellationToken).ConfigureAwait(false);
            }
        }

        measuring?.Invoke();
        var samples = operations.Select(_ => new double[iterations]).ToArray();
        for (var i = 0; i < iterations; i++)
        {
            // The order rotates each round, so no operation always runs first (or right after another).
            for (var j = 0; j < operations.Count; j++)
            {
                var k = (i + j) % operations.Count;
                var started = Stopwatch.GetTimestamp();
                await operations[k].Operation(cancellationToken).ConfigureAwait(false);
                samples[k][i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            }
        }

        return operations.Select((o, k) => new LatencyResult(o.Name, iterations, Percentiles.Of(samples[k], 50), Percentiles.Of(samples[k], 95), samples[k].Average())).ToArray();
    }
}
