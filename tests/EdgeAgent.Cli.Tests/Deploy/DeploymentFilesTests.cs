using System.CommandLine;
using System.Diagnostics;
using System.Text.RegularExpressions;
using EdgeAgent.Cli.Commands;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace EdgeAgent.Cli.Tests.Deploy;

/// <summary>
/// The deployment files as written: deploy/appsettings.json loaded by a real agent through the
/// options validation, the systemd unit (x64 boards without gpio/i2c groups, its directories,
/// systemd-analyze), and Dockerfile.arm64 read against the rules of a cross-build without
/// emulation (Docker cannot build it here: no buildx and no registry for the base images).
/// </summary>
public sealed partial class DeploymentFilesTests(ITestOutputHelper output)
{
    private static string Root { get; } = FindRoot();

    [Fact]
    public void SampleAppSettings_EveryKeyBindsToASettingAndValidates()
    {
        var configuration = SampleConfiguration();
        var checkedSections = 0;
        foreach (var section in configuration.GetChildren().Where(s => s.Key != "Logging"))
        {
            NodeSettingsSections.AssertBindsAndValidates(section, "deploy/appsettings.json");
            checkedSections++;
        }

        Assert.True(checkedSections >= 5);
        Assert.Equal("/var/lib/edgeagent/models", configuration["Models:Path"]);
        Assert.Equal("/var/lib/edgeagent/models", UnitValue(ReadUnit(), "Environment").Single(e => e.StartsWith("EDGEAGENT_Models__Path=", StringComparison.Ordinal)).Split('=')[1]);
    }

    [Fact]
    public async Task SampleAppSettings_RealAgentStartsFromIt()
    {
        // Everything from the sample except what names this machine's files and ports.
        var work = Directory.CreateTempSubdirectory("edgeagent-sample-");
        try
        {
            EdgeAgent.Demo.Benchmarks.TinyModel.WriteRepository(Path.Combine(work.FullName, "models"));
            var keys = SampleConfiguration().AsEnumerable().Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value);
            Assert.True(keys.Remove("Models:Path") && keys.Remove("Endpoint:Listen"));
            var socket = Path.Combine(work.FullName, "agent.sock");
            keys["Endpoint:Socket"] = socket;

            await using var agent = await AgentHost.StartAsync(
                new AgentHostSettings { ModelsPath = Path.Combine(work.FullName, "models"), Listen = "127.0.0.1:0", Extra = keys },
                b => b.Logging.ClearProviders());

            var dispatcher = agent.Services.GetRequiredService<Dispatcher>();
            Assert.Equal("learned", dispatcher.Policy.Name);
            Assert.Equal(["cloud", "edge"], agent.Services.GetRequiredService<ClusterView>().Peers.Select(p => p.Name).Order());
            Assert.True(File.Exists(socket));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public void SystemdUnit_NoRequiredGroups_CreatesItsDirectories_ArgumentsParse()
    {
        var unit = ReadUnit();

        // x64 boards have no gpio/i2c groups: the main unit names none (systemd refuses unknown
        // groups); the drop-in for GPIO/I2C boards adds them with the devices.
        Assert.Empty(UnitValue(unit, "SupplementaryGroups"));
        Assert.Empty(UnitValue(unit, "DeviceAllow"));
        var dropIn = File.ReadAllText(Path.Combine(Root, "deploy", "systemd", "edgeagent.service.d", "gpio-i2c.conf"));
        Assert.Equal(["gpio i2c"], UnitValue(dropIn, "SupplementaryGroups"));
        Assert.Equal(["char-gpiochip rw", "char-i2c rw"], UnitValue(dropIn, "DeviceAllow"));

        // The model directory, the socket's directory and the configuration directory are made by systemd.
        Assert.Contains("edgeagent/models", UnitValue(unit, "StateDirectory").Single().Split(' '));
        Assert.Equal(["edgeagent"], UnitValue(unit, "RuntimeDirectory"));
        Assert.Equal(["edgeagent"], UnitValue(unit, "ConfigurationDirectory"));
        Assert.Equal(["/etc/edgeagent"], UnitValue(unit, "WorkingDirectory"));

        var exec = UnitValue(unit, "ExecStart").Single().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("/opt/edgeagent/edgeagent", exec[0]);
        var socket = exec[Array.IndexOf(exec, "--socket") + 1];
        Assert.StartsWith("/run/edgeagent/", socket, StringComparison.Ordinal);
        AssertParses(exec[1..]);
    }

    [Fact]
    public async Task SystemdUnit_SystemdAnalyzeVerify_NoProblems()
    {
        var analyze = "/usr/bin/systemd-analyze";
        Assert.True(File.Exists(analyze), "systemd-analyze is missing: install Debian's systemd package (.ci/run does) to check the unit.");
        var work = Directory.CreateTempSubdirectory("edgeagent-unit-");
        try
        {
            // The binary and the user exist only on an installed board: stand-ins for them, the rest as written.
            var unit = ReadUnit().Replace("ExecStart=/opt/edgeagent/edgeagent", "ExecStart=/bin/true", StringComparison.Ordinal)
                .Replace("User=edgeagent", "User=root", StringComparison.Ordinal).Replace("Group=edgeagent", "Group=root", StringComparison.Ordinal);
            var path = Path.Combine(work.FullName, "edgeagent.service");
            File.WriteAllText(path, unit);
            var start = new ProcessStartInfo(analyze) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "verify", "--man=no", path })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stderrTask = process.StandardError.ReadToEndAsync(bound.Token);
            var stdout = await process.StandardOutput.ReadToEndAsync(bound.Token);
            var stderr = await stderrTask;
            await process.WaitForExitAsync(bound.Token);
            var problems = (stdout + stderr).Split('\n').Where(l => l.Contains("edgeagent.service", StringComparison.Ordinal)).ToArray();
            output.WriteLine(stdout + stderr);
            Assert.Equal(0, process.ExitCode);
            Assert.Empty(problems);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public void CliProject_RidSpecificPublishIsReadyToRun_AndItsRestoreFetchesCrossgen()
    {
        // PublishReadyToRun applies to RID-specific builds only (a plain build and dotnet test are IL
        // only), and also when just RuntimeIdentifiers is set: `dotnet restore -r RID` sets the plural,
        // and that restore (Dockerfile.arm64's own layer) must fetch the crossgen package for the
        // publish with --no-restore after it.
        var project = System.Xml.Linq.XDocument.Load(Path.Combine(Root, "src", "EdgeAgent.Cli", "EdgeAgent.Cli.csproj"));
        var r2r = project.Descendants("PublishReadyToRun").Single();
        Assert.Equal("true", r2r.Value.Trim());
        var condition = r2r.Parent!.Attribute("Condition")?.Value ?? "";
        Assert.Contains("'$(RuntimeIdentifier)' != ''", condition, StringComparison.Ordinal);
        Assert.Contains("'$(RuntimeIdentifiers)' != ''", condition, StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_CrossBuildsWithoutEmulation_CachedRestore_HealthCheck_NonRoot()
    {
        var stages = DockerStages(File.ReadAllText(Path.Combine(Root, "Dockerfile.arm64")));
        Assert.Equal(2, stages.Count);
        var (buildFrom, build) = stages[0];
        var (runtimeFrom, runtime) = stages[^1];

        // The build stage runs on the build machine's platform and cross-publishes for arm64.
        Assert.Contains("--platform=$BUILDPLATFORM", buildFrom, StringComparison.Ordinal);
        var publish = build.Single(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.Contains("-r linux-arm64", publish.Arguments, StringComparison.Ordinal);
        Assert.Contains("--no-restore", publish.Arguments, StringComparison.Ordinal);

        // Nothing is executed in the arm64 stage (no QEMU on an x64 host).
        Assert.DoesNotContain("--platform", runtimeFrom, StringComparison.Ordinal);
        Assert.DoesNotContain(runtime, i => i.Keyword == "RUN");

        // Restore is its own layer: before it only the build policy and the project files are copied,
        // and every project the CLI builds from is among them.
        var restore = build.FindIndex(i => i.Keyword == "RUN" && i.Arguments.Contains("dotnet restore", StringComparison.Ordinal));
        Assert.True(restore > 0);
        Assert.Contains("-r linux-arm64", build[restore].Arguments, StringComparison.Ordinal);
        var copiedBefore = build.Take(restore).Where(i => i.Keyword == "COPY").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)[..^1]).ToList();
        Assert.All(copiedBefore, source => Assert.True(
            source.EndsWith(".csproj", StringComparison.Ordinal) || source.StartsWith("Directory.", StringComparison.Ordinal) || source is "global.json" or ".editorconfig",
            $"{source} is copied before the restore: a change to it would invalidate the restore layer"));
        var projects = Directory.GetFiles(Path.Combine(Root, "src"), "*.csproj", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/'));
        Assert.All(projects, p => Assert.Contains(p, copiedBefore));
        Assert.Contains("Directory.Packages.props", copiedBefore);
        Assert.Contains("Directory.Build.props", copiedBefore);

        // Non-root, with a health check through grpc.health.v1 on the health-only listener.
        var user = runtime.Last(i => i.Keyword == "USER").Arguments.Trim();
        Assert.NotEqual("root", user);
        Assert.NotEqual("0", user.Split(':')[0]);
        var health = runtime.Single(i => i.Keyword == "HEALTHCHECK").Arguments;
        var command = JsonArray().Match(health);
        Assert.True(command.Success, "HEALTHCHECK CMD is not an exec form array");
        var args = System.Text.Json.JsonSerializer.Deserialize<string[]>(command.Value)!;
        Assert.Equal("/opt/edgeagent/edgeagent", args[0]);
        Assert.Equal("health", args[1]);
        AssertParses(args[1..]);
        var env = runtime.Where(i => i.Keyword == "ENV").SelectMany(i => EnvPair().Matches(i.Arguments)).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        var healthListen = env["EDGEAGENT_Endpoint__HealthListen"];
        Assert.EndsWith(":" + healthListen.Split(':')[^1], args[Array.IndexOf(args, "--node") + 1], StringComparison.Ordinal);
        Assert.StartsWith("127.0.0.1:", healthListen, StringComparison.Ordinal);
        Assert.Equal("/models", env["EDGEAGENT_Models__Path"]);
        Assert.Contains(runtime, i => i.Keyword == "COPY" && i.Arguments.Contains("/models", StringComparison.Ordinal));
    }

    private static IConfigurationRoot SampleConfiguration() =>
        new ConfigurationBuilder().AddJsonFile(Path.Combine(Root, "deploy", "appsettings.json"), optional: false).Build();

    private static string ReadUnit() => File.ReadAllText(Path.Combine(Root, "deploy", "systemd", "edgeagent.service"));

    private static List<string> UnitValue(string unit, string key) =>
        unit.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith(key + "=", StringComparison.Ordinal)).Select(l => l[(key.Length + 1)..]).ToList();

    private static void AssertParses(string[] args)
    {
        var root = new RootCommand();
        foreach (var command in CommandCatalog.Create())
        {
            root.Subcommands.Add(command);
        }

        var result = root.Parse(args);
        Assert.True(result.Errors.Count == 0, $"`edgeagent {string.Join(' ', args)}`: {string.Join("; ", result.Errors.Select(e => e.Message))}");
    }

    private sealed record Instruction(string Keyword, string Arguments);

    // Stages of a Dockerfile: FROM line and instructions (continuation lines joined, comments dropped).
    private static List<(string From, List<Instruction> Instructions)> DockerStages(string text)
    {
        var joined = Regex.Replace(string.Join('\n', text.Split('\n').Where(l => !l.TrimStart().StartsWith('#'))), @"\\\n", " ");
        var stages = new List<(string, List<Instruction>)>();
        foreach (var line in joined.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? line : line[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : Regex.Replace(line[(space + 1)..], @"\s+", " ");
            if (keyword == "FROM")
            {
                stages.Add((arguments, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1].Item2.Add(new Instruction(keyword, arguments));
            }
        }

        return stages;
    }

    [GeneratedRegex(@"\[.*\]")]
    private static partial Regex JsonArray();

    [GeneratedRegex(@"(\w+)=(\S+)")]
    private static partial Regex EnvPair();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeAgent.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EdgeAgent.sln not found above " + AppContext.BaseDirectory);
    }
}
