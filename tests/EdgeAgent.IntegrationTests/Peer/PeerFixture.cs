using EdgeAgent.Node.Hosting;
using EdgeAgent.TestModels;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace EdgeAgent.IntegrationTests.Peer;

/// <summary>A real peer (Kestrel, HTTP/2) on 127.0.0.1 with an ephemeral port over the standard test repository.</summary>
public sealed class PeerFixture : IAsyncLifetime
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Func<PeerHostSettings, PeerHostSettings> _customize;

    public PeerFixture()
        : this(s => s)
    {
    }

    private PeerFixture(Func<PeerHostSettings, PeerHostSettings> customize)
    {
        _customize = customize;
    }

    /// <summary>A peer whose settings <paramref name="customize"/> adjusts (start it with InitializeAsync).</summary>
    public static PeerFixture Create(Func<PeerHostSettings, PeerHostSettings> customize) => new(customize);

    public TempRepository Repository { get; } = TempRepository.Standard();

    public WebApplication App { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public static void Quiet(WebApplicationBuilder builder) => builder.Logging.ClearProviders();

    public async Task InitializeAsync()
    {
        var settings = _customize(new PeerHostSettings
        {
            ModelsPath = Repository.Root,
            NodeName = "test-peer",
            Extra = new Dictionary<string, string?>
            {
                ["Serving:MaxRequestBytes"] = MalformedRequests.CapBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Execution:IntraOpThreads"] = "1",
            },
        });
        App = await PeerHost.StartAsync(settings, Quiet).WaitAsync(Timeout);
        Channel = GrpcChannel.ForAddress(App.GetTcpAddress());
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (App is not null)
        {
            await App.StopAsync().WaitAsync(Timeout);
            await App.DisposeAsync();
        }

        Repository.Dispose();
    }
}
