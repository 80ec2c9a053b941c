using Microsoft.ML.OnnxRuntime.Tensors;

namespace EdgeAgent.Inference.Tensors;

/// <summary>Element types of tensors as the Open Inference Protocol names them.</summary>
public enum TensorDataType
{
    /// <summary>Not a tensor type this server knows.</summary>
    Unknown = 0,
    /// <summary>"BOOL", one byte per element (0 or 1).</summary>
    Bool,
    /// <summary>"UINT8".</summary>
    UInt8,
    /// <summary>"UINT16".</summary>
    UInt16,
    /// <summary>"UINT32".</summary>
    UInt32,
    /// <summary>"UINT64".</summary>
    UInt64,
    /// <summary>"INT8".</summary>
    Int8,
    /// <summary>"INT16".</summary>
    Int16,
    /// <summary>"INT32".</summary>
    Int32,
    /// <summary>"INT64".</summary>
    Int64,
    /// <summary>"FP16", IEEE half precision; travels only raw.</summary>
    Fp16,
    /// <summary>"FP32".</summary>
    Fp32,
    /// <summary>"FP64".</summary>
    Fp64,
    /// <summary>"BF16", bfloat16; travels only raw.</summary>
    Bf16,
    /// <summary>"BYTES": variable-length strings (listed in metadata; not executable here).</summary>
    Bytes,
}

/// <summary>Names, sizes and ONNX Runtime equivalents of <see cref="TensorDataType"/>.</summary>
public static class TensorDataTypes
{
    /// <summary>The protocol's datatype string ("FP32", "INT64", ...).</summary>
    public static string ToProtocolName(this TensorDataType type) => type switch
    {
        TensorDataType.Bool => "BOOL",
        TensorDataType.UInt8 => "UINT8",
        TensorDataType.UInt16 => "UINT16",
        TensorDataType.UInt32 => "UINT32",
        TensorDataType.UInt64 => "UINT64",
        TensorDataType.Int8 => "INT8",
        TensorDataType.Int16 => "INT16",
        TensorDataType.Int32 => "INT32",
        TensorDataType.Int64 => "INT64",
        TensorDataType.Fp16 => "FP16",
        TensorDataType.Fp32 => "FP32",
        TensorDataType.Fp64 => "FP64",
        TensorDataType.Bf16 => "BF16",
        TensorDataType.Bytes => "BYTES",
        _ => "UNKNOWN",
    };

    /// <summary>Parses a protocol datatype string (exact, upper case as the protocol spells it).</summary>
    public static bool TryParse(string? name, out TensorDataType type)
    {
        type = name switch
        {
            "BOOL" => TensorDataType.Bool,
            "UINT8" => TensorDataType.UInt8,
            "UINT16" => TensorDataType.UInt16,
            "UINT32" => TensorDataType.UInt32,
            "UINT64" => TensorDataType.UInt64,
            "INT8" => TensorDataType.Int8,
            "INT16" => TensorDataType.Int16,
            "INT32" => TensorDataType.Int32,
            "INT64" => TensorDataType.Int64,
            "FP16" => TensorDataType.Fp16,
            "FP32" => TensorDataType.Fp32,
            "FP64" => TensorDataType.Fp64,
            "BF16" => TensorDataType.Bf16,
            "BYTES" => TensorDataType.Bytes,
            _ => TensorDataType.Unknown,
        };
        return type != TensorDataType.Unknown;
    }

    /// <summary>Bytes per element in the raw (little-endian, unpadded) layout; 0 for BYTES and unknown.</summary>
    public static int ElementSize(this TensorDataType type) => type switch
    {
        TensorDataType.Bool or TensorDataType.UInt8 or TensorDataType.Int8 => 1,
        TensorDataType.UInt16 or TensorDataType.Int16 or TensorDataType.Fp16 or TensorDataType.Bf16 => 2,
        TensorDataType.UInt32 or TensorDataType.Int32 or TensorDataType.Fp32 => 4,
        TensorDataType.UInt64 or TensorDataType.Int64 or TensorDataType.Fp64 => 8,
        _ => 0,
    };

    /// <summary>True for the types that can only travel as raw bytes (FP16, BF16).</summary>
    public static bool IsRawOnly(this TensorDataType type) => type is TensorDataType.Fp16 or TensorDataType.Bf16;

    /// <summary>True when this server can execute tensors of the type (all fixed-size types).</summary>
    public static bool IsExecutable(this TensorDataType type) => type.ElementSize() > 0;

    /// <summary>The protocol type for an ONNX Runtime element type (Unknown when it has none).</summary>
    public static TensorDataType FromOnnx(TensorElementType type) => type switch
    {
        TensorElementType.Bool => TensorDataType.Bool,
        TensorElementType.UInt8 => TensorDataType.UInt8,
        TensorElementType.UInt16 => TensorDataType.UInt16,
        TensorElementType.UInt32 => TensorDataType.UInt32,
        TensorElementType.UInt64 => TensorDataType.UInt64,
        TensorElementType.Int8 => TensorDataType.Int8,
        TensorElementType.Int16 => TensorDataType.Int16,
        TensorElementType.Int32 => TensorDataType.Int32,
        TensorElementType.Int64 => TensorDataType.Int64,
        TensorElementType.Float16 => TensorDataType.Fp16,
        TensorElementType.Float => TensorDataType.Fp32,
        TensorElementType.Double => TensorDataType.Fp64,
        TensorElementType.BFloat16 => TensorDataType.Bf16,
        TensorElementType.String => TensorDataType.Bytes,
        _ => TensorDataType.Unknown,
    };

    /// <summary>The ONNX Runtime element type for a protocol type.</summary>
    /// <exception cref="ArgumentOutOfRangeException">BYTES or unknown.</exception>
    public static TensorElementType ToOnnx(this TensorDataType type) => type switch
    {
        TensorDataType.Bool => TensorElementType.Bool,
        TensorDataType.UInt8 => TensorElementType.UInt8,
        TensorDataType.UInt16 => TensorElementType.UInt16,
        TensorDataType.UInt32 => TensorElementType.UInt32,
        TensorDataType.UInt64 => TensorElementType.UInt64,
        TensorDataType.Int8 => TensorElementType.Int8,
        TensorDataType.Int16 => TensorElementType.Int16,
        TensorDataType.Int32 => TensorElementType.Int32,
        TensorDataType.Int64 => TensorElementType.Int64,
        TensorDataType.Fp16 => TensorElementType.Float16,
        TensorDataType.Fp32 => TensorElementType.Float,
        TensorDataType.Fp64 => TensorElementType.Double,
        TensorDataType.Bf16 => TensorElementType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "The datatype has no fixed-size ONNX Runtime equivalent."),
    };
}
