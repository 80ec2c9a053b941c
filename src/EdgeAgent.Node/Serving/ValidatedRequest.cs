using EdgeAgent.Inference.Tensors;

namespace EdgeAgent.Node.Serving;

/// <summary>One input after validation: every claim in it was checked against the model and the data.</summary>
/// <param name="Name">Input name.</param>
/// <param name="DataType">Datatype (equal to the model's).</param>
/// <param name="Shape">Concrete shape (matches the model's, -1 dims filled).</param>
/// <param name="ElementCount">Elements (checked product of the shape).</param>
/// <param name="ByteCount">Raw bytes (elements x element size).</param>
/// <param name="RequestIndex">Position in the request's <c>inputs</c> (and <c>raw_input_contents</c>).</param>
public sealed record ValidatedInput(string Name, TensorDataType DataType, long[] Shape, long ElementCount, int ByteCount, int RequestIndex);

/// <summary>A ModelInfer request whose tensors were checked against a served model.</summary>
public sealed class ValidatedRequest
{
    internal ValidatedRequest(IReadOnlyList<ValidatedInput> inputs, IReadOnlyList<string> outputs, bool raw, long totalBytes)
    {
        Inputs = inputs;
        RequestedOutputs = outputs;
        UsesRawInputs = raw;
        TotalInputBytes = totalBytes;
    }

    /// <summary>Inputs in the request's order.</summary>
    public IReadOnlyList<ValidatedInput> Inputs { get; }

    /// <summary>Requested output names in the request's order; empty means every model output.</summary>
    public IReadOnlyList<string> RequestedOutputs { get; }

    /// <summary>True when the data came in <c>raw_input_contents</c>; the response is then raw too.</summary>
    public bool UsesRawInputs { get; }

    /// <summary>Bytes of input tensor data (raw layout); what an offload transfers.</summary>
    public long TotalInputBytes { get; }
}
