using EdgeAgent.Inference.Tensors;

namespace EdgeAgent.Inference.Repository;

/// <summary>One input or output of a model as the protocol describes it: name, datatype, shape (-1 = variable).</summary>
public sealed record TensorMetadata(string Name, TensorDataType DataType, IReadOnlyList<long> Shape)
{
    /// <summary>The protocol datatype string.</summary>
    public string DataTypeName => DataType.ToProtocolName();
}
