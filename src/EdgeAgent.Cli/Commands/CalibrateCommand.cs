using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Live;
using EdgeAgent.Learning.Simulation.Agent.Calibration;
using EdgeAgent.Node.Agent;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent calibrate --from-log DB`: the agent simulator's context fitted to a deployment's decision log.</summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var fromLog = new Option<string>("--from-log") { Description = "The agent's decision log (decisions.db).", Required = true }.MustNotBeEmpty();
        var output = new Option<string>("--out") { Description = "Calibration file to write.", DefaultValueFactory = _ => "calibration.json" };
        output.MustNotBeEmpty();
        var since = new Option<string?>("--since") { Description = "Only requests at or after this time: ISO 8601 or a duration back from now (90s, 15m, 2h, 7d)." };
        var clientCap = new Option<int>("--client-cap") { Description = "The client's cap on jobs in flight, written into the file for the simulator (an arrival due at the cap waits for a job to finish; the demo's driver: 8); the log cannot tell it. 0: open arrivals.", DefaultValueFactory = _ => 0 };
        var command = new Command("calibrate",
            "Fit the agent simulator's context to a deployment from its decision log: per peer round trip, uplink and downlink rates, speed and slots; per model and server execution times; the arrival process and workload mix; the device's power table; the empirical distributions (quantiles) they came from. Writes a versioned JSON file for `train --calibration` and `eval live`.");
        command.Options.Add(fromLog);
        command.Options.Add(output);
        command.Options.Add(since);
        command.Options.Add(clientCap);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            DateTimeOffset? from = null;
            if (parseResult.GetValue(since) is { } sinceText)
            {
                if (!LogCommand.TryParseSince(sinceText, TimeProvider.System.GetUtcNow(), out var parsed))
                {
                    await stderr.WriteLineAsync($"edgeagent calibrate: --since '{sinceText}' is neither an ISO 8601 time nor a duration (90s, 15m, 2h, 7d).");
                    return 2;
                }

                from = parsed;
            }

            if (parseResult.GetValue(clientCap) is var cap && cap is < 0 or > 1024)
            {
                await stderr.WriteLineAsync($"edgeagent calibrate: --client-cap must be between 0 and 1024, got {cap}.");
                return 2;
            }

            DeploymentCalibration calibration;
            try
            {
                calibration = FromLog(parseResult.GetValue(fromLog)!, from);
                calibration = calibration with { Arrivals = calibration.Arrivals with { ClientMaxInFlight = cap } };
            }
            catch (DecisionDatabaseException ex)
            {
                await stderr.WriteLineAsync("edgeagent calibrate: " + ex.Message);
                return 2;
            }
            catch (CalibrationException ex)
            {
                await stderr.WriteLineAsync("edgeagent calibrate: " + ex.Message);
                return 2;
            }

            var path = parseResult.GetValue(output)!;
            try
            {
                calibration.Write(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"edgeagent calibrate: cannot write '{path}': {ex.Message}");
                return 1;
            }

            await stdout.WriteLineAsync(Summary(calibration, Path.GetFullPath(path)));
            return 0;
        });
        return command;
    }

    /// <summary>Reads the log's requests in its agent layout and fits the calibration.</summary>
    /// <exception cref="DecisionDatabaseException">Missing, corrupt, foreign or newer database.</exception>
    /// <exception cref="CalibrationException">Empty, too few requests, or an observation layout calibration cannot read.</exception>
    internal static DeploymentCalibration FromLog(string path, DateTimeOffset? since = null) => DecisionLogRequests.Read(path, since).Calibrate();

    internal static string Summary(DeploymentCalibration c, string path)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(inv, $"Calibration of {c.Source.Requests} requests ({c.Source.From:u} to {c.Source.To:u}) written to {path}");
        sb.AppendLine(inv, $"device: {c.Device.LocalConcurrency} slot(s); power {c.Device.IdleWatts:0.##}/{c.Device.BusyWatts:0.##}/{c.Device.RadioWatts:0.##}/{c.Device.WaitWatts:0.##} W idle/busy/radio/wait ({c.Device.PowerSource}); exec jitter sigma {c.Device.ExecJitterSigma:0.###}");
        sb.AppendLine(inv, $"arrivals: {c.Arrivals.Kind}, {c.Arrivals.JobsPerSecond:0.###} jobs/s (gap CV {c.Arrivals.CoefficientOfVariation:0.##}){(c.Arrivals.ClientMaxInFlight > 0 ? string.Create(inv, $", client cap {c.Arrivals.ClientMaxInFlight} jobs in flight") : "")}; workloads: {string.Join(", ", c.Arrivals.Workloads.Select(w => string.Join(">", w.Stages) + (w.Stages.Count > 1 ? string.Create(inv, $" ({w.LinesMin}-{w.LinesMax} lines)") : "")))}");
        sb.AppendLine("model        requests  request B  response B  (record)  device ms  source     measured exec p50 ms by server");
        foreach (var m in c.Models)
        {
            sb.AppendLine(inv, $"{m.Name,-12} {m.Requests,8} {m.RequestBytes,10} {m.ResponseBytes,11} {(m.ObservedResponseBytes > 0 ? m.ObservedResponseBytes : m.ResponseBytes),9} {m.DeviceExecSeconds * 1000,10:0.##}  {m.DeviceExecSource,-9}  {string.Join(", ", m.ExecSeconds.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => string.Create(inv, $"{e.Key} {e.Value.Median * 1000:0.##} (n {e.Value.Count})")))}");
        }

        sb.AppendLine("peer         requests  rtt ms  up Mbit/s  down Mbit/s  one rate    speed  slots  link");
        foreach (var p in c.Peers)
        {
            var up = p.UplinkBitsPerSecond > 0 ? p.UplinkBitsPerSecond : p.BitsPerSecond;
            var down = p.DownlinkBitsPerSecond > 0 ? p.DownlinkBitsPerSecond : p.BitsPerSecond;
            sb.AppendLine(inv, $"{p.Name,-12} {p.Requests,8} {p.RoundTripSeconds * 1000,7:0.##} {up / 1e6,10:0.#} {down / 1e6,12:0.#} {p.BitsPerSecond / 1e6,9:0.#} {p.Speed,8:0.###} {p.Concurrency,6}  {p.LinkSource}");
            foreach (var (model, residual) in p.WireResidualSeconds.OrderBy(r => r.Key, StringComparer.Ordinal))
            {
                sb.AppendLine(inv, $"  {model,-10} wire time less the fitted link, ms: p5 {residual.Quantile(0.05) * 1000:+0.0;-0.0} p50 {residual.Median * 1000:+0.0;-0.0} p95 {residual.Quantile(0.95) * 1000:+0.0;-0.0} (mean {residual.Mean * 1000:+0.00;-0.00}, n {residual.Count})");
            }
        }

        foreach (var note in c.Notes)
        {
            sb.AppendLine("note: " + note);
        }

        return sb.ToString().TrimEnd();
    }
}
