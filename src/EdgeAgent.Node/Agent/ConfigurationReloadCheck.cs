using EdgeAgent.Node.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// Tells the operator when a reload of the agent's configuration (appsettings.json edited while it
/// runs) holds a value it cannot use. The agent follows reloads of <c>Agent:Preference</c> and
/// <c>DecisionLog:Enabled</c> through <see cref="IOptionsMonitor{TOptions}"/>, which drops a reload
/// that does not bind or validate without a word: the running settings stay, and the operator would
/// not know the edit was refused. On every reload this builds both settings afresh (binding and the
/// same validators as at start) and logs one warning naming the setting and why, for each that fails.
/// </summary>
internal sealed partial class ConfigurationReloadCheck(
    IConfiguration configuration,
    IOptionsFactory<AgentOptions> agent,
    IOptionsFactory<DecisionLogOptions> decisionLog,
    ILogger<ConfigurationReloadCheck> logger) : ConfigurationReloadWatcher(configuration)
{
    /// <summary>Checks the current configuration once, as a reload would.</summary>
    /// <returns>The problems found, one line each; empty when both settings load.</returns>
    public override IReadOnlyList<string> Check()
    {
        var problems = new List<string>();
        Try(() => agent.Create(Options.DefaultName), AgentOptions.Section, problems);
        Try(() => decisionLog.Create(Options.DefaultName), DecisionLogOptions.Section, problems);
        foreach (var problem in problems)
        {
            Log.ReloadRefused(logger, problem);
        }

        return problems;
    }

    private static void Try(Action create, string section, List<string> problems)
    {
        try
        {
            create();
        }
        catch (OptionsValidationException ex)
        {
            problems.Add(string.Join(" ", ex.Failures));
        }
        catch (InvalidOperationException ex)
        {
            // A value the binder could not convert ("DecisionLog:Enabled is 'x'; it takes true or false."), as start-up words it.
            problems.Add(Hosting.ConfigurationValueErrors.Describe(ex) ?? $"{section}: {ex.Message}");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2040, Level = LogLevel.Warning, Message = "Configuration reload refused, the running settings are kept: {Problem}")]
        public static partial void ReloadRefused(ILogger logger, string problem);
    }
}
