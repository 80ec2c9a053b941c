namespace EdgeAgent.Inference.Policy;

/// <summary>A policy file that cannot be used: unreadable, wrong inputs or outputs, or an observation layout this build does not produce.</summary>
public sealed class PolicyFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PolicyFileException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public PolicyFileException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception without a message.</summary>
    public PolicyFileException()
    {
    }
}
