namespace EdgeAgent.Learning.Nn;

/// <summary>
/// y = x + W2 act(W1 x + b1) + b2: a two-layer residual block of constant width. The caller owns
/// the activation buffers, so one block serves any number of forward passes in flight.
/// </summary>
public sealed class ResidualBlock
{
    /// <summary>Creates the block; the second layer starts small so the block begins near identity.</summary>
    public ResidualBlock(string name, int width, float slope, Random random)
    {
        First = new Linear(name + ".0", width, width, random);
        Second = new Linear(name + ".1", width, width, random, initScale: 0.5);
        Width = width;
        Slope = slope;
    }

    /// <summary>Width of input, hidden and output.</summary>
    public int Width { get; }

    /// <summary>LeakyReLU slope of the inner activation.</summary>
    public float Slope { get; }

    /// <summary>The inner layer.</summary>
    public Linear First { get; }

    /// <summary>The outer layer, added to the input.</summary>
    public Linear Second { get; }

    /// <summary>Both layers' parameters.</summary>
    public IEnumerable<Parameter> Parameters => First.Parameters.Concat(Second.Parameters);

    /// <summary>Computes y from x; <paramref name="hidden"/> receives act(W1 x + b1) for backward.</summary>
    public void Forward(float[] x, int rows, float[] hidden, float[] y)
    {
        if (ReferenceEquals(x, y))
        {
            throw new ArgumentException("The block cannot run in place.", nameof(y));
        }

        var n = rows * Width;
        First.Forward(x, rows, hidden);
        Activations.LeakyRelu(hidden.AsSpan(0, n), hidden.AsSpan(0, n), Slope);
        Second.Forward(hidden, rows, y);
        System.Numerics.Tensors.TensorPrimitives.Add(y.AsSpan(0, n), x.AsSpan(0, n), y.AsSpan(0, n));
    }

    /// <summary>
    /// Adds parameter gradients and writes dL/dx into <paramref name="dx"/> (which may be <paramref name="dy"/>
    /// itself). <paramref name="scratch"/> holds rows x width values and is overwritten.
    /// </summary>
    public void Backward(float[] x, float[] hidden, float[] dy, int rows, float[] dx, float[] scratch)
    {
        var n = rows * Width;
        Second.Backward(hidden, dy, rows, scratch);
        Activations.LeakyReluBackward(hidden.AsSpan(0, n), scratch.AsSpan(0, n), scratch.AsSpan(0, n), Slope);
        if (!ReferenceEquals(dx, dy))
        {
            Array.Copy(dy, dx, n);
        }

        First.Backward(x, scratch, rows, dx, accumulateInput: true);
    }
}
