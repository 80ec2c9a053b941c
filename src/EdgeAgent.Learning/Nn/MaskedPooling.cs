namespace EdgeAgent.Learning.Nn;

/// <summary>
/// Mean and max over the present rows of each sample's set of rows ([batch, rows, width] with a
/// [batch, rows] mask of 1 for present, 0 for absent). Absent rows take no part in either.
/// A sample needs at least one present row; with none, the mean is 0 and the max is
/// <see cref="EmptyMax"/> (what ReduceMax over the masked rows gives in the exported graph).
/// </summary>
public static class MaskedPooling
{
    /// <summary>Value an absent row contributes to the max (and the max of a sample with no present row).</summary>
    public const float EmptyMax = -1e9f;

    /// <summary>Computes mean[batch, width] and max[batch, width]; argmax records the winning row for backward (-1 if none).</summary>
    public static void Forward(float[] h, float[] mask, int batch, int rows, int width, float[] mean, float[] max, int[] argmax)
    {
        ArgumentNullException.ThrowIfNull(h);
        ArgumentNullException.ThrowIfNull(mask);
        Parallelism.For(batch, (long)rows * width, (start, end) =>
        {
            for (var b = start; b < end; b++)
            {
                var meanRow = mean.AsSpan(b * width, width);
                var maxRow = max.AsSpan(b * width, width);
                var arg = argmax.AsSpan(b * width, width);
                meanRow.Clear();
                maxRow.Fill(EmptyMax);
                arg.Fill(-1);
                var count = 0;
                for (var s = 0; s < rows; s++)
                {
                    var r = (b * rows) + s;
                    if (!(mask[r] > 0.5f))
                    {
                        continue;
                    }

                    count++;
                    var row = h.AsSpan(r * width, width);
                    System.Numerics.Tensors.TensorPrimitives.Add(meanRow, row, meanRow);
                    for (var c = 0; c < width; c++)
                    {
                        if (row[c] > maxRow[c] || arg[c] < 0)
                        {
                            maxRow[c] = row[c];
                            arg[c] = r;
                        }
                    }
                }

                if (count > 0)
                {
                    System.Numerics.Tensors.TensorPrimitives.Multiply(meanRow, 1f / count, meanRow);
                }
            }
        });
    }

    /// <summary>Adds the gradient of mean and max back into dh (present rows only).</summary>
    public static void Backward(float[] mask, int batch, int rows, int width, float[] dMean, float[] dMax, int[] argmax, float[] dh)
    {
        ArgumentNullException.ThrowIfNull(mask);
        for (var b = 0; b < batch; b++)
        {
            var count = 0;
            for (var s = 0; s < rows; s++)
            {
                if (mask[(b * rows) + s] > 0.5f)
                {
                    count++;
                }
            }

            if (count == 0)
            {
                continue;
            }

            var dm = dMean.AsSpan(b * width, width);
            var inv = 1f / count;
            for (var s = 0; s < rows; s++)
            {
                var r = (b * rows) + s;
                if (mask[r] > 0.5f)
                {
                    var target = dh.AsSpan(r * width, width);
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(dm, inv, target, target);
                }
            }

            for (var c = 0; c < width; c++)
            {
                var r = argmax[(b * width) + c];
                if (r >= 0)
                {
                    dh[(r * width) + c] += dMax[(b * width) + c];
                }
            }
        }
    }
}
