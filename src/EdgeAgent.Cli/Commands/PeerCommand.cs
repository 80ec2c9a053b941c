using System.CommandLine;
using EdgeAgent.Node.Hosting;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent peer`: serve the Open Inference Protocol, PeerService and health from a model repository.</summary>
internal static class PeerCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "TCP endpoint HOST:PORT (Endpoint:Listen).", DefaultValueFactory = _ => "127.0.0.1:8001" };
        var models = new Option<string?>("--models") { Description = "Model repository folder <model>/<version>/model.onnx (Models:Path)." };
        var socket = new Option<string?>("--socket") { Description = "Also serve on this Unix socket path (Endpoint:Socket)." };
        var speed = new Option<double?>("--compute-speed") { Description = "Emulated relative compute speed in (0, 1] (Execution:ComputeSpeedFactor)." };
        var concurrency = new Option<int?>("--max-concurrency") { Description = "Requests executing at once (Execution:MaxConcurrency)." };
        var queue = new Option<int?>("--queue") { Description = "Requests allowed to wait for a slot (Execution:QueueCapacity)." };
        var name = new Option<string?>("--name") { Description = "Node name reported to clients (Serving:NodeName)." };

        var security = new NodeSecurityOptions();
        var telemetry = new NodeTelemetryFlags();
        var command = new Command("peer", "Serve models to agents and any Open Inference Protocol client (gRPC, HTTP/2).");
        foreach (var option in new Option[] { listen, models, socket, speed, concurrency, queue, name })
        {
            command.Options.Add(option);
        }

        security.AddTo(command);
        telemetry.AddTo(command);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var overrides = new Dictionary<string, string?> { ["Endpoint:Listen"] = parseResult.GetValue(listen) };
            Set(overrides, "Models:Path", parseResult.GetValue(models));
            Set(overrides, "Endpoint:Socket", parseResult.GetValue(socket));
            Set(overrides, "Serving:NodeName", parseResult.GetValue(name));
            Set(overrides, "Execution:ComputeSpeedFactor", parseResult.GetValue(speed));
            Set(overrides, "Execution:MaxConcurrency", parseResult.GetValue(concurrency));
            Set(overrides, "Execution:QueueCapacity", parseResult.GetValue(queue));
            security.Apply(parseResult, overrides);
            telemetry.Apply(parseResult, overrides);
            return await NodeCommandRunner.RunAsync(() => PeerHost.Build([], overrides), parseResult, cancellationToken);
        });
        return command;
    }

    private static void Set<T>(Dictionary<string, string?> overrides, string key, T? value)
    {
        if (value is not null)
        {
            overrides[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}
