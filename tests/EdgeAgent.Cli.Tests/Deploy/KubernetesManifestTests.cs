using System.Diagnostics;
using System.Text;
using System.Text.Json;
using EdgeAgent.Cli.Commands;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Node.Agent;
using EdgeAgent.Node.Hosting;
using EdgeAgent.Node.Serving;
using Microsoft.Extensions.Configuration;

namespace EdgeAgent.Cli.Tests.Deploy;

/// <summary>
/// deploy/kubernetes checked offline: every manifest against the Kubernetes API schemas, strictly
/// (tests/deploy-kubernetes/validate.mjs on the kubernetes-models package, installed here with
/// `npm ci` from the committed lockfile), the kustomization listing exactly the folder's manifests,
/// every container's args parsed by this CLI, and every appsettings key in the ConfigMaps bound to
/// a real option.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static readonly Lazy<string> Installed = new(InstallValidator, LazyThreadSafetyMode.ExecutionAndPublication);

    private static string RepositoryRoot { get; } = FindRoot();

    private static string ManifestsDir => Path.Combine(RepositoryRoot, "deploy", "kubernetes");

    [Fact]
    public void Manifests_AgainstKubernetesSchemas_Valid()
    {
        var (code, output, error) = Validate(ManifestsDir);

        Assert.True(code == 0, $"validate.mjs exited {code}:\n{error}\n{output}");
        Assert.Contains(", 0 problems", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifests_WrongFieldTypeOrListing_FailNamingEach()
    {
        var copy = CopyManifests();
        try
        {
            Edit(copy, "peer-deployment.yaml", "          imagePullPolicy: IfNotPresent\n", "          imagePullPolicy: IfNotPresent\n          imagePullPolicyy: Always\n");
            Edit(copy, "peer-hpa.yaml", "averageUtilization: 75", "averageUtilisation: 75");
            Edit(copy, "peer-pdb.yaml", "maxUnavailable: 1", "maxUnavailable: [1]");
            Edit(copy, "peer-deployment.yaml", "  replicas: 2", "  replicas: two");
            Edit(copy, "kustomization.yaml", "  - peer-pdb.yaml\n", "");
            File.WriteAllText(Path.Combine(copy, "stray.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stray\n");

            var (code, _, error) = Validate(copy);

            Assert.Equal(1, code);
            Assert.Contains("/spec/template/spec/containers/0: unknown field 'imagePullPolicyy'", error, StringComparison.Ordinal);
            Assert.Contains("/spec/metrics/1/resource/target: unknown field 'averageUtilisation'", error, StringComparison.Ordinal);
            Assert.Contains("/spec/replicas: must be integer", error, StringComparison.Ordinal);
            Assert.Contains("resources does not list peer-pdb.yaml", error, StringComparison.Ordinal);
            Assert.Contains("resources does not list stray.yaml", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Manifests_UnknownKindOrBrokenReference_Fail()
    {
        var copy = CopyManifests();
        try
        {
            Edit(copy, "peer-pdb.yaml", "kind: PodDisruptionBudget", "kind: PodDisruptionBudgett");
            Edit(copy, "peer-deployment.yaml", "            - name: tls\n              mountPath", "            - name: tlss\n              mountPath");
            Edit(copy, "peer-service.yaml", "      targetPort: grpc\n      protocol: TCP\n---", "      targetPort: grcp\n      protocol: TCP\n---");

            var (code, _, error) = Validate(copy);

            Assert.Equal(1, code);
            Assert.Contains("policy/v1 PodDisruptionBudgett is not a Kubernetes API type", error, StringComparison.Ordinal);
            Assert.Contains("container peer mounts volume tlss, which the pod does not define", error, StringComparison.Ordinal);
            Assert.Contains("targetPort grcp is no named port", error, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void ContainerArgs_EveryOne_ParsedByTheCli()
    {
        var checkedContainers = 0;
        foreach (var (file, container, args) in ContainerArgs())
        {
            var root = new System.CommandLine.RootCommand();
            foreach (var command in CommandCatalog.Create())
            {
                root.Subcommands.Add(command);
            }

            var result = root.Parse(args);

            Assert.True(result.Errors.Count == 0, $"{file} container {container}: `edgeagent {string.Join(' ', args)}`: {string.Join("; ", result.Errors.Select(e => e.Message))}");
            Assert.Contains(result.CommandResult.Command.Name, new[] { "agent", "peer" });
            if (result.CommandResult.Command.Name == "agent")
            {
                var peers = args.Select((a, i) => (a, i)).Where(p => p.a == "--peer").Select(p => args[p.i + 1]).ToList();
                Assert.NotEmpty(peers);
                Assert.NotEmpty(AgentHost.PeerKeys(peers));
            }

            checkedContainers++;
        }

        Assert.Equal(2, checkedContainers);
    }

    [Fact]
    public void ConfigMaps_AppSettings_EveryKeyIsAnOption()
    {
        var maps = 0;
        foreach (var (name, json) in AppSettings())
        {
            var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
            foreach (var section in configuration.GetChildren())
            {
                if (section.Key == "Logging")
                {
                    continue;
                }

                NodeSettingsSections.AssertBindsAndValidates(section, $"ConfigMap {name}");
            }

            maps++;
        }

        Assert.Equal(2, maps);
    }

    // The HPA's per-pod metric must be a series the peer pods serve where Prometheus scrapes them:
    // the Prometheus name of ExecutorMetrics.ResidualWork (meter exported by NodeTelemetry), on the
    // --metrics-listen port the pod declares and annotates, allowed off loopback by the ConfigMap.
    [Fact]
    public void PeerDeployment_ExportsTheMetricTheHpaScalesOn()
    {
        var docs = Documents();
        var hpa = docs.Single(d => d.Doc.GetProperty("kind").GetString() == "HorizontalPodAutoscaler").Doc;
        var podMetrics = hpa.GetProperty("spec").GetProperty("metrics").EnumerateArray()
            .Where(m => m.GetProperty("type").GetString() == "Pods")
            .Select(m => m.GetProperty("pods").GetProperty("metric").GetProperty("name").GetString())
            .ToList();
        var deployment = docs.Single(d => d.Doc.GetProperty("kind").GetString() == "Deployment" && d.Doc.GetProperty("metadata").GetProperty("name").GetString() == hpa.GetProperty("spec").GetProperty("scaleTargetRef").GetProperty("name").GetString()).Doc;
        var template = deployment.GetProperty("spec").GetProperty("template");
        var container = template.GetProperty("spec").GetProperty("containers")[0];
        var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToList();
        var peerConfig = AppSettings().Single(a => a.Name == "edgeagent-peer-config").Json;

        // ExecutorMetrics.ResidualWork in Prometheus form: dots to underscores, the unit "s" as _seconds.
        var exported = ExecutorMetrics.ResidualWork.Replace('.', '_') + "_seconds";
        Assert.Equal([exported], podMetrics);
        Assert.Contains(ExecutorMetrics.MeterName, EdgeAgent.Node.Telemetry.NodeTelemetry.MeterNames);
        var listenAt = args.IndexOf("--metrics-listen");
        Assert.True(listenAt >= 0, "the peer container does not pass --metrics-listen: the HPA's metric would never be scraped");
        Assert.True(EndpointOptions.TryParseListen(args[listenAt + 1], out var metrics, out var error), error);
        var declared = container.GetProperty("ports").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "metrics");
        Assert.Equal(metrics.Port, declared.GetProperty("containerPort").GetInt32());
        var annotations = template.GetProperty("metadata").GetProperty("annotations");
        Assert.Equal("true", annotations.GetProperty("prometheus.io/scrape").GetString());
        Assert.Equal(metrics.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), annotations.GetProperty("prometheus.io/port").GetString());
        Assert.Equal(EdgeAgent.Node.Telemetry.TelemetryOptions.PrometheusPath, annotations.GetProperty("prometheus.io/path").GetString());
        var telemetry = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(peerConfig))).Build()
            .GetSection("Telemetry").Get<EdgeAgent.Node.Telemetry.TelemetryOptions>();
        Assert.True(System.Net.IPAddress.IsLoopback(metrics.Address) || telemetry?.PrometheusOnNetwork == true || args.Contains("--insecure"),
            $"--metrics-listen {args[listenAt + 1]} is off loopback but the peer ConfigMap does not set Telemetry:PrometheusOnNetwork: the peer would refuse to start");
    }

    // The durable decision log (decisions.db) must land on a writable host directory that outlives
    // the pod, owned by the user the agent runs as (read-only root file system otherwise).
    [Fact]
    public void AgentDaemonSet_DecisionLogOnADurableWritableStateVolume()
    {
        var daemonSet = Documents().Single(d => d.Doc.GetProperty("kind").GetString() == "DaemonSet").Doc;
        var pod = daemonSet.GetProperty("spec").GetProperty("template").GetProperty("spec");
        var container = pod.GetProperty("containers").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "agent");
        var args = container.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToList();
        var at = args.IndexOf("--decision-log");

        Assert.True(at >= 0, "the agent container does not pass --decision-log: decisions.db would go to the read-only root file system");
        var stateDir = args[at + 1];
        Assert.NotEqual("off", stateDir);
        var mount = container.GetProperty("volumeMounts").EnumerateArray()
            .Single(m => stateDir == m.GetProperty("mountPath").GetString() || stateDir.StartsWith(m.GetProperty("mountPath").GetString() + "/", StringComparison.Ordinal));
        Assert.False(mount.TryGetProperty("readOnly", out var ro) && ro.GetBoolean(), "the state volume is mounted read-only");
        var volume = pod.GetProperty("volumes").EnumerateArray().Single(v => v.GetProperty("name").GetString() == mount.GetProperty("name").GetString());
        Assert.True(volume.TryGetProperty("hostPath", out var hostPath), "the state volume is not a hostPath: the log would not outlive the pod");
        Assert.Equal("DirectoryOrCreate", hostPath.GetProperty("type").GetString());
        var user = pod.GetProperty("securityContext").GetProperty("runAsUser").GetInt64();
        var owner = pod.GetProperty("initContainers").EnumerateArray().Single(c => c.GetProperty("volumeMounts").EnumerateArray().Any(m => m.GetProperty("name").GetString() == mount.GetProperty("name").GetString()));
        Assert.Equal(["chown", $"{user}:{pod.GetProperty("securityContext").GetProperty("runAsGroup").GetInt64()}", mount.GetProperty("mountPath").GetString()!],
            owner.GetProperty("command").EnumerateArray().Select(a => a.GetString()!).ToArray());
    }

    [Fact]
    public void AppSettingsCheck_MisspeltKey_Fails()
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream("""{"Execution": {"IntraOpThread": 2}}"""u8.ToArray())).Build();

        var ex = Assert.Throws<InvalidOperationException>(() => configuration.GetSection("Execution").Get<ExecutionOptions>(o => o.ErrorOnUnknownConfiguration = true));

        Assert.Contains("IntraOpThread", ex.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<(string File, string Container, string[] Args)> ContainerArgs()
    {
        foreach (var (file, doc) in Documents())
        {
            if (doc.GetProperty("kind").GetString() is not ("Deployment" or "DaemonSet"))
            {
                continue;
            }

            foreach (var container in doc.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers").EnumerateArray())
            {
                if (container.TryGetProperty("args", out var args))
                {
                    yield return (file, container.GetProperty("name").GetString()!, args.EnumerateArray().Select(a => a.GetString()!).ToArray());
                }
            }
        }
    }

    private static IEnumerable<(string Name, string Json)> AppSettings()
    {
        foreach (var (_, doc) in Documents())
        {
            if (doc.GetProperty("kind").GetString() == "ConfigMap")
            {
                yield return (doc.GetProperty("metadata").GetProperty("name").GetString()!, doc.GetProperty("data").GetProperty("appsettings.json").GetString()!);
            }
        }
    }

    private static List<(string File, JsonElement Doc)> Documents()
    {
        var dump = Path.Combine(Path.GetTempPath(), "edgeagent-k8s-" + Guid.NewGuid().ToString("N") + ".json");
        try
        {
            var (code, output, error) = Validate(ManifestsDir, "--dump", dump);
            Assert.True(code == 0, $"validate.mjs exited {code}:\n{error}\n{output}");
            using var json = JsonDocument.Parse(File.ReadAllText(dump));
            return json.RootElement.EnumerateArray().Select(e => (e.GetProperty("file").GetString()!, e.GetProperty("doc").Clone())).ToList();
        }
        finally
        {
            File.Delete(dump);
        }
    }

    private static string CopyManifests()
    {
        var copy = Path.Combine(Path.GetTempPath(), "edgeagent-k8s-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(ManifestsDir))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        return copy;
    }

    private static void Edit(string dir, string file, string from, string to)
    {
        var path = Path.Combine(dir, file);
        var text = File.ReadAllText(path);
        Assert.True(text.Contains(from, StringComparison.Ordinal), $"{file} no longer contains '{from}': update this test's edit");
        File.WriteAllText(path, text.Replace(from, to, StringComparison.Ordinal));
    }

    private static (int Code, string Output, string Error) Validate(string dir, params string[] extra)
    {
        var checker = Installed.Value;
        return Run("node", checker, ["validate.mjs", dir, .. extra], TimeSpan.FromMinutes(2));
    }

    // npm ci from the committed lockfile, once per test run unless node_modules already matches it.
    private static string InstallValidator()
    {
        var checker = Path.Combine(RepositoryRoot, "tests", "deploy-kubernetes");
        var lockFile = Path.Combine(checker, "package-lock.json");
        var installed = Path.Combine(checker, "node_modules", ".package-lock.json");
        if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(lockFile))
        {
            return checker;
        }

        var (code, output, error) = Run("npm", checker, ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"npm ci in {checker} exited {code} (the manifest check needs Node.js and npm):\n{error}\n{output}");
        return checker;
    }

    private static (int Code, string Output, string Error) Run(string program, string workingDirectory, IReadOnlyList<string> args, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Assert.Fail($"'{program}' could not start ({ex.Message}); the Kubernetes manifest check needs Node.js and npm on PATH.");
            throw;
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"'{program} {string.Join(' ', args)}' did not finish within {timeout.TotalSeconds} s");
            }

            process.WaitForExit();
            return (process.ExitCode, output.Result, error.Result);
        }
    }

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
