namespace EdgeAgent.Inference.Execution;

/// <summary>
/// Gathers requests that can run together (same lane key: model, variant, datatypes and shapes but
/// the first dimension) into batches, as Triton's dynamic batcher does: a batch is formed when an
/// execution slot is free and either its requests fill <c>maxBatchSize</c> items or the oldest has
/// waited <c>maxQueueDelay</c>. While every slot is busy requests keep gathering, so under load
/// batches grow without any added wait; a lone request waits at most the delay.
/// One leader per lane waits for the delay and the slot, takes the batch, hands the lead to the
/// next waiting requests and runs its batch through the executor seam; each request gets its own
/// result (or the batch's failure). A request cancelled while waiting leaves its batch; one
/// cancelled while its batch runs does not stop the others, and its result is disposed.
/// </summary>
/// <typeparam name="TRequest">A request: its size along the batch dimension is given by the size function.</typeparam>
/// <typeparam name="TResult">A request's result; disposed when its caller has left.</typeparam>
public sealed class DynamicBatcher<TRequest, TResult>
    where TResult : IDisposable
{
    private readonly int _maxBatchSize;
    private readonly TimeSpan _maxQueueDelay;
    private readonly TimeProvider _time;
    private readonly Func<TRequest, int> _sizeOf;
    private readonly Func<CancellationToken, Task> _acquireSlot;
    private readonly Action _releaseSlot;
    private readonly Func<IReadOnlyList<TRequest>, Task<IReadOnlyList<TResult>>> _execute;
    private readonly Dictionary<object, Lane> _lanes = [];
    private readonly Lock _lock = new();

    /// <summary>Creates a batcher.</summary>
    /// <param name="maxBatchSize">Largest batch in items along the first dimension (at least 1).</param>
    /// <param name="maxQueueDelay">Longest the oldest request of a batch waits for more (0: take what is waiting).</param>
    /// <param name="time">Clock of the delay.</param>
    /// <param name="sizeOf">Items a request holds along the batch dimension (at least 1).</param>
    /// <param name="acquireSlot">Waits for an execution slot (the executor's concurrency limit).</param>
    /// <param name="releaseSlot">Gives the slot back after a batch has run.</param>
    /// <param name="execute">Runs one batch in the slot and returns one result per request, in order.</param>
    public DynamicBatcher(
        int maxBatchSize,
        TimeSpan maxQueueDelay,
        TimeProvider time,
        Func<TRequest, int> sizeOf,
        Func<CancellationToken, Task> acquireSlot,
        Action releaseSlot,
        Func<IReadOnlyList<TRequest>, Task<IReadOnlyList<TResult>>> execute)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueueDelay, TimeSpan.Zero);
        _maxBatchSize = maxBatchSize;
        _maxQueueDelay = maxQueueDelay;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _sizeOf = sizeOf ?? throw new ArgumentNullException(nameof(sizeOf));
        _acquireSlot = acquireSlot ?? throw new ArgumentNullException(nameof(acquireSlot));
        _releaseSlot = releaseSlot ?? throw new ArgumentNullException(nameof(releaseSlot));
        _execute = execute ?? throw new ArgumentNullException(nameof(execute));
    }

    /// <summary>Requests waiting to be taken into a batch, over every lane.</summary>
    public int Pending
    {
        get
        {
            lock (_lock)
            {
                return _lanes.Values.Sum(l => l.Entries.Count);
            }
        }
    }

    /// <summary>
    /// Queues <paramref name="request"/> in the lane of <paramref name="key"/> (requests of one key
    /// can be concatenated along the first dimension) and returns its own result once its batch has run.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired first.</exception>
    public async Task<TResult> RunAsync(object key, TRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var entry = new Entry(request, Math.Max(1, _sizeOf(request)), _time.GetTimestamp());
        bool lead;
        Lane lane;
        lock (_lock)
        {
            if (!_lanes.TryGetValue(key, out lane!))
            {
                lane = new Lane(key);
                _lanes[key] = lane;
            }

            lane.Entries.Add(entry);
            lane.PendingItems += entry.Size;
            lead = !lane.Leading;
            lane.Leading = true;
            if (!lead && lane.PendingItems >= _maxBatchSize)
            {
                lane.Full?.TrySetResult();
            }
        }

        if (lead)
        {
            _ = Task.Run(() => LeadAsync(lane), CancellationToken.None);
        }

        using var registration = cancellationToken.Register(() => Abandon(lane, entry, cancellationToken));
        return await entry.Completion.Task.ConfigureAwait(false);
    }

    private void Abandon(Lane lane, Entry entry, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (lane.Entries.Remove(entry))
            {
                lane.PendingItems -= entry.Size;
            }
        }

        // Taken into a running batch or not: the caller leaves now; a result that still arrives is disposed.
        entry.Completion.TrySetCanceled(cancellationToken);
    }

    private async Task LeadAsync(Lane lane)
    {
        while (true)
        {
            TaskCompletionSource? full = null;
            long oldest;
            lock (_lock)
            {
                if (lane.Entries.Count == 0)
                {
                    EndLead(lane);
                    return;
                }

                oldest = lane.Entries[0].EnqueuedAt;
                if (lane.PendingItems < _maxBatchSize)
                {
                    full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    lane.Full = full;
                }
            }

            if (full is not null)
            {
                var remaining = _maxQueueDelay - _time.GetElapsedTime(oldest);
                if (remaining > TimeSpan.Zero)
                {
                    using var stop = new CancellationTokenSource();
                    var delay = Task.Delay(remaining, _time, stop.Token);
                    await Task.WhenAny(full.Task, delay).ConfigureAwait(false);
                    await stop.CancelAsync().ConfigureAwait(false);
                }

                lock (_lock)
                {
                    lane.Full = null;
                }
            }

            await _acquireSlot(CancellationToken.None).ConfigureAwait(false);
            List<Entry> batch;
            bool handOff;
            lock (_lock)
            {
                batch = Take(lane);
                handOff = lane.Entries.Count > 0;
                if (!handOff)
                {
                    EndLead(lane);
                }
            }

            if (batch.Count == 0)
            {
                // Every waiting request left while the slot was awaited.
                _releaseSlot();
                return;
            }

            // Requests left behind get a new leader now, so batches of one lane form and run
            // side by side when the executor has more than one slot.
            if (handOff)
            {
                _ = Task.Run(() => LeadAsync(lane), CancellationToken.None);
            }

            await RunBatchAsync(batch).ConfigureAwait(false);
            return;
        }
    }

    // The lead ends with the lane empty; a request arriving afterwards starts a new one.
    private void EndLead(Lane lane)
    {
        lane.Leading = false;
        if (lane.Entries.Count == 0)
        {
            _lanes.Remove(lane.Key);
        }
    }

    private List<Entry> Take(Lane lane)
    {
        var batch = new List<Entry>();
        var items = 0;
        while (lane.Entries.Count > 0)
        {
            var next = lane.Entries[0];
            if (batch.Count > 0 && items + next.Size > _maxBatchSize)
            {
                break;
            }

            lane.Entries.RemoveAt(0);
            lane.PendingItems -= next.Size;
            batch.Add(next);
            items += next.Size;
            if (items >= _maxBatchSize)
            {
                break;
            }
        }

        return batch;
    }

    private async Task RunBatchAsync(List<Entry> batch)
    {
        try
        {
            var results = await _execute(batch.Select(e => e.Request).ToArray()).ConfigureAwait(false);
            if (results.Count != batch.Count)
            {
                foreach (var result in results)
                {
                    result.Dispose();
                }

                throw new InvalidOperationException($"The batch of {batch.Count} requests returned {results.Count} results.");
            }

            for (var i = 0; i < batch.Count; i++)
            {
                if (!batch[i].Completion.TrySetResult(results[i]))
                {
                    results[i].Dispose();
                }
            }
        }
        catch (Exception ex)
        {
            foreach (var entry in batch)
            {
                entry.Completion.TrySetException(ex);
            }
        }
        finally
        {
            _releaseSlot();
        }
    }

    private sealed class Lane(object key)
    {
        public object Key { get; } = key;

        public List<Entry> Entries { get; } = [];

        public int PendingItems { get; set; }

        public bool Leading { get; set; }

        public TaskCompletionSource? Full { get; set; }
    }

    private sealed class Entry(TRequest request, int size, long enqueuedAt)
    {
        public TRequest Request { get; } = request;

        public int Size { get; } = size;

        public long EnqueuedAt { get; } = enqueuedAt;

        public TaskCompletionSource<TResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
