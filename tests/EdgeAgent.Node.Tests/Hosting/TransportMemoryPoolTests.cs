using EdgeAgent.Node.Hosting;

namespace EdgeAgent.Node.Tests.Hosting;

public sealed class TransportMemoryPoolTests
{
    [Fact]
    public void Rent_AnySizeUpToTheBlock_GivesAWholeBlock()
    {
        using var pool = new TransportMemoryPoolFactory().Create();

        Assert.Equal(TransportMemoryPoolFactory.BlockBytes, pool.MaxBufferSize);
        foreach (var size in new[] { -1, 0, 1, 2048, 4096, TransportMemoryPoolFactory.BlockBytes })
        {
            using var block = pool.Rent(size);
            Assert.Equal(TransportMemoryPoolFactory.BlockBytes, block.Memory.Length);
        }
    }

    [Fact]
    public void Rent_OverTheBlock_Throws()
    {
        using var pool = new TransportMemoryPoolFactory().Create();

        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(TransportMemoryPoolFactory.BlockBytes + 1));
    }

    [Fact]
    public void Rent_AfterAReturn_ReusesTheBlock()
    {
        var factory = new TransportMemoryPoolFactory();
        using var pool = factory.Create();
        var first = pool.Rent();
        first.Memory.Span[0] = 42;
        var memory = first.Memory;
        first.Dispose();

        using var second = pool.Rent();

        Assert.True(second.Memory.Span.Overlaps(memory.Span));
        Assert.Equal(2, factory.Rents);
        Assert.Equal(1, factory.BlocksAllocated);
    }

    [Fact]
    public void Rent_Concurrent_NeverTheSameBlockTwice()
    {
        using var pool = new TransportMemoryPoolFactory().Create();
        var held = Enumerable.Range(0, 64).Select(_ => pool.Rent()).ToList();
        foreach (var block in held.Take(32))
        {
            block.Dispose();
        }

        var again = Enumerable.Range(0, 64).Select(_ => pool.Rent()).ToList();
        var all = held.Skip(32).Concat(again).ToList();
        for (var i = 0; i < all.Count; i++)
        {
            for (var j = i + 1; j < all.Count; j++)
            {
                Assert.False(all[i].Memory.Span.Overlaps(all[j].Memory.Span), $"blocks {i} and {j} overlap");
            }
        }
    }

    [Fact]
    public void Return_BeyondTheCap_KeepsOnlyTheCap()
    {
        using var pool = new TransportMemoryPool(null, 4096, maxRetained: 3);
        var blocks = Enumerable.Range(0, 5).Select(_ => pool.Rent()).ToList();

        blocks.ForEach(b => b.Dispose());

        Assert.Equal(3, pool.Retained);
    }

    [Fact]
    public void Rent_AfterDispose_Throws()
    {
        var pool = new TransportMemoryPool(null, 4096, maxRetained: 3);
        var block = pool.Rent();
        pool.Dispose();
        block.Dispose();

        Assert.Equal(0, pool.Retained);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }
}
