using System.CommandLine;
using EdgeAgent.Node.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.Cli.Commands;

/// <summary>
/// Runs a node host until Ctrl+C or SIGTERM. A start-up failure prints one line naming the
/// setting to stderr and exits 2; its exception is logged at Debug under "EdgeAgent.Startup"
/// (EDGEAGENT_Logging__LogLevel__EdgeAgent=Debug shows it).
/// </summary>
internal static partial class NodeCommandRunner
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
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeAgent.Startup");
                Log.StartupFailed(logger, ex);
                var message = ex is NodeStartupException ? ex.Message
                    : ConfigurationValueErrors.Describe(ex) ?? $"start-up failed ({ex.GetType().Name}): {ex.Message}";
                await parseResult.InvocationConfiguration.Error.WriteLineAsync($"edgeagent: {message.ReplaceLineEndings(" ")}");
                return 2;
            }

            await parseResult.InvocationConfiguration.Output.WriteLineAsync($"edgeagent: serving on {app.GetTcpAddress()}");
            await app.WaitForShutdownAsync(cancellationToken);
            return 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2901, Level = LogLevel.Debug, Message = "Start-up failed; the details.")]
        public static partial void StartupFailed(ILogger logger, Exception exception);
    }
}
