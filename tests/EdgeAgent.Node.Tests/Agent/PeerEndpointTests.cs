using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class PeerEndpointTests
{
    [Fact]
    public void TryParse_NameAndUrl_HasNoEmulation()
    {
        Assert.True(PeerEndpoint.TryParse("cloud=http://10.0.0.5:8001", out var peer, out var error), error);
        Assert.Equal("cloud", peer.Name);
        Assert.Equal(new Uri("http://10.0.0.5:8001"), peer.Url);
        Assert.True(peer.Emulation.IsNone);
    }

    [Fact]
    public void TryParse_RttAndBandwidth_ParsesUnits()
    {
        Assert.True(PeerEndpoint.TryParse("edge=https://edge.local:443; rtt=40ms ; bw=50mbit", out var peer, out var error), error);
        Assert.Equal(TimeSpan.FromMilliseconds(40), peer.Emulation.RoundTrip);
        Assert.Equal(50e6, peer.Emulation.BandwidthBitsPerSecond);
        Assert.Equal("edge=https://edge.local;rtt=40ms;bw=50mbit", peer.ToString());
    }

    [Fact]
    public void TryParse_KindEdge_RoundTrips()
    {
        Assert.True(PeerEndpoint.TryParse("edge=http://127.0.0.1:1;kind=edge", out var peer, out var error), error);
        Assert.Equal(EdgeAgent.Core.Offloading.ServerKind.Edge, peer.Kind);
        Assert.Equal("edge=http://127.0.0.1:1;kind=edge", peer.ToString());
    }

    [Theory]
    [InlineData("rtt=0.5s", 500.0)]
    [InlineData("rtt=250us", 0.25)]
    [InlineData("rtt=12", 12.0)]
    public void TryParse_DurationUnits_Converted(string option, double expectedMs)
    {
        Assert.True(PeerEndpoint.TryParse("p=http://127.0.0.1:1;" + option, out var peer, out var error), error);
        Assert.Equal(expectedMs, peer.Emulation.RoundTrip.TotalMilliseconds, 6);
    }

    [Theory]
    [InlineData("bw=1gbit", 1e9)]
    [InlineData("bw=500kbit", 5e5)]
    [InlineData("bw=20", 20e6)]
    public void TryParse_RateUnits_Converted(string option, double expected)
    {
        Assert.True(PeerEndpoint.TryParse("p=http://127.0.0.1:1;" + option, out var peer, out var error), error);
        Assert.Equal(expected, peer.Emulation.BandwidthBitsPerSecond);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("http://127.0.0.1:5001", "NAME=URL")]
    [InlineData("cloud=ftp://host:21", "not an absolute http:// or https:// address")]
    [InlineData("cloud=not a url", "not an absolute http:// or https:// address")]
    [InlineData("local=http://127.0.0.1:5001", "not 'local'")]
    [InlineData("bad name=http://127.0.0.1:5001", "peer name 'bad name'")]
    [InlineData("cloud=http://127.0.0.1:5001;rtt=fast", "rtt 'fast'")]
    [InlineData("cloud=http://127.0.0.1:5001;rtt=-5ms", "rtt '-5ms'")]
    [InlineData("cloud=http://127.0.0.1:5001;bw=10furlongs", "bw '10furlongs'")]
    [InlineData("cloud=http://127.0.0.1:5001;loss=1%", "unknown option 'loss=1%'")]
    [InlineData("cloud=http://127.0.0.1:5001;kind=fog", "kind 'fog'")]
    [InlineData("cloud=dns:///peers.example", "a peer group is written dns:///HOST:PORT")]
    [InlineData("cloud=dns:///peers.example:0", "a peer group is written dns:///HOST:PORT")]
    [InlineData("cloud=dns:///peers.example:70000", "a peer group is written dns:///HOST:PORT")]
    [InlineData("cloud=dns:///:8001", "a peer group is written dns:///HOST:PORT")]
    [InlineData("cloud=dns://8.8.8.8/peers.example:8001", "no DNS server authority")]
    [InlineData("cloud=dns:peers.example:8001", "a peer group is written dns:///HOST:PORT")]
    [InlineData("cloud=dns:///peers.example:8001;rtt=40ms", "link emulation (rtt=, bw=) is for single peers only")]
    [InlineData("cloud=dns:///peers.example:8001;tls=maybe", "tls 'maybe'")]
    [InlineData("cloud=https://10.0.0.5:8001;tls=on", "only a group (dns:///HOST:PORT) takes")]
    [InlineData("cloud=grpc://10.0.0.5:8001", "nor a group dns:///HOST:PORT")]
    public void TryParse_Invalid_ErrorSaysWhy(string text, string expected)
    {
        Assert.False(PeerEndpoint.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_Group_IsOneCandidateWithHostAndPort()
    {
        Assert.True(PeerEndpoint.TryParse("cloud=dns:///peers.example:8001;kind=cloud;tls=on", out var peer, out var error), error);
        Assert.True(peer.IsGroup);
        Assert.True(peer.GroupTls);
        Assert.True(peer.UsesTls);
        Assert.Equal("peers.example", peer.GroupHost);
        Assert.Equal(8001, peer.GroupPort);
        Assert.Equal("cloud=dns:///peers.example:8001;tls=on", peer.ToString());
    }

    [Fact]
    public void TryParse_GroupWithoutTls_IsPlaintext()
    {
        Assert.True(PeerEndpoint.TryParse("edge=dns:///localhost:8001;kind=edge", out var peer, out var error), error);
        Assert.True(peer.IsGroup);
        Assert.False(peer.UsesTls);
        Assert.Equal(EdgeAgent.Core.Offloading.ServerKind.Edge, peer.Kind);
        Assert.Equal("edge=dns:///localhost:8001;kind=edge", peer.ToString());
    }

    [Fact]
    public void TryParse_SinglePeer_IsNoGroup()
    {
        Assert.True(PeerEndpoint.TryParse("cloud=https://10.0.0.5:8001", out var peer, out var error), error);
        Assert.False(peer.IsGroup);
        Assert.True(peer.UsesTls);
        Assert.Equal("", peer.GroupHost);
    }
}
