using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace EdgeAgent.Learning.Nn;

/// <summary>A named float tensor as stored in a <see cref="TensorFile"/>.</summary>
public sealed record StoredTensor(string Name, IReadOnlyList<int> Shape, float[] Data);

/// <summary>
/// The versioned binary file of named float tensors plus string metadata that holds network
/// parameters and training checkpoints. Layout (little-endian): "EANN", int32 version, int32
/// metadata count, (string key, string value)*, int32 tensor count, (string name, int32 rank,
/// int32 dims..., float32 values...)*, "END!". Strings are BinaryWriter's length-prefixed UTF-8.
/// </summary>
public static class TensorFile
{
    /// <summary>The only version this build writes and reads.</summary>
    public const int Version = 1;

    private static readonly byte[] Magic = "EANN"u8.ToArray();
    private static readonly byte[] Trailer = "END!"u8.ToArray();

    /// <summary>Writes metadata and tensors.</summary>
    public static void Write(Stream stream, IReadOnlyDictionary<string, string> metadata, IEnumerable<StoredTensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Version);
        writer.Write(metadata.Count);
        foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            writer.Write(key);
            writer.Write(value);
        }

        writer.Write(list.Count);
        foreach (var t in list)
        {
            var length = t.Shape.Aggregate(1L, (a, d) => a * d);
            if (length != t.Data.Length)
            {
                throw new ArgumentException($"Tensor '{t.Name}' has shape [{string.Join(',', t.Shape)}] but {t.Data.Length} values.", nameof(tensors));
            }

            writer.Write(t.Name);
            writer.Write(t.Shape.Count);
            foreach (var d in t.Shape)
            {
                writer.Write(d);
            }

            var bytes = MemoryMarshal.AsBytes(t.Data.AsSpan());
            if (BitConverter.IsLittleEndian)
            {
                writer.Write(bytes);
            }
            else
            {
                foreach (var v in t.Data)
                {
                    writer.Write(v);
                }
            }
        }

        writer.Write(Trailer);
    }

    /// <summary>Writes to a file atomically (temporary file then rename), so a crash never leaves half a checkpoint.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, string> metadata, IEnumerable<StoredTensor> tensors)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = full + ".tmp";
        using (var stream = File.Create(temp))
        {
            Write(stream, metadata, tensors);
        }

        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Reads a file written by <see cref="Write(string, IReadOnlyDictionary{string, string}, IEnumerable{StoredTensor})"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not a tensor file, has another version, or is truncated or corrupt; the message says which.</exception>
    public static (IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<string, StoredTensor> Tensors) Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads metadata and tensors from a stream.</summary>
    /// <exception cref="InvalidDataException">Not a tensor file, another version, truncated or corrupt.</exception>
    public static (IReadOnlyDictionary<string, string> Metadata, IReadOnlyDictionary<string, StoredTensor> Tensors) Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = reader.ReadBytes(4);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not an EdgeAgent tensor file (the first four bytes are not \"EANN\").");
            }

            var version = reader.ReadInt32();
            if (version != Version)
            {
                throw new InvalidDataException($"Tensor file version {version} is not supported; this build reads version {Version}.");
            }

            var metaCount = reader.ReadInt32();
            CheckCount(metaCount, "metadata entry");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < metaCount; i++)
            {
                var key = reader.ReadString();
                metadata[key] = reader.ReadString();
            }

            var count = reader.ReadInt32();
            CheckCount(count, "tensor");
            var tensors = new Dictionary<string, StoredTensor>(StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var rank = reader.ReadInt32();
                if (rank is < 0 or > 8)
                {
                    throw new InvalidDataException($"Tensor '{name}' has rank {rank}; expected 0 to 8.");
                }

                var shape = new int[rank];
                long length = 1;
                for (var d = 0; d < rank; d++)
                {
                    shape[d] = reader.ReadInt32();
                    if (shape[d] <= 0)
                    {
                        throw new InvalidDataException($"Tensor '{name}' has dimension {shape[d]}; dimensions are positive.");
                    }

                    length *= shape[d];
                }

                if (length > stream.Length / 4 + 1)
                {
                    throw new InvalidDataException($"Tensor '{name}' claims {length} values, more than the file holds.");
                }

                var data = new float[length];
                var bytes = MemoryMarshal.AsBytes(data.AsSpan());
                if (reader.Read(bytes) != bytes.Length)
                {
                    throw new EndOfStreamException();
                }

                if (!BitConverter.IsLittleEndian)
                {
                    var ints = MemoryMarshal.Cast<float, int>(data.AsSpan());
                    for (var k = 0; k < ints.Length; k++)
                    {
                        ints[k] = BinaryPrimitives.ReverseEndianness(ints[k]);
                    }
                }

                if (!tensors.TryAdd(name, new StoredTensor(name, shape, data)))
                {
                    throw new InvalidDataException($"Tensor '{name}' appears twice.");
                }
            }

            var trailer = reader.ReadBytes(4);
            if (!trailer.AsSpan().SequenceEqual(Trailer))
            {
                throw new InvalidDataException("The file does not end with the \"END!\" trailer: it is truncated or corrupt.");
            }

            return (metadata, tensors);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The tensor file is truncated.", e);
        }
    }

    /// <summary>Tensors for parameters, each name prefixed.</summary>
    public static IEnumerable<StoredTensor> FromParameters(IEnumerable<Parameter> parameters, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters.Select(p => new StoredTensor(prefix + p.Name, p.Shape, p.Value));
    }

    /// <summary>
    /// Copies stored values into parameters matched by (prefixed) name and shape. Every tensor is
    /// checked before any is copied, so a refused file leaves the parameters as they were.
    /// </summary>
    /// <exception cref="InvalidDataException">A parameter is missing, its shape differs, or a stored value is NaN or infinite.</exception>
    public static void CopyInto(IReadOnlyDictionary<string, StoredTensor> tensors, IEnumerable<Parameter> parameters, string prefix = "")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(parameters);
        var pairs = new List<(StoredTensor Stored, Parameter Parameter)>();
        foreach (var p in parameters)
        {
            if (!tensors.TryGetValue(prefix + p.Name, out var t))
            {
                throw new InvalidDataException($"The file has no tensor '{prefix + p.Name}'; it was written for another architecture.");
            }

            if (!t.Shape.SequenceEqual(p.Shape))
            {
                throw new InvalidDataException($"Tensor '{t.Name}' has shape [{string.Join(',', t.Shape)}] but the network expects [{string.Join(',', p.Shape)}].");
            }

            // train --resume of a damaged or diverged file went on training NaN weights and wrote another NaN policy.
            var bad = Array.FindIndex(t.Data, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                    $"Tensor '{t.Name}' holds {t.Data[bad]} at element {bad} of {t.Data.Length}: the file is damaged or the training that wrote it diverged."));
            }

            pairs.Add((t, p));
        }

        foreach (var (stored, parameter) in pairs)
        {
            stored.Data.CopyTo(parameter.Value, 0);
        }
    }

    private static void CheckCount(int count, string what)
    {
        if (count is < 0 or > 1_000_000)
        {
            throw new InvalidDataException($"The {what} count {count} is not plausible: the file is corrupt.");
        }
    }
}
