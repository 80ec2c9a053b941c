namespace EdgeAgent.Demo.Ocr;

/// <summary>A dense FP32 tensor as the OCR models take and produce it: data in row-major order and its shape.</summary>
public sealed class OcrTensor
{
    /// <summary>Wraps <paramref name="data"/>; its length must equal the product of <paramref name="shape"/>.</summary>
    public OcrTensor(float[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (var d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"A tensor of shape [{string.Join(",", shape)}] holds {count} values, got {data.Length}.", nameof(data));
        }

        Data = data;
        Shape = shape;
    }

    /// <summary>Values, row-major.</summary>
    public float[] Data { get; }

    /// <summary>Dimensions.</summary>
    public int[] Shape { get; }

    /// <summary>Shape as ONNX Runtime wants it.</summary>
    public long[] LongShape => Array.ConvertAll(Shape, d => (long)d);

    /// <summary>"[1,3,640,640]".</summary>
    public override string ToString() => "[" + string.Join(",", Shape) + "]";
}
