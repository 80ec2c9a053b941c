using System.Runtime.CompilerServices;
using EdgeAgent.Node.Serving;

namespace EdgeAgent.Node.Tests.Serving;

public sealed class WeakArrayPoolTests
{
    [Fact]
    public void Rent_AfterReturn_TheSameArrayOfThePowerOfTwoSize()
    {
        var pool = new WeakArrayPool(128 * 1024, 1024 * 1024, perClass: 2);

        var first = pool.Rent(200_000);
        Assert.Equal(256 * 1024, first.Length);
        GC.KeepAlive(first);
        pool.Return(first);
        var again = pool.Rent(150_000);

        Assert.Same(first, again);
        Assert.Equal(128 * 1024, pool.Rent(1).Length);
    }

    [Fact]
    public void ReusedBytes_CountsArraysHandedOutAgain_NotFreshOnes()
    {
        var pool = new WeakArrayPool(128 * 1024, 1024 * 1024, perClass: 2);

        var first = pool.Rent(200_000);
        Assert.Equal(0, pool.ReusedBytes);
        pool.Return(first);
        var again = pool.Rent(200_000);
        var fresh = pool.Rent(200_000);

        Assert.Same(first, again);
        Assert.NotSame(first, fresh);
        Assert.Equal(256 * 1024, pool.ReusedBytes);
    }

    [Fact]
    public void Rent_TwoHeldAtOnce_DifferentArrays_AndAFullClassDropsTheExtra()
    {
        var pool = new WeakArrayPool(128 * 1024, 1024 * 1024, perClass: 2);
        var a = pool.Rent(300_000);
        var b = pool.Rent(300_000);
        var c = pool.Rent(300_000);
        Assert.NotSame(a, b);

        pool.Return(a);
        pool.Return(b);
        pool.Return(c); // the class holds two

        var taken = new[] { pool.Rent(300_000), pool.Rent(300_000), pool.Rent(300_000) };
        Assert.Equal(3, taken.Distinct().Count());
        Assert.Equal(2, taken.Count(t => ReferenceEquals(t, a) || ReferenceEquals(t, b) || ReferenceEquals(t, c)));
    }

    [Fact]
    public void Return_ForeignSizes_AreNotKept()
    {
        var pool = new WeakArrayPool(128 * 1024, 1024 * 1024, perClass: 2);
        var odd = new byte[300_000];
        var small = new byte[64 * 1024];
        var large = new byte[2 * 1024 * 1024];

        pool.Return(odd);
        pool.Return(small);
        pool.Return(large);

        Assert.NotSame(odd, pool.Rent(300_000));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(2 * 1024 * 1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeakArrayPool(100_000, 1024 * 1024, 2));
    }

    [Fact]
    public void Return_IdleArrays_AreFreedByAFullCollection()
    {
        var pool = new WeakArrayPool(128 * 1024, 1024 * 1024, perClass: 2);
        var returned = RentAndReturn(pool);

        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);

        Assert.False(returned.TryGetTarget(out _));
    }

    // In its own frame, so no local of the test keeps the array alive.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static WeakReference<byte[]> RentAndReturn(WeakArrayPool pool)
    {
        var array = pool.Rent(500_000);
        pool.Return(array);
        return new WeakReference<byte[]>(array);
    }
}
