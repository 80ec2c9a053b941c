using System.Globalization;
using EdgeAgent.Inference.Tensors;
using Microsoft.ML.OnnxRuntime;

namespace EdgeAgent.Inference.Execution;

/// <summary>
/// The size of a model's outputs known before it runs: fixed dimensions from the model, and
/// symbolic ones ("N", "batch") bound to the sizes the request gives the inputs' dimensions of the
/// same name. A model whose output broadcasts its inputs ([N,1] + [1,M] -> [N,M]) grew a peer to
/// 3 GB from a 131 KB request (issue 13); with the bound the executor refuses such a request
/// before ONNX Runtime allocates anything. Outputs with a dimension no input names are
/// <see cref="Determined"/> false: they are checked after the run, and their runs give ONNX
/// Runtime's arena memory back to the system.
/// </summary>
public sealed class OutputSizeBound
{
    private readonly (string Name, int[] Dims, string[] Symbols, int ElementSize)[] _outputs;
    private readonly (string Name, string[] Symbols)[] _inputs;

    internal OutputSizeBound(InferenceSession session)
    {
        _inputs = session.InputNames.Select(n => (n, Symbols(session.InputMetadata[n]))).ToArray();
        var inputSymbols = _inputs.SelectMany(i => i.Symbols).Where(s => s.Length > 0).ToHashSet(StringComparer.Ordinal);
        _outputs = session.OutputNames.Select(n =>
        {
            var meta = session.OutputMetadata[n];
            var size = meta.IsTensor ? TensorDataTypes.FromOnnx(meta.ElementDataType).ElementSize() : 1;
            return (n, meta.Dimensions.ToArray(), Symbols(meta), Math.Max(1, size));
        }).ToArray();
        Determined = _outputs.All(o => o.Dims.Select((d, i) => d >= 0 || inputSymbols.Contains(o.Symbols[i])).All(known => known));
    }

    /// <summary>True when every output dimension is fixed or named by an input dimension.</summary>
    public bool Determined { get; }

    /// <summary>
    /// The largest wanted output whose size is known from <paramref name="inputs"/> and exceeds
    /// <paramref name="maxBytes"/>, described for the caller; null when none does.
    /// </summary>
    public string? FindOversized(IReadOnlyList<InferenceInput> inputs, IReadOnlyList<string> wanted, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(wanted);
        var bound = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            var symbols = Array.Find(_inputs, i => i.Name == input.Name).Symbols;
            if (symbols is null)
            {
                continue;
            }

            for (var d = 0; d < symbols.Length && d < input.Shape.Length; d++)
            {
                if (symbols[d].Length > 0)
                {
                    bound[symbols[d]] = Math.Max(bound.GetValueOrDefault(symbols[d]), input.Shape[d]);
                }
            }
        }

        foreach (var (name, dims, symbols, elementSize) in _outputs)
        {
            if (!wanted.Contains(name))
            {
                continue;
            }

            var shape = new long[dims.Length];
            var known = true;
            for (var d = 0; d < dims.Length && known; d++)
            {
                shape[d] = dims[d] >= 0 ? dims[d] : bound.TryGetValue(symbols[d], out var v) ? v : -1;
                known = shape[d] >= 0;
            }

            if (!known)
            {
                continue;
            }

            var bytes = TryBytes(shape, elementSize);
            if (bytes is null || bytes > maxBytes)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"output '{name}' would have shape [{string.Join(",", shape)}] ({(bytes is { } b ? b.ToString("N0", CultureInfo.InvariantCulture) + " bytes" : "more than 2^63 bytes")})");
            }
        }

        return null;
    }

    private static long? TryBytes(long[] shape, int elementSize)
    {
        try
        {
            var bytes = (long)elementSize;
            foreach (var d in shape)
            {
                bytes = checked(bytes * d);
            }

            return bytes;
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    private static string[] Symbols(NodeMetadata meta)
    {
        var symbols = meta.SymbolicDimensions ?? [];
        return meta.Dimensions.Select((_, i) => i < symbols.Length ? symbols[i] ?? "" : "").ToArray();
    }
}
