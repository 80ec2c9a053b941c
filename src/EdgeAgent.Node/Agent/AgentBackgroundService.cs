using EdgeAgent.Core.Offloading;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// Keeps the cluster view current while the agent runs: one <see cref="PeerConnection.RunAsync"/>
/// loop per peer, and the preference set to Agent:Preference at start and again whenever a
/// configuration reload changes that value (appsettings.json edited in place). Taking the
/// <see cref="LocalVariantProfiles"/> reads the variant profiles at start, so their warnings
/// appear in the start-up log rather than at the first request; taking the <see cref="IOffloadPolicy"/>
/// creates it at start, so a policy file that cannot be used stops start-up.
/// </summary>
public sealed partial class AgentBackgroundService(
    PeerConnections peers,
    OperatorPreference preference,
    LocalVariantProfiles variants,
    IOffloadPolicy policy,
    IOptionsMonitor<AgentOptions> options,
    ILogger<AgentBackgroundService> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The holder may have been registered by another component (the GPIO panel) with its own
        // initial value; the configured preference is where the agent starts.
        var configured = options.CurrentValue.Preference;
        preference.Set(new Preference(configured), "config");
        Log.Started(logger, peers.Count, policy.Name, preference.Current.DelayWeight, variants.ProfiledModels);
        using var subscription = options.OnChange(changed =>
        {
            // Only a change of the configured value moves the preference; the ControlService or
            // the panel may have set another value since, and a reload of other keys keeps it.
            if (changed.Preference != configured && changed.Preference is >= 0 and <= 1)
            {
                configured = changed.Preference;
                preference.Set(new Preference(changed.Preference), "config");
                Log.PreferenceReloaded(logger, changed.Preference);
            }
        });
        await Task.WhenAll(peers.Select(p => p.RunAsync(stoppingToken))).ConfigureAwait(false);

        // The subscription lives as long as this method: an agent without peers has no loops to wait
        // on, and returning here would stop it following the configured preference.
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2030, Level = LogLevel.Information, Message = "Agent watching {PeerCount} peers; policy {Policy}, delay weight {DelayWeight}; {ProfiledModels} models with profiled local variants.")]
        public static partial void Started(ILogger logger, int peerCount, string policy, double delayWeight, int profiledModels);

        [LoggerMessage(EventId = 2031, Level = LogLevel.Information, Message = "Configuration reloaded: delay weight {DelayWeight}.")]
        public static partial void PreferenceReloaded(ILogger logger, double delayWeight);
    }
}
