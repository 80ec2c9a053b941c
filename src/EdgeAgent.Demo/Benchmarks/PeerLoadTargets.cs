namespace EdgeAgent.Demo.Benchmarks;

/// <summary>Issue 17's targets over the points of one <see cref="PeerLoadBenchmark"/> run (every ratio within the run).</summary>
public static class PeerLoadTargets
{
    /// <summary>
    /// Per model: batched peer throughput at the most clients over the in-process ceiling (at least
    /// 0.9; also from CPU time per item when measured: ceiling CPU ms/item over the peer path's) and
    /// over the unbatched peer (above 1); batched p99 over unbatched p99 at 8 clients, or
    /// the fewest measured (at most 2); per group point, the largest deviation of a member's request
    /// count from the members' mean (at most 0.10; the survivors when a member was killed) and, with a
    /// member killed, the requests the group failed (0).
    /// </summary>
    public static IEnumerable<((string Model, string Figure) Name, double Value, string Target, bool Met)> Evaluate(IReadOnlyList<PeerLoadPoint> points, IReadOnlyList<int> clients)
    {
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(clients);
        var most = clients.Max();
        var few = clients.Contains(8) ? 8 : clients.Min();
        foreach (var model in points.Select(p => p.Model).Distinct())
        {
            var mine = points.Where(p => p.Model == model).ToList();
            var ceiling = mine.Where(p => p.Clients == 0).MaxBy(p => p.ItemsPerSecond);
            PeerLoadPoint? Single(bool batched, int n) => mine.FirstOrDefault(p => p.Clients == n && !p.Setup.Contains("group", StringComparison.Ordinal) && p.Setup.StartsWith(batched ? "peer batched" : "peer", StringComparison.Ordinal) && (batched || !p.Setup.Contains("batched", StringComparison.Ordinal)));
            var batchedMost = Single(true, most);
            var plainMost = Single(false, most);
            if (ceiling is not null && batchedMost is not null)
            {
                var ratio = batchedMost.ItemsPerSecond / ceiling.ItemsPerSecond;
                yield return ((model, $"batched peer at {most} clients / ORT at batch {ceiling.MeanBatch:0}"), ratio, ">= 0.90 x", ratio >= 0.9);

                // The same ratio from CPU time per item (ORT's / the peer path's, clients included):
                // what the throughput ratio would be if each had the machine's CPU to itself, so it
                // separates the peer path's cost from other processes' load.
                if (double.IsFinite(ceiling.CpuMsPerItem) && double.IsFinite(batchedMost.CpuMsPerItem) && batchedMost.CpuMsPerItem > 0)
                {
                    var cpuRatio = ceiling.CpuMsPerItem / batchedMost.CpuMsPerItem;
                    yield return ((model, $"batched peer at {most} clients / ORT at batch {ceiling.MeanBatch:0}, by CPU ms per item (load-insensitive)"), cpuRatio, ">= 0.90 x", cpuRatio >= 0.9);
                }
            }

            if (plainMost is not null && batchedMost is not null)
            {
                var ratio = batchedMost.ItemsPerSecond / plainMost.ItemsPerSecond;
                yield return ((model, $"batched / unbatched peer throughput at {most} clients"), ratio, "> 1.00 x", ratio > 1);
            }

            var batchedFew = Single(true, few);
            var plainFew = Single(false, few);
            if (batchedFew is not null && plainFew is not null)
            {
                var ratio = batchedFew.P99Ms / plainFew.P99Ms;
                yield return ((model, $"batched / unbatched p99 at {few} clients"), ratio, "<= 2.00 x", ratio <= 2);
            }

            // A group: every member within 10 % of the mean count; with a member killed, no request lost.
            foreach (var group in mine.Where(p => p.MemberRequests.Count > 1))
            {
                var counts = group.MemberKilled ? group.MemberRequests.Skip(1).ToList() : group.MemberRequests.ToList();
                var mean = counts.Average();
                var spread = mean > 0 ? counts.Max(c => Math.Abs(c - mean)) / mean : double.NaN;
                yield return ((model, $"{group.Setup}: largest member deviation from the mean count{(group.MemberKilled ? " (survivors)" : "")}"), spread, "<= 0.10", spread <= 0.10);
                if (group.MemberKilled)
                {
                    yield return ((model, $"{group.Setup}: requests the group failed"), group.Failed, "0", group.Failed == 0);
                }
            }
        }
    }
}
