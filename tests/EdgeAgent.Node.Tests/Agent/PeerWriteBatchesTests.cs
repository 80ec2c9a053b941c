using System.Buffers.Binary;
using EdgeAgent.Node.Agent;
using Microsoft.Extensions.Time.Testing;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class PeerWriteBatchesTests
{
    private const int Batch = 128 * 1024;

    [Fact]
    public void WindowsAllowBatching_KestrelsOpeningWithWideWindows_True()
    {
        Assert.True(BatchedWriteStream.WindowsAllowBatching(Opening(512 * 1024, 100 * 1024 * 1024), Batch));
    }

    [Theory]
    [InlineData(128 * 1024, 100 * 1024 * 1024)] // stream window under twice a batch
    [InlineData(512 * 1024, 0)] // no connection WINDOW_UPDATE: the connection window stays 65,535
    [InlineData(-1, 100 * 1024 * 1024)] // no INITIAL_WINDOW_SIZE: 65,535
    public void WindowsAllowBatching_NarrowOrDefaultWindows_False(int streamWindow, int connectionIncrement)
    {
        Assert.False(BatchedWriteStream.WindowsAllowBatching(Opening(streamWindow, connectionIncrement), Batch));
    }

    [Fact]
    public void WindowsAllowBatching_NothingOrAPartialFrame_False()
    {
        Assert.False(BatchedWriteStream.WindowsAllowBatching([], Batch));
        Assert.False(BatchedWriteStream.WindowsAllowBatching(Opening(512 * 1024, 100 * 1024 * 1024).AsSpan(0, 12), Batch));
    }

    [Fact]
    public async Task WriteAsync_ForwardActive_FullDataFramesSentSevenAtATimeInOrder()
    {
        var (batches, inner, stream) = await OpenAsync();
        var frames = Enumerable.Range(1, 8).Select(i => Data(16 * 1024, (byte)i)).ToList();

        batches.Begin();
        foreach (var frame in frames.Take(7))
        {
            await stream.WriteAsync(frame);
        }

        // Seven full frames fill the batch (an eighth would not fit): one send.
        var sent = Assert.Single(inner.Writes);
        Assert.Equal(frames.Take(7).SelectMany(f => f).ToArray(), sent);

        await stream.WriteAsync(frames[7]);
        Assert.Single(inner.Writes);
        await batches.EndAsync();

        Assert.Equal(2, inner.Writes.Count);
        Assert.Equal(frames[7], inner.Writes[1]);
        Assert.Equal(2, stream.Sends);
    }

    [Fact]
    public async Task WriteAsync_OtherFrameWhileFramesAreKept_SentAfterThemInOneSend()
    {
        var (batches, inner, stream) = await OpenAsync();
        var data = Data(16 * 1024, 1);
        var partial = Data(1000, 2);
        var windowUpdate = Frame(type: 8, flags: 0, stream: 0, payload: [0, 1, 0, 0]);
        var endOfStream = Frame(type: 0, flags: 1, stream: 1, payload: [9]);

        batches.Begin();
        await stream.WriteAsync(data);
        await stream.WriteAsync(partial); // a DATA frame shorter than full is kept too
        Assert.Empty(inner.Writes);
        await stream.WriteAsync(windowUpdate);
        await stream.WriteAsync(data);
        await stream.WriteAsync(endOfStream); // the end of a stream is never kept

        Assert.Equal(2, inner.Writes.Count);
        Assert.Equal([.. data, .. partial, .. windowUpdate], inner.Writes[0]);
        Assert.Equal([.. data, .. endOfStream], inner.Writes[1]);
        await batches.EndAsync();
    }

    [Fact]
    public async Task WriteAsync_NoForwardActive_PassesStraightThrough()
    {
        var (_, inner, stream) = await OpenAsync();
        var data = Data(16 * 1024, 1);

        await stream.WriteAsync(data);
        await stream.WriteAsync(data);

        Assert.Equal(2, inner.Writes.Count);
    }

    [Fact]
    public async Task WriteAsync_PeerOpenedWithNarrowWindows_PassesStraightThroughWhileForwarding()
    {
        var (batches, inner, stream) = await OpenAsync(Opening(65_535, 0));
        Assert.False(stream.Enabled);

        batches.Begin();
        await stream.WriteAsync(Data(16 * 1024, 1));
        await stream.WriteAsync(Data(16 * 1024, 2));

        Assert.Equal(2, inner.Writes.Count);
        await batches.EndAsync();
    }

    [Fact]
    public async Task FlushAsync_ForwardAboutToWait_SendsWhatIsKept()
    {
        var (batches, inner, stream) = await OpenAsync();
        var data = Data(16 * 1024, 1);

        batches.Begin();
        await stream.WriteAsync(data);
        Assert.Empty(inner.Writes);
        await batches.FlushAsync();

        Assert.Equal(data, Assert.Single(inner.Writes));
        await batches.EndAsync();
        Assert.Single(inner.Writes);
    }

    [Fact]
    public async Task SafetyPeriod_KeptFrameNothingElseSends_SentWithinTwoPeriods()
    {
        var time = new FakeTimeProvider();
        var (batches, inner, stream) = await OpenAsync(time: time);
        var data = Data(16 * 1024, 1);

        batches.Begin();
        time.Advance(PeerWriteBatches.SafetyPeriod); // a look with nothing kept
        await stream.WriteAsync(data);
        await stream.WriteAsync(Frame(type: 8, flags: 0, stream: 0, payload: [0, 1, 0, 0])); // a send: the stream is not idle
        await stream.WriteAsync(data);
        time.Advance(PeerWriteBatches.SafetyPeriod);
        Assert.Single(inner.Writes);
        time.Advance(PeerWriteBatches.SafetyPeriod);

        Assert.Equal(2, inner.Writes.Count);
        Assert.Equal(data, inner.Writes[1]);
        await batches.EndAsync();
    }

    [Fact]
    public async Task ReadAsync_ZeroByteReadFirst_WindowsJudgedFromTheFirstBytes()
    {
        var batches = new PeerWriteBatches(Batch, TimeProvider.System);
        var inner = new RecordingStream(Opening(512 * 1024, 100 * 1024 * 1024));
        await using var stream = (BatchedWriteStream)batches.Wrap(inner);

        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        Assert.False(stream.Enabled);
        Assert.True(await stream.ReadAsync(new byte[1024]) > 0);
        Assert.True(stream.Enabled);
    }

    [Fact]
    public void Constructor_BatchOutOfRange_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerWriteBatches(16 * 1024, TimeProvider.System));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PeerWriteBatches(PeerWriteBatches.MaxBytes + 1, TimeProvider.System));
    }

    private static async Task<(PeerWriteBatches Batches, RecordingStream Inner, BatchedWriteStream Stream)> OpenAsync(byte[]? opening = null, TimeProvider? time = null)
    {
        var batches = new PeerWriteBatches(Batch, time ?? TimeProvider.System);
        var inner = new RecordingStream(opening ?? Opening(512 * 1024, 100 * 1024 * 1024));
        var stream = (BatchedWriteStream)batches.Wrap(inner);
        Assert.True(await stream.ReadAsync(new byte[64 * 1024]) > 0);
        return (batches, inner, stream);
    }

    // The peer's first bytes: SETTINGS (with INITIAL_WINDOW_SIZE unless negative), then a connection WINDOW_UPDATE (unless 0).
    private static byte[] Opening(int streamWindow, int connectionIncrement)
    {
        var settings = new List<byte>();
        AddSetting(settings, 3, 100); // MAX_CONCURRENT_STREAMS
        if (streamWindow >= 0)
        {
            AddSetting(settings, 4, (uint)streamWindow);
        }

        var bytes = Frame(type: 4, flags: 0, stream: 0, payload: [.. settings]);
        if (connectionIncrement > 0)
        {
            var increment = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(increment, (uint)connectionIncrement);
            bytes = [.. bytes, .. Frame(type: 8, flags: 0, stream: 0, payload: increment)];
        }

        return bytes;
    }

    private static void AddSetting(List<byte> settings, ushort id, uint value)
    {
        var entry = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(entry, id);
        BinaryPrimitives.WriteUInt32BigEndian(entry.AsSpan(2), value);
        settings.AddRange(entry);
    }

    private static byte[] Data(int length, byte fill) => Frame(type: 0, flags: 0, stream: 1, payload: Enumerable.Repeat(fill, length).ToArray());

    private static byte[] Frame(byte type, byte flags, uint stream, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame, 9);
        return frame;
    }

    // Records each write as one send; reads give the peer's opening bytes.
    private sealed class RecordingStream(byte[] opening) : Stream
    {
        private int _read;

        public List<byte[]> Writes { get; } = [];

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var take = Math.Min(buffer.Length, opening.Length - _read);
            opening.AsSpan(_read, take).CopyTo(buffer.Span);
            _read += take;
            return ValueTask.FromResult(take);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Writes.Add(buffer.ToArray());
            return ValueTask.CompletedTask;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override void Write(byte[] buffer, int offset, int count) => Writes.Add(buffer.AsSpan(offset, count).ToArray());

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
