using System.Diagnostics;
using System.Globalization;
using EdgeAgent.Demo.Benchmarks;

namespace EdgeAgent.Demo.Live;

/// <summary>
/// An `edgeagent peer` process behind a real link: its own Linux network namespace joined to this
/// one by a veth pair, with a token-bucket rate limit (tc tbf) on both ends, so requests and
/// responses cross a real bandwidth bottleneck in the kernel. This machine's kernel has no netem,
/// so delay stays with the agent's in-process link emulation (<c>rtt=</c>). Needs root and
/// iproute2 (<see cref="Unavailable"/> says why not); everything created is deleted on dispose,
/// also after a failed start.
/// </summary>
public sealed class NetworkNamespacePeer : IAsyncDisposable
{
    private readonly string _namespace;
    private readonly string _hostInterface;
    private NodeProcess? _process;

    private NetworkNamespacePeer(string name, string ns, string hostInterface, string address, double rateMbit)
    {
        Name = name;
        _namespace = ns;
        _hostInterface = hostInterface;
        PeerAddress = address;
        RateMbit = rateMbit;
    }

    /// <summary>The peer's name.</summary>
    public string Name { get; }

    /// <summary>The peer's address inside its namespace (reached over the veth pair).</summary>
    public string PeerAddress { get; }

    /// <summary>The tbf rate of each direction, Mbit/s.</summary>
    public double RateMbit { get; }

    /// <summary>The peer's URL.</summary>
    public Uri Url => _process?.Address ?? throw new InvalidOperationException("The peer is not started.");

    /// <summary>Why namespaces cannot be used here (not root, no ip or tc command), or null when they can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "network namespaces need Linux";
        }

        var (uid, _) = Run("id", ["-u"]);
        if (uid.Trim() != "0")
        {
            return "network namespaces need root (this process runs as uid " + uid.Trim() + ")";
        }

        foreach (var tool in new[] { "ip", "tc" })
        {
            var (_, code) = Run("sh", ["-c", "command -v " + tool]);
            if (code != 0)
            {
                return $"no '{tool}' command (iproute2)";
            }
        }

        return null;
    }

    /// <summary>
    /// Creates namespace and veth pair number <paramref name="index"/> (10.231.INDEX.0/30), limits
    /// both directions to <paramref name="rateMbit"/> Mbit/s, and starts the peer in the namespace.
    /// </summary>
    /// <exception cref="InvalidOperationException">A command failed (its output in the message) or the peer did not start.</exception>
    public static async Task<NetworkNamespacePeer> StartAsync(string name, int index, double rateMbit, double computeSpeed, string modelsPath,
        (string Executable, IReadOnlyList<string> Arguments) cli, CancellationToken cancellationToken, Inference.Execution.EmulationClock emulationClock = Inference.Execution.EmulationClock.Wall)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 255);
        if (!(rateMbit is > 0 and <= 10_000))
        {
            throw new ArgumentOutOfRangeException(nameof(rateMbit), rateMbit, "The rate must be in (0, 10000] Mbit/s.");
        }

        var tag = string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId % 100000}x{index}");
        var ns = "edgeagent-" + tag;
        var host = "eah" + tag;
        var inside = "ean" + tag;
        var hostAddress = string.Create(CultureInfo.InvariantCulture, $"10.231.{index}.1");
        var peerAddress = string.Create(CultureInfo.InvariantCulture, $"10.231.{index}.2");
        var peer = new NetworkNamespacePeer(name, ns, host, peerAddress, rateMbit);
        try
        {
            var rate = string.Create(CultureInfo.InvariantCulture, $"{rateMbit * 1000:0}kbit");
            Must("ip", ["netns", "add", ns]);
            Must("ip", ["link", "add", host, "type", "veth", "peer", "name", inside]);
            Must("ip", ["link", "set", inside, "netns", ns]);
            Must("ip", ["addr", "add", hostAddress + "/30", "dev", host]);
            Must("ip", ["link", "set", host, "up"]);
            Must("ip", ["netns", "exec", ns, "ip", "addr", "add", peerAddress + "/30", "dev", inside]);
            Must("ip", ["netns", "exec", ns, "ip", "link", "set", inside, "up"]);
            Must("ip", ["netns", "exec", ns, "ip", "link", "set", "lo", "up"]);
            // Each end shapes what it sends: the host end the uploads, the peer's end the responses.
            Must("tc", ["qdisc", "add", "dev", host, "root", "tbf", "rate", rate, "burst", "32kbit", "latency", "400ms"]);
            Must("ip", ["netns", "exec", ns, "tc", "qdisc", "add", "dev", inside, "root", "tbf", "rate", rate, "burst", "32kbit", "latency", "400ms"]);

            var port = NodeProcess.FreePort();
            peer._process = await NodeProcess.StartAsync("ip",
                ["netns", "exec", ns, "env",
                    "EDGEAGENT_Execution__IntraOpThreads=1",
                    "EDGEAGENT_Execution__InterOpThreads=1",
                    "EDGEAGENT_Execution__SpeedFactorClock=" + emulationClock,
                    "EDGEAGENT_Execution__ComputeSpeedFactor=" + computeSpeed.ToString("R", CultureInfo.InvariantCulture),
                    "Logging__LogLevel__Default=Warning",
                    cli.Executable, .. cli.Arguments],
                ["peer", "--listen", string.Create(CultureInfo.InvariantCulture, $"{peerAddress}:{port}"), "--models", modelsPath, "--name", name, "--insecure"],
                port,
                TimeSpan.FromSeconds(90),
                cancellationToken,
                host: peerAddress).ConfigureAwait(false);
            return peer;
        }
        catch
        {
            await peer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether the namespace still exists (tests of the clean-up).</summary>
    public static bool NamespaceExists(string name) => Run("ip", ["netns", "list"]).Output.Split('\n').Any(l => l.Split(' ')[0] == name);

    /// <summary>The namespace's name.</summary>
    public string Namespace => _namespace;

    /// <summary>Stops the peer and deletes the namespace and the veth pair.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
            _process = null;
        }

        // Deleting the namespace deletes its veth end, which takes the host end with it.
        Run("ip", ["netns", "del", _namespace]);
        Run("ip", ["link", "del", _hostInterface]);
    }

    private static void Must(string tool, IReadOnlyList<string> arguments)
    {
        var (output, code) = Run(tool, arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"'{tool} {string.Join(' ', arguments)}' failed with exit code {code}: {output.Trim()}");
        }
    }

    private static (string Output, int Code) Run(string tool, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (output, process.ExitCode);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return (ex.Message, 127);
        }
    }
}
