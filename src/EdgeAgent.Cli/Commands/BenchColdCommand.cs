using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench cold`: concurrent large requests on freshly started nodes (issue 13).</summary>
internal static class BenchColdCommand
{
    public static Command Create()
    {
        var command = new Command("cold",
            "The cold-node test (issue 13): per trial a new `edgeagent peer` (and a new `edgeagent agent --policy local`) process on 127.0.0.1 gets 64 x 512 KB, then (on another new process) 24 x 2 MB concurrent requests on one connection while ServerLive is probed on another; a trial stalls when a request does not end OK within --deadline or a probe takes over 5 s. Prints each trial and a summary per case; exits 1 when any trial stalled.");
        var trials = new Option<int>("--trials") { Description = "Trials per case and role.", DefaultValueFactory = _ => 20 };
        var role = new Option<string>("--role") { Description = "peer, agent or both.", DefaultValueFactory = _ => "both" };
        var deadline = new Option<double>("--deadline") { Description = "Seconds each request may take.", DefaultValueFactory = _ => 60 };
        var cases = new Option<string>("--case") { Description = "512k (64 x 512 KB), 2m (24 x 2 MB) or both.", DefaultValueFactory = _ => "both" };
        command.Options.Add(trials);
        command.Options.Add(cases);
        command.Options.Add(role);
        command.Options.Add(deadline);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var output = parseResult.InvocationConfiguration.Output;
            var roles = parseResult.GetValue(role) switch
            {
                "peer" => new[] { "peer" },
                "agent" => ["agent"],
                "both" => ["peer", "agent"],
                var other => null,
            };
            IReadOnlyList<(int, int)>? selected = parseResult.GetValue(cases) switch
            {
                "512k" => [(64, 512 * 1024)],
                "2m" => [(24, 2 * 1024 * 1024)],
                "both" => [(64, 512 * 1024), (24, 2 * 1024 * 1024)],
                _ => null,
            };
            if (roles is null || selected is null || parseResult.GetValue(trials) < 1 || !(parseResult.GetValue(deadline) > 0) || parseResult.GetValue(deadline) > 3600)
            {
                await error.WriteLineAsync("edgeagent bench cold: --role must be peer, agent or both, --case 512k, 2m or both, --trials at least 1 and --deadline above 0 and at most 3600 seconds.");
                return 2;
            }

            if (BenchCommand.SelfCommand() is not var (executable, leading))
            {
                await error.WriteLineAsync("edgeagent bench cold: cannot tell how this edgeagent was started, so it cannot start node processes.");
                return 1;
            }

            var settings = new ColdNodeSettings
            {
                Launch = new NodeLaunch { Executable = executable, LeadingArguments = leading },
                Trials = parseResult.GetValue(trials),
                Roles = roles,
                Cases = selected,
                Deadline = TimeSpan.FromSeconds(parseResult.GetValue(deadline)),
            };
            IReadOnlyList<ColdNodeResult> results;
            try
            {
                results = await ColdNodeBenchmark.RunAsync(settings, line => output.WriteLine(line), cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
            {
                await error.WriteLineAsync("edgeagent bench cold: " + ex.Message);
                return 1;
            }

            await output.WriteLineAsync("role   case          trials  stalls  requests OK  other statuses      p50 ms   max ms  slowest trial ms  slowest probe ms  probes  node max ms  client lag ms  stalls with client late");
            foreach (var r in results)
            {
                var other = r.Statuses.Count == 0 ? "-" : string.Join(",", r.Statuses.Select(s => $"{s.Key}={s.Value}"));
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Role,-6} {r.Requests,2} x {r.Bytes / 1024,4} KB  {r.Trials,6}  {r.Stalls,6}  {r.Ok,6}/{r.Requests * r.Trials,-5}  {other,-18}  {r.P50Ms,7:0}  {r.MaxMs,7:0}  {r.SlowestTrialMs,16:0}  {r.MaxProbeMs,16:0}  {r.Probes,6}  {r.MaxNodeMs,11:0}  {r.MaxClientLagMs,13:0}  {r.StallsClientLate,6}"));
            }

            return results.Any(r => r.Stalls > 0) ? 1 : 0;
        });
        return command;
    }
}
