using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench soak`: steady load at a share of the measured capacity while peers fail and recover.</summary>
internal static class BenchSoakCommand
{
    public static Command Create()
    {
        var command = new Command("soak",
            "Run an agent and two peers as separate processes on 127.0.0.1, measure the agent's capacity, then offer --load of it for --minutes while one peer is stopped and continued (SIGSTOP/SIGCONT) and the other killed and restarted in turn; prints throughput, errors by status, p99 latency and the agent's memory over time, and after each SIGSTOP how long the agent kept sending the stopped peer work.");
        var minutes = new Option<double>("--minutes") { Description = "Minutes of steady load.", DefaultValueFactory = _ => 2 };
        var load = new Option<double>("--load") { Description = "Share of the measured capacity offered, in (0, 1].", DefaultValueFactory = _ => 0.8 };
        var interval = new Option<double>("--interval") { Description = "Seconds between printed rows.", DefaultValueFactory = _ => 10 };
        var faultInterval = new Option<double>("--fault-interval") { Description = "Seconds between peer faults (each lasts half of it).", DefaultValueFactory = _ => 20 };
        var startTimeout = new Option<double>("--start-timeout") { Description = "Seconds a node (agent, peer, restarted peer) may take to become ready, and the agent to answer 20 warm-up calls; raise it on a machine where the soak runs at the lowest priority.", DefaultValueFactory = _ => 120 };
        var nodes = new Option<string?>("--nodes") { Description = "Run the agent and the peers from this edgeagent build (its edgeagent.dll, or its edgeagent executable) instead of this one: the same load and faults against another version, to compare two builds." };
        command.Options.Add(minutes);
        command.Options.Add(load);
        command.Options.Add(interval);
        command.Options.Add(faultInterval);
        command.Options.Add(startTimeout);
        command.Options.Add(nodes);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var output = parseResult.InvocationConfiguration.Output;
            var m = parseResult.GetValue(minutes);
            var l = parseResult.GetValue(load);
            var i = parseResult.GetValue(interval);
            var f = parseResult.GetValue(faultInterval);
            var t = parseResult.GetValue(startTimeout);
            if (!(m > 0) || m > 24 * 60)
            {
                await error.WriteLineAsync($"edgeagent bench soak: --minutes must be in (0, 1440]; got {m.ToString(CultureInfo.InvariantCulture)}.");
                return 2;
            }

            if (!(l > 0) || l > 1)
            {
                await error.WriteLineAsync($"edgeagent bench soak: --load must be in (0, 1]; got {l.ToString(CultureInfo.InvariantCulture)}.");
                return 2;
            }

            if (!(i >= 1) || !(f >= 2) || i > 3600 || f > 3600)
            {
                await error.WriteLineAsync("edgeagent bench soak: --interval must be 1 to 3600 seconds and --fault-interval 2 to 3600 seconds.");
                return 2;
            }

            if (!(t >= 1) || t > 3600)
            {
                await error.WriteLineAsync($"edgeagent bench soak: --start-timeout must be in [1, 3600] seconds; got {t.ToString(CultureInfo.InvariantCulture)}.");
                return 2;
            }

            if (BenchCommand.SelfCommand() is not var (executable, leading))
            {
                await error.WriteLineAsync("edgeagent bench soak: cannot tell how this edgeagent was started, so it cannot start agent and peer processes.");
                return 1;
            }

            var launch = new NodeLaunch { Executable = executable, LeadingArguments = leading };
            if (parseResult.GetValue(nodes) is { Length: > 0 } build)
            {
                var path = Path.GetFullPath(build);
                if (!File.Exists(path))
                {
                    await error.WriteLineAsync($"edgeagent bench soak: --nodes: there is no file '{path}'; give another build's edgeagent.dll or edgeagent executable.");
                    return 2;
                }

                // A dll runs under the dotnet host this command runs under (or the one on PATH).
                launch = path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
                    ? new NodeLaunch { Executable = leading.Count > 0 ? executable : "dotnet", LeadingArguments = [path] }
                    : new NodeLaunch { Executable = path };
            }

            var settings = new SoakSettings
            {
                Launch = launch,
                Duration = TimeSpan.FromMinutes(m),
                LoadFraction = l,
                ReportInterval = TimeSpan.FromSeconds(i),
                FaultInterval = TimeSpan.FromSeconds(f),
                StartTimeout = TimeSpan.FromSeconds(t),
            };
            try
            {
                var summary = await SoakBenchmark.RunAsync(settings, output, cancellationToken);
                return summary.WithoutStatus == 0 ? 0 : 1;
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or IOException)
            {
                await error.WriteLineAsync($"edgeagent bench soak: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
