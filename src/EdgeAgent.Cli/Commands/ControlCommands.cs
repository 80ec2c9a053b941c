using System.CommandLine;
using System.Globalization;
using EdgeAgent.Contracts.V1;
using EdgeAgent.Node.Control;
using Grpc.Core;

namespace EdgeAgent.Cli.Commands;

/// <summary>`edgeagent pref set W` and `edgeagent status`: operate a running agent through its ControlService.</summary>
internal static class ControlCommands
{
    private const string DefaultAgent = "http://127.0.0.1:8001";

    public static Command CreatePref()
    {
        var agent = AgentOption();
        var weight = new Argument<double>("delay-weight") { Description = "Weight of delay in [0, 1]; the energy weight is 1 minus it." };
        var set = new Command("set", "Set the energy/delay preference of a running agent.");
        set.Arguments.Add(weight);
        set.Options.Add(agent);
        set.SetAction(async (parseResult, cancellationToken) =>
        {
            var w = parseResult.GetValue(weight);
            if (!(w >= 0 && w <= 1))
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"edgeagent: delay-weight is {w}; it must be in [0, 1]."));
                return 2;
            }

            return await CallAsync(parseResult, parseResult.GetValue(agent)!, client =>
                client.SetPreferenceAsync(new SetPreferenceRequest { DelayWeight = w }, deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10), cancellationToken: cancellationToken).ResponseAsync);
        });

        var pref = new Command("pref", "Operator preference between delay and energy.");
        pref.Subcommands.Add(set);
        return pref;
    }

    public static Command CreateStatus()
    {
        var agent = AgentOption();
        var status = new Command("status", "Show a running agent's policy, preference, request counts and peers.");
        status.Options.Add(agent);
        status.SetAction(async (parseResult, cancellationToken) =>
            await CallAsync(parseResult, parseResult.GetValue(agent)!, client =>
                client.GetStatusAsync(new GetStatusRequest(), deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(10), cancellationToken: cancellationToken).ResponseAsync));
        return status;
    }

    private static Option<string> AgentOption() => new("--agent")
    {
        Description = "The agent: http://HOST:PORT or unix:/path/to/agent.sock.",
        DefaultValueFactory = _ => DefaultAgent,
    };

    private static async Task<int> CallAsync(ParseResult parseResult, string address, Func<ControlService.ControlServiceClient, Task<AgentStatus>> call)
    {
        if (!AgentChannel.TryParse(address, out _, out _, out var error))
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: --agent: {error}.");
            return 2;
        }

        using var channel = AgentChannel.Create(address);
        try
        {
            var status = await call(new ControlService.ControlServiceClient(channel));
            await parseResult.InvocationConfiguration.Output.WriteAsync(AgentStatusText.Format(status));
            return 0;
        }
        catch (RpcException ex)
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: the agent at {address} answered {ex.StatusCode}: {ex.Status.Detail}");
            return 1;
        }
    }
}
