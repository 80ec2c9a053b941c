using System.Globalization;

namespace EdgeAgent.Onnx;

/// <summary>One tensor dimension: a fixed size, a symbolic name (such as "batch"), or unknown.</summary>
public readonly record struct Dim
{
    public Dim(long value)
    {
        if (value < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A fixed dimension cannot be negative.");
        }

        Value = value;
    }

    public Dim(string param)
    {
        ArgumentException.ThrowIfNullOrEmpty(param);
        Param = param;
    }

    /// <summary>The fixed size, or null.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name, or null.</summary>
    public string? Param { get; }

    /// <summary>A dimension with neither size nor name.</summary>
    public static Dim Unknown => default;

    public static implicit operator Dim(long value) => new(value);

    public static implicit operator Dim(string param) => new(param);

    public static Dim FromInt64(long value) => new(value);

    public static Dim FromString(string param) => new(param);

    public override string ToString() => Value?.ToString(CultureInfo.InvariantCulture) ?? Param ?? "?";
}
