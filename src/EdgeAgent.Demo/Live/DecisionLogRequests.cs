using System.Globalization;
using System.Text.Json;
using EdgeAgent.Core.Observation;
using EdgeAgent.Learning.Simulation.Agent.Calibration;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Demo.Live;

/// <summary>The requests of a decision log as calibration and eval live read them: the rows in the agent's observation layout.</summary>
/// <param name="Database">The database file.</param>
/// <param name="Requests">Rows of the chosen layout, in the log's order.</param>
/// <param name="Layout">Their observation layout.</param>
/// <param name="LayoutName">The layout's name in the log.</param>
/// <param name="OtherRows">Rows in other layouts, left out.</param>
public sealed record DecisionLogRequests(string Database, IReadOnlyList<LoggedRequest> Requests, FeatureLayout Layout, string LayoutName, int OtherRows)
{
    /// <summary>Reads <paramref name="path"/> (rows at or after <paramref name="since"/>), keeping the agent-layout rows most of the log uses.</summary>
    /// <exception cref="DecisionDatabaseException">Missing, corrupt, foreign or newer database.</exception>
    /// <exception cref="CalibrationException">No rows, or none in an observation layout this build reads (one line).</exception>
    public static DecisionLogRequests Read(string path, DateTimeOffset? since = null)
    {
        using var database = DecisionDatabase.OpenForReading(path);
        var rows = database.Read(since).ToList();
        if (rows.Count == 0)
        {
            throw new CalibrationException($"Decision log '{database.FilePath}' holds no requests{(since is null ? "" : " since " + since.Value.ToString("u", CultureInfo.InvariantCulture))}; run the agent with its decision log on under the deployment's workload first.");
        }

        var problems = new List<string>();
        foreach (var group in rows.GroupBy(r => r.Layout, StringComparer.Ordinal).OrderByDescending(g => g.Count()))
        {
            FeatureLayout layout;
            try
            {
                var metadata = JsonSerializer.Deserialize<Dictionary<string, string>>(group.First().LayoutMetadata) ?? [];
                layout = FeatureLayout.FromMetadata(metadata);
            }
            catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
            {
                problems.Add($"'{group.Key}' cannot be read ({ex.Message})");
                continue;
            }

            if (!(layout.IsAgentLayout && layout.HistogramUnit == HistogramUnit.Seconds && layout.Profile == "agent"))
            {
                problems.Add($"'{group.Key}' is not the agent's observation layout");
                continue;
            }

            var requests = group.Select(r => new LoggedRequest
            {
                Timestamp = r.Timestamp,
                Model = r.Model,
                InputBytes = r.InputBytes,
                Candidates = r.Candidates,
                Features = r.Features,
                Mask = r.Mask,
                RanAt = r.RanAt,
                DelayWeight = r.DelayWeight,
                DelaySeconds = r.DelaySeconds,
                QueueSeconds = r.QueueSeconds,
                TransferSeconds = r.TransferSeconds,
                ExecSeconds = r.ExecSeconds,
                ComputeJoules = r.ComputeJoules,
                RadioJoules = r.RadioJoules,
                FallbackFrom = r.FallbackFrom,
                Success = r.Outcome == "ok",
            }).ToList();
            return new DecisionLogRequests(database.FilePath, requests, layout, group.Key, rows.Count - requests.Count);
        }

        throw new CalibrationException($"Decision log '{database.FilePath}': no row is in an observation layout this edgeagent reads ({string.Join("; ", problems)}); it was written by an older or other EdgeAgent.");
    }

    /// <summary>The calibration of these requests (<see cref="CalibrationFitter"/>), noting left-out rows.</summary>
    /// <exception cref="CalibrationException">Too few successful requests.</exception>
    public DeploymentCalibration Calibrate()
    {
        var calibration = CalibrationFitter.Fit(Requests, Layout, Database, LayoutName);
        return OtherRows == 0
            ? calibration
            : calibration with { Notes = [.. calibration.Notes, string.Create(CultureInfo.InvariantCulture, $"{OtherRows} rows in other layouts left out")] };
    }
}
