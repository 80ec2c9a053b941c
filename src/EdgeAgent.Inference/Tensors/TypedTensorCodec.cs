using System.Buffers.Binary;

namespace EdgeAgent.Inference.Tensors;

/// <summary>Which typed contents field of the protocol carries a datatype.</summary>
public enum TypedContentsField
{
    /// <summary>No typed field: the datatype travels only raw (FP16, BF16).</summary>
    None,
    /// <summary>bool_contents (BOOL).</summary>
    Bool,
    /// <summary>int_contents (INT8, INT16, INT32).</summary>
    Int,
    /// <summary>int64_contents (INT64).</summary>
    Int64,
    /// <summary>uint_contents (UINT8, UINT16, UINT32).</summary>
    UInt,
    /// <summary>uint64_contents (UINT64).</summary>
    UInt64,
    /// <summary>fp32_contents (FP32).</summary>
    Fp32,
    /// <summary>fp64_contents (FP64).</summary>
    Fp64,
    /// <summary>bytes_contents (BYTES).</summary>
    Bytes,
}

/// <summary>
/// Converts between the protocol's typed contents (repeated fields of 32/64-bit values) and the
/// raw layout ONNX Runtime executes (row-major, little-endian, unpadded). Narrow integer types are
/// range-checked: an INT8 value of 300 is an error, not a silent wrap.
/// </summary>
public static class TypedTensorCodec
{
    /// <summary>The typed field that carries <paramref name="type"/>.</summary>
    public static TypedContentsField FieldFor(TensorDataType type) => type switch
    {
        TensorDataType.Bool => TypedContentsField.Bool,
        TensorDataType.Int8 or TensorDataType.Int16 or TensorDataType.Int32 => TypedContentsField.Int,
        TensorDataType.Int64 => TypedContentsField.Int64,
        TensorDataType.UInt8 or TensorDataType.UInt16 or TensorDataType.UInt32 => TypedContentsField.UInt,
        TensorDataType.UInt64 => TypedContentsField.UInt64,
        TensorDataType.Fp32 => TypedContentsField.Fp32,
        TensorDataType.Fp64 => TypedContentsField.Fp64,
        TensorDataType.Bytes => TypedContentsField.Bytes,
        _ => TypedContentsField.None,
    };

    /// <summary>The protocol name of a typed field ("int_contents", ...), for messages.</summary>
    public static string FieldName(TypedContentsField field) => field switch
    {
        TypedContentsField.Bool => "bool_contents",
        TypedContentsField.Int => "int_contents",
        TypedContentsField.Int64 => "int64_contents",
        TypedContentsField.UInt => "uint_contents",
        TypedContentsField.UInt64 => "uint64_contents",
        TypedContentsField.Fp32 => "fp32_contents",
        TypedContentsField.Fp64 => "fp64_contents",
        TypedContentsField.Bytes => "bytes_contents",
        _ => "raw_input_contents",
    };

    /// <summary>Writes int_contents values as INT8, INT16 or INT32; false (with the first bad index) when a value does not fit.</summary>
    public static bool TryEncodeInt(IReadOnlyList<int> values, TensorDataType type, Span<byte> destination, out int badIndex)
    {
        badIndex = -1;
        switch (type)
        {
            case TensorDataType.Int8:
                for (var i = 0; i < values.Count; i++)
                {
                    var v = values[i];
                    if (v is < sbyte.MinValue or > sbyte.MaxValue) { badIndex = i; return false; }
                    destination[i] = unchecked((byte)(sbyte)v);
                }

                return true;
            case TensorDataType.Int16:
                for (var i = 0; i < values.Count; i++)
                {
                    var v = values[i];
                    if (v is < short.MinValue or > short.MaxValue) { badIndex = i; return false; }
                    BinaryPrimitives.WriteInt16LittleEndian(destination.Slice(i * 2, 2), (short)v);
                }

                return true;
            case TensorDataType.Int32:
                for (var i = 0; i < values.Count; i++)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(destination.Slice(i * 4, 4), values[i]);
                }

                return true;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "int_contents carries INT8, INT16 and INT32 only.");
        }
    }

    /// <summary>Writes uint_contents values as UINT8, UINT16 or UINT32; false (with the first bad index) when a value does not fit.</summary>
    public static bool TryEncodeUInt(IReadOnlyList<uint> values, TensorDataType type, Span<byte> destination, out int badIndex)
    {
        badIndex = -1;
        switch (type)
        {
            case TensorDataType.UInt8:
                for (var i = 0; i < values.Count; i++)
                {
                    var v = values[i];
                    if (v > byte.MaxValue) { badIndex = i; return false; }
                    destination[i] = (byte)v;
                }

                return true;
            case TensorDataType.UInt16:
                for (var i = 0; i < values.Count; i++)
                {
                    var v = values[i];
                    if (v > ushort.MaxValue) { badIndex = i; return false; }
                    BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(i * 2, 2), (ushort)v);
                }

                return true;
            case TensorDataType.UInt32:
                for (var i = 0; i < values.Count; i++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(i * 4, 4), values[i]);
                }

                return true;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "uint_contents carries UINT8, UINT16 and UINT32 only.");
        }
    }

    /// <summary>Writes int64_contents as INT64.</summary>
    public static void EncodeInt64(IReadOnlyList<long> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(i * 8, 8), values[i]);
        }
    }

    /// <summary>Writes uint64_contents as UINT64.</summary>
    public static void EncodeUInt64(IReadOnlyList<ulong> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(i * 8, 8), values[i]);
        }
    }

    /// <summary>Writes fp32_contents as FP32.</summary>
    public static void EncodeFp32(IReadOnlyList<float> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(destination.Slice(i * 4, 4), values[i]);
        }
    }

    /// <summary>Writes fp64_contents as FP64.</summary>
    public static void EncodeFp64(IReadOnlyList<double> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(destination.Slice(i * 8, 8), values[i]);
        }
    }

    /// <summary>Writes bool_contents as BOOL (one byte, 0 or 1).</summary>
    public static void EncodeBool(IReadOnlyList<bool> values, Span<byte> destination)
    {
        for (var i = 0; i < values.Count; i++)
        {
            destination[i] = values[i] ? (byte)1 : (byte)0;
        }
    }

    /// <summary>Appends raw INT8/INT16/INT32 elements to an int_contents sink.</summary>
    public static void DecodeInt(ReadOnlySpan<byte> raw, TensorDataType type, ICollection<int> sink)
    {
        switch (type)
        {
            case TensorDataType.Int8:
                foreach (var b in raw) { sink.Add(unchecked((sbyte)b)); }
                break;
            case TensorDataType.Int16:
                for (var i = 0; i + 2 <= raw.Length; i += 2) { sink.Add(BinaryPrimitives.ReadInt16LittleEndian(raw.Slice(i, 2))); }
                break;
            case TensorDataType.Int32:
                for (var i = 0; i + 4 <= raw.Length; i += 4) { sink.Add(BinaryPrimitives.ReadInt32LittleEndian(raw.Slice(i, 4))); }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "int_contents carries INT8, INT16 and INT32 only.");
        }
    }

    /// <summary>Appends raw UINT8/UINT16/UINT32 elements to a uint_contents sink.</summary>
    public static void DecodeUInt(ReadOnlySpan<byte> raw, TensorDataType type, ICollection<uint> sink)
    {
        switch (type)
        {
            case TensorDataType.UInt8:
                foreach (var b in raw) { sink.Add(b); }
                break;
            case TensorDataType.UInt16:
                for (var i = 0; i + 2 <= raw.Length; i += 2) { sink.Add(BinaryPrimitives.ReadUInt16LittleEndian(raw.Slice(i, 2))); }
                break;
            case TensorDataType.UInt32:
                for (var i = 0; i + 4 <= raw.Length; i += 4) { sink.Add(BinaryPrimitives.ReadUInt32LittleEndian(raw.Slice(i, 4))); }
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "uint_contents carries UINT8, UINT16 and UINT32 only.");
        }
    }

    /// <summary>Appends raw INT64 elements.</summary>
    public static void DecodeInt64(ReadOnlySpan<byte> raw, ICollection<long> sink)
    {
        for (var i = 0; i + 8 <= raw.Length; i += 8) { sink.Add(BinaryPrimitives.ReadInt64LittleEndian(raw.Slice(i, 8))); }
    }

    /// <summary>Appends raw UINT64 elements.</summary>
    public static void DecodeUInt64(ReadOnlySpan<byte> raw, ICollection<ulong> sink)
    {
        for (var i = 0; i + 8 <= raw.Length; i += 8) { sink.Add(BinaryPrimitives.ReadUInt64LittleEndian(raw.Slice(i, 8))); }
    }

    /// <summary>Appends raw FP32 elements.</summary>
    public static void DecodeFp32(ReadOnlySpan<byte> raw, ICollection<float> sink)
    {
        for (var i = 0; i + 4 <= raw.Length; i += 4) { sink.Add(BinaryPrimitives.ReadSingleLittleEndian(raw.Slice(i, 4))); }
    }

    /// <summary>Appends raw FP64 elements.</summary>
    public static void DecodeFp64(ReadOnlySpan<byte> raw, ICollection<double> sink)
    {
        for (var i = 0; i + 8 <= raw.Length; i += 8) { sink.Add(BinaryPrimitives.ReadDoubleLittleEndian(raw.Slice(i, 8))); }
    }

    /// <summary>Appends raw BOOL elements (any non-zero byte is true).</summary>
    public static void DecodeBool(ReadOnlySpan<byte> raw, ICollection<bool> sink)
    {
        foreach (var b in raw) { sink.Add(b != 0); }
    }
}
