namespace EdgeAgent.Learning.Nn;

/// <summary>
/// A dense layer y = x W + b applied to every row of a batch. W is stored [inputs, outputs]
/// row-major (the ONNX MatMul layout), so export writes it as is.
/// </summary>
public sealed class Linear
{
    private float[]? _transposed;

    /// <summary>Creates the layer with He-uniform weights scaled by <paramref name="initScale"/> and zero bias.</summary>
    public Linear(string name, int inputs, int outputs, Random random, bool bias = true, double initScale = 1.0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputs);
        Inputs = inputs;
        Outputs = outputs;
        Weight = new Parameter(name + ".weight", inputs, outputs);
        Weight.InitUniform(random, initScale * Math.Sqrt(6.0 / inputs));
        Bias = bias ? new Parameter(name + ".bias", outputs) : null;
    }

    /// <summary>Input width.</summary>
    public int Inputs { get; }

    /// <summary>Output width.</summary>
    public int Outputs { get; }

    /// <summary>Weights [inputs, outputs].</summary>
    public Parameter Weight { get; }

    /// <summary>Bias [outputs], or null for a layer without one.</summary>
    public Parameter? Bias { get; }

    /// <summary>Weight then bias.</summary>
    public IEnumerable<Parameter> Parameters
    {
        get
        {
            yield return Weight;
            if (Bias is not null)
            {
                yield return Bias;
            }
        }
    }

    /// <summary>y[rows, outputs] = x[rows, inputs] W + b (or y += x W when <paramref name="accumulate"/>, bias not added).</summary>
    public void Forward(float[] x, int rows, float[] y, bool accumulate = false)
    {
        Check(x, rows, Inputs, nameof(x));
        Check(y, rows, Outputs, nameof(y));
        var w = Weight.Value;
        var b = Bias?.Value;
        var inputs = Inputs;
        var outputs = Outputs;
        Parallelism.For(rows, (long)inputs * outputs, (start, end) =>
            Gemm.Multiply(x, w, b, y, inputs, outputs, start, end, accumulate));
    }

    /// <summary>
    /// Adds dL/dW and dL/db for upstream gradient dy[rows, outputs] at input x, and writes (or adds,
    /// with <paramref name="accumulateInput"/>) dL/dx into <paramref name="dx"/> when it is not null.
    /// </summary>
    public void Backward(float[] x, float[] dy, int rows, float[]? dx, bool accumulateInput = false)
    {
        Check(x, rows, Inputs, nameof(x));
        Check(dy, rows, Outputs, nameof(dy));
        var inputs = Inputs;
        var outputs = Outputs;
        var gw = Weight.Gradient;
        Parallelism.For(inputs, (long)rows * outputs, (start, end) =>
            Gemm.AccumulateTransposed(x, dy, gw, inputs, outputs, rows, start, end));
        if (Bias is not null)
        {
            var gb = Bias.Gradient;
            for (var r = 0; r < rows; r++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(gb, dy.AsSpan(r * outputs, outputs), gb);
            }
        }

        if (dx is not null)
        {
            Check(dx, rows, Inputs, nameof(dx));
            _transposed ??= new float[inputs * outputs];
            Gemm.Transpose(Weight.Value, inputs, outputs, _transposed);
            var wt = _transposed;
            Parallelism.For(rows, (long)inputs * outputs, (start, end) =>
                Gemm.Multiply(dy, wt, null, dx, outputs, inputs, start, end, accumulateInput));
        }
    }

    private static void Check(float[] buffer, int rows, int width, string name)
    {
        ArgumentNullException.ThrowIfNull(buffer, name);
        if (buffer.Length < (long)rows * width)
        {
            throw new ArgumentException($"Buffer holds {buffer.Length} values; {rows} rows of {width} need {(long)rows * width}.", name);
        }
    }
}
