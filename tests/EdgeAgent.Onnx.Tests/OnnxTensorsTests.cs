using EdgeAgent.Onnx.Proto;
using Google.Protobuf;
using DataType = EdgeAgent.Onnx.Proto.TensorProto.Types.DataType;

namespace EdgeAgent.Onnx.Tests;

public class OnnxTensorsTests
{
    [Fact]
    public void FromFloats_RoundTrip_KeepsValuesAndWritesLittleEndianRawData()
    {
        var tensor = OnnxTensors.FromFloats("t", [1f, -2.5f], 2);

        Assert.Equal([1f, -2.5f], OnnxTensors.ToFloats(tensor));
        Assert.Equal((int)DataType.Float, tensor.DataType);
        // 1.0f is 0x3F800000: little-endian bytes 00 00 80 3F.
        Assert.Equal(new byte[] { 0, 0, 0x80, 0x3F }, tensor.RawData.Span[..4].ToArray());
    }

    [Fact]
    public void FromLongsIntsBytes_RoundTrip()
    {
        Assert.Equal([long.MinValue, 7L], OnnxTensors.ToLongs(OnnxTensors.FromLongs("l", [long.MinValue, 7], 2)));
        Assert.Equal([-3, int.MaxValue], OnnxTensors.ToInts(OnnxTensors.FromInts("i", [-3, int.MaxValue], 2)));
        Assert.Equal([(sbyte)-128, (sbyte)127], OnnxTensors.ToSBytes(OnnxTensors.FromSBytes("s", [-128, 127], 2)));
        Assert.Equal([(byte)0, (byte)255], OnnxTensors.ToBytes(OnnxTensors.FromBytes("b", [0, 255], 2)));
        Assert.Equal([(Half)1.5f], OnnxTensors.ToHalves(OnnxTensors.FromHalves("h", [(Half)1.5f], 1)));
        Assert.Equal([1.5f], OnnxTensors.ToFloats(OnnxTensors.FromHalves("h", [(Half)1.5f], 1)));
    }

    [Fact]
    public void ToFloatsAndLongs_TypedFields_AreRead()
    {
        var floats = new TensorProto { Name = "f", DataType = (int)DataType.Float };
        floats.Dims.Add([2, 1]);
        floats.FloatData.Add([3f, 4f]);
        var longs = new TensorProto { Name = "l", DataType = (int)DataType.Int64 };
        longs.Dims.Add(3);
        longs.Int64Data.Add([1, 2, 3]);
        var int8 = new TensorProto { Name = "q", DataType = (int)DataType.Int8 };
        int8.Int32Data.Add(-5);

        Assert.Equal([3f, 4f], OnnxTensors.ToFloats(floats));
        Assert.Equal([1L, 2L, 3L], OnnxTensors.ToLongs(longs));
        Assert.Equal([(sbyte)-5], OnnxTensors.ToSBytes(int8));
    }

    [Fact]
    public void ToFloats_RawDataOfWrongLength_ThrowsNamingTensor()
    {
        var tensor = new TensorProto { Name = "short", DataType = (int)DataType.Float, RawData = ByteString.CopyFrom(1, 2, 3) };
        tensor.Dims.Add(1);

        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensors.ToFloats(tensor));

        Assert.Contains("short", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToFloats_IntegerTensor_ThrowsWithType()
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxTensors.ToFloats(OnnxTensors.FromLongs("n", [1], 1)));

        Assert.Contains("Int64", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromFloats_CountNotMatchingDims_Throws()
    {
        Assert.Throws<ArgumentException>(() => OnnxTensors.FromFloats("t", [1f, 2f, 3f], 2, 2));
    }
}
