using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using EdgeAgent.Inference.Tensors;

namespace EdgeAgent.Node.Client;

/// <summary>
/// Reads NumPy .npy files (format versions 1-3): little-endian or byte-sized element types, C
/// order. What <c>numpy.save</c> writes for bool, int8-64, uint8-64, float16, float32, float64.
/// </summary>
public static partial class NpyFile
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads <paramref name="path"/> as a tensor named <paramref name="name"/>.</summary>
    /// <exception cref="InferInputException">The file is not a usable .npy file; the message says why.</exception>
    public static ClientTensor Read(string path, string name)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InferInputException($"--tensor: cannot read '{path}': {ex.Message}", ex);
        }

        return Parse(bytes, path, name);
    }

    /// <summary>Parses the bytes of a .npy file; <paramref name="path"/> only names it in errors.</summary>
    /// <exception cref="InferInputException">The bytes are not a usable .npy file.</exception>
    public static ClientTensor Parse(byte[] bytes, string path, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
        {
            throw Bad(path, "it does not start with the .npy magic \\x93NUMPY");
        }

        int major = bytes[6];
        int headerLength;
        int headerStart;
        if (major == 1)
        {
            headerLength = BitConverter.ToUInt16(bytes, 8);
            headerStart = 10;
        }
        else if (major is 2 or 3)
        {
            if (bytes.Length < 12)
            {
                throw Bad(path, "its header is cut short");
            }

            var length = BitConverter.ToUInt32(bytes, 8);
            if (length > int.MaxValue)
            {
                throw Bad(path, "its header length is too large");
            }

            headerLength = (int)length;
            headerStart = 12;
        }
        else
        {
            throw Bad(path, $"format version {major} is not 1, 2 or 3");
        }

        if ((long)headerStart + headerLength > bytes.Length)
        {
            throw Bad(path, "its header is longer than the file");
        }

        var header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header);
        var fortran = FortranPattern().Match(header);
        var shapeMatch = ShapePattern().Match(header);
        if (!descr.Success || !fortran.Success || !shapeMatch.Success)
        {
            throw Bad(path, "its header lacks 'descr', 'fortran_order' or 'shape'");
        }

        if (fortran.Groups[1].Value == "True")
        {
            throw Bad(path, "it is in Fortran order; save it with numpy.ascontiguousarray first");
        }

        var type = descr.Groups[1].Value switch
        {
            "|b1" => TensorDataType.Bool,
            "|u1" or "<u1" => TensorDataType.UInt8,
            "|i1" or "<i1" => TensorDataType.Int8,
            "<u2" => TensorDataType.UInt16,
            "<i2" => TensorDataType.Int16,
            "<u4" => TensorDataType.UInt32,
            "<i4" => TensorDataType.Int32,
            "<u8" => TensorDataType.UInt64,
            "<i8" => TensorDataType.Int64,
            "<f2" => TensorDataType.Fp16,
            "<f4" => TensorDataType.Fp32,
            "<f8" => TensorDataType.Fp64,
            var other => throw Bad(path, $"element type '{other}' is not one of |b1, |u1, |i1, <u2, <i2, <u4, <i4, <u8, <i8, <f2, <f4, <f8 (little-endian)"),
        };

        var shape = new List<long>();
        foreach (var part in shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var dim))
            {
                throw Bad(path, $"shape entry '{part}' is not a non-negative integer");
            }

            shape.Add(dim);
        }

        var dataStart = headerStart + headerLength;
        if (!TensorShapes.TryGetElementCount(shape.ToArray(), out var count) || !TensorShapes.TryGetByteCount(count, type.ElementSize(), out var byteCount))
        {
            throw Bad(path, "its shape is too large");
        }

        if (bytes.Length - dataStart != byteCount)
        {
            throw Bad(path, string.Create(CultureInfo.InvariantCulture, $"shape {TensorShapes.Format(shape.ToArray())} of {type.ToProtocolName()} needs {byteCount} data bytes, the file has {bytes.Length - dataStart}"));
        }

        return new ClientTensor(name, type, [.. shape], bytes[dataStart..]);
    }

    private static InferInputException Bad(string path, string problem) => new($"--tensor: '{path}' is not a usable .npy file: {problem}.");

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex FortranPattern();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
