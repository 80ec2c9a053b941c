using EdgeAgent.Demo.Ocr;

namespace EdgeAgent.Demo.Cluster;

/// <summary>
/// Drives OCR items through a pipeline at a fixed arrival rate for a fixed time, with at most
/// <see cref="MaxInFlight"/> items in flight (arrivals wait for a slot, so an overloaded system
/// slows the arrivals instead of piling up work). Arrivals are on a fixed schedule (item k at
/// k / rate) and the items come from the workload's seeded Random, so two runs with the same
/// settings send the same items at the same times unless <see cref="LateArrivals"/> says the
/// in-flight cap delayed some.
/// </summary>
public sealed class WorkloadDriver
{
    private readonly TimeProvider _time;

    /// <summary>Creates a driver on <paramref name="time"/>.</summary>
    public WorkloadDriver(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>Arrivals of the last run that waited for an in-flight slot (sent later than scheduled).</summary>
    public int LateArrivals { get; private set; }

    /// <summary>The default of <see cref="MaxInFlight"/> (the demo's and eval live's driver; the simulator's prediction models it).</summary>
    public const int DefaultMaxInFlight = 8;

    /// <summary>Items allowed in flight at once.</summary>
    public int MaxInFlight { get; init; } = DefaultMaxInFlight;

    /// <summary>Runs items at <paramref name="ratePerSecond"/> for <paramref name="duration"/>, then waits for those in flight.</summary>
    public async Task RunAsync(OcrPipeline pipeline, OcrWorkload workload, DemoStatistics statistics, double ratePerSecond, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(workload);
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ratePerSecond);
        var interval = TimeSpan.FromSeconds(1.0 / ratePerSecond);
        using var slots = new SemaphoreSlim(MaxInFlight, MaxInFlight);
        var running = new List<Task>();
        var start = _time.GetTimestamp();
        var next = TimeSpan.Zero;
        LateArrivals = 0;
        try
        {
            while (next < duration && !cancellationToken.IsCancellationRequested)
            {
                var wait = next - _time.GetElapsedTime(start);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                }

                if (!slots.Wait(0, CancellationToken.None))
                {
                    LateArrivals++;
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                var item = workload.Next();
                running.Add(RunOneAsync(pipeline, item, statistics, slots, cancellationToken));
                running.RemoveAll(t => t.IsCompleted);
                next += interval;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private static async Task RunOneAsync(OcrPipeline pipeline, OcrItem item, DemoStatistics statistics, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Yield();
            await OcrWorkload.ReadAsync(pipeline, item, statistics, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // A failed item is counted and shown; the demo goes on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            statistics.AddFailure(ex.GetType().Name + ": " + ex.Message);
        }
        finally
        {
            slots.Release();
        }
    }
}
