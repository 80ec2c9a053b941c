using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeAgent.Contracts.Inference;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// An <c>edgeagent agent</c> or <c>peer</c> running as its own process on 127.0.0.1 (its memory
/// is its own, and it can be stopped, continued or killed like a real node); killed and reaped on
/// dispose. The one process launcher of the benchmarks (overhead, telemetry, soak).
/// </summary>
public sealed class NodeProcess : IAsyncDisposable
{
    /// <summary>The environment variable through which a started node watches its starter (Serving:StopWithProcessId).</summary>
    public const string SupervisorVariable = "EDGEAGENT_Serving__StopWithProcessId";

    private readonly Process _process;

    private NodeProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The node's address.</summary>
    public Uri Address { get; }

    /// <summary>
    /// From starting the process to the first ServerReady that answered true (probed every 200 ms,
    /// so up to 200 ms late): the node's start-up as a client sees it.
    /// </summary>
    public TimeSpan ReadyAfter { get; private set; }

    /// <summary>Process id.</summary>
    public int Id => _process.Id;

    /// <summary>Each line the node writes to its standard output (its console log), as it arrives; raised on a thread-pool thread.</summary>
    public event Action<string>? OutputLine;

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="leadingArguments"/> (for example the
    /// assembly path when the executable is <c>dotnet</c>), then <c>agent --models DIR --policy local
    /// --listen 127.0.0.1:PORT</c> on a free port, and waits until it reports ready.
    /// </summary>
    public static Task<NodeProcess> StartAgentAsync(string executable, IReadOnlyList<string> leadingArguments, string modelsPath, TimeSpan timeout, CancellationToken cancellationToken) =>
        StartAsync(executable, leadingArguments, ["agent", "--models", modelsPath, "--policy", "local"], new Dictionary<string, string>(), timeout, cancellationToken);

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="leadingArguments"/>, then
    /// <paramref name="arguments"/> (a role and its options) and <c>--listen 127.0.0.1:PORT</c> on a
    /// free port, with <paramref name="environment"/> added, and waits until the node reports ready.
    /// </summary>
    public static Task<NodeProcess> StartAsync(string executable, IReadOnlyList<string> leadingArguments, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var port = FreePort();
        return StartAsync(executable, leadingArguments, [.. arguments, "--listen", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)], port, environment, timeout, TimeProvider.System, cancellationToken);
    }

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="leadingArguments"/> then
    /// <paramref name="arguments"/> (which must make it listen on 127.0.0.1:<paramref name="port"/>)
    /// and waits until ServerReady answers true. <paramref name="host"/> is where it listens
    /// (another address for a node in its own network namespace).
    /// </summary>
    public static Task<NodeProcess> StartAsync(string executable, IReadOnlyList<string> leadingArguments, IReadOnlyList<string> arguments, int port, TimeSpan timeout, CancellationToken cancellationToken, string host = "127.0.0.1") =>
        StartAsync(executable, leadingArguments, arguments, port, new Dictionary<string, string>(), timeout, TimeProvider.System, cancellationToken, host);

    /// <summary>
    /// Starts <paramref name="launch"/> with <paramref name="arguments"/> (which must make it listen
    /// on 127.0.0.1:<paramref name="port"/>) and waits until ServerReady answers true; the start-up
    /// <paramref name="timeout"/> and the pauses between probes run on <paramref name="time"/>.
    /// </summary>
    /// <exception cref="TimeoutException">Not ready within the timeout (the message names the last probe's answer).</exception>
    /// <exception cref="InvalidOperationException">The process exited during start-up.</exception>
    public static Task<NodeProcess> StartAsync(NodeLaunch launch, IReadOnlyList<string> arguments, int port, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken) =>
        StartAsync(launch, arguments, new Dictionary<string, string>(), port, timeout, time, cancellationToken);

    /// <summary>As the overload without <paramref name="environment"/>, with these environment variables set for the process.</summary>
    /// <exception cref="TimeoutException">Not ready within the timeout (the message names the last probe's answer).</exception>
    /// <exception cref="InvalidOperationException">The process exited during start-up.</exception>
    public static Task<NodeProcess> StartAsync(NodeLaunch launch, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, int port, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(launch);
        return StartAsync(launch.Executable, launch.LeadingArguments, arguments, port, environment, timeout, time, cancellationToken);
    }

    private static async Task<NodeProcess> StartAsync(string executable, IReadOnlyList<string> leadingArguments, IReadOnlyList<string> arguments, int port, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken, string host = "127.0.0.1")
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(leadingArguments);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in leadingArguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        // The node stops when this process exits, even by SIGKILL, which cannot be passed on
        // (SupervisorWatch); a caller's environment may set another id, or 0 for off.
        start.Environment[SupervisorVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var spawned = time.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        NodeProcess? launched = null;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                Volatile.Read(ref launched)?.OutputLine?.Invoke(line);
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        var node = new NodeProcess(process, new Uri("http://" + host + ":" + port.ToString(CultureInfo.InvariantCulture)));
        Volatile.Write(ref launched, node);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var channel = GrpcChannel.ForAddress(node.Address);
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var started = time.GetTimestamp();
            var last = "no answer yet";
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"edgeagent {arguments[0]} exited with code {process.ExitCode} during start-up.");
                }

                try
                {
                    var ready = await client.ServerReadyAsync(new ServerReadyRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    if (ready.Ready)
                    {
                        node.ReadyAfter = time.GetElapsedTime(spawned);
                        return node;
                    }

                    last = "ServerReady answered false";
                }
                catch (RpcException ex)
                {
                    // Not listening yet, or too slow to answer (a starved machine): asked again
                    // until the timeout. The last probe's status used to escape as the error when
                    // it failed after the timeout had passed (a stack trace instead of this line).
                    last = "ServerReady " + ex.StatusCode;
                }

                if (time.GetElapsedTime(started) >= timeout)
                {
                    throw new TimeoutException($"edgeagent {arguments[0]} was not ready within {timeout.TotalSeconds:0} s (last probe: {last}).");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Kills the process with SIGKILL (kill -9: no shutdown code runs) and waits until it is gone.</summary>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Waits until the process exits by itself and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Resident set size now, in bytes.</summary>
    public long? ResidentBytes() => ResidentMemory.OfProcess(_process.Id);

    /// <summary>CPU time (user + system) the process has used so far.</summary>
    public TimeSpan CpuTime()
    {
        _process.Refresh();
        return _process.TotalProcessorTime;
    }

    /// <summary>
    /// Minor page faults of the process so far (field 10 of /proc/PID/stat: pages first touched or
    /// re-mapped without I/O), or null where /proc does not say. A load-insensitive measure of the
    /// fresh memory a request path touches.
    /// </summary>
    public long? MinorFaults() => ProcessCounters.MinorFaults(_process.Id);

    /// <summary>Sends a signal by name (STOP, CONT, TERM) with the system's kill command.</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })
            ?? throw new InvalidOperationException("Could not run kill.");
        kill.WaitForExit();
    }

    /// <summary>A loopback port free now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _process.Dispose();
    }
}
