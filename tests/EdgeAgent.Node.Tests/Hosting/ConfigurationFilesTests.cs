using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Security;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Primitives;

namespace EdgeAgent.Node.Tests.Hosting;

public sealed class ConfigurationFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("edgeagent-config-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string SettingsPath => Path.Combine(_root, "appsettings.json");

    private string[] Args => ["--contentRoot", _root];

    [Theory]
    [InlineData("{ \"Agent\": { \"Preference\": 0.5 ", "LineNumber")]
    [InlineData("{ \"Agent\": { \"Preference\": 0.5 }, \"Agent\": { \"Preference\": 0.2 } }", "duplicate key")]
    [InlineData("not json at all", "LineNumber")]
    public void CreateBuilder_UnreadableAppSettings_StopsStartUpWithOneLineNamingTheFile(string content, string detail)
    {
        File.WriteAllText(SettingsPath, content);

        var ex = Assert.Throws<NodeStartupException>(() => NodeHost.CreateBuilder(Args, null, NodeRole.Agent));

        Assert.Contains(SettingsPath, ex.Message, StringComparison.Ordinal);
        Assert.Contains(detail, ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void CreateBuilder_JsonSourcesKeepTheirLastGoodSettings()
    {
        File.WriteAllText(SettingsPath, "{ \"Agent\": { \"Preference\": 0.25 } }");

        var builder = NodeHost.CreateBuilder(Args, null, NodeRole.Agent);

        Assert.Equal("0.25", builder.Configuration["Agent:Preference"]);
        var provider = Assert.Single(((IConfigurationRoot)builder.Configuration).Providers.OfType<LastGoodJsonConfigurationProvider>(),
            p => p.Source.Path == "appsettings.json");
        Assert.True(provider.Loaded);
        Assert.True(provider.Source.ReloadOnChange);
    }

    [Fact]
    public void Reload_UnparseableFile_KeepsTheLastGoodSettingsAndReportsOnce()
    {
        File.WriteAllText(SettingsPath, "{ \"Agent\": { \"Preference\": 0.25 }, \"DecisionLog\": { \"Enabled\": false } }");
        var configuration = Build(reloadOnChange: false);
        var logger = new ListLogger<ConfigurationFileCheck>();
        using var check = new ConfigurationFileCheck(configuration, logger);

        File.WriteAllText(SettingsPath, "{ \"Agent\": { \"Preference\": 0.9 ");
        configuration.Reload();

        Assert.Equal("0.25", configuration["Agent:Preference"]);
        Assert.Equal("False", configuration["DecisionLog:Enabled"]);
        var refusal = Assert.Single(check.Check());
        Assert.Contains(SettingsPath, refusal, StringComparison.Ordinal);
        Assert.Contains("LineNumber", refusal, StringComparison.Ordinal);
        var warning = Assert.Single(logger.Warnings);
        Assert.Contains("running settings are kept", warning, StringComparison.Ordinal);
        Assert.Empty(check.Check()); // reported once
        configuration.Reload(); // the same broken file read again (a save often fires the watcher twice)
        Assert.Empty(check.Check());
        File.WriteAllText(SettingsPath, "[1, 2");
        configuration.Reload();
        Assert.Single(check.Check()); // another problem is reported
        Assert.Equal("0.25", configuration["Agent:Preference"]);
    }

    [Fact]
    public void Reload_FixedFile_AppliesTheNewSettingsAndClearsTheRefusal()
    {
        File.WriteAllText(SettingsPath, "{ \"Agent\": { \"Preference\": 0.25 } }");
        var configuration = Build(reloadOnChange: false);
        var provider = configuration.Providers.OfType<LastGoodJsonConfigurationProvider>().Single();

        File.WriteAllText(SettingsPath, "{ broken");
        configuration.Reload();
        File.WriteAllText(SettingsPath, "{ \"Agent\": { \"Preference\": 0.75 } }");
        configuration.Reload();

        Assert.Equal("0.75", configuration["Agent:Preference"]);
        Assert.Null(provider.TakeRefusal());
    }

    [Fact]
    public void Reload_RemovedFile_EmptiesTheProviderAsBefore()
    {
        File.WriteAllText(SettingsPath, "{ \"Agent\": { \"Preference\": 0.25 } }");
        var configuration = Build(reloadOnChange: false);

        File.Delete(SettingsPath);
        configuration.Reload();

        Assert.Null(configuration["Agent:Preference"]);
    }

    [Fact]
    public async Task FileEditedWhileRunning_UnparseableEditIsWarnedAndKept_ThenAFixApplies()
    {
        File.WriteAllText(SettingsPath, "{ \"Agent\": { \"Preference\": 0.25 } }");
        var configuration = Build(reloadOnChange: true);
        var logger = new ListLogger<ConfigurationFileCheck>();
        using var check = new ConfigurationFileCheck(configuration, logger);
        await check.StartAsync(CancellationToken.None);

        await WaitForReloadAsync(configuration, () => ReplaceSettings("{ \"Agent\": { \"Preference\": 0.9 "));
        await WaitUntilAsync(() => logger.Warnings.Any());

        Assert.Equal("0.25", configuration["Agent:Preference"]);
        Assert.All(logger.Warnings, w => Assert.Contains(SettingsPath, w, StringComparison.Ordinal));
        var warnings = logger.Warnings.Count();

        await WaitForReloadAsync(configuration, () => ReplaceSettings("{ \"Agent\": { \"Preference\": 0.75 } }"));
        await WaitUntilAsync(() => configuration["Agent:Preference"] == "0.75");
        Assert.Equal(warnings, logger.Warnings.Count()); // the fix is not refused
        await check.StopAsync(CancellationToken.None);
    }

    // As editors save: a new file renamed over the old, so a reload never reads half a file.
    private void ReplaceSettings(string content)
    {
        var temporary = SettingsPath + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, SettingsPath, overwrite: true);
    }

    private IConfigurationRoot Build(bool reloadOnChange)
    {
        var builder = new ConfigurationBuilder().SetBasePath(_root).AddJsonFile("appsettings.json", optional: true, reloadOnChange: reloadOnChange);
        ConfigurationFiles.KeepLastGoodOnReload(builder);
        return builder.Build();
    }

    private static async Task WaitForReloadAsync(IConfiguration configuration, Action change)
    {
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = ChangeToken.OnChange(configuration.GetReloadToken, () => reloaded.TrySetResult());
        change();
        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not hold within 30 s.");
            await Task.Delay(20);
        }
    }
}
