using System.CommandLine;
using EdgeAgent.Cli.Commands;
using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;

namespace EdgeAgent.IntegrationTests.Peer;

public sealed class PeerStartupTests
{
    private static readonly TimeSpan Timeout = PeerFixture.Timeout;

    [Fact]
    public async Task StartAsync_MissingModelDirectory_OneMessageNamingSetting()
    {
        var missing = Path.Combine(Path.GetTempPath(), "edgeagent-missing-" + Guid.NewGuid().ToString("N"));

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(new PeerHostSettings { ModelsPath = missing }, PeerFixture.Quiet)).WaitAsync(Timeout);

        Assert.StartsWith("Models:Path (--models):", ex.Message, StringComparison.Ordinal);
        Assert.Contains(missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_CorruptModel_NamesSettingAndFile()
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg()).Add("bad", 3, [1, 2, 3, 4]);

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root }, PeerFixture.Quiet)).WaitAsync(Timeout);

        Assert.StartsWith("Models:Path (--models):", ex.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine("bad", "3", "model.onnx"), ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-an-endpoint")]
    [InlineData("127.0.0.1:99999")]
    [InlineData("example.org:80")]
    public async Task StartAsync_BadListenAddress_NamesSetting(string listen)
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root, Listen = listen }, PeerFixture.Quiet)).WaitAsync(Timeout);

        Assert.StartsWith("Endpoint:Listen (--listen):", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_PortInUse_NamesSetting()
    {
        await using var first = new PeerFixture();
        await first.InitializeAsync();
        var port = first.App.GetTcpAddress().Port;

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(new PeerHostSettings { ModelsPath = first.Repository.Root, Listen = $"127.0.0.1:{port}" }, PeerFixture.Quiet)).WaitAsync(Timeout);

        Assert.StartsWith("Endpoint:Listen (--listen):", ex.Message, StringComparison.Ordinal);
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_SpeedFactorOutOfRange_NamesSetting()
    {
        using var repo = new TempRepository().Add("add_neg", 1, TinyOnnx.AddNeg());

        var ex = await Assert.ThrowsAsync<NodeStartupException>(() => PeerHost.StartAsync(new PeerHostSettings { ModelsPath = repo.Root, ComputeSpeedFactor = 2 }, PeerFixture.Quiet)).WaitAsync(Timeout);

        Assert.Contains("Execution:ComputeSpeedFactor must be in (0, 1]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeerCommand_MissingModels_ExitCode2WithMessage()
    {
        var root = new RootCommand();
        root.Subcommands.Add(PeerCommand.Create());
        var error = new StringWriter();
        var output = new StringWriter();
        var missing = Path.Combine(Path.GetTempPath(), "edgeagent-missing-" + Guid.NewGuid().ToString("N"));

        var exit = await root.Parse(["peer", "--listen", "127.0.0.1:0", "--models", missing])
            .InvokeAsync(new InvocationConfiguration { Error = error, Output = output }).WaitAsync(Timeout);

        Assert.Equal(2, exit);
        Assert.Contains("edgeagent: Models:Path (--models):", error.ToString(), StringComparison.Ordinal);
    }
}
