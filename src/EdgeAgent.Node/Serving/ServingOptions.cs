using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Node.Serving;

/// <summary>Inference service settings shared by both roles; bound from the "Serving" section.</summary>
public sealed class ServingOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Serving";

    /// <summary>
    /// Cap on the tensor data one request may carry, in bytes. Requests over it get
    /// INVALID_ARGUMENT; the transport refuses messages over twice the cap outright
    /// (RESOURCE_EXHAUSTED) so a bad client cannot make the node buffer more.
    /// </summary>
    [Range(1024, 1L << 30, ErrorMessage = "Serving:MaxRequestBytes must be between 1024 and 1073741824 bytes.")]
    public long MaxRequestBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Name this node reports in ServerMetadata and GetCapabilities.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Serving:NodeName must not be empty.")]
    public string NodeName { get; set; } = "edgeagent";

    /// <summary>The gRPC message limit derived from <see cref="MaxRequestBytes"/> (twice the cap, at most 2 GB - 1).</summary>
    public int TransportMessageLimit => (int)Math.Min(int.MaxValue, MaxRequestBytes * 2);
}
