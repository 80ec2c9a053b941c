using EdgeAgent.Contracts.V1;
using EdgeAgent.Inference.Execution;
using Google.Protobuf.WellKnownTypes;

namespace EdgeAgent.Node.Peer;

/// <summary>Converts executor snapshots to the wire's <see cref="LoadReport"/>.</summary>
public static class LoadReports
{
    /// <summary>
    /// A LoadReport of <paramref name="snapshot"/>. Models lists every served model (variants
    /// aggregated: mean execution time weighted by completions; the execution-time line in the
    /// input size of the variant with the most completions), including ones not yet run.
    /// </summary>
    public static LoadReport FromSnapshot(LoadSnapshot snapshot, ModelCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(catalog);
        var report = new LoadReport
        {
            Timestamp = Timestamp.FromDateTimeOffset(snapshot.Timestamp),
            Queued = (uint)snapshot.Queued,
            Running = (uint)snapshot.Running,
            HistogramBinWidthMs = snapshot.HistogramBinMs,
            ServiceRatePerSecond = snapshot.ServiceRatePerSecond,
            MaxConcurrency = (uint)snapshot.MaxConcurrency,
            QueueCapacity = (uint)snapshot.QueueCapacity,
            TotalResidualWorkMs = snapshot.TotalResidualWorkMs,
        };
        foreach (var count in snapshot.ResidualWorkHistogram)
        {
            report.ResidualWorkHistogram.Add((uint)count);
        }

        foreach (var model in catalog.Models)
        {
            long completed = 0;
            double weighted = 0;
            ModelLoadStats? most = null;
            foreach (var stats in snapshot.Models)
            {
                if (stats.Name == model.Name && stats.Version == model.VersionString)
                {
                    completed += stats.Completed;
                    weighted += stats.MeanExecMs * stats.Completed;
                    if (most is null || stats.Completed > most.Completed)
                    {
                        most = stats;
                    }
                }
            }

            // The line of the variant that ran most (the one requests get).
            var line = most?.ExecLine ?? ExecTimeLine.None;
            report.Models.Add(new ModelLoad
            {
                Name = model.Name,
                Version = model.VersionString,
                MeanExecMs = completed > 0 ? weighted / completed : 0,
                Completed = (ulong)completed,
                ExecInterceptMs = line.IsUsable ? line.InterceptMs : 0,
                ExecMsPerByte = line.IsUsable ? line.MsPerByte : 0,
                ExecMinBytes = line.IsUsable ? (ulong)line.MinBytes : 0,
                ExecMaxBytes = line.IsUsable ? (ulong)line.MaxBytes : 0,
            });
        }

        return report;
    }
}
