using EdgeAgent.Node.Agent;

namespace EdgeAgent.Node.Tests.Agent;

public sealed class ReadAheadStreamTests
{
    [Fact]
    public async Task ReadAsync_SmallReads_ServedFromOneReceive()
    {
        var data = Enumerable.Range(0, 100_000).Select(i => (byte)i).ToArray();
        var inner = new CountingStream(data);
        await using var stream = new ReadAheadStream(inner, 64 * 1024);
        var output = new MemoryStream();
        var buffer = new byte[16_393];

        // A zero-byte read (the HTTP/2 client's wait for data) fills the buffer once; the reads after it take from it.
        Assert.Equal(0, await stream.ReadAsync(Memory<byte>.Empty));
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, read);
        }

        Assert.Equal(data, output.ToArray());
        Assert.Equal(3, inner.Reads); // 64 KiB, the remaining 34,464 bytes, the end
        Assert.Equal(inner.Reads, stream.Receives);
    }

    [Fact]
    public async Task ReadAsync_ReadAsLargeAsTheBuffer_GoesStraightThrough()
    {
        var data = new byte[10_000];
        Random.Shared.NextBytes(data);
        var inner = new CountingStream(data);
        await using var stream = new ReadAheadStream(inner, 4096);
        var buffer = new byte[8192];

        Assert.Equal(8192, await stream.ReadAsync(buffer));
        Assert.Equal(data.AsSpan(0, 8192).ToArray(), buffer);
        Assert.Equal(1, inner.Reads);
    }

    [Fact]
    public async Task WriteAsync_PassesThrough()
    {
        var inner = new MemoryStream();
        await using var stream = new ReadAheadStream(inner);

        await stream.WriteAsync(new byte[] { 1, 2, 3 });

        Assert.Equal([1, 2, 3], inner.ToArray());
    }

    private sealed class CountingStream(byte[] data) : MemoryStream(data)
    {
        public int Reads { get; private set; }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Reads++;
            return base.ReadAsync(buffer, cancellationToken);
        }
    }
}
