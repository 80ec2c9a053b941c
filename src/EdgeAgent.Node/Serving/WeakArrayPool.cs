using System.Numerics;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// Large byte arrays for received messages, reused from one request to the next: a few per
/// power-of-two size class, held through weak references. While requests keep coming an array
/// is taken again before a full garbage collection could free it (large arrays live on the large
/// object heap, which only full collections sweep); once a node is idle, the next full collection
/// (such as the idle memory trim's) frees them, so the pool never holds memory a quiet node does
/// not use. Each array is touched in full only once, not on every request: a fresh 4.9 MB array
/// costs about 1,200 minor page faults.
/// </summary>
internal sealed class WeakArrayPool
{
    private readonly int _minShift;
    private readonly int _maxShift;
    private readonly WeakReference<byte[]?>[][] _slots;
    private readonly Lock _gate = new();
    private long _reusedBytes;

    /// <summary>Creates a pool for arrays of <paramref name="minBytes"/> to <paramref name="maxBytes"/> bytes (powers of two), <paramref name="perClass"/> kept per size.</summary>
    public WeakArrayPool(int minBytes, int maxBytes, int perClass)
    {
        if (!BitOperations.IsPow2(minBytes) || !BitOperations.IsPow2(maxBytes) || minBytes > maxBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(minBytes), "The size range must be powers of two, the smaller first.");
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perClass);
        _minShift = BitOperations.Log2((uint)minBytes);
        _maxShift = BitOperations.Log2((uint)maxBytes);
        _slots = new WeakReference<byte[]?>[_maxShift - _minShift + 1][];
        for (var i = 0; i < _slots.Length; i++)
        {
            _slots[i] = new WeakReference<byte[]?>[perClass];
            for (var j = 0; j < perClass; j++)
            {
                _slots[i][j] = new WeakReference<byte[]?>(null);
            }
        }
    }

    /// <summary>The largest array this pool hands out.</summary>
    public int MaxBytes => 1 << _maxShift;

    /// <summary>
    /// Bytes of the arrays <see cref="Rent"/> handed out again instead of allocating them, since this
    /// pool was created: work the process did that its allocation count does not show.
    /// </summary>
    public long ReusedBytes => Interlocked.Read(ref _reusedBytes);

    /// <summary>An array of at least <paramref name="length"/> bytes (at most <see cref="MaxBytes"/>), its contents undefined.</summary>
    public byte[] Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaxBytes);
        var shift = Math.Max(_minShift, BitOperations.Log2(BitOperations.RoundUpToPowerOf2((uint)length)));
        var slots = _slots[shift - _minShift];
        lock (_gate)
        {
            foreach (var slot in slots)
            {
                if (slot.TryGetTarget(out var array) && array is not null)
                {
                    slot.SetTarget(null);
                    Interlocked.Add(ref _reusedBytes, array.Length);
                    return array;
                }
            }
        }

        return GC.AllocateUninitializedArray<byte>(1 << shift);
    }

    /// <summary>Keeps <paramref name="array"/> (one <see cref="Rent"/> returned) for a later Rent; dropped when its size class is full.</summary>
    public void Return(byte[] array)
    {
        ArgumentNullException.ThrowIfNull(array);
        if (!BitOperations.IsPow2(array.Length))
        {
            return;
        }

        var shift = BitOperations.Log2((uint)array.Length);
        if (shift < _minShift || shift > _maxShift)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var slot in _slots[shift - _minShift])
            {
                if (!slot.TryGetTarget(out var held) || held is null)
                {
                    slot.SetTarget(array);
                    return;
                }
            }
        }
    }
}
