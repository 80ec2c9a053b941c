using System.Globalization;
using System.Text;

namespace EdgeAgent.Inference.Tensors;

/// <summary>Checked arithmetic and formatting for tensor shapes (-1 marks a variable dimension in metadata).</summary>
public static class TensorShapes
{
    /// <summary>
    /// The element count of a concrete shape with checked arithmetic: false when a dimension is
    /// negative or the product overflows <see cref="long"/>. An empty shape is a scalar (1 element).
    /// </summary>
    public static bool TryGetElementCount(ReadOnlySpan<long> shape, out long count)
    {
        count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
            {
                count = 0;
                return false;
            }

            try
            {
                count = checked(count * dim);
            }
            catch (OverflowException)
            {
                count = 0;
                return false;
            }
        }

        return true;
    }

    /// <summary>The byte count of <paramref name="elements"/> elements of <paramref name="elementSize"/> bytes, or false on overflow.</summary>
    public static bool TryGetByteCount(long elements, int elementSize, out long bytes)
    {
        try
        {
            bytes = checked(elements * elementSize);
            return true;
        }
        catch (OverflowException)
        {
            bytes = 0;
            return false;
        }
    }

    /// <summary>True when the concrete <paramref name="shape"/> fits the metadata shape <paramref name="pattern"/> (same rank; -1 matches any size).</summary>
    public static bool Matches(ReadOnlySpan<long> pattern, ReadOnlySpan<long> shape)
    {
        if (pattern.Length != shape.Length)
        {
            return false;
        }

        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] >= 0 && pattern[i] != shape[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>"[1,3,-1]" style text for messages.</summary>
    public static string Format(ReadOnlySpan<long> shape)
    {
        var builder = new StringBuilder("[");
        for (var i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }

            builder.Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        return builder.Append(']').ToString();
    }
}
