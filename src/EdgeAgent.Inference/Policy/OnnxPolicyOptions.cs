using System.ComponentModel.DataAnnotations;

namespace EdgeAgent.Inference.Policy;

/// <summary>
/// Settings of the ONNX policy runner: the agent binds them from the configuration section
/// "EdgeAgent:Policy" (the file itself is Agent:PolicyFile); the benchmarks and evaluators set them directly.
/// </summary>
public sealed class OnnxPolicyOptions
{
    /// <summary>Configuration section bound to this class.</summary>
    public const string SectionName = "EdgeAgent:Policy";

    /// <summary>ONNX Runtime intra-op threads for one decision (1 is fastest for this size of network).</summary>
    [Range(1, 64, ErrorMessage = "EdgeAgent:Policy:IntraOpThreads must be between 1 and 64.")]
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Let ONNX Runtime's threads spin while waiting (session.intra_op.allow_spinning); off on shared cores.</summary>
    public bool AllowSpinning { get; set; }

    /// <summary>
    /// Decide through sessions specialised to each count of present rows (the mask a constant, so
    /// ONNX Runtime folds the masking nodes at load; one more session per count, built at load).
    /// False runs the file's own graph with a mask of ones (the same logits, about 10 % slower).
    /// </summary>
    public bool SpecializePresentRows { get; set; } = true;
}
