using System.Collections.Concurrent;
using System.Net.Sockets;
using Grpc.Net.Client;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.IntegrationTests.Client;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Hosting;

/// <summary>A failed start is one message naming the setting; nothing else is logged at Error by the host.</summary>
public sealed class StartupErrorTests
{
    [Fact]
    public async Task StartAsync_PortInUse_OneMessageAndNoHostErrorLog()
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        using var occupied = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((System.Net.IPEndPoint)occupied.LocalEndpoint).Port;
        var logs = new CapturingLoggerProvider();

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = repository.Root, Listen = $"127.0.0.1:{port}" },
            b => b.Logging.AddProvider(logs)).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.StartsWith("Endpoint:Listen (--listen): ", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', ex.Message);
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        Assert.True(errors.Count == 0, "logged at Error or above: " + string.Join(" || ", errors.Select(e => $"{e.Category} {e.Level}: {e.Message}")));
    }

    [Fact]
    public async Task StartAsync_BadDataAnnotatedSetting_MessageWithoutValidatorWrapper()
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(
            new PeerHostSettings { ModelsPath = repository.Root, ComputeSpeedFactor = 7 }).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.StartsWith("Execution:ComputeSpeedFactor must be in (0, 1]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeerCommand_PortInUse_ExitsTwoWithOneLine()
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        using var occupied = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        occupied.Start();
        var port = ((System.Net.IPEndPoint)occupied.LocalEndpoint).Port;

        var (code, output, error) = await InProcessCli.RunAsync("peer", "--listen", $"127.0.0.1:{port}", "--models", repository.Root);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("edgeagent: Endpoint:Listen (--listen): ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("peer")]
    [InlineData("agent")]
    public async Task NodeCommand_EmptyName_ExitsTwoWithOneLineNamingTheSetting(string role)
    {
        // Building the host resolves the serving options (the host's shutdown timeout reads them),
        // so this setting fails before StartAsync: it used to end the process with a stack trace.
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var (code, output, error) = await InProcessCli.RunAsync(role, "--listen", "127.0.0.1:0", "--models", repository.Root, "--name", "");

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(["edgeagent: Serving:NodeName must not be empty."], error.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("--offload-timeout-ms", "1e999", "Infinity")]
    [InlineData("--offload-timeout-ms", "NaN", "NaN")]
    [InlineData("--hung-peer-floor-ms", "NaN", "NaN")]
    [InlineData("--hung-peer-floor-ms", "-Infinity", "-Infinity")]
    public async Task AgentCommand_DurationNotFinite_ExitsTwoNamingTheOption(string option, string value, string shown)
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var (code, output, error) = await InProcessCli.RunAsync("agent", "--listen", "127.0.0.1:0", "--models", repository.Root, option, value);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.StartsWith($"edgeagent agent: {option} is {shown}; it takes a finite number of milliseconds.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentCommand_OffloadTimeoutBeyondAnyDuration_ExitsTwoNamingTheSetting()
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var (code, _, error) = await InProcessCli.RunAsync("agent", "--listen", "127.0.0.1:0", "--models", repository.Root, "--offload-timeout-ms", "1e300");

        Assert.Equal(2, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith("edgeagent: Agent:OffloadTimeout is '1E+300'; it takes a duration", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("peer", "edge\n1")]
    [InlineData("agent", "edge\u001b[31m")]
    [InlineData("agent", "tab\there")]
    public async Task NodeCommand_NameWithControlCharacter_ExitsTwoWithOneLine(string role, string name)
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var (code, output, error) = await InProcessCli.RunAsync(role, "--listen", "127.0.0.1:0", "--models", repository.Root, "--name", name);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal(["edgeagent: Serving:NodeName must be at most 256 characters and hold no control characters (line breaks, tabs, escapes)."], error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Peer_NameOfLettersBeyondAscii_IsServedAsGiven()
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        var socket = Path.Combine(repository.Root, "p.sock");

        await using var peer = await PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repository.Root, Socket = socket, NodeName = "Kante-β 東京" }).WaitAsync(TimeSpan.FromSeconds(30));
        using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler
            {
                ConnectCallback = async (_, ct) =>
                {
                    var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    await s.ConnectAsync(new UnixDomainSocketEndPoint(socket), ct);
                    return new NetworkStream(s, ownsSocket: true);
                },
            },
        });
        var metadata = await new GRPCInferenceService.GRPCInferenceServiceClient(channel).ServerMetadataAsync(new ServerMetadataRequest()).ResponseAsync.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("Kante-β 東京", metadata.Name);
    }

    [Theory]
    [InlineData("bad\nname.sock", "U+000A")]
    [InlineData("bad\u0007.sock", "U+0007")]
    public async Task AgentCommand_SocketPathWithControlCharacter_ExitsTwoWithOneLine(string file, string shown)
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        var socket = Path.Combine(Path.GetTempPath(), file);

        var (code, output, error) = await InProcessCli.RunAsync("agent", "--listen", "127.0.0.1:0", "--models", repository.Root, "--policy", "heuristic", "--socket", socket);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Equal([$"edgeagent: Endpoint:Socket (--socket): the path holds a control character ({shown}); name the socket file with printable characters."], error.Trim().Split('\n'));
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task PeerCommand_SocketPathOverLinuxLimit_ExitsTwoNamingTheLimit()
    {
        using var repository = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());
        var socket = Path.Combine(Path.GetTempPath(), new string('s', 120) + ".sock");

        var (code, output, error) = await InProcessCli.RunAsync("peer", "--listen", "127.0.0.1:0", "--models", repository.Root, "--socket", socket);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(error.Trim().Split('\n'));
        Assert.StartsWith($"edgeagent: Endpoint:Socket (--socket): '{socket}' is {socket.Length} bytes long; a Unix socket path takes at most 108.", error, StringComparison.Ordinal);
    }

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((category, logLevel, exception is null ? formatter(state, exception) : $"{formatter(state, exception)} | {exception}"));
        }
    }
}
