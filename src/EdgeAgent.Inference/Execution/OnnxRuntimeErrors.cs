using System.Text.RegularExpressions;

namespace EdgeAgent.Inference.Execution;

/// <summary>
/// ONNX Runtime's error text as a caller may see it. ORT's messages carry the location in its own
/// sources ("/onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:560 void
/// onnxruntime::BroadcastIterator::Init(ptrdiff_t, ptrdiff_t) axis == 1 || axis == largest was
/// false. Attempting to broadcast ..."); the caller gets the sentence without source paths, file
/// locations or C++ signatures. The full text stays in the node's log.
/// </summary>
public static partial class OnnxRuntimeErrors
{
    /// <summary><paramref name="message"/> without ORT's error-code prefix, absolute paths and C++ function signatures, on one line.</summary>
    public static string ForCaller(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = ErrorCodePrefix().Replace(message, "");
        text = AbsolutePath().Replace(text, " ");
        text = Signature().Replace(text, " ");
        text = Whitespace().Replace(text, " ").Trim();
        return text.Length == 0 ? "ONNX Runtime gave no reason" : text;
    }

    [GeneratedRegex(@"\[ErrorCode:\w+\]\s*")]
    private static partial Regex ErrorCodePrefix();

    // "void onnxruntime::BroadcastIterator::Init(ptrdiff_t, ptrdiff_t)", "onnxruntime::common::Status onnxruntime::X::Y(...) const"
    [GeneratedRegex(@"(?:(?:const\s+)?[\w:<>*&~]*[\w>*&]\s+)?onnxruntime::[\w:<>~]+\([^)]*\)(?:\s*const)?")]
    private static partial Regex Signature();

    // POSIX or Windows absolute paths of two or more segments, with an optional :line.
    [GeneratedRegex(@"(?<![\w.])(?:[A-Za-z]:)?[\\/](?:[\w.\-+]+[\\/])+[\w.\-+]*(?::\d+)?")]
    private static partial Regex AbsolutePath();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
