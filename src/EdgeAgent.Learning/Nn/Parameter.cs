namespace EdgeAgent.Learning.Nn;

/// <summary>
/// A trainable tensor: its values, its accumulated gradient (same length) and its shape. Layers
/// add into <see cref="Gradient"/>; the optimiser reads it and callers clear it between updates.
/// </summary>
public sealed class Parameter
{
    /// <summary>Creates a zero-initialised parameter.</summary>
    /// <param name="name">Unique name inside its network ("encoder.0.weight"); used by save and load.</param>
    /// <param name="shape">Dimensions, outermost first.</param>
    public Parameter(string name, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(shape);
        var length = 1;
        foreach (var dim in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim, nameof(shape));
            length = checked(length * dim);
        }

        Name = name;
        Shape = (int[])shape.Clone();
        Value = new float[length];
        Gradient = new float[length];
    }

    /// <summary>Unique name inside its network.</summary>
    public string Name { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public IReadOnlyList<int> Shape { get; }

    /// <summary>The values, row-major.</summary>
    public float[] Value { get; }

    /// <summary>The accumulated gradient of the loss with respect to <see cref="Value"/>.</summary>
    public float[] Gradient { get; }

    /// <summary>Number of scalars.</summary>
    public int Length => Value.Length;

    /// <summary>Sets the gradient to zero.</summary>
    public void ZeroGradient() => Array.Clear(Gradient);

    /// <summary>Fills the values uniformly in [-bound, bound].</summary>
    public void InitUniform(Random random, double bound)
    {
        ArgumentNullException.ThrowIfNull(random);
        for (var i = 0; i < Value.Length; i++)
        {
            Value[i] = (float)(((random.NextDouble() * 2.0) - 1.0) * bound);
        }
    }

    /// <summary>A readable "name[shape]" string.</summary>
    public override string ToString() => $"{Name}[{string.Join('x', Shape)}]";
}
