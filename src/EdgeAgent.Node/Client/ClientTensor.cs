using EdgeAgent.Inference.Tensors;

namespace EdgeAgent.Node.Client;

/// <summary>One input tensor a client sends: raw little-endian, row-major bytes.</summary>
/// <param name="Name">The model input's name.</param>
/// <param name="DataType">Element type.</param>
/// <param name="Shape">Concrete shape (no -1).</param>
/// <param name="Data">Row-major, little-endian, unpadded element bytes.</param>
public sealed record ClientTensor(string Name, TensorDataType DataType, long[] Shape, byte[] Data);

/// <summary>Where an image goes in a model: <see cref="InferInputs.ImageLayoutOf"/>.</summary>
/// <param name="InputName">The model's single image input.</param>
/// <param name="DataType">FP32, FP16 (scaled to [0, 1]) or UINT8.</param>
/// <param name="Nhwc">True for N, H, W, C; false for N, C, H, W.</param>
/// <param name="Height">The input's fixed height, null when variable.</param>
/// <param name="Width">The input's fixed width, null when variable.</param>
public sealed record ImageLayout(string InputName, TensorDataType DataType, bool Nhwc, int? Height, int? Width);

/// <summary>A client input that cannot be used: the message names the file, input or option and the problem.</summary>
public sealed class InferInputException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InferInputException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    public InferInputException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InferInputException()
    {
    }
}
