using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Node.Serving;
using Google.Protobuf;
using Grpc.Core;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class ArrivingRequestTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(3, 4096)]
    public async Task TryStartAsync_CanonicalRequest_HeadIsTheFieldsBeforeTheTensorsAndTheWholeParsesAsProtobuf(int seed, int piece)
    {
        var request = Request(new Random(seed), tensors: 2);
        var bytes = request.ToByteArray();
        var pipe = NewPipe();
        var feeding = FeedAsync(pipe.Writer, Framed(bytes), piece);

        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);

        Assert.NotNull(arriving);
        var head = request.Clone();
        head.RawInputContents.Clear();
        Assert.Equal(head, arriving.Head);
        Assert.Equal(bytes.Length, arriving.Length);
        Assert.Equal(request, await arriving.CompleteAsync().WaitAsync(Bound));
        await feeding.WaitAsync(Bound);
    }

    [Fact]
    public async Task TryStartAsync_UnknownFieldInTheHead_KeptInHeadAndWhole()
    {
        var request = Request(new Random(4), tensors: 1);
        var bytes = Concat(Unknown(99, 12345), request.ToByteArray());
        var pipe = NewPipe();
        var feeding = FeedAsync(pipe.Writer, Framed(bytes), 100);

        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);

        var whole = await arriving!.CompleteAsync().WaitAsync(Bound);
        Assert.Equal(ModelInferRequest.Parser.ParseFrom(bytes), whole);
        // Kept: re-encoding writes unknown fields last, so compare them, not the byte order.
        Assert.Equal(ModelInferRequest.Parser.ParseFrom(bytes).CalculateSize(), whole.CalculateSize());
        Assert.Equal(request.ModelName, arriving.Head!.ModelName);
        await feeding.WaitAsync(Bound);
    }

    [Theory]
    [InlineData(1, 0, false)]         // compressed
    [InlineData(0, 100, false)]       // under the minimum
    [InlineData(0, 100_000, true)]    // over the limit
    public async Task TryStartAsync_BodyItDoesNotHandle_NullAndNothingConsumed(byte compressed, int length, bool overLimit)
    {
        var message = new byte[length == 0 ? 300 : length];
        var framed = Framed(message);
        framed[0] = compressed;
        var pipe = NewPipe();
        await pipe.Writer.WriteAsync(framed).AsTask().WaitAsync(Bound);
        await pipe.Writer.CompleteAsync().AsTask().WaitAsync(Bound);

        var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 200, overLimit ? 50_000 : int.MaxValue, CancellationToken.None).WaitAsync(Bound);

        Assert.Null(arriving);
        var rest = await pipe.Reader.ReadAtLeastAsync(framed.Length + 1).AsTask().WaitAsync(Bound);
        Assert.Equal(framed, rest.Buffer.ToArray());
    }

    [Fact]
    public async Task CompleteAsync_FieldAfterTheFirstTensor_HeadNotFinalWithTheWholeRequest()
    {
        // Canonical head and tensor, then the id again (protobuf: the last one wins).
        var request = Request(new Random(5), tensors: 1);
        var late = new ModelInferRequest { Id = "late-id" };
        var bytes = Concat(request.ToByteArray(), late.ToByteArray());
        var pipe = NewPipe();
        var feeding = FeedAsync(pipe.Writer, Framed(bytes), 64);

        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);

        var ex = await Assert.ThrowsAsync<ArrivingRequestException>(() => arriving!.CompleteAsync().WaitAsync(Bound));
        Assert.Equal(ModelInferRequest.Parser.ParseFrom(bytes), ex.HeadNotFinal);
        Assert.Equal("late-id", ex.HeadNotFinal!.Id);
        Assert.NotEqual("late-id", arriving!.Head!.Id);
        await feeding.WaitAsync(Bound);
    }

    [Fact]
    public async Task TryStartAsync_TensorBeforeOtherFields_NoHead()
    {
        var bytes = Concat(new ModelInferRequest { RawInputContents = { ByteString.CopyFrom(new byte[500]) } }.ToByteArray(), new ModelInferRequest { ModelName = "m" }.ToByteArray());
        var pipe = NewPipe();
        var feeding = FeedAsync(pipe.Writer, Framed(bytes), 50);

        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);

        Assert.Equal("", arriving!.Head!.ModelName);
        var ex = await Assert.ThrowsAsync<ArrivingRequestException>(() => arriving.CompleteAsync().WaitAsync(Bound));
        Assert.Equal("m", ex.HeadNotFinal!.ModelName);
        await feeding.WaitAsync(Bound);
    }

    [Fact]
    public async Task CompleteAsync_BodyEndsEarly_IncompleteMessageAsGrpc()
    {
        var bytes = Request(new Random(6), tensors: 1).ToByteArray();
        var framed = Framed(bytes);
        var pipe = NewPipe();
        var feeding = FeedAsync(pipe.Writer, framed.AsMemory(0, framed.Length - 10).ToArray(), 1000);

        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);

        var ex = await Assert.ThrowsAsync<RpcException>(() => arriving!.CompleteAsync().WaitAsync(Bound));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Incomplete message.", ex.Status.Detail);
        await feeding.WaitAsync(Bound);
    }

    [Fact]
    public async Task CompleteAsync_DataAfterTheMessage_AdditionalDataAsGrpc()
    {
        var bytes = Request(new Random(7), tensors: 1).ToByteArray();
        var pipe = NewPipe();
        var feeding = FeedAsync(pipe.Writer, Concat(Framed(bytes), [0, 0, 0, 0, 1, 8]), 777);

        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);

        var ex = await Assert.ThrowsAsync<RpcException>(() => arriving!.CompleteAsync().WaitAsync(Bound));
        Assert.Equal(StatusCode.Internal, ex.StatusCode);
        Assert.Equal("Additional data after the message received.", ex.Status.Detail);
        await feeding.WaitAsync(Bound);
    }

    [Fact]
    public async Task CompleteAsync_MalformedTail_InvalidArgumentAsAMalformedRequest()
    {
        // A field with wire type 7 (invalid) after the tensor.
        var bytes = Concat(Request(new Random(8), tensors: 1).ToByteArray(), [0x47, 0x01]);
        var pipe = NewPipe();
        var feeding = FeedAsync(pipe.Writer, Framed(bytes), 512);

        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);

        var ex = await Assert.ThrowsAsync<RpcException>(() => arriving!.CompleteAsync().WaitAsync(Bound));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.StartsWith("Malformed ModelInferRequest in a ModelInfer call", ex.Status.Detail, StringComparison.Ordinal);
        await feeding.WaitAsync(Bound);
    }

    [Fact]
    public async Task CopyToAsync_WhileArriving_PrefixAndBytesWithTheLastByteOnlyAfterReleaseTail()
    {
        var bytes = Request(new Random(9), tensors: 2).ToByteArray();
        var framed = Framed(bytes);
        var pipe = NewPipe();
        await pipe.Writer.WriteAsync(framed.AsMemory(0, 2000)).AsTask().WaitAsync(Bound);
        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);
        var destination = new MemoryStream();
        int? sentAtArrival = null;

        var copy = arriving!.CopyToAsync(destination, 1, sent => sentAtArrival = sent, CancellationToken.None);
        await WaitUntilAsync(() => destination.Length >= 1000);
        Assert.Null(sentAtArrival);
        await pipe.Writer.WriteAsync(framed.AsMemory(2000)).AsTask().WaitAsync(Bound);
        await pipe.Writer.CompleteAsync().AsTask().WaitAsync(Bound);
        await arriving.CompleteAsync().WaitAsync(Bound);
        await WaitUntilAsync(() => destination.Length == framed.Length - 1);
        Assert.False(copy.IsCompleted);

        arriving.ReleaseTail();
        await copy.WaitAsync(Bound);

        Assert.Equal(framed, destination.ToArray());
        Assert.NotNull(sentAtArrival);
    }

    [Fact]
    public async Task CopyToAsync_ArrivingInSmallPieces_WritesPiecesOfAtLeastTheMinimum()
    {
        var request = new ModelInferRequest { ModelName = "model" };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "UINT8", Shape = { 1, 300_000 } });
        var data = new byte[300_000];
        new Random(12).NextBytes(data);
        request.RawInputContents.Add(ByteString.CopyFrom(data));
        var framed = Framed(request.ToByteArray());
        var pipe = NewPipe();
        await pipe.Writer.WriteAsync(framed.AsMemory(0, 1024)).AsTask().WaitAsync(Bound);
        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);
        var destination = new RecordingStream();
        const int Minimum = 32 * 1024;

        var copy = arriving!.CopyToAsync(destination, Minimum, null, CancellationToken.None);
        await FeedAsync(pipe.Writer, framed[1024..], piece: 1000);
        await arriving.CompleteAsync().WaitAsync(Bound);
        arriving.ReleaseTail();
        await copy.WaitAsync(Bound);

        Assert.Equal(framed, destination.ToArray());
        // The prefix, then pieces of at least the minimum, but for the rest before the held-back byte and that byte.
        var writes = destination.Writes;
        Assert.Equal(ArrivingRequest.PrefixBytes, writes[0]);
        Assert.All(writes.Skip(1).SkipLast(2), w => Assert.True(w >= Minimum, $"a write of {w} bytes"));
        Assert.Equal(1, writes[^1]);
    }

    [Fact]
    public async Task CopyToAsync_BodyFails_EndsOnlyWhenCancelled()
    {
        var framed = Framed(Request(new Random(10), tensors: 1).ToByteArray());
        var pipe = NewPipe();
        await pipe.Writer.WriteAsync(framed.AsMemory(0, 3000)).AsTask().WaitAsync(Bound);
        using var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);
        using var abandon = new CancellationTokenSource();
        var copy = arriving!.CopyToAsync(Stream.Null, 1, null, abandon.Token);

        await pipe.Writer.CompleteAsync().AsTask().WaitAsync(Bound);
        await Assert.ThrowsAsync<RpcException>(() => arriving.CompleteAsync().WaitAsync(Bound));
        await Task.Yield();
        Assert.False(copy.IsCompleted);

        await abandon.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => copy.WaitAsync(Bound));
    }

    [Fact]
    public async Task Dispose_ForwardWaitingForTheTail_Cancelled()
    {
        var framed = Framed(Request(new Random(11), tensors: 1).ToByteArray());
        var pipe = NewPipe();
        await pipe.Writer.WriteAsync(framed).AsTask().WaitAsync(Bound);
        await pipe.Writer.CompleteAsync().AsTask().WaitAsync(Bound);
        var arriving = await ArrivingRequest.TryStartAsync(pipe.Reader, 1, int.MaxValue, CancellationToken.None).WaitAsync(Bound);
        await arriving!.CompleteAsync().WaitAsync(Bound);
        var copy = arriving.CopyToAsync(Stream.Null, 1, null, CancellationToken.None);

        arriving.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => copy.WaitAsync(Bound));
    }

    // No back pressure: a test writes a whole body before anything reads it (the default pipe's
    // writer would wait once 64 KiB are unread, and the test with it).
    private static Pipe NewPipe() => new(new PipeOptions(pauseWriterThreshold: 0));

    private static ModelInferRequest Request(Random random, int tensors)
    {
        var request = new ModelInferRequest { ModelName = "model", Id = "id-" + random.Next() };
        request.Parameters["p"] = new InferParameter { Int64Param = random.Next() };
        for (var t = 0; t < tensors; t++)
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = "x" + t, Datatype = "FP32" };
            input.Shape.Add([1, random.Next(500, 3000)]);
            request.Inputs.Add(input);
            var data = new byte[input.Shape[1] * 4];
            random.NextBytes(data);
            request.RawInputContents.Add(ByteString.CopyFrom(data));
        }

        request.Outputs.Add(new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "y" });
        return request;
    }

    private static byte[] Framed(byte[] message)
    {
        var framed = new byte[ArrivingRequest.PrefixBytes + message.Length];
        BinaryPrimitives.WriteUInt32BigEndian(framed.AsSpan(1), (uint)message.Length);
        message.CopyTo(framed.AsSpan(ArrivingRequest.PrefixBytes));
        return framed;
    }

    private static byte[] Unknown(int field, ulong value)
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteUInt64(value);
        output.Flush();
        return stream.ToArray();
    }

    private static byte[] Concat(byte[] a, byte[] b) => [.. a, .. b];

    private static async Task FeedAsync(PipeWriter writer, byte[] bytes, int piece)
    {
        for (var offset = 0; offset < bytes.Length; offset += piece)
        {
            await writer.WriteAsync(bytes.AsMemory(offset, Math.Min(piece, bytes.Length - offset))).AsTask().WaitAsync(Bound);
            await Task.Yield();
        }

        await writer.CompleteAsync().AsTask().WaitAsync(Bound);
    }

    private sealed class RecordingStream : MemoryStream
    {
        public List<int> Writes { get; } = [];

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.Length);
            return base.WriteAsync(buffer, cancellationToken);
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + Bound;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(5);
        }
    }
}
