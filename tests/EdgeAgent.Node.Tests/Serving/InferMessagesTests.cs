using System.Buffers;
using System.Runtime.InteropServices;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Node.Serving;
using Google.Protobuf;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class InferMessagesTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(7, 3)]
    public void ParseRequest_RandomRequests_EqualToProtobufsParse(int seed, int rawTensors)
    {
        var random = new Random(seed);
        for (var i = 0; i < 50; i++)
        {
            var request = RandomRequest(random, rawTensors);
            var bytes = request.ToByteArray();

            var parsed = InferMessages.ParseRequest(Segmented(bytes, random.Next(1, 4096)));

            Assert.Equal(ModelInferRequest.Parser.ParseFrom(bytes), parsed);
        }
    }

    [Fact]
    public void ParseRequest_RawTensorsInterleavedWithOtherFields_SameOrderAsProtobufsParse()
    {
        // Field 7 (raw_input_contents) before, between and after other fields, and an unknown field.
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(7, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(1, 2, 3));
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteString("m");
        output.WriteTag(7, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(4, 5));
        output.WriteTag(99, WireFormat.WireType.Varint);
        output.WriteUInt64(12345);
        output.WriteTag(3, WireFormat.WireType.LengthDelimited);
        output.WriteString("id");
        output.WriteTag(7, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.Empty);
        output.Flush();
        var bytes = stream.ToArray();

        var parsed = InferMessages.ParseRequest(new ReadOnlySequence<byte>(bytes));

        var expected = ModelInferRequest.Parser.ParseFrom(bytes);
        Assert.Equal(expected, parsed);
        Assert.Equal(3, parsed.RawInputContents.Count);
        Assert.Equal([1, 2, 3], parsed.RawInputContents[0].ToByteArray());
        Assert.Equal("id", parsed.Id);
    }

    [Fact]
    public void ParseRequest_FirstRawTensor_StartsAlignedInItsArray()
    {
        var request = RandomRequest(new Random(5), rawTensors: 2);

        var parsed = InferMessages.ParseRequest(Segmented(request.ToByteArray(), 100));

        Assert.True(MemoryMarshal.TryGetArray(parsed.RawInputContents[0].Memory, out var segment));
        Assert.Equal(0, segment.Offset % 64);
    }

    [Theory]
    [InlineData(new byte[] { 0x3A, 0x10, 1, 2 })]               // field 7, length 16, 2 bytes: truncated
    [InlineData(new byte[] { 0x0A, 0x02, 0xC3, 0x28 })]         // model_name with invalid UTF-8
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 })] // overlong varint
    [InlineData(new byte[] { 0x0B, 0x0C })]                     // a group
    public void ParseRequest_MalformedBytes_FailsAsProtobufsParseDoes(byte[] bytes)
    {
        var expected = Record.Exception(() => ModelInferRequest.Parser.ParseFrom(bytes));
        var actual = Record.Exception(() => InferMessages.ParseRequest(new ReadOnlySequence<byte>(bytes)));

        if (expected is null)
        {
            Assert.Null(actual);
        }
        else
        {
            Assert.NotNull(actual);
            Assert.IsType(expected.GetType(), actual);
            Assert.Equal(expected.Message, actual.Message);
        }
    }

    [Fact]
    public void TryGetReceivedBytes_UnchangedRequest_TheBytesReceived()
    {
        var bytes = RandomRequest(new Random(11), rawTensors: 1).ToByteArray();
        var parsed = InferMessages.ParseRequest(Segmented(bytes, 333));

        Assert.True(InferMessages.TryGetReceivedBytes(parsed, out var received));
        Assert.Equal(bytes, received.ToArray());
    }

    [Fact]
    public void TryGetReceivedBytes_ChangedOrNotReceived_False()
    {
        var original = RandomRequest(new Random(12), rawTensors: 1);
        var parsed = InferMessages.ParseRequest(new ReadOnlySequence<byte>(original.ToByteArray()));
        parsed.Id += "-changed";

        Assert.False(InferMessages.TryGetReceivedBytes(parsed, out _));
        Assert.False(InferMessages.TryGetReceivedBytes(original, out _));
    }

    [Fact]
    public void Return_LargeRequests_ArraysAreReusedAndEveryParseStaysExact()
    {
        var random = new Random(21);
        var arrays = new HashSet<byte[]>();
        for (var i = 0; i < 20; i++)
        {
            var bytes = LargeRequest(random).ToByteArray();
            var parsed = InferMessages.ParseRequest(Segmented(bytes, 4096));
            Assert.Equal(ModelInferRequest.Parser.ParseFrom(bytes), parsed);
            Assert.True(MemoryMarshal.TryGetArray(parsed.RawInputContents[0].Memory, out var segment));
            arrays.Add(segment.Array!);

            InferMessages.Return(parsed);
            InferMessages.Return(parsed); // a second return must not put the array in the pool twice

            // Returned bytes may already hold another message: never forwarded as this one's.
            Assert.False(InferMessages.TryGetReceivedBytes(parsed, out _));
        }

        // Pooled: far fewer arrays than requests (other tests may rent from the same pool meanwhile,
        // and a full collection may free an idle array).
        Assert.True(arrays.Count <= 10, $"{arrays.Count} arrays for 20 requests parsed and returned one after another");

        // Two messages held at once never share an array (a double return would hand one out twice).
        var first = InferMessages.ParseRequest(new ReadOnlySequence<byte>(LargeRequest(random).ToByteArray()));
        var secondBytes = LargeRequest(random).ToByteArray();
        var second = InferMessages.ParseRequest(new ReadOnlySequence<byte>(secondBytes));
        Assert.True(MemoryMarshal.TryGetArray(first.RawInputContents[0].Memory, out var a));
        Assert.True(MemoryMarshal.TryGetArray(second.RawInputContents[0].Memory, out var b));
        Assert.NotSame(a.Array, b.Array);
        Assert.Equal(ModelInferRequest.Parser.ParseFrom(secondBytes), second);
        InferMessages.Return(first);
        InferMessages.Return(second);
    }

    [Fact]
    public void Return_SmallRequest_KeepsItsOwnArray()
    {
        var bytes = RandomRequest(new Random(13), rawTensors: 1).ToByteArray();
        Assert.True(bytes.Length < 128 * 1024);
        var parsed = InferMessages.ParseRequest(new ReadOnlySequence<byte>(bytes));

        InferMessages.Return(parsed);

        Assert.True(InferMessages.TryGetReceivedBytes(parsed, out var received));
        Assert.Equal(bytes, received.ToArray());
    }

    [Fact]
    public void ParseResponse_LargeRawOutputs_EqualToProtobufsParseAfterReturns()
    {
        var random = new Random(22);
        for (var i = 0; i < 5; i++)
        {
            var response = new ModelInferResponse { ModelName = "m", Id = "r" + i };
            response.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "UINT8", Shape = { 1, 150_000 } });
            var data = new byte[150_000];
            random.NextBytes(data);
            response.RawOutputContents.Add(ByteString.CopyFrom(data));
            var bytes = response.ToByteArray();

            var parsed = InferMessages.ParseResponse(Segmented(bytes, 16384));

            Assert.Equal(response, parsed);
            InferMessages.Return(parsed);
        }
    }

    [Fact]
    public void ParseResponse_RawOutputs_EqualToProtobufsParse()
    {
        var response = new ModelInferResponse { ModelName = "m", ModelVersion = "1", Id = "r" };
        response.Parameters["edgeagent.placement"] = new InferParameter { StringParam = "local" };
        response.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "FP32", Shape = { 1, 3 } });
        response.RawOutputContents.Add(ByteString.CopyFrom(new byte[12] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }));
        var bytes = response.ToByteArray();

        var parsed = InferMessages.ParseResponse(Segmented(bytes, 7));

        Assert.Equal(response, parsed);
    }

    private static ModelInferRequest RandomRequest(Random random, int rawTensors)
    {
        var request = new ModelInferRequest { ModelName = "model-" + random.Next(100), Id = random.Next(2) == 0 ? "" : "id" + random.Next() };
        for (var p = random.Next(4); p > 0; p--)
        {
            request.Parameters["p" + p] = new InferParameter { Int64Param = random.Next() };
        }

        for (var t = 0; t < Math.Max(rawTensors, 1); t++)
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "x" + t, Datatype = "FP32" };
            input.Shape.Add([1, random.Next(1, 2000)]);
            if (rawTensors == 0)
            {
                input.Contents = new InferTensorContents();
                input.Contents.Fp32Contents.Add(Enumerable.Range(0, (int)input.Shape[1]).Select(v => (float)v));
            }

            request.Inputs.Add(input);
        }

        for (var t = 0; t < rawTensors; t++)
        {
            var data = new byte[request.Inputs[t].Shape[1] * 4];
            random.NextBytes(data);
            request.RawInputContents.Add(ByteString.CopyFrom(data));
        }

        return request;
    }

    // A request above the pooling threshold (128 KiB): one raw FP32 tensor of 40,000-60,000 values.
    private static ModelInferRequest LargeRequest(Random random)
    {
        var count = random.Next(40_000, 60_000);
        var request = new ModelInferRequest { ModelName = "big", Id = "id" + random.Next() };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, count } });
        var data = new byte[count * 4];
        random.NextBytes(data);
        request.RawInputContents.Add(ByteString.CopyFrom(data));
        return request;
    }

    // The payload as the transport hands it over: a chain of segments.
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentBytes)
    {
        if (bytes.Length <= segmentBytes)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        Segment? first = null;
        Segment? last = null;
        for (var offset = 0; offset < bytes.Length; offset += segmentBytes)
        {
            var chunk = bytes.AsMemory(offset, Math.Min(segmentBytes, bytes.Length - offset));
            if (first is null)
            {
                first = last = new Segment(chunk, 0);
            }
            else
            {
                last = last!.Append(chunk);
            }
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
