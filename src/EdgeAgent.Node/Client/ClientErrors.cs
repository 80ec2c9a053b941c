using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;

namespace EdgeAgent.Node.Client;

/// <summary>
/// One-line descriptions of failed client calls for operator tools: whether anything answered
/// at the address, and if so what it said.
/// </summary>
public static class ClientErrors
{
    /// <summary>True when the call failed before any server answered (refused, unreachable, no socket, name not found).</summary>
    public static bool NothingAnswered(RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.StatusCode != StatusCode.Unavailable)
        {
            return false;
        }

        for (Exception? e = exception.Status.DebugException; e is not null; e = e.InnerException)
        {
            if (e is SocketException or HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// "nothing answered at http://127.0.0.1:8001 (tried a TCP connection: Connection refused)" or
    /// "the node at ADDRESS answered NotFound: ..." for <paramref name="exception"/>.
    /// </summary>
    public static string Describe(string address, RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (NothingAnswered(exception))
        {
            var tried = address.StartsWith("unix:", StringComparison.Ordinal) ? "a Unix socket connection" : "a TCP connection";
            return $"nothing answered at {address} (tried {tried}: {Innermost(exception.Status.DebugException!)}); is the node running and is the address right?";
        }

        if (exception.StatusCode == StatusCode.DeadlineExceeded)
        {
            return $"the node at {address} did not answer in time (DeadlineExceeded).";
        }

        return $"the node at {address} answered {exception.StatusCode}: {exception.Status.Detail}";
    }

    private static string Innermost(Exception exception)
    {
        var e = exception;
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e.Message.TrimEnd('.');
    }
}
