using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EdgeAgent.Contracts.Inference;
using Grpc.Core;
using Grpc.Net.Client;

namespace EdgeAgent.Demo.Benchmarks;

/// <summary>
/// An <c>edgeagent agent</c> started as its own process (so its resident memory is its own),
/// stopped and reaped on dispose.
/// </summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;

    private AgentProcess(Process process, Uri address)
    {
        _process = process;
        Address = address;
    }

    /// <summary>The agent's address.</summary>
    public Uri Address { get; }

    /// <summary>Process id.</summary>
    public int Id => _process.Id;

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="leadingArguments"/> (for example the
    /// assembly path when the executable is <c>dotnet</c>), then <c>agent --listen 127.0.0.1:PORT --models DIR --policy local</c>,
    /// and waits until it reports ready.
    /// </summary>
    public static Task<AgentProcess> StartAsync(string executable, IReadOnlyList<string> leadingArguments, string modelsPath, TimeSpan timeout, CancellationToken cancellationToken) =>
        StartAsync(executable, leadingArguments, ["agent", "--models", modelsPath, "--policy", "local"], new Dictionary<string, string>(), timeout, cancellationToken);

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="leadingArguments"/>, then
    /// <paramref name="arguments"/> (a role and its options) and <c>--listen 127.0.0.1:PORT</c>,
    /// with <paramref name="environment"/> added, and waits until the node reports ready.
    /// </summary>
    public static async Task<AgentProcess> StartAsync(string executable, IReadOnlyList<string> leadingArguments, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leadingArguments);
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(environment);
        var port = FreePort();
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in leadingArguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in arguments.Concat(["--listen", "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)]))
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var agent = new AgentProcess(process, new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture)));
        try
        {
            using var channel = GrpcChannel.ForAddress(agent.Address);
            var client = new GRPCInferenceService.GRPCInferenceServiceClient(channel);
            var deadline = Stopwatch.GetTimestamp();
            while (true)
            {
                if (process.HasExited)
                {
                    throw new InvalidOperationException($"The agent process exited with code {process.ExitCode} during start-up.");
                }

                try
                {
                    var ready = await client.ServerReadyAsync(new ServerReadyRequest(), deadline: DateTime.UtcNow.AddSeconds(2), cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
                    if (ready.Ready)
                    {
                        return agent;
                    }
                }
                catch (RpcException) when (Stopwatch.GetElapsedTime(deadline) < timeout)
                {
                }

                if (Stopwatch.GetElapsedTime(deadline) >= timeout)
                {
                    throw new TimeoutException($"The agent process was not ready within {timeout.TotalSeconds:0} s.");
                }

                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await agent.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Resident set size now, in bytes.</summary>
    public long? ResidentBytes() => ResidentMemory.OfProcess(_process.Id);

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

    /// <summary>A free TCP port on 127.0.0.1 now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
