namespace EdgeAgent.Core.Offloading;

/// <summary>
/// The names of a model's variants as requests, placements and policies use them: the one
/// definition of which name means the default variant.
/// </summary>
public static class ModelVariant
{
    /// <summary>
    /// The model's default variant, whatever its file is (<see cref="Fp32"/> when the repository has
    /// <c>model.onnx</c>). Null and "" mean it too; a placement on it prints as "local".
    /// </summary>
    public const string Default = "default";

    /// <summary>The variant of a repository's <c>model.onnx</c>, the reference the others are measured against.</summary>
    public const string Fp32 = "fp32";

    /// <summary>True when <paramref name="variant"/> means the model's default variant (null, "" or <see cref="Default"/>).</summary>
    public static bool IsDefault(string? variant) => string.IsNullOrEmpty(variant) || variant == Default;
}
