namespace EdgeAgent.Demo.Cluster;

/// <summary>Figures of one placement in the demo's table.</summary>
/// <param name="Placement">"local", "peer:edge", ...</param>
/// <param name="Requests">ModelInfer calls that ran there.</param>
/// <param name="P50Ms">Median client-measured latency.</param>
/// <param name="P95Ms">95th percentile latency.</param>
/// <param name="MeanExecMs">Mean execution time reported by the executor.</param>
/// <param name="EnergyJoules">Energy of this device for those calls, summed (filled from the agent's decision log).</param>
public sealed record PlacementRow(string Placement, int Requests, double P50Ms, double P95Ms, double MeanExecMs, double EnergyJoules);

/// <summary>A consistent copy of the demo's figures.</summary>
/// <param name="Rows">One row per placement, local first.</param>
/// <param name="Items">OCR items (rendered images) completed.</param>
/// <param name="FailedItems">Items whose calls failed.</param>
/// <param name="CharacterAccuracy">Corpus character accuracy over completed items.</param>
/// <param name="ExactLines">Items read exactly.</param>
/// <param name="ItemP50Ms">Median end-to-end time of an item (detection, crops, recognitions).</param>
/// <param name="ItemP95Ms">95th percentile item time.</param>
/// <param name="LastError">The latest failure, if any.</param>
public sealed record DemoSnapshot(IReadOnlyList<PlacementRow> Rows, int Items, int FailedItems, double CharacterAccuracy, int ExactLines, double ItemP50Ms, double ItemP95Ms, string? LastError)
{
    /// <summary>All calls.</summary>
    public int Requests => Rows.Sum(r => r.Requests);

    /// <summary>Calls that ran on this device.</summary>
    public int LocalRequests => Rows.Where(r => r.Placement.StartsWith("local", StringComparison.Ordinal)).Sum(r => r.Requests);

    /// <summary>Calls that ran on a peer.</summary>
    public int OffloadedRequests => Rows.Where(r => r.Placement.StartsWith("peer:", StringComparison.Ordinal)).Sum(r => r.Requests);
}

/// <summary>Thread-safe accumulator of the demo's calls and items.</summary>
public sealed class DemoStatistics
{
    private readonly object _gate = new();
    private readonly Dictionary<string, List<(double Latency, double ExecMs)>> _byPlacement = new(StringComparer.Ordinal);
    private readonly List<double> _itemSeconds = [];
    private readonly Ocr.CharacterAccuracy _accuracy = new();
    private int _failed;
    private string? _lastError;

    /// <summary>Adds one call.</summary>
    public void Add(InferCallRecord call)
    {
        ArgumentNullException.ThrowIfNull(call);
        lock (_gate)
        {
            if (!_byPlacement.TryGetValue(call.Placement, out var list))
            {
                _byPlacement[call.Placement] = list = [];
            }

            list.Add((call.LatencySeconds, call.ExecMs));
        }
    }

    /// <summary>Adds one completed item: its known text and what the pipeline read.</summary>
    public void AddItem(string expected, string recognised, double seconds)
    {
        lock (_gate)
        {
            _accuracy.Add(expected, recognised);
            _itemSeconds.Add(seconds);
        }
    }

    /// <summary>Adds one failed item.</summary>
    public void AddFailure(string error)
    {
        lock (_gate)
        {
            _failed++;
            _lastError = error;
        }
    }

    /// <summary>Each completed item's end-to-end time in seconds, in completion order (a copy).</summary>
    public IReadOnlyList<double> ItemSeconds()
    {
        lock (_gate)
        {
            return [.. _itemSeconds];
        }
    }

    /// <summary>A consistent copy of the figures.</summary>
    public DemoSnapshot Snapshot()
    {
        lock (_gate)
        {
            var rows = _byPlacement
                .OrderBy(p => p.Key.StartsWith("local", StringComparison.Ordinal) ? 0 : 1)
                .ThenBy(p => p.Key, StringComparer.Ordinal)
                .Select(p => new PlacementRow(
                    p.Key,
                    p.Value.Count,
                    Percentiles.Of(p.Value.Select(v => v.Latency * 1000).ToArray(), 50),
                    Percentiles.Of(p.Value.Select(v => v.Latency * 1000).ToArray(), 95),
                    p.Value.Where(v => !double.IsNaN(v.ExecMs)).Select(v => v.ExecMs).DefaultIfEmpty(double.NaN).Average(),
                    0))
                .ToArray();
            return new DemoSnapshot(
                rows,
                _accuracy.Lines,
                _failed,
                _accuracy.Value,
                _accuracy.ExactLines,
                Percentiles.Of(_itemSeconds.Select(s => s * 1000).ToArray(), 50),
                Percentiles.Of(_itemSeconds.Select(s => s * 1000).ToArray(), 95),
                _lastError);
        }
    }
}
