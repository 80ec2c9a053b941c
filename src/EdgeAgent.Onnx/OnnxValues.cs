using EdgeAgent.Onnx.Proto;
using Google.Protobuf;
using AttributeType = EdgeAgent.Onnx.Proto.AttributeProto.Types.AttributeType;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Onnx;

/// <summary>Factories for value infos and attributes.</summary>
public static class OnnxValues
{
    /// <summary>A tensor value info; null dims means the rank is unknown.</summary>
    public static ValueInfoProto Tensor(string name, DataType elementType, IEnumerable<Dim>? dims)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)elementType };
        if (dims is not null)
        {
            var shape = new TensorShapeProto();
            foreach (var d in dims)
            {
                var dim = new TensorShapeProto.Types.Dimension();
                if (d.Value is long v)
                {
                    dim.DimValue = v;
                }
                else if (d.Param is string p)
                {
                    dim.DimParam = p;
                }

                shape.Dim.Add(dim);
            }

            tensorType.Shape = shape;
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Ints };
        a.Ints.Add(values);
        return a;
    }

    public static AttributeProto Floats(string name, IEnumerable<float> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Floats };
        a.Floats.Add(values);
        return a;
    }

    public static AttributeProto Strings(string name, IEnumerable<string> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Strings };
        a.Strings.Add(values.Select(ByteString.CopyFromUtf8));
        return a;
    }

    public static AttributeProto Tensor(string name, TensorProto value) => new() { Name = name, Type = AttributeType.Tensor, T = value };

    public static AttributeProto Graph(string name, GraphProto value) => new() { Name = name, Type = AttributeType.Graph, G = value };
}
