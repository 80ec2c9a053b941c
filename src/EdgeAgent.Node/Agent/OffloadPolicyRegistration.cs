using EdgeAgent.Core.Offloading;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeAgent.Node.Agent;

/// <summary>
/// A policy the agent can select by name with Agent:Policy (--policy), besides the built-in
/// heuristic, local and peer, for example <c>services.AddOffloadPolicy("mine", sp =&gt; new MyPolicy(...))</c>.
/// The learned ONNX policy ("learned") is registered this way by <c>AddEdgeAgentAgent</c> itself.
/// </summary>
/// <param name="Name">The name Agent:Policy uses (case-insensitive).</param>
/// <param name="Create">Creates the policy once, at start.</param>
public sealed record OffloadPolicyRegistration(string Name, Func<IServiceProvider, IOffloadPolicy> Create);

/// <summary>Registration of named policies.</summary>
public static class OffloadPolicyServiceCollectionExtensions
{
    /// <summary>Makes <paramref name="name"/> a valid Agent:Policy that creates its policy with <paramref name="create"/>.</summary>
    public static IServiceCollection AddOffloadPolicy(this IServiceCollection services, string name, Func<IServiceProvider, IOffloadPolicy> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(create);
        services.AddSingleton(new OffloadPolicyRegistration(name.Trim(), create));
        return services;
    }
}
