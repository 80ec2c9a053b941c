using System.Buffers;
using System.Globalization;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// How many returned arrays of one size the process-wide <see cref="ArrayPool{T}.Shared"/> keeps per
/// core (issue 17, the offload hop). .NET's HTTP/2 client buffers a response's DATA in 16 KiB arrays
/// rented from the shared pool, as many as the peer has sent ahead of the reader (up to the agent's
/// 4 MiB stream window): a 1.6 MB answer from a peer takes about 100 of them at once. The pool keeps
/// only a few dozen arrays of a size by default (a small number per core and one per thread), so
/// every forwarded answer allocated the rest anew: about 600 KiB of 16 KiB arrays per forwarded
/// request in `bench hop` on 2 cores, and a gen-0 collection (which stops every thread of the node)
/// every few forwarded requests. With <see cref="ArraysPerCore"/> the pool keeps a whole stream
/// window's worth on 2 cores.
/// </summary>
/// <remarks>
/// The runtime reads the limit once, from the environment variable
/// <see cref="EnvironmentVariable"/>, when the shared pool first needs it; it has no other setting.
/// <see cref="Apply"/> sets the variable (unless the operator already did), makes the pool read it
/// and then restores the environment, so processes this one starts (npm, the nodes of a benchmark)
/// are not affected. Arrays are kept only once returned, so what a node holds is bounded by what it
/// used at once, and the pool gives back arrays unused for a while on full collections.
/// </remarks>
public static class SharedArrayPoolRetention
{
    /// <summary>The runtime's environment variable for the arrays of one size kept per core.</summary>
    public const string EnvironmentVariable = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";

    /// <summary>Arrays of one size kept per core: 4 MiB of 16 KiB arrays on 2 cores.</summary>
    public const int ArraysPerCore = 128;

    /// <summary>
    /// Sets the shared pool's limit to <see cref="ArraysPerCore"/> unless the environment already sets
    /// one; call it first thing in Main, before anything uses the shared pool. Returns the value
    /// the environment gave (null when it set none).
    /// </summary>
    public static string? Apply()
    {
        var configured = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        Environment.SetEnvironmentVariable(EnvironmentVariable, ArraysPerCore.ToString(CultureInfo.InvariantCulture));
        try
        {
            // The pool reads the limit when it makes its per-core stores for a size, which happens the
            // first time a thread returns a second array of one size.
            var pool = ArrayPool<byte>.Shared;
            var first = pool.Rent(16);
            var second = pool.Rent(16);
            pool.Return(first);
            pool.Return(second);
        }
        finally
        {
            Environment.SetEnvironmentVariable(EnvironmentVariable, null);
        }

        return null;
    }
}
