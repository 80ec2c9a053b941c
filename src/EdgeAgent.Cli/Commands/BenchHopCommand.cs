using System.CommandLine;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent bench hop`: client -> agent -> peer against client -> peer with a 4.9 MB request, nodes as separate processes.</summary>
internal static class BenchHopCommand
{
    public static Command Create()
    {
        var command = new Command("hop",
            "The offload hop (issue 17): a peer and an agent (policy peer) as separate processes on 127.0.0.1, this process the client; a 4,915,200-byte ocr-det request (FP32 1x3x640x640) sent round by round directly to the peer and through the agent; prints p50, p95 and mean of each path and their ratios to the direct path (target: at most 1.08x), and each path's time beside the model (latency less the queue and execution time the answer reports), whose difference from the direct path is the hop's cost without the model's run-to-run variation. --baseline runs a second agent from another build on the same peer, interleaved: before and after a change in one run.");
        var models = new Option<string>("--models")
        {
            Description = "Model repository holding the PaddleOCR models (`edgeagent models fetch paddleocr`).",
            DefaultValueFactory = _ => new OffloadHopSettings { Executable = "" }.ModelsPath,
        };
        models.MustNotBeEmpty();
        var iterations = new Option<int>("--iterations") { Description = "Measured rounds.", DefaultValueFactory = _ => 40 };
        var warmup = new Option<int>("--warmup") { Description = "Unmeasured rounds first (the JIT tiers the agent's request path up during the first tens of requests).", DefaultValueFactory = _ => new OffloadHopSettings { Executable = "" }.Warmup };
        var jitQuiet = new Option<int>("--jit-quiet-limit")
        {
            Description = "Before the warm-up rounds, go on with rounds until every node's JIT tier-up worker is quiet (at most 20 ms in each of two 5 s windows in a row), for at most this many seconds (0: do not wait).",
            DefaultValueFactory = _ => (int)new OffloadHopSettings { Executable = "" }.JitQuietLimit.TotalSeconds,
        };
        var baseline = new Option<string?>("--baseline") { Description = "Another build's edgeagent (its apphost, or its edgeagent.dll run through dotnet) to run as a second agent on the same peer." }.MustNotBeEmpty();
        command.Options.Add(models);
        command.Options.Add(iterations);
        command.Options.Add(warmup);
        command.Options.Add(jitQuiet);
        command.Options.Add(baseline);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var output = parseResult.InvocationConfiguration.Output;
            if (parseResult.GetValue(iterations) < 1 || parseResult.GetValue(warmup) < 0 || parseResult.GetValue(jitQuiet) < 0)
            {
                await error.WriteLineAsync("edgeagent bench hop: --iterations must be at least 1, --warmup and --jit-quiet-limit at least 0.");
                return 2;
            }

            (string, IReadOnlyList<string>)? other = null;
            if (parseResult.GetValue(baseline) is { } path)
            {
                var full = Path.GetFullPath(path);
                if (!File.Exists(full))
                {
                    await error.WriteLineAsync($"edgeagent bench hop: --baseline: {full} does not exist.");
                    return 2;
                }

                other = full.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? ("dotnet", [full]) : (full, []);
            }

            if (BenchCommand.SelfCommand() is not var (executable, leading))
            {
                await error.WriteLineAsync("edgeagent bench hop: cannot tell how this edgeagent was started, so it cannot start agent and peer processes.");
                return 1;
            }

            var settings = new OffloadHopSettings
            {
                Executable = executable,
                LeadingArguments = leading,
                Baseline = other,
                ModelsPath = parseResult.GetValue(models)!,
                Iterations = parseResult.GetValue(iterations),
                Warmup = parseResult.GetValue(warmup),
                JitQuietLimit = TimeSpan.FromSeconds(parseResult.GetValue(jitQuiet)),
            };
            IReadOnlyList<HopResult> results;
            try
            {
                results = await OffloadHopBenchmark.RunAsync(settings, line => output.WriteLine(line), cancellationToken);
            }
            catch (Exception ex) when (ex is FileNotFoundException or InvalidOperationException or TimeoutException or IOException)
            {
                await error.WriteLineAsync("edgeagent bench hop: " + ex.Message);
                return 1;
            }

            await output.WriteLineAsync("path            p50 ms   p95 ms  mean ms  p50/direct  mean/direct  agent CPU ms/req  agent minor faults/req  beside model p50 ms  extra ms  p50/direct at equal model time");
            var direct = results[0];
            foreach (var r in results)
            {
                var cpu = r.AgentCpuMsPerRequest is { } ms ? ms.ToString("0.00", CultureInfo.InvariantCulture) : "-";
                var faults = r.AgentMinorFaultsPerRequest is { } f ? f.ToString("0", CultureInfo.InvariantCulture) : "-";
                var beside = r.BesideModelP50Ms is { } b ? b.ToString("0.0", CultureInfo.InvariantCulture) : "-";
                var extra = r.ExtraOverDirectMs(direct) is { } e ? e.ToString("0.0", CultureInfo.InvariantCulture) : "-";
                var equal = r.RatioAtEqualModelTime(direct) is { } q ? q.ToString("0.000", CultureInfo.InvariantCulture) : "-";
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"{r.Path,-14} {r.Latency.P50Ms,7:0.0}  {r.Latency.P95Ms,7:0.0}  {r.Latency.MeanMs,7:0.0}  {r.RatioP50,10:0.000}  {r.RatioMean,11:0.000}  {cpu,16}  {faults,22}  {beside,19}  {extra,8}  {equal,30}"));
            }

            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{direct.Latency.Samples} interleaved rounds; target: agent p50 / direct p50 <= 1.08; {Environment.ProcessorCount} logical CPUs; an agent's CPU and faults per request include its background work (load stream, pings); beside model = latency less the queue and exec ms the answer reports (the peer's), extra = that over direct's, at equal model time = 1 + extra / direct p50"));
            return 0;
        });
        return command;
    }
}
