using EdgeAgent.Inference.Tensors;

namespace EdgeAgent.Inference.Tests.Tensors;

public sealed class TensorCodecTests
{
    [Theory]
    [InlineData(TensorDataType.Int8, new[] { -128, 0, 127 })]
    [InlineData(TensorDataType.Int16, new[] { -32768, 1, 32767 })]
    [InlineData(TensorDataType.Int32, new[] { int.MinValue, -1, int.MaxValue })]
    public void EncodeInt_ValuesInRange_RoundTrips(TensorDataType type, int[] values)
    {
        var raw = new byte[values.Length * type.ElementSize()];

        Assert.True(TypedTensorCodec.TryEncodeInt(values, type, raw, out _));
        var back = new List<int>();
        TypedTensorCodec.DecodeInt(raw, type, back);

        Assert.Equal(values, back);
    }

    [Theory]
    [InlineData(TensorDataType.Int8, 128)]
    [InlineData(TensorDataType.Int8, -129)]
    [InlineData(TensorDataType.Int16, 40000)]
    public void EncodeInt_ValueOutOfRange_ReportsIndex(TensorDataType type, int bad)
    {
        var raw = new byte[3 * type.ElementSize()];

        Assert.False(TypedTensorCodec.TryEncodeInt([1, 2, bad], type, raw, out var index));
        Assert.Equal(2, index);
    }

    [Fact]
    public void EncodeUInt_ValueOutOfRange_ReportsIndex()
    {
        Assert.False(TypedTensorCodec.TryEncodeUInt([256u], TensorDataType.UInt8, new byte[1], out var index));
        Assert.Equal(0, index);
        Assert.False(TypedTensorCodec.TryEncodeUInt([70000u], TensorDataType.UInt16, new byte[2], out _));
    }

    [Fact]
    public void EncodeFloatTypes_LittleEndianRoundTrip()
    {
        float[] floats = [1.5f, -2.25f, float.MaxValue];
        double[] doubles = [Math.PI, -0.0, double.Epsilon];
        long[] longs = [long.MinValue, 5];
        ulong[] ulongs = [ulong.MaxValue, 7];
        bool[] bools = [true, false, true];
        var f = new byte[12];
        var d = new byte[24];
        var l = new byte[16];
        var u = new byte[16];
        var b = new byte[3];

        TypedTensorCodec.EncodeFp32(floats, f);
        TypedTensorCodec.EncodeFp64(doubles, d);
        TypedTensorCodec.EncodeInt64(longs, l);
        TypedTensorCodec.EncodeUInt64(ulongs, u);
        TypedTensorCodec.EncodeBool(bools, b);

        var f2 = new List<float>(); TypedTensorCodec.DecodeFp32(f, f2);
        var d2 = new List<double>(); TypedTensorCodec.DecodeFp64(d, d2);
        var l2 = new List<long>(); TypedTensorCodec.DecodeInt64(l, l2);
        var u2 = new List<ulong>(); TypedTensorCodec.DecodeUInt64(u, u2);
        var b2 = new List<bool>(); TypedTensorCodec.DecodeBool(b, b2);
        Assert.Equal(floats, f2);
        Assert.Equal(doubles, d2);
        Assert.Equal(longs, l2);
        Assert.Equal(ulongs, u2);
        Assert.Equal(bools, b2);
        Assert.Equal(new byte[] { 0, 0, 0xC0, 0x3F }, f[..4]);
    }

    [Fact]
    public void TryGetElementCount_Overflow_ReturnsFalse()
    {
        Assert.False(TensorShapes.TryGetElementCount([long.MaxValue, 2], out _));
        Assert.False(TensorShapes.TryGetElementCount([3, -1], out _));
        Assert.True(TensorShapes.TryGetElementCount([], out var scalar));
        Assert.Equal(1, scalar);
        Assert.True(TensorShapes.TryGetElementCount([2, 3, 4], out var count));
        Assert.Equal(24, count);
        Assert.False(TensorShapes.TryGetByteCount(long.MaxValue / 2, 4, out _));
    }

    [Theory]
    [InlineData("FP32", TensorDataType.Fp32, 4)]
    [InlineData("FP16", TensorDataType.Fp16, 2)]
    [InlineData("BOOL", TensorDataType.Bool, 1)]
    [InlineData("UINT64", TensorDataType.UInt64, 8)]
    public void TryParse_ProtocolNames_RoundTrip(string name, TensorDataType type, int size)
    {
        Assert.True(TensorDataTypes.TryParse(name, out var parsed));
        Assert.Equal(type, parsed);
        Assert.Equal(name, parsed.ToProtocolName());
        Assert.Equal(size, parsed.ElementSize());
        Assert.Equal(type, TensorDataTypes.FromOnnx(type.ToOnnx()));
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("FLOAT")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_UnknownNames_Fails(string? name)
    {
        Assert.False(TensorDataTypes.TryParse(name, out _));
    }
}
