using System.ComponentModel.DataAnnotations;
using EdgeAgent.Core.Offloading;
using EdgeAgent.Hardware.Energy;
using EdgeAgent.Hardware.Panel;
using EdgeAgent.Hardware.Power;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Hardware;

/// <summary>Registrations of the hardware layer in a host.</summary>
public static class HardwareServiceCollectionExtensions
{
    /// <summary>
    /// Registers the power source chosen by <see cref="PowerSourceProbe"/> (section
    /// EdgeAgent:Hardware:Power), the <see cref="EnergyMeter"/> sampling it in the background
    /// (EdgeAgent:Hardware:Energy), a <see cref="MeasuredEnergyEstimator"/> as
    /// <see cref="IEnergyEstimator"/> wrapping the estimator registered before this call (the
    /// agent's <see cref="DeviceEnergyModel"/>; without one, a <see cref="DeviceEnergyModel"/> over the
    /// power profile's idle and busy watts), and the GPIO <see cref="OperatorPanel"/> (EdgeAgent:Hardware:Panel)
    /// driving the <see cref="OperatorPreference"/> registered in the host (its own balanced one when
    /// there is none) and blinking on the agent's offloads (<see cref="OffloadBlinker"/>, an
    /// <see cref="IDecisionObserver"/> the agent's dispatcher calls). Options are validated at start with
    /// messages naming the setting. Call it after the agent's registrations.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="runningTasks">Optional: the number of tasks executing locally now (from the executor).</param>
    public static IServiceCollection AddEdgeAgentHardware(this IServiceCollection services, Func<IServiceProvider, Func<int>>? runningTasks = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PowerOptions>().BindConfiguration(PowerOptions.Section).ValidateOnStart();
        services.AddOptions<EnergyMeterOptions>().BindConfiguration(EnergyMeterOptions.Section).ValidateOnStart();
        services.AddOptions<OperatorPanelOptions>().BindConfiguration(OperatorPanelOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PowerOptions>>(
            new AnnotatedOptionsValidator<PowerOptions>(PowerOptions.Section, o => o.Validate())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EnergyMeterOptions>>(
            new AnnotatedOptionsValidator<EnergyMeterOptions>(EnergyMeterOptions.Section, _ => null)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OperatorPanelOptions>>(
            new AnnotatedOptionsValidator<OperatorPanelOptions>(OperatorPanelOptions.Section, o => o.Validate())));
        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);

        services.TryAddSingleton<IPowerSource>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PowerOptions>>().Value;
            var report = PowerSourceProbe.Probe(options, sp.GetRequiredService<TimeProvider>());
            HardwareLog.SourceSelected(sp.GetRequiredService<ILogger<EnergyMeter>>(), report.Selected.Name, report.Selected.Kind, report.Selected.Description);
            return report.Selected;
        });
        services.TryAddSingleton(sp =>
        {
            var meter = new EnergyMeter(
                sp.GetRequiredService<IPowerSource>(),
                sp.GetRequiredService<IOptions<EnergyMeterOptions>>().Value,
                sp.GetRequiredService<TimeProvider>(),
                sp.GetService<System.Diagnostics.Metrics.IMeterFactory>(),
                sp.GetRequiredService<ILogger<EnergyMeter>>());
            meter.RunningTasksSignal = runningTasks?.Invoke(sp);
            return meter;
        });
        // Wrap the estimator registered so far (the agent's device energy model) so that it answers
        // while nothing is measured and for offloads; without one, the device energy model over the
        // power profile's idle and busy watts stands in.
        var previous = services.LastOrDefault(d => d.ServiceType == typeof(IEnergyEstimator) && !d.IsKeyedService);
        if (previous is not null)
        {
            services.Remove(previous);
        }

        services.AddSingleton<IEnergyEstimator>(sp =>
        {
            var fallback = previous is null
                ? new DeviceEnergyModel(sp.GetRequiredService<IOptions<PowerOptions>>().Value.ResolveProfile().ToPowerTable())
                : (IEnergyEstimator)Resolve(previous, sp);
            return new MeasuredEnergyEstimator(sp.GetRequiredService<EnergyMeter>(), fallback);
        });
        services.TryAddSingleton(sp => OperatorPanel.Create(
            sp.GetRequiredService<IOptions<OperatorPanelOptions>>().Value,
            sp.GetService<OperatorPreference>() ?? new OperatorPreference(Preference.Balanced),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<OperatorPanel>>(),
            sp.GetService<GpioDriverFactory>() is { } factory ? chip => factory(chip) : null));
        services.TryAddSingleton<IOffloadIndicator>(sp => sp.GetRequiredService<OperatorPanel>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDecisionObserver, OffloadBlinker>());
        services.AddHostedService<HardwareService>();
        return services;
    }

    private static object Resolve(ServiceDescriptor descriptor, IServiceProvider services) =>
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!);

    /// <summary>Runs the meter's sampling loop and the panel for the host's lifetime.</summary>
    private sealed class HardwareService(EnergyMeter meter, OperatorPanel panel) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            panel.Start();
            await meter.RunAsync(stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>Data-annotation ranges plus the options' own cross-field rules, each message naming the setting.</summary>
    private sealed class AnnotatedOptionsValidator<T>(string section, Func<T, string?> crossField) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var results = new List<ValidationResult>();
            var errors = new List<string>();
            if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            {
                errors.AddRange(results.Select(r => r.ErrorMessage is { } m && m.StartsWith(section, StringComparison.Ordinal) ? m : $"{section}:{string.Join(",", r.MemberNames)}: {r.ErrorMessage}"));
            }

            if (errors.Count == 0 && crossField(options) is { } error)
            {
                errors.Add(error);
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}

internal static partial class HardwareLog
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Power source {Source} ({Kind}): {Description}.")]
    public static partial void SourceSelected(ILogger logger, string source, PowerSourceKind kind, string description);
}
