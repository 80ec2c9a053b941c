using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeAgent.Learning.Nn;

/// <summary>
/// Row-major matrix kernels for small dense layers (a few hundred columns at most) over many rows.
/// Register-blocked on SIMD vectors: four rows by two vectors of columns per inner loop, so each
/// weight vector loaded serves four rows and each broadcast input serves two vectors.
/// </summary>
internal static class Gemm
{
    private const int RowBlock = 128;

    /// <summary>
    /// y[r, :] = init + sum_k x[r, k] * w[k, :] for rows [rowStart, rowEnd); init is y itself when
    /// <paramref name="accumulate"/>, else the bias (or zero when there is none).
    /// x is [rows, k], w is [k, n], y is [rows, n].
    /// </summary>
    public static void Multiply(float[] x, float[] w, float[]? bias, float[] y, int k, int n, int rowStart, int rowEnd, bool accumulate)
    {
        var vw = Vector<float>.Count;
        ref var xs = ref MemoryMarshal.GetArrayDataReference(x);
        ref var ws = ref MemoryMarshal.GetArrayDataReference(w);
        ref var ys = ref MemoryMarshal.GetArrayDataReference(y);
        var r = rowStart;
        for (; r + 4 <= rowEnd; r += 4)
        {
            ref var x0 = ref Unsafe.Add(ref xs, (nint)r * k);
            ref var x1 = ref Unsafe.Add(ref x0, k);
            ref var x2 = ref Unsafe.Add(ref x1, k);
            ref var x3 = ref Unsafe.Add(ref x2, k);
            ref var y0 = ref Unsafe.Add(ref ys, (nint)r * n);
            ref var y1 = ref Unsafe.Add(ref y0, n);
            ref var y2 = ref Unsafe.Add(ref y1, n);
            ref var y3 = ref Unsafe.Add(ref y2, n);
            var j = 0;
            for (; j + (2 * vw) <= n; j += 2 * vw)
            {
                Vector<float> a00, a01, a10, a11, a20, a21, a30, a31;
                if (accumulate)
                {
                    a00 = Load(ref y0, j); a01 = Load(ref y0, j + vw);
                    a10 = Load(ref y1, j); a11 = Load(ref y1, j + vw);
                    a20 = Load(ref y2, j); a21 = Load(ref y2, j + vw);
                    a30 = Load(ref y3, j); a31 = Load(ref y3, j + vw);
                }
                else
                {
                    var b0 = bias is null ? Vector<float>.Zero : new Vector<float>(bias.AsSpan(j, vw));
                    var b1 = bias is null ? Vector<float>.Zero : new Vector<float>(bias.AsSpan(j + vw, vw));
                    a00 = b0; a10 = b0; a20 = b0; a30 = b0;
                    a01 = b1; a11 = b1; a21 = b1; a31 = b1;
                }

                ref var wj = ref Unsafe.Add(ref ws, j);
                for (var kk = 0; kk < k; kk++)
                {
                    var w0 = Load(ref wj, 0);
                    var w1 = Load(ref wj, vw);
                    var s0 = new Vector<float>(Unsafe.Add(ref x0, kk));
                    var s1 = new Vector<float>(Unsafe.Add(ref x1, kk));
                    var s2 = new Vector<float>(Unsafe.Add(ref x2, kk));
                    var s3 = new Vector<float>(Unsafe.Add(ref x3, kk));
                    a00 = Vector.FusedMultiplyAdd(s0, w0, a00); a01 = Vector.FusedMultiplyAdd(s0, w1, a01);
                    a10 = Vector.FusedMultiplyAdd(s1, w0, a10); a11 = Vector.FusedMultiplyAdd(s1, w1, a11);
                    a20 = Vector.FusedMultiplyAdd(s2, w0, a20); a21 = Vector.FusedMultiplyAdd(s2, w1, a21);
                    a30 = Vector.FusedMultiplyAdd(s3, w0, a30); a31 = Vector.FusedMultiplyAdd(s3, w1, a31);
                    wj = ref Unsafe.Add(ref wj, n);
                }

                Store(a00, ref y0, j); Store(a01, ref y0, j + vw);
                Store(a10, ref y1, j); Store(a11, ref y1, j + vw);
                Store(a20, ref y2, j); Store(a21, ref y2, j + vw);
                Store(a30, ref y3, j); Store(a31, ref y3, j + vw);
            }

            for (; j + vw <= n; j += vw)
            {
                Vector<float> a0, a1, a2, a3;
                if (accumulate)
                {
                    a0 = Load(ref y0, j); a1 = Load(ref y1, j); a2 = Load(ref y2, j); a3 = Load(ref y3, j);
                }
                else
                {
                    var b = bias is null ? Vector<float>.Zero : new Vector<float>(bias.AsSpan(j, vw));
                    a0 = b; a1 = b; a2 = b; a3 = b;
                }

                ref var wj = ref Unsafe.Add(ref ws, j);
                for (var kk = 0; kk < k; kk++)
                {
                    var w0 = Load(ref wj, 0);
                    a0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref x0, kk)), w0, a0);
                    a1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref x1, kk)), w0, a1);
                    a2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref x2, kk)), w0, a2);
                    a3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref x3, kk)), w0, a3);
                    wj = ref Unsafe.Add(ref wj, n);
                }

                Store(a0, ref y0, j); Store(a1, ref y1, j); Store(a2, ref y2, j); Store(a3, ref y3, j);
            }

            for (; j < n; j++)
            {
                ScalarColumn(ref x0, ref ws, bias, ref y0, k, n, j, accumulate);
                ScalarColumn(ref x1, ref ws, bias, ref y1, k, n, j, accumulate);
                ScalarColumn(ref x2, ref ws, bias, ref y2, k, n, j, accumulate);
                ScalarColumn(ref x3, ref ws, bias, ref y3, k, n, j, accumulate);
            }
        }

        for (; r < rowEnd; r++)
        {
            ref var x0 = ref Unsafe.Add(ref xs, (nint)r * k);
            ref var y0 = ref Unsafe.Add(ref ys, (nint)r * n);
            var j = 0;
            for (; j + vw <= n; j += vw)
            {
                var a0 = accumulate ? Load(ref y0, j) : bias is null ? Vector<float>.Zero : new Vector<float>(bias.AsSpan(j, vw));
                ref var wj = ref Unsafe.Add(ref ws, j);
                for (var kk = 0; kk < k; kk++)
                {
                    a0 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref x0, kk)), Load(ref wj, 0), a0);
                    wj = ref Unsafe.Add(ref wj, n);
                }

                Store(a0, ref y0, j);
            }

            for (; j < n; j++)
            {
                ScalarColumn(ref x0, ref ws, bias, ref y0, k, n, j, accumulate);
            }
        }
    }

    /// <summary>
    /// dw[kk, :] += sum_r x[r, kk] * dy[r, :] for kk in [kStart, kEnd), over rows [0, rows).
    /// x is [rows, k], dy is [rows, n], dw is [k, n]. Rows are walked in blocks that stay in cache.
    /// </summary>
    public static void AccumulateTransposed(float[] x, float[] dy, float[] dw, int k, int n, int rows, int kStart, int kEnd)
    {
        var vw = Vector<float>.Count;
        ref var xs = ref MemoryMarshal.GetArrayDataReference(x);
        ref var ds = ref MemoryMarshal.GetArrayDataReference(dy);
        ref var gs = ref MemoryMarshal.GetArrayDataReference(dw);
        for (var rb = 0; rb < rows; rb += RowBlock)
        {
            var re = Math.Min(rows, rb + RowBlock);
            var kk = kStart;
            for (; kk + 4 <= kEnd; kk += 4)
            {
                ref var g0 = ref Unsafe.Add(ref gs, (nint)kk * n);
                ref var g1 = ref Unsafe.Add(ref g0, n);
                ref var g2 = ref Unsafe.Add(ref g1, n);
                ref var g3 = ref Unsafe.Add(ref g2, n);
                var j = 0;
                for (; j + vw <= n; j += vw)
                {
                    var a0 = Load(ref g0, j);
                    var a1 = Load(ref g1, j);
                    var a2 = Load(ref g2, j);
                    var a3 = Load(ref g3, j);
                    for (var r = rb; r < re; r++)
                    {
                        ref var xr = ref Unsafe.Add(ref xs, ((nint)r * k) + kk);
                        var d = Load(ref ds, ((nint)r * n) + j);
                        a0 = Vector.FusedMultiplyAdd(new Vector<float>(xr), d, a0);
                        a1 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref xr, 1)), d, a1);
                        a2 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref xr, 2)), d, a2);
                        a3 = Vector.FusedMultiplyAdd(new Vector<float>(Unsafe.Add(ref xr, 3)), d, a3);
                    }

                    Store(a0, ref g0, j); Store(a1, ref g1, j); Store(a2, ref g2, j); Store(a3, ref g3, j);
                }

                for (; j < n; j++)
                {
                    for (var q = 0; q < 4; q++)
                    {
                        var acc = 0f;
                        for (var r = rb; r < re; r++)
                        {
                            acc += x[((nint)r * k) + kk + q] * dy[((nint)r * n) + j];
                        }

                        dw[((kk + q) * n) + j] += acc;
                    }
                }
            }

            for (; kk < kEnd; kk++)
            {
                ref var g0 = ref Unsafe.Add(ref gs, (nint)kk * n);
                var j = 0;
                for (; j + vw <= n; j += vw)
                {
                    var a0 = Load(ref g0, j);
                    for (var r = rb; r < re; r++)
                    {
                        a0 = Vector.FusedMultiplyAdd(new Vector<float>(x[((nint)r * k) + kk]), Load(ref ds, ((nint)r * n) + j), a0);
                    }

                    Store(a0, ref g0, j);
                }

                for (; j < n; j++)
                {
                    var acc = 0f;
                    for (var r = rb; r < re; r++)
                    {
                        acc += x[((nint)r * k) + kk] * dy[((nint)r * n) + j];
                    }

                    dw[(kk * n) + j] += acc;
                }
            }
        }
    }

    /// <summary>Writes the transpose of a [rows, cols] matrix into a [cols, rows] one.</summary>
    public static void Transpose(float[] source, int rows, int cols, float[] target)
    {
        for (var r = 0; r < rows; r++)
        {
            var offset = r * cols;
            for (var c = 0; c < cols; c++)
            {
                target[(c * rows) + r] = source[offset + c];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Load(ref float origin, nint offset) => Vector.LoadUnsafe(ref origin, (nuint)offset);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(Vector<float> value, ref float origin, nint offset) => value.StoreUnsafe(ref origin, (nuint)offset);

    private static void ScalarColumn(ref float x, ref float w, float[]? bias, ref float y, int k, int n, int j, bool accumulate)
    {
        var acc = accumulate ? Unsafe.Add(ref y, j) : bias is null ? 0f : bias[j];
        for (var kk = 0; kk < k; kk++)
        {
            acc = MathF.FusedMultiplyAdd(Unsafe.Add(ref x, kk), Unsafe.Add(ref w, ((nint)kk * n) + j), acc);
        }

        Unsafe.Add(ref y, j) = acc;
    }
}
