using System.Runtime.InteropServices;
using EdgeAgent.Onnx.Proto;
using Google.Protobuf;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Onnx;

/// <summary>
/// Conversions between <see cref="TensorProto"/> and .NET arrays. Tensors are written with
/// raw_data (little-endian, as the format requires on every platform); both raw_data and the
/// typed repeated fields are read.
/// </summary>
public static class OnnxTensors
{
    /// <summary>Number of elements the dims describe (1 for a scalar with no dims).</summary>
    public static long ElementCount(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return ElementCount(tensor.Dims);
    }

    /// <summary>Product of the dims (1 for none); negative dims are an error.</summary>
    public static long ElementCount(IEnumerable<long> dims)
    {
        ArgumentNullException.ThrowIfNull(dims);
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0)
            {
                throw new OnnxFormatException($"A tensor dimension is negative ({d}).");
            }

            count = checked(count * d);
        }

        return count;
    }

    /// <summary>Bytes per element of a fixed-size type, 0 for STRING and sub-byte types.</summary>
    public static int ElementSize(DataType type) => type switch
    {
        DataType.Float or DataType.Int32 or DataType.Uint32 => 4,
        DataType.Double or DataType.Int64 or DataType.Uint64 or DataType.Complex64 => 8,
        DataType.Complex128 => 16,
        DataType.Float16 or DataType.Bfloat16 or DataType.Int16 or DataType.Uint16 => 2,
        DataType.Int8 or DataType.Uint8 or DataType.Bool or DataType.Float8E4M3Fn or DataType.Float8E4M3Fnuz
            or DataType.Float8E5M2 or DataType.Float8E5M2Fnuz or DataType.Float8E8M0 => 1,
        _ => 0,
    };

    // ---- creation ---------------------------------------------------------------------------

    public static TensorProto FromFloats(string name, ReadOnlySpan<float> values, params long[] dims) =>
        FromRaw(name, DataType.Float, MemoryMarshal.AsBytes(values), values.Length, dims, sizeof(float));

    public static TensorProto FromDoubles(string name, ReadOnlySpan<double> values, params long[] dims) =>
        FromRaw(name, DataType.Double, MemoryMarshal.AsBytes(values), values.Length, dims, sizeof(double));

    public static TensorProto FromHalves(string name, ReadOnlySpan<Half> values, params long[] dims) =>
        FromRaw(name, DataType.Float16, MemoryMarshal.AsBytes(values), values.Length, dims, 2);

    public static TensorProto FromLongs(string name, ReadOnlySpan<long> values, params long[] dims) =>
        FromRaw(name, DataType.Int64, MemoryMarshal.AsBytes(values), values.Length, dims, sizeof(long));

    public static TensorProto FromInts(string name, ReadOnlySpan<int> values, params long[] dims) =>
        FromRaw(name, DataType.Int32, MemoryMarshal.AsBytes(values), values.Length, dims, sizeof(int));

    public static TensorProto FromSBytes(string name, ReadOnlySpan<sbyte> values, params long[] dims) =>
        FromRaw(name, DataType.Int8, MemoryMarshal.AsBytes(values), values.Length, dims, 1);

    public static TensorProto FromBytes(string name, ReadOnlySpan<byte> values, params long[] dims) =>
        FromRaw(name, DataType.Uint8, values, values.Length, dims, 1);

    public static TensorProto FromBools(string name, ReadOnlySpan<bool> values, params long[] dims) =>
        FromRaw(name, DataType.Bool, MemoryMarshal.AsBytes(values), values.Length, dims, 1);

    /// <summary>A scalar (no dims) float tensor.</summary>
    public static TensorProto Scalar(string name, float value) => FromFloats(name, [value]);

    /// <summary>A scalar (no dims) int64 tensor.</summary>
    public static TensorProto Scalar(string name, long value) => FromLongs(name, [value]);

    private static TensorProto FromRaw(string name, DataType type, ReadOnlySpan<byte> bytes, int count, long[] dims, int elementSize)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dims);
        if (ElementCount(dims) != count)
        {
            throw new ArgumentException(
                $"Tensor '{name}' has {count} values but dims [{string.Join(", ", dims)}] describe {ElementCount(dims)}.",
                nameof(dims));
        }

        var tensor = new TensorProto { Name = name, DataType = (int)type };
        tensor.Dims.Add(dims);
        byte[] raw = bytes.ToArray();
        if (!BitConverter.IsLittleEndian && elementSize > 1)
        {
            ReverseEach(raw, elementSize);
        }

        tensor.RawData = UnsafeByteOperations.UnsafeWrap(raw);
        return tensor;
    }

    // ---- reading ----------------------------------------------------------------------------

    /// <summary>Values of a FLOAT, FLOAT16, BFLOAT16 or DOUBLE tensor as float.</summary>
    public static float[] ToFloats(TensorProto tensor)
    {
        var type = TypeOf(tensor);
        int n = CheckedCount(tensor);
        switch (type)
        {
            case DataType.Float:
                if (HasRaw(tensor))
                {
                    return ReadRaw<float>(tensor, n);
                }

                Expect(tensor, tensor.FloatData.Count, n, "float_data");
                return [.. tensor.FloatData];
            case DataType.Double:
                return Array.ConvertAll(ToDoubles(tensor), d => (float)d);
            case DataType.Float16:
                return Array.ConvertAll(ReadSixteenBit(tensor, n), b => (float)BitConverter.UInt16BitsToHalf(b));
            case DataType.Bfloat16:
                return Array.ConvertAll(ReadSixteenBit(tensor, n), b => BitConverter.Int32BitsToSingle(b << 16));
            default:
                throw NotOfType(tensor, "a floating-point");
        }
    }

    /// <summary>Values of a DOUBLE or FLOAT tensor as double.</summary>
    public static double[] ToDoubles(TensorProto tensor)
    {
        var type = TypeOf(tensor);
        int n = CheckedCount(tensor);
        if (type == DataType.Float)
        {
            return Array.ConvertAll(ToFloats(tensor), f => (double)f);
        }

        if (type != DataType.Double)
        {
            throw NotOfType(tensor, "a DOUBLE or FLOAT");
        }

        if (HasRaw(tensor))
        {
            return ReadRaw<double>(tensor, n);
        }

        Expect(tensor, tensor.DoubleData.Count, n, "double_data");
        return [.. tensor.DoubleData];
    }

    /// <summary>Values of FLOAT16 tensor.</summary>
    public static Half[] ToHalves(TensorProto tensor)
    {
        if (TypeOf(tensor) != DataType.Float16)
        {
            throw NotOfType(tensor, "a FLOAT16");
        }

        return Array.ConvertAll(ReadSixteenBit(tensor, CheckedCount(tensor)), BitConverter.UInt16BitsToHalf);
    }

    /// <summary>Values of any integer or BOOL tensor (8 to 64 bits) widened to long.</summary>
    public static long[] ToLongs(TensorProto tensor)
    {
        var type = TypeOf(tensor);
        int n = CheckedCount(tensor);
        bool raw = HasRaw(tensor);
        switch (type)
        {
            case DataType.Int64:
                if (raw)
                {
                    return ReadRaw<long>(tensor, n);
                }

                Expect(tensor, tensor.Int64Data.Count, n, "int64_data");
                return [.. tensor.Int64Data];
            case DataType.Uint64:
            case DataType.Uint32:
                if (raw)
                {
                    return type == DataType.Uint64
                        ? Array.ConvertAll(ReadRaw<ulong>(tensor, n), v => unchecked((long)v))
                        : Array.ConvertAll(ReadRaw<uint>(tensor, n), v => (long)v);
                }

                Expect(tensor, tensor.Uint64Data.Count, n, "uint64_data");
                return tensor.Uint64Data.Select(v => unchecked((long)v)).ToArray();
            case DataType.Int32:
            case DataType.Int16:
            case DataType.Uint16:
            case DataType.Int8:
            case DataType.Uint8:
            case DataType.Bool:
                if (raw)
                {
                    return type switch
                    {
                        DataType.Int32 => Array.ConvertAll(ReadRaw<int>(tensor, n), v => (long)v),
                        DataType.Int16 => Array.ConvertAll(ReadRaw<short>(tensor, n), v => (long)v),
                        DataType.Uint16 => Array.ConvertAll(ReadRaw<ushort>(tensor, n), v => (long)v),
                        DataType.Int8 => Array.ConvertAll(ReadRaw<sbyte>(tensor, n), v => (long)v),
                        _ => Array.ConvertAll(ReadRaw<byte>(tensor, n), v => (long)v),
                    };
                }

                Expect(tensor, tensor.Int32Data.Count, n, "int32_data");
                return tensor.Int32Data.Select(v => (long)v).ToArray();
            default:
                throw NotOfType(tensor, "an integer");
        }
    }

    /// <summary>Values of an integer tensor narrowed to int (throws when a value does not fit).</summary>
    public static int[] ToInts(TensorProto tensor) => Array.ConvertAll(ToLongs(tensor), v => checked((int)v));

    /// <summary>Values of an INT8 tensor.</summary>
    public static sbyte[] ToSBytes(TensorProto tensor)
    {
        if (TypeOf(tensor) != DataType.Int8)
        {
            throw NotOfType(tensor, "an INT8");
        }

        return Array.ConvertAll(ToLongs(tensor), v => (sbyte)v);
    }

    /// <summary>Values of a UINT8 tensor.</summary>
    public static byte[] ToBytes(TensorProto tensor)
    {
        if (TypeOf(tensor) != DataType.Uint8)
        {
            throw NotOfType(tensor, "a UINT8");
        }

        return Array.ConvertAll(ToLongs(tensor), v => (byte)v);
    }

    /// <summary>The tensor's data type, checked to be a known value.</summary>
    public static DataType TypeOf(TensorProto tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var type = (DataType)tensor.DataType;
        if (!Enum.IsDefined(type) || type == DataType.Undefined)
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' has unknown data_type {tensor.DataType}.");
        }

        return type;
    }

    private static bool HasRaw(TensorProto tensor)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
        {
            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}' keeps its data in an external file; load the model with OnnxModelFile.Load so external data is read.");
        }

        return !tensor.RawData.IsEmpty;
    }

    private static int CheckedCount(TensorProto tensor)
    {
        long n = ElementCount(tensor);
        if (n > Array.MaxLength)
        {
            throw new OnnxFormatException($"Tensor '{tensor.Name}' has {n} elements, more than an array can hold.");
        }

        return (int)n;
    }

    private static T[] ReadRaw<T>(TensorProto tensor, int count)
        where T : unmanaged
    {
        int size = Marshal.SizeOf<T>();
        var bytes = tensor.RawData.Span;
        if (bytes.Length != (long)count * size)
        {
            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}' raw_data holds {bytes.Length} bytes but dims [{string.Join(", ", tensor.Dims)}] of {(DataType)tensor.DataType} need {(long)count * size}.");
        }

        var result = new T[count];
        var target = MemoryMarshal.AsBytes(result.AsSpan());
        bytes.CopyTo(target);
        if (!BitConverter.IsLittleEndian && size > 1)
        {
            var copy = target.ToArray();
            ReverseEach(copy, size);
            copy.CopyTo(target);
        }

        return result;
    }

    private static ushort[] ReadSixteenBit(TensorProto tensor, int n)
    {
        if (HasRaw(tensor))
        {
            return ReadRaw<ushort>(tensor, n);
        }

        Expect(tensor, tensor.Int32Data.Count, n, "int32_data");
        return tensor.Int32Data.Select(v => (ushort)v).ToArray();
    }

    private static void Expect(TensorProto tensor, int actual, int expected, string field)
    {
        if (actual != expected)
        {
            throw new OnnxFormatException(
                $"Tensor '{tensor.Name}' has {actual} values in {field} (and no raw_data) but dims [{string.Join(", ", tensor.Dims)}] need {expected}.");
        }
    }

    private static OnnxFormatException NotOfType(TensorProto tensor, string what) =>
        new($"Tensor '{tensor.Name}' is {(DataType)tensor.DataType}, not {what} tensor.");

    private static void ReverseEach(byte[] data, int size)
    {
        for (int i = 0; i + size <= data.Length; i += size)
        {
            Array.Reverse(data, i, size);
        }
    }
}
