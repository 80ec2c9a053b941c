using System.Globalization;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Core.Offloading.Policies;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Policy;
using EdgeAgent.Node.Control;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using EdgeAgent.Node.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Agent;

/// <summary>Registrations of the agent role.</summary>
public static class AgentServiceCollectionExtensions
{
    /// <summary>
    /// Registers the agent: the serving core, <see cref="AgentOptions"/> (section "Agent", validated
    /// at start), the <see cref="OperatorPreference"/>, the policy named by Agent:Policy (built-in
    /// or added with <see cref="OffloadPolicyServiceCollectionExtensions.AddOffloadPolicy"/>), the
    /// device energy model as <see cref="IEnergyEstimator"/>, the <see cref="LocalVariantProfiles"/>
    /// (profiled quantized variants offered as extra local candidates), peer connections, the
    /// <see cref="ClusterView"/>, the <see cref="DecisionLog"/> handing every record to the registered
    /// <see cref="IDecisionObserver"/>s (the <see cref="DurableDecisionLog"/>, section "DecisionLog", is
    /// one; it follows reloads of DecisionLog:Enabled), metrics, and the
    /// <see cref="Dispatcher"/> as the <see cref="IInferenceBackend"/>. Registrations made before
    /// this call for <see cref="IOffloadPolicy"/>, <see cref="IEnergyEstimator"/> or
    /// <see cref="OperatorPreference"/> win (TryAdd), so a fixed policy, a measured energy
    /// source or a panel-owned preference plug in without changing the agent.
    /// </summary>
    public static IServiceCollection AddEdgeAgentAgent(this IServiceCollection services)
    {
        services.AddEdgeAgentServing();
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section).ValidateOnStart();
        services.AddOptions<OnnxPolicyOptions>().BindConfiguration(OnnxPolicyOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AgentOptions>, PeerTransportValidator>());
        services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.SectionName);
        services.TryAddSingleton<OperatorAuthorizationInterceptor>();
        services.AddGrpc().AddServiceOptions<AgentControlService>(o => o.Interceptors.Add<OperatorAuthorizationInterceptor>());
        services.AddMetrics();

        services.AddOffloadPolicy(LearnedPolicy.PolicyName, CreateLearnedPolicy);
        services.TryAddSingleton(sp => new OperatorPreference(new Preference(sp.GetRequiredService<IOptions<AgentOptions>>().Value.Preference)));
        services.TryAddSingleton<IOffloadPolicy>(sp =>
        {
            var name = sp.GetRequiredService<IOptions<AgentOptions>>().Value.Policy?.Trim() ?? "";
            var registered = sp.GetServices<OffloadPolicyRegistration>().LastOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase));
            if (registered is not null)
            {
                return registered.Create(sp);
            }

            return OffloadPolicies.TryCreate(name, out var policy)
                ? policy
                : throw new OptionsValidationException(AgentOptions.Section, typeof(AgentOptions), [$"Agent:Policy (--policy) is '{name}'; use one of {string.Join(", ", OffloadPolicies.Names)}."]);
        });
        services.TryAddSingleton<IEnergyEstimator>(sp => new DeviceEnergyModel(sp.GetRequiredService<IOptions<AgentOptions>>().Value.Energy));
        services.TryAddSingleton(sp => new LocalVariantProfiles(
            sp.GetRequiredService<ModelCatalog>(),
            sp.GetRequiredService<IOptions<AgentOptions>>().Value,
            sp.GetRequiredService<ILogger<LocalVariantProfiles>>()));
        services.TryAddSingleton<ILocalLoadSource>(sp => new LocalExecutorLoadSource(sp.GetRequiredService<LocalExecutor>(), sp.GetRequiredService<LocalVariantProfiles>()));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            // Agent:Seed makes the reconnect jitter reproducible; without it the seed is drawn once here.
            var random = new Random(options.Seed ?? System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue));
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            // Resolver factories registered here (tests: loopback members) serve peer groups' dns:/// names.
            var resolvers = sp.GetServices<Grpc.Net.Client.Balancer.ResolverFactory>().ToArray();
            return new PeerConnections(options.ParsePeers()
                .Select(endpoint => new PeerConnection(endpoint, options, time, random, loggers.CreateLogger("EdgeAgent.Node.Agent.PeerConnection." + endpoint.Name), sp.GetService<TlsCertificateStore>(), resolvers))
                .ToArray());
        });
        services.TryAddSingleton(sp => new LinkProber(
            sp.GetRequiredService<PeerConnections>(),
            sp.GetRequiredService<IOptions<AgentOptions>>().Value,
            sp.GetRequiredService<IEnergyEstimator>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<LinkProber>>(),
            sp.GetService<EnergyMeter>()));
        services.AddHostedService(sp => sp.GetRequiredService<LinkProber>());
        services.TryAddSingleton(sp => new ClusterView(
            sp.GetRequiredService<ILocalLoadSource>(),
            sp.GetRequiredService<PeerConnections>(),
            sp.GetRequiredService<IEnergyEstimator>(),
            sp.GetRequiredService<IOptions<AgentOptions>>().Value));
        services.AddOptions<DecisionLogOptions>().BindConfiguration(DecisionLogOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DecisionLogOptions>, DecisionLogOptionsValidator>());
        services.TryAddSingleton(sp => new DurableDecisionLog(
            sp.GetRequiredService<IOptionsMonitor<DecisionLogOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(),
            sp.GetRequiredService<ILogger<DurableDecisionLog>>()));
        services.AddSingleton<IDecisionObserver>(sp => sp.GetRequiredService<DurableDecisionLog>());
        services.AddHostedService(sp => sp.GetRequiredService<DurableDecisionLog>());
        services.TryAddSingleton(sp => new DecisionLog(sp.GetRequiredService<IOptions<AgentOptions>>().Value.DecisionLogCapacity, sp.GetServices<IDecisionObserver>()));
        services.TryAddSingleton<AgentMetrics>();
        services.TryAddSingleton<PreferenceControl>();
        services.TryAddSingleton<Dispatcher>();
        services.AddSingleton<IInferenceBackend>(sp => sp.GetRequiredService<Dispatcher>());
        services.AddHostedService<AgentBackgroundService>();
        services.AddHostedService<ConfigurationReloadCheck>();
        return services;
    }

    /// <summary>
    /// The learned policy over Agent:PolicyFile, checked against the layout the agent produces and
    /// against the number of candidates the agent offers (local variants plus peers), which must fit
    /// the policy's S.
    /// </summary>
    /// <exception cref="PolicyFileException">The file is unusable; the message names it and what is wrong.</exception>
    private static LearnedPolicy CreateLearnedPolicy(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<AgentOptions>>().Value;
        var policy = new LearnedPolicy(
            options.ResolvePolicyFile(),
            LearnedPolicy.AgentLayout,
            sp.GetRequiredService<IOptions<OnnxPolicyOptions>>().Value,
            options.PolicyReloadInterval,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<LearnedPolicy>>());
        var local = sp.GetRequiredService<LocalVariantProfiles>().MaxLocalCandidates;
        var candidates = local + options.Peers.Count;
        if (candidates > policy.Layout.MaxServers)
        {
            policy.Dispose();
            throw new PolicyFileException(string.Create(CultureInfo.InvariantCulture,
                $"Policy file '{policy.FilePath}' decides among at most {policy.Layout.MaxServers} candidates, but the agent offers up to {candidates} ({local} local variants and {options.Peers.Count} peers); configure fewer peers (Agent:Peers) or variants (Agent:MaxAccuracyDropPoints)."));
        }

        return policy;
    }

    /// <summary>Maps what an agent serves: the inference service, health and the ControlService.</summary>
    public static IEndpointRouteBuilder MapEdgeAgentAgent(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapEdgeAgentServing();
        endpoints.MapGrpcService<AgentControlService>();
        return endpoints;
    }
}
