using System.Net;
using EdgeAgent.Node.Hosting;

namespace EdgeAgent.Node.Tests.Hosting;

public sealed class EndpointOptionsTests
{
    [Theory]
    [InlineData("127.0.0.1:8001", "127.0.0.1", 8001)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("[::1]:9000", "::1", 9000)]
    [InlineData("localhost:5", "127.0.0.1", 5)]
    public void TryParseListen_HostPort_Parses(string text, string address, int port)
    {
        Assert.True(EndpointOptions.TryParseListen(text, out var endpoint, out _));
        Assert.Equal(IPAddress.Parse(address), endpoint.Address);
        Assert.Equal(port, endpoint.Port);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("8001", "not HOST:PORT")]
    [InlineData("127.0.0.1:", "not HOST:PORT")]
    [InlineData("127.0.0.1:70000", "not a port number")]
    [InlineData("127.0.0.1:http", "not a port number")]
    [InlineData("example.org:80", "not an IP address")]
    public void TryParseListen_Bad_ExplainsWhy(string text, string fragment)
    {
        Assert.False(EndpointOptions.TryParseListen(text, out _, out var error));
        Assert.Contains(fragment, error, StringComparison.Ordinal);
    }
}
