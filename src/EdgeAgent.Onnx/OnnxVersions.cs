namespace EdgeAgent.Onnx;

/// <summary>The IR and default-domain opset versions this code reads and writes.</summary>
public static class OnnxVersions
{
    /// <summary>IR 3 introduced opset imports; older files cannot say which operators they use.</summary>
    public const long MinIrVersion = 3;

    /// <summary>The newest IR version our onnx.proto describes.</summary>
    public const long MaxIrVersion = 14;

    /// <summary>Oldest default-domain opset accepted.</summary>
    public const long MinOpset = 1;

    /// <summary>Newest default-domain opset accepted (what ONNX Runtime 1.31 implements, rounded up).</summary>
    public const long MaxOpset = 25;

    /// <summary>The default domain's name; in files it is usually written as the empty string.</summary>
    public const string DefaultDomain = "ai.onnx";

    /// <summary>ONNX Runtime's contrib operator domain (MatMulNBits, QGemm, ...).</summary>
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>
    /// The IR version to write for a model importing the given default-domain opset: the IR
    /// version released with that opset, so loaders that check the pair accept it.
    /// </summary>
    public static long IrVersionForOpset(long opset) => opset switch
    {
        <= 8 => 3,
        <= 9 => 4,
        <= 10 => 5,
        <= 11 => 6,
        <= 14 => 7,
        <= 18 => 8,
        <= 20 => 9,
        <= 22 => 10,
        _ => 11,
    };

    /// <summary>True for "" and "ai.onnx", the two spellings of the default domain.</summary>
    public static bool IsDefaultDomain(string? domain) =>
        string.IsNullOrEmpty(domain) || string.Equals(domain, DefaultDomain, StringComparison.Ordinal);
}
