using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;

namespace EdgeAgent.Node.Hosting;

/// <summary>
/// The memory pool of a node's Kestrel socket transport (issue 17, the offload hop): blocks of
/// <see cref="BlockBytes"/> instead of Kestrel's 4 KiB. Kestrel receives into one block of its pool
/// at a time, so with 4 KiB blocks a 4.9 MB request took about 1,200 receive calls, each after a
/// 1-byte peek (the transport's wait for data) and each followed by a pipe flush and a pass of the
/// HTTP/2 frame loop: about 2,400 system calls per received request, on the agent once from the
/// client and on the peer once from the agent, CPU taken from the peer's model and the other
/// transfers on a 2-core board. With 64 KiB blocks one receive takes what the socket holds up to 64 KiB.
/// </summary>
/// <remarks>
/// Registered by <see cref="NodeHost.CreateBuilder"/> as the <see cref="IMemoryPoolFactory{T}"/>
/// Kestrel's socket transport takes its pool from (each connection's pipes, HTTP/2 request
/// bodies and responses use it through the connection). Blocks are pinned arrays, as Kestrel's
/// own; at most <see cref="MaxRetainedBlocks"/> returned blocks are kept per pool (the rest are
/// left to the collector), so what an idle node keeps is bounded by that.
/// </remarks>
public sealed class TransportMemoryPoolFactory : IMemoryPoolFactory<byte>
{
    /// <summary>Bytes of one block: the most one receive call of the transport takes.</summary>
    public const int BlockBytes = 64 * 1024;

    /// <summary>Returned blocks a pool keeps for reuse (8 MiB at most per pool).</summary>
    public const int MaxRetainedBlocks = 128;

    private long _blocksAllocated;
    private long _rents;

    /// <summary>Blocks allocated by this factory's pools so far (not reused ones).</summary>
    public long BlocksAllocated => Interlocked.Read(ref _blocksAllocated);

    /// <summary>Rents from this factory's pools so far (reused blocks included).</summary>
    public long Rents => Interlocked.Read(ref _rents);

    /// <inheritdoc />
    public MemoryPool<byte> Create(MemoryPoolOptions? options = null) => new TransportMemoryPool(this, BlockBytes, MaxRetainedBlocks);

    internal void CountRent(bool allocated)
    {
        Interlocked.Increment(ref _rents);
        if (allocated)
        {
            Interlocked.Increment(ref _blocksAllocated);
        }
    }
}

/// <summary>A pool of equal pinned blocks, of which at most a given number are kept when returned.</summary>
internal sealed class TransportMemoryPool : MemoryPool<byte>
{
    private readonly TransportMemoryPoolFactory? _owner;
    private readonly int _blockBytes;
    private readonly int _maxRetained;
    private readonly ConcurrentQueue<Block> _free = new();
    private int _freeCount;
    private volatile bool _disposed;

    public TransportMemoryPool(TransportMemoryPoolFactory? owner, int blockBytes, int maxRetained)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockBytes, 4096);
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetained);
        _owner = owner;
        _blockBytes = blockBytes;
        _maxRetained = maxRetained;
    }

    /// <inheritdoc />
    public override int MaxBufferSize => _blockBytes;

    /// <summary>Returned blocks held for reuse now.</summary>
    public int Retained => Volatile.Read(ref _freeCount);

    /// <inheritdoc />
    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, _blockBytes);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_free.TryDequeue(out var block))
        {
            Interlocked.Decrement(ref _freeCount);
            _owner?.CountRent(allocated: false);
            return block;
        }

        _owner?.CountRent(allocated: true);
        return new Block(this, GC.AllocateUninitializedArray<byte>(_blockBytes, pinned: true));
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        while (_free.TryDequeue(out _))
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    private void Return(Block block)
    {
        if (_disposed)
        {
            return;
        }

        if (Interlocked.Increment(ref _freeCount) <= _maxRetained)
        {
            _free.Enqueue(block);
        }
        else
        {
            Interlocked.Decrement(ref _freeCount);
        }
    }

    private sealed class Block(TransportMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        // A pinned array: pinning the memory for a socket call needs no GC handle.
        public Memory<byte> Memory { get; } = MemoryMarshal.CreateFromPinnedArray(array, 0, array.Length);

        public void Dispose() => pool.Return(this);
    }
}
