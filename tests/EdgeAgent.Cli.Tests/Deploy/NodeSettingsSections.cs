using System.ComponentModel.DataAnnotations;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Peer;
using EdgeAgent.Node.Security;
using EdgeAgent.Node.Serving;
using EdgeAgent.Node.Telemetry;
using Microsoft.Extensions.Configuration;

namespace EdgeAgent.Cli.Tests.Deploy;

/// <summary>
/// The configuration sections a node binds, with their options types: what a deployment file
/// (deploy/appsettings.json, the Kubernetes ConfigMaps) may contain besides Logging.
/// </summary>
internal static class NodeSettingsSections
{
    public static IReadOnlyDictionary<string, Type> All { get; } = new Dictionary<string, Type>(StringComparer.OrdinalIgnoreCase)
    {
        [ExecutionOptions.SectionName] = typeof(ExecutionOptions),
        [ServingOptions.SectionName] = typeof(ServingOptions),
        [PeerOptions.SectionName] = typeof(PeerOptions),
        [AgentOptions.Section] = typeof(AgentOptions),
        [EndpointOptions.SectionName] = typeof(EndpointOptions),
        [TlsOptions.SectionName] = typeof(TlsOptions),
        [SecurityOptions.SectionName] = typeof(SecurityOptions),
        [ModelRepositoryOptions.SectionName] = typeof(ModelRepositoryOptions),
        [TelemetryOptions.SectionName] = typeof(TelemetryOptions),
        [DecisionLogOptions.Section] = typeof(DecisionLogOptions),
    };

    /// <summary>
    /// Asserts <paramref name="section"/> is a node settings section whose every key binds to a
    /// setting (unknown keys fail) and whose values pass the options' data annotations.
    /// </summary>
    public static void AssertBindsAndValidates(IConfigurationSection section, string where)
    {
        Assert.True(All.TryGetValue(section.Key, out var type), $"{where}: section '{section.Key}' is no EdgeAgent settings section");
        var options = section.Get(type!, o => o.ErrorOnUnknownConfiguration = true)!;
        var results = new List<ValidationResult>();
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true),
            $"{where}: {string.Join("; ", results.Select(r => r.ErrorMessage))}");
    }
}
