using System.CommandLine;
using EdgeAgent.Node.Client;
using EdgeAgent.Node.Control;
using EdgeAgent.Node.Security;
using Grpc.Core;
using Grpc.Health.V1;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// `edgeagent health`: one grpc.health.v1 Check against a node (agent or peer): prints SERVING and
/// exits 0, else one line and exits 1. The container's HEALTHCHECK and any probe without grpcurl.
/// </summary>
internal static class HealthCommand
{
    public static Command Create()
    {
        var node = new Option<string>("--node")
        {
            Description = "The node: http://HOST:PORT, https://HOST:PORT or unix:/path/to/node.sock (a --health-listen address works too).",
            DefaultValueFactory = _ => "http://127.0.0.1:8001",
        };
        var service = new Option<string>("--service") { Description = "Service to check (empty: the node as a whole).", DefaultValueFactory = _ => "" };
        var ca = new Option<string?>("--ca") { Description = "PEM CA bundle that verifies an https:// node's certificate (default: the system trust store)." };
        var timeout = new Option<double>("--timeout-ms") { Description = "How long to wait for the answer.", DefaultValueFactory = _ => 3000 };
        var command = new Command("health", "Ask a running agent or peer whether it is serving (grpc.health.v1 Check); exit 0 when it is, 1 when not or when nothing answers.");
        foreach (var option in new Option[] { node, service, ca, timeout })
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var error = parseResult.InvocationConfiguration.Error;
            var address = parseResult.GetValue(node)!;
            var ms = parseResult.GetValue(timeout);
            if (!AgentChannel.TryParse(address, out _, out _, out var problem))
            {
                await error.WriteLineAsync($"edgeagent: --node: {problem}.");
                return 2;
            }

            if (!(ms > 0 && ms <= 600_000))
            {
                await error.WriteLineAsync("edgeagent: --timeout-ms must be in (0, 600000].");
                return 2;
            }

            Grpc.Net.Client.GrpcChannel channel;
            try
            {
                channel = AgentChannel.Create(address, new AgentCredentials { CaPath = parseResult.GetValue(ca) });
            }
            catch (CertificateFileException ex)
            {
                await error.WriteLineAsync($"edgeagent: {ex.Message.TrimEnd('.')}.");
                return 2;
            }

            using (channel)
            {
                try
                {
                    var reply = await new Health.HealthClient(channel).CheckAsync(
                        new HealthCheckRequest { Service = parseResult.GetValue(service) ?? "" },
                        deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddMilliseconds(ms),
                        cancellationToken: cancellationToken);
                    if (reply.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                    {
                        await parseResult.InvocationConfiguration.Output.WriteLineAsync("SERVING");
                        return 0;
                    }

                    await error.WriteLineAsync($"edgeagent: the node at {address} answered {reply.Status}.");
                    return 1;
                }
                catch (RpcException ex)
                {
                    await error.WriteLineAsync($"edgeagent: {ClientErrors.Describe(address, ex)}");
                    return 1;
                }
            }
        });
        return command;
    }
}
