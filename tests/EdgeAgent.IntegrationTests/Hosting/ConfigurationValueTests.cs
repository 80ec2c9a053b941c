using System.Diagnostics;
using EdgeAgent.IntegrationTests.Client;
using EdgeAgent.TestModels;

namespace EdgeAgent.IntegrationTests.Hosting;

/// <summary>
/// The real binary with one setting of the wrong kind in its environment: exit 2 and one line naming
/// the key, the value and what the key takes, whichever options class reads it and whenever (some
/// are read while the host is built: those used to end with exit 1 and the binder's own words).
/// The policy runner's section (EdgeAgent:Policy) is bound and validated at start (it used to be ignored).
/// </summary>
public sealed class ConfigurationValueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("Serving__MaxRequestBytes", "abc", "Serving:MaxRequestBytes is 'abc'; it takes a whole number from -9223372036854775808 to 9223372036854775807.")]
    [InlineData("Serving__ShutdownTimeout", "5s", "Serving:ShutdownTimeout is '5s'; it takes a duration as [d.]hh:mm:ss[.fff], such as 00:00:05.")]
    [InlineData("Agent__Preference", "fast", "Agent:Preference is 'fast'; it takes a number, such as 0.5 (a dot for the decimals).")]
    [InlineData("Security__Insecure", "maybe", "Security:Insecure is 'maybe'; it takes true or false.")]
    [InlineData("Telemetry__TraceSampleRatio", "1/10", "Telemetry:TraceSampleRatio is '1/10'; it takes a number, such as 0.5 (a dot for the decimals).")]
    [InlineData("Dashboard__RecentDecisions", "many", "Dashboard:RecentDecisions is 'many'; it takes a whole number from -2147483648 to 2147483647.")]
    [InlineData("DecisionLog__Enabled", "maybe", "DecisionLog:Enabled is 'maybe'; it takes true or false.")]
    [InlineData("Execution__GraphOptimization", "most", "Execution:GraphOptimization is 'most'; it takes one of ")]
    [InlineData("EdgeAgent__Policy__AllowSpinning", "yes", "EdgeAgent:Policy:AllowSpinning is 'yes'; it takes true or false.")]
    [InlineData("EdgeAgent__Policy__IntraOpThreads", "0", "EdgeAgent:Policy:IntraOpThreads must be between 1 and 64.")]
    public async Task Agent_SettingOfTheWrongKind_ExitsTwoWithOneLineNamingIt(string variable, string value, string expected)
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "edgeagent.dll"), "agent", "--listen", "127.0.0.1:0", "--models", repository.Root })
        {
            start.ArgumentList.Add(argument);
        }

        var state = Directory.CreateTempSubdirectory("edgeagent-config-value-");
        start.Environment["EDGEAGENT_DecisionLog__Path"] = state.FullName;
        start.Environment["EDGEAGENT_" + variable] = value;
        using var agent = Process.Start(start) ?? throw new InvalidOperationException("could not start edgeagent");
        try
        {
            var output = agent.StandardOutput.ReadToEndAsync();
            var error = agent.StandardError.ReadToEndAsync();
            await agent.WaitForExitAsync().WaitAsync(Bound);

            Assert.Equal(2, agent.ExitCode);
            Assert.DoesNotContain("serving on", await output, StringComparison.Ordinal);
            var line = Assert.Single((await error).Trim().Split('\n'));
            Assert.StartsWith("edgeagent: " + expected, line, StringComparison.Ordinal);
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill(entireProcessTree: true);
            }

            state.Delete(recursive: true);
        }
    }
}
