namespace EdgeAgent.Onnx;

/// <summary>
/// A model file (or an in-memory model) that is not a usable ONNX model: truncated, not
/// protobuf, missing required parts, inconsistent, or using an IR/opset version this code does
/// not support. The message names the file (when there is one) and the problem.
/// </summary>
public sealed class OnnxFormatException : Exception
{
    public OnnxFormatException()
    {
    }

    public OnnxFormatException(string message)
        : base(message)
    {
    }

    public OnnxFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public OnnxFormatException(string? path, string problem, Exception? innerException = null)
        : base(path is null ? problem : $"ONNX model '{path}': {problem}", innerException)
    {
        FilePath = path;
    }

    /// <summary>The model file concerned, when the model came from a file.</summary>
    public string? FilePath { get; }
}
