using System.CommandLine;
using EdgeAgent.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace EdgeAgent.Cli.Commands;

/// <summary>Runs a node host until Ctrl+C or SIGTERM; start-up failures print one message and exit 2.</summary>
internal static class NodeCommandRunner
{
    public static async Task<int> RunAsync(Func<WebApplication> build, ParseResult parseResult, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = build();
        }
        catch (NodeStartupException ex)
        {
            await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: {ex.Message}");
            return 2;
        }

        await using (app)
        {
            try
            {
                await NodeHost.StartAsync(app, cancellationToken);
            }
            catch (NodeStartupException ex)
            {
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: {ex.Message}");
                return 2;
            }

            await parseResult.InvocationConfiguration.Output.WriteLineAsync($"edgeagent: serving on {app.GetTcpAddress()}");
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        }
    }
}
