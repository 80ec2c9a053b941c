using System.Net;
using System.Net.Sockets;

namespace EdgeAgent.TestModels;

/// <summary>Loopback addresses for tests that need a port before a node binds it.</summary>
public static class Loopback
{
    /// <summary>A TCP port on 127.0.0.1 that is free now (nothing listens on it once this returns).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
