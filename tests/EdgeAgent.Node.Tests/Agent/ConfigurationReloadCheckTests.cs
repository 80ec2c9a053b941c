using EdgeAgent.Node.Agent;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class ConfigurationReloadCheckTests
{
    private static (IConfigurationRoot Configuration, ConfigurationReloadCheck Check, ListLogger<ConfigurationReloadCheck> Logger, ServiceProvider Services) Create()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Agent:Preference"] = "0.5",
            ["DecisionLog:Enabled"] = "true",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton<IValidateOptions<AgentOptions>>(new AgentOptionsValidator())
            .AddSingleton<IValidateOptions<DecisionLogOptions>, DecisionLogOptionsValidator>();
        services.AddOptions<AgentOptions>().BindConfiguration(AgentOptions.Section);
        services.AddOptions<DecisionLogOptions>().BindConfiguration(DecisionLogOptions.Section);
        var provider = services.BuildServiceProvider();
        var logger = new ListLogger<ConfigurationReloadCheck>();
        var check = new ConfigurationReloadCheck(
            configuration,
            provider.GetRequiredService<IOptionsFactory<AgentOptions>>(),
            provider.GetRequiredService<IOptionsFactory<DecisionLogOptions>>(),
            logger);
        return (configuration, check, logger, provider);
    }

    [Fact]
    public void Check_ValidSettings_ReportsNothing()
    {
        var (_, check, logger, services) = Create();
        using (services)
        {
            Assert.Empty(check.Check());
            Assert.Empty(logger.Warnings);
        }
    }

    [Fact]
    public void Check_ValueThatDoesNotBind_WarnsNamingKeyAndValue()
    {
        var (configuration, check, logger, services) = Create();
        using (services)
        {
            configuration["DecisionLog:Enabled"] = "maybe";
            var problem = Assert.Single(check.Check());
            Assert.Equal("DecisionLog:Enabled is 'maybe'; it takes true or false.", problem);
            var warning = Assert.Single(logger.Warnings);
            Assert.Contains("running settings are kept", warning, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Check_ValueTheValidatorRefuses_WarnsWithTheValidatorsMessage()
    {
        var (configuration, check, logger, services) = Create();
        using (services)
        {
            configuration["Agent:OffloadTimeout"] = "-00:00:05";
            var problem = Assert.Single(check.Check());
            Assert.Contains("OffloadTimeout", problem, StringComparison.Ordinal);
            Assert.Single(logger.Warnings);
        }
    }

    [Fact]
    public async Task Reload_AfterStart_ChecksTheNewConfiguration()
    {
        var (configuration, check, logger, services) = Create();
        using (services)
        using (check)
        {
            await check.StartAsync(CancellationToken.None);
            configuration["Agent:Preference"] = "not-a-number";
            configuration.Reload();
            var warning = Assert.Single(logger.Warnings);
            Assert.Contains("Agent:Preference", warning, StringComparison.Ordinal);

            await check.StopAsync(CancellationToken.None);
            configuration.Reload();
            Assert.Single(logger.Warnings);
        }
    }
}
