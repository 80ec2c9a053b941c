using System.CommandLine;
using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Node.Client;
using EdgeAgent.Node.Control;
using EdgeAgent.Node.Security;
using Grpc.Core;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent pref set W` and `edgeagent status`: operate a running agent through its ControlService.</summary>
internal static class ControlCommands
{
    private const string DefaultAgent = "http://127.0.0.1:8001";

    public static Command CreatePref()
    {
        var options = new ControlOptions();
        var weight = new Argument<double>("delay-weight") { Description = "Weight of delay in [0, 1]; the energy weight is 1 minus it." };
        var set = new Command("set", "Set the energy/delay preference of a running agent.");
        set.Arguments.Add(weight);
        options.AddTo(set);
        set.SetAction(async (parseResult, cancellationToken) =>
        {
            var w = parseResult.GetValue(weight);
            if (!(w >= 0 && w <= 1))
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"edgeagent: delay-weight is {w}; it must be in [0, 1]."));
                return 2;
            }

            return await CallAsync(parseResult, options, client =>
                client.SetPreferenceAsync(new SetPreferenceRequest { DelayWeight = w }, deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10), cancellationToken: cancellationToken).ResponseAsync,
                describePeer: false, cancellationToken);
        });

        var pref = new Command("pref", "Operator preference between delay and energy.");
        pref.Subcommands.Add(set);
        return pref;
    }

    public static Command CreateStatus()
    {
        var options = new ControlOptions();
        var status = new Command("status", "Show a running agent's policy, preference, request counts and peers.");
        options.AddTo(status);
        status.SetAction(async (parseResult, cancellationToken) =>
            await CallAsync(parseResult, options, client =>
                client.GetStatusAsync(new GetStatusRequest(), deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10), cancellationToken: cancellationToken).ResponseAsync,
                describePeer: true, cancellationToken));
        return status;
    }

    private static async Task<int> CallAsync(ParseResult parseResult, ControlOptions options, Func<ControlService.ControlServiceClient, Task<AgentStatus>> call, bool describePeer, CancellationToken cancellationToken)
    {
        var address = parseResult.GetValue(options.Agent)!;
        if (!AgentChannel.TryParse(address, out _, out _, out var error))
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: --agent: {error}.");
            return 2;
        }

        Grpc.Net.Client.GrpcChannel channel;
        try
        {
            channel = AgentChannel.Create(address, options.Credentials(parseResult));
        }
        catch (CertificateFileException ex)
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: {ex.Message.TrimEnd('.')}.");
            return 2;
        }

        using (channel)
        {
            try
            {
                var status = await call(new ControlService.ControlServiceClient(channel));
                await parseResult.InvocationConfiguration.Output.WriteAsync(AgentStatusText.Format(status));
                return 0;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented)
            {
                // No ControlService: a peer (`edgeagent peer`) or another OIP server. Say which.
                ServerMetadataResponse server;
                try
                {
                    server = await new GRPCInferenceService.GRPCInferenceServiceClient(channel)
                        .ServerMetadataAsync(new ServerMetadataRequest(), deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10), cancellationToken: cancellationToken);
                }
                catch (RpcException)
                {
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: the node at {address} is not an EdgeAgent agent: it has no ControlService and no Open Inference Protocol service.");
                    return 1;
                }

                if (!describePeer)
                {
                    await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: the node at {address} is a peer or plain inference server ('{server.Name}'), not an agent: only an agent has a preference to set.");
                    return 1;
                }

                await parseResult.InvocationConfiguration.Output.WriteAsync(string.Create(CultureInfo.InvariantCulture,
                    $"role        peer (an Open Inference Protocol server without the agent's ControlService: no policy, preference or peers)\nserver      {server.Name} {server.Version}\nextensions  {(server.Extensions.Count > 0 ? string.Join(", ", server.Extensions) : "none")}\n"));
                return 0;
            }
            catch (RpcException ex)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: {ClientErrors.Describe(address, ex)}");
                return 1;
            }
        }
    }

    // The address and the operator credential flags of both commands.
    private sealed class ControlOptions
    {
        public Option<string> Agent { get; } = new("--agent")
        {
            Description = "The agent: http://HOST:PORT, https://HOST:PORT or unix:/path/to/agent.sock (no credential needed on the socket).",
            DefaultValueFactory = _ => DefaultAgent,
        };

        private readonly Option<string?> _token = new("--token-file") { Description = "File holding the operator bearer token (the agent's Security:OperatorTokenFile)." };
        private readonly Option<string?> _certificate = new("--cert") { Description = "PEM client certificate with role operator, for an https:// agent (`edgeagent certs issue --role operator`)." };
        private readonly Option<string?> _key = new("--key") { Description = "PEM key of --cert (default: the certificate file)." };
        private readonly Option<string?> _ca = new("--ca") { Description = "PEM CA bundle that verifies an https:// agent's certificate (default: the system trust store)." };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { Agent, _token, _certificate, _key, _ca })
            {
                command.Options.Add(option);
            }
        }

        public AgentCredentials Credentials(ParseResult parseResult) => new()
        {
            TokenFile = parseResult.GetValue(_token),
            CertificatePath = parseResult.GetValue(_certificate),
            KeyPath = parseResult.GetValue(_key),
            CaPath = parseResult.GetValue(_ca),
        };
    }
}
