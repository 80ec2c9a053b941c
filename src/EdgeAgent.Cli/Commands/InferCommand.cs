using System.CommandLine;
using System.Diagnostics;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Node.Client;
using EdgeAgent.Node.Control;
using Grpc.Core;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// `edgeagent infer`: one Open Inference Protocol ModelInfer against an agent, a peer or any
/// Triton/KServe server. Plain OIP only: ModelMetadata to shape the inputs, then ModelInfer.
/// </summary>
internal static class InferCommand
{
    public static Command Create()
    {
        var agent = new Option<string>("--agent")
        {
            Description = "The server: http://HOST:PORT or unix:/path/to/agent.sock (an agent, a peer or any OIP server).",
            DefaultValueFactory = _ => "http://127.0.0.1:8001",
        };
        var model = new Option<string>("--model") { Description = "Model name.", Required = true };
        var version = new Option<string?>("--model-version") { Description = "Model version (default: the server's choice, the latest)." };
        var image = new Option<string?>("--image") { Description = "An image for the model's single rank-4 input: resized to its fixed H and W, RGB, NCHW or NHWC, FP32/FP16 in [0, 1] or UINT8." };
        var tensor = new Option<string?>("--tensor") { Description = "A tensor file: .npy (one-input models) or .json in the KServe v2 form {\"inputs\": [{\"name\", \"shape\", \"datatype\", \"data\"}]}." };
        var random = new Option<bool>("--random") { Description = "Seeded random inputs shaped from the model's metadata (variable dimensions 1 unless --shape)." };
        var shapes = new Option<string[]>("--shape") { Description = "[NAME=]1x3x640x640: the shape of a --random input with variable dimensions, repeatable.", AllowMultipleArgumentsPerToken = false };
        var seed = new Option<int>("--seed") { Description = "Seed of --random.", DefaultValueFactory = _ => 1 };
        var timeout = new Option<double>("--timeout-s") { Description = "Deadline of each call in seconds.", DefaultValueFactory = _ => 30 };
        var followed = new Option<bool>("--followed") { Description = "Mark the request as one a later request waits for (request parameter edgeagent.followed = true): the agent's learned policy counts it as its own work still to come." };
        var batchAfter = new Option<int?>("--batch-after") { Description = "Say how many more requests this client sends at once right after this one (request parameter edgeagent.batch_after, at least 0), as a client fanning out a page's lines does: the agent's learned policy sees that work coming." }.MustBeBetween(0, int.MaxValue);

        var command = new Command("infer", "Send one Open Inference Protocol inference request and print its outputs and where it ran.");
        foreach (var option in new Option[] { agent, model, version, image, tensor, random, shapes, seed, timeout, followed, batchAfter })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var address = parseResult.GetValue(agent)!;
            var sources = new[] { parseResult.GetValue(image) is not null, parseResult.GetValue(tensor) is not null, parseResult.GetValue(random) }.Count(b => b);
            if (sources != 1)
            {
                await error.WriteLineAsync("edgeagent: give exactly one input source: --image FILE, --tensor FILE or --random.");
                return 2;
            }

            var seconds = parseResult.GetValue(timeout);
            if (!(seconds > 0 && seconds <= 3600))
            {
                await error.WriteLineAsync($"edgeagent: --timeout-s is {seconds}; it must be in (0, 3600].");
                return 2;
            }

            if (!AgentChannel.TryParse(address, out _, out _, out var addressError))
            {
                await error.WriteLineAsync($"edgeagent: --agent: {addressError}.");
                return 2;
            }

            var given = new Dictionary<string, long[]>(StringComparer.Ordinal);
            try
            {
                foreach (var text in parseResult.GetValue(shapes) ?? [])
                {
                    var (name, shape) = InferInputs.ParseShape(text);
                    given[name] = shape;
                }
            }
            catch (InferInputException ex)
            {
                await error.WriteLineAsync($"edgeagent: {ex.Message}");
                return 2;
            }

            using var channel = AgentChannel.Create(address);
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var modelName = parseResult.GetValue(model)!;
            var modelVersion = parseResult.GetValue(version);
            DateTime Deadline() => TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(seconds);
            try
            {
                var metadata = await client.ModelMetadataAsync(new ModelMetadataRequest { Name = modelName, Version = modelVersion ?? "" }, deadline: Deadline(), cancellationToken: cancellationToken);
                var inputs = parseResult.GetValue(image) is { } imagePath ? ImageInput.Read(imagePath, metadata)
                    : parseResult.GetValue(tensor) is { } tensorPath ? InferInputs.FromFile(tensorPath, metadata)
                    : InferInputs.Random(metadata, given, parseResult.GetValue(seed));
                var request = InferInputs.ToRequest(modelName, modelVersion, inputs, parseResult.GetValue(followed));
                if (parseResult.GetValue(batchAfter) is { } after)
                {
                    EdgeAgent.Node.Serving.RequestParameters.MarkBatchAfter(request, after);
                }
                var watch = Stopwatch.StartNew();
                var response = await client.ModelInferAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
                watch.Stop();
                await parseResult.InvocationConfiguration.Output.WriteAsync(InferResultText.Format(response, watch.Elapsed));
                return 0;
            }
            catch (InferInputException ex)
            {
                await error.WriteLineAsync($"edgeagent: {ex.Message}");
                return 2;
            }
            catch (RpcException ex)
            {
                await error.WriteLineAsync($"edgeagent: {ClientErrors.Describe(address, ex)}");
                return 1;
            }
        });
        return command;
    }
}
