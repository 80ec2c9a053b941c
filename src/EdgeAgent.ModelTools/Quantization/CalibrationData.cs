using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace EdgeAgent.ModelTools.Quantization;

/// <summary>A float tensor fed to a model input.</summary>
public sealed record InputTensor(float[] Data, long[] Shape);

/// <summary>A model input as calibration sees it: name and resolved fixed shape.</summary>
public sealed record ModelInput(string Name, long[] Shape);

/// <summary>
/// Where calibration (and sensitivity/accuracy measurement) samples come from. An adapter
/// for a task-specific dataset (for example rendered OCR text lines) implements this.
/// </summary>
public interface ICalibrationDataset
{
    /// <summary>A name for reports ("synthetic-64", "folder:calib", "ocr-lines").</summary>
    string Name { get; }

    /// <summary>Samples, one dictionary (input name to tensor) per model run.</summary>
    IEnumerable<IReadOnlyDictionary<string, InputTensor>> Samples(IReadOnlyList<ModelInput> inputs);
}

/// <summary>
/// Random samples matched to the model's inputs: standard normal values (what a normalised
/// image or embedding looks like), from a seeded generator so runs repeat.
/// </summary>
public sealed class SyntheticCalibrationDataset : ICalibrationDataset
{
    private readonly int _count;
    private readonly int _seed;

    public SyntheticCalibrationDataset(int count, int seed = 1234)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _count = count;
        _seed = seed;
    }

    public string Name => $"synthetic-{_count}";

    public IEnumerable<IReadOnlyDictionary<string, InputTensor>> Samples(IReadOnlyList<ModelInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var random = new Random(_seed);
        for (int s = 0; s < _count; s++)
        {
            var sample = new Dictionary<string, InputTensor>(StringComparer.Ordinal);
            foreach (var input in inputs)
            {
                var data = new float[checked((int)input.Shape.Aggregate(1L, (a, b) => a * b))];
                for (int i = 0; i < data.Length; i++)
                {
                    // Box-Muller transform.
                    double u1 = 1.0 - random.NextDouble();
                    double u2 = random.NextDouble();
                    data[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
                }

                sample[input.Name] = new InputTensor(data, input.Shape);
            }

            yield return sample;
        }
    }
}

/// <summary>
/// A folder of calibration inputs. For a model with one input, every <c>.npy</c> (float32,
/// C order) or <c>.raw</c>/<c>.bin</c> (little-endian float32, shaped like the input) file is one
/// sample, in file name order. For several inputs, every sub-folder is one sample holding
/// <c>&lt;input name&gt;.npy</c> (or .raw/.bin) per input.
/// </summary>
public sealed partial class FolderCalibrationDataset : ICalibrationDataset
{
    private static readonly string[] Extensions = [".npy", ".raw", ".bin"];
    private readonly string _folder;
    private readonly int? _limit;

    public FolderCalibrationDataset(string folder, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Calibration folder '{folder}' does not exist.");
        }

        _folder = folder;
        _limit = limit;
    }

    public string Name => "folder:" + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(_folder)));

    public IEnumerable<IReadOnlyDictionary<string, InputTensor>> Samples(IReadOnlyList<ModelInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int produced = 0;
        if (inputs.Count == 1)
        {
            var files = Directory.EnumerateFiles(_folder)
                .Where(f => Extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
                .ToList();
            if (files.Count == 0)
            {
                throw new InvalidDataException($"Calibration folder '{_folder}' has no .npy, .raw or .bin files.");
            }

            foreach (var file in files)
            {
                if (_limit is int l && produced++ >= l)
                {
                    yield break;
                }

                yield return new Dictionary<string, InputTensor> { [inputs[0].Name] = ReadTensor(file, inputs[0]) };
            }

            yield break;
        }

        var folders = Directory.EnumerateDirectories(_folder).Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0)
        {
            throw new InvalidDataException($"Calibration folder '{_folder}' has no sample sub-folders (the model has {inputs.Count} inputs).");
        }

        foreach (var folder in folders)
        {
            if (_limit is int l && produced++ >= l)
            {
                yield break;
            }

            var sample = new Dictionary<string, InputTensor>(StringComparer.Ordinal);
            foreach (var input in inputs)
            {
                var file = Extensions.Select(e => Path.Combine(folder, input.Name + e)).FirstOrDefault(File.Exists)
                    ?? throw new InvalidDataException($"Calibration sample '{folder}' has no file for input '{input.Name}'.");
                sample[input.Name] = ReadTensor(file, input);
            }

            yield return sample;
        }
    }

    /// <summary>Reads one .npy (float32, little-endian, C order) or raw float32 file.</summary>
    public static InputTensor ReadTensor(string path, ModelInput input)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(input);
        var bytes = File.ReadAllBytes(path);
        long[] shape;
        ReadOnlySpan<byte> data;
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            (shape, int offset) = ParseNpyHeader(bytes, path);
            data = bytes.AsSpan(offset);
        }
        else
        {
            shape = input.Shape;
            data = bytes;
        }

        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (data.Length != count * 4)
        {
            throw new InvalidDataException($"Calibration file '{path}' holds {data.Length} bytes; shape [{string.Join(", ", shape)}] of float32 needs {count * 4}.");
        }

        long expected = input.Shape.Aggregate(1L, (a, b) => a * b);
        if (count != expected)
        {
            throw new InvalidDataException(
                $"Calibration file '{path}' has shape [{string.Join(", ", shape)}], but input '{input.Name}' is [{string.Join(", ", input.Shape)}].");
        }

        var values = new float[count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]);
        }

        return new InputTensor(values, shape);
    }

    private static (long[] Shape, int DataOffset) ParseNpyHeader(byte[] bytes, string path)
    {
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
        {
            throw new InvalidDataException($"Calibration file '{path}' is not a .npy file (bad magic).");
        }

        int major = bytes[6];
        int headerLength;
        int headerStart;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            headerStart = 10;
        }
        else
        {
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
            headerStart = 12;
        }

        if (headerStart + headerLength > bytes.Length)
        {
            throw new InvalidDataException($"Calibration file '{path}' has a truncated .npy header.");
        }

        string header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header);
        if (!descr.Success || (descr.Groups[1].Value != "<f4" && descr.Groups[1].Value != "=f4"))
        {
            throw new InvalidDataException($"Calibration file '{path}' must hold little-endian float32 ('<f4'); header: {header.Trim()}");
        }

        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"Calibration file '{path}' is in Fortran order; save it in C order.");
        }

        var shapeMatch = ShapePattern().Match(header);
        if (!shapeMatch.Success)
        {
            throw new InvalidDataException($"Calibration file '{path}' has no shape in its .npy header.");
        }

        var shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => long.Parse(s, CultureInfo.InvariantCulture))
            .ToArray();
        return (shape, headerStart + headerLength);
    }

    /// <summary>Writes a float32 .npy file (used to export calibration sets and in tests).</summary>
    public static void WriteNpy(string path, float[] data, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        string header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': ({dims}), }}";
        int total = 10 + header.Length + 1;
        int pad = (64 - (total % 64)) % 64;
        header = header + new string(' ', pad) + "\n";
        using var stream = File.Create(path);
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        stream.Write(len);
        stream.Write(Encoding.ASCII.GetBytes(header));
        var buffer = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(i * 4), data[i]);
        }

        stream.Write(buffer);
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
