using System.CommandLine;
using EdgeAgent.ModelTools.Profiling;
using EdgeAgent.Onnx;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent models profile-ops MODEL...`: where a model's time goes in ONNX Runtime, per op type and node.</summary>
internal static class ModelsProfileOpsCommand
{
    public static Command Create()
    {
        var models = new Argument<string[]>("models") { Description = "ONNX models to profile (for example an FP32 model and its int8 variant).", Arity = ArgumentArity.OneOrMore };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0: ORT decides).", DefaultValueFactory = _ => 0 };
        var runs = new Option<int>("--runs") { Description = "Profiled runs (kernel times are averaged over them).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Unprofiled runs first.", DefaultValueFactory = _ => 3 };
        var inputShape = new Option<string[]>("--input-shape") { Description = "Shape for dynamic input dims: 1x3x640x640 or name=1x3x640x640.", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string?>("--out") { Description = "Folder for the ORT profile JSON and the optimised graph (<model>.ort-optimized.onnx); default: the temp folder." };
        var top = new Option<int>("--top") { Description = "Slowest nodes listed per model.", DefaultValueFactory = _ => 15 };
        runs.MustBeBetween(1, 10_000);
        warmup.MustBeBetween(0, 10_000);
        threads.MustBeBetween(0, 1024);

        var command = new Command("profile-ops", "Profile models with ONNX Runtime's profiler (CPU, full optimisation): kernel time per op type and node, and the op types of the optimised graph ORT executes (QLinearConv, DequantizeLinear, ...).");
        command.Arguments.Add(models);
        foreach (var o in new Option[] { threads, runs, warmup, inputShape, output, top })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var stdout = parseResult.InvocationConfiguration.Output;
            var stderr = parseResult.InvocationConfiguration.Error;
            try
            {
                var options = new OperatorProfileOptions
                {
                    IntraOpThreads = parseResult.GetValue(threads),
                    Runs = parseResult.GetValue(runs),
                    Warmup = parseResult.GetValue(warmup),
                    InputShapes = QuantizeCommand.ParseShapes(parseResult.GetValue(inputShape) ?? []),
                    OutputDirectory = parseResult.GetValue(output),
                };
                var profiles = new List<(string, OperatorProfile)>();
                foreach (var path in parseResult.GetValue(models)!)
                {
                    var profile = await Task.Run(() => OperatorProfiler.Profile(path, options, cancellationToken: cancellationToken), cancellationToken);
                    await stdout.WriteLineAsync(profile.Format(parseResult.GetValue(top)));
                    await stdout.WriteLineAsync();
                    profiles.Add((Path.GetFileName(path), profile));
                }

                if (profiles.Count > 1)
                {
                    await stdout.WriteLineAsync(OperatorProfile.Compare(profiles));
                }

                return 0;
            }
            catch (Exception ex) when (ex is OnnxFormatException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException or ArgumentException or InvalidDataException or IOException or NotSupportedException)
            {
                await stderr.WriteLineAsync("edgeagent models profile-ops: " + ex.Message);
                return 1;
            }
        });
        return command;
    }
}
