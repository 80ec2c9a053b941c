using EdgeAgent.Onnx.Proto;
using Google.Protobuf;
using DataLocation = EdgeAgent.Onnx.Proto.TensorProto.Types.DataLocation;

namespace EdgeAgent.Onnx;

/// <summary>How <see cref="OnnxModelFile.Load(string, OnnxLoadOptions?)"/> treats a file.</summary>
public sealed record OnnxLoadOptions
{
    /// <summary>Read tensors stored in external files into raw_data (default true).</summary>
    public bool LoadExternalData { get; init; } = true;

    /// <summary>Refuse IR and default-domain opset versions outside <see cref="OnnxVersions"/> (default true).</summary>
    public bool CheckVersions { get; init; } = true;
}

/// <summary>How <see cref="OnnxModelFile.Save"/> writes a model.</summary>
public sealed record OnnxSaveOptions
{
    /// <summary>
    /// Tensors whose data is at least this many bytes go to an external data file beside the
    /// model; null (the default) keeps everything inside the model file.
    /// </summary>
    public long? ExternalDataThreshold { get; init; }

    /// <summary>External data file name, relative to the model's folder; default "&lt;model file name&gt;.data".</summary>
    public string? ExternalDataFileName { get; init; }
}

/// <summary>Reads and writes .onnx files, including tensors kept in external data files.</summary>
public static class OnnxModelFile
{
    private const int ExternalAlignment = 64;

    /// <summary>Loads a model file, reads external data beside it, and checks it is a usable ONNX model.</summary>
    /// <exception cref="OnnxFormatException">The file is missing, empty, truncated, not ONNX, or unsupported.</exception>
    public static ModelProto Load(string path, OnnxLoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new OnnxLoadOptions();
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxFormatException(path, $"cannot be read: {e.Message}", e);
        }

        var model = Parse(bytes, path, options.CheckVersions);
        if (options.LoadExternalData)
        {
            LoadExternalData(model, Path.GetDirectoryName(Path.GetFullPath(path))!, path);
        }

        return model;
    }

    /// <summary>Parses model bytes; <paramref name="sourceName"/> names the origin in errors.</summary>
    public static ModelProto Parse(ReadOnlySpan<byte> bytes, string? sourceName = null, bool checkVersions = true)
    {
        if (bytes.IsEmpty)
        {
            throw new OnnxFormatException(sourceName, "the file is empty.");
        }

        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OnnxFormatException(sourceName, $"not a valid ONNX protobuf (truncated or corrupt file?): {e.Message}", e);
        }

        Check(model, sourceName, checkVersions);
        return model;
    }

    /// <summary>Checks the parts every usable model has: an IR version, a graph, a default-domain opset.</summary>
    public static void Check(ModelProto model, string? sourceName = null, bool checkVersions = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Graph is null)
        {
            throw new OnnxFormatException(
                sourceName,
                model.IrVersion == 0
                    ? "not an ONNX model: it has neither ir_version nor a graph."
                    : "the model has no graph.");
        }

        if (model.IrVersion <= 0)
        {
            throw new OnnxFormatException(sourceName, "ir_version is missing.");
        }

        if (checkVersions && (model.IrVersion < OnnxVersions.MinIrVersion || model.IrVersion > OnnxVersions.MaxIrVersion))
        {
            throw new OnnxFormatException(
                sourceName,
                $"IR version {model.IrVersion} is not supported (supported: {OnnxVersions.MinIrVersion} to {OnnxVersions.MaxIrVersion}).");
        }

        var defaultOpset = model.OpsetImport.FirstOrDefault(o => OnnxVersions.IsDefaultDomain(o.Domain));
        if (defaultOpset is null)
        {
            if (model.Graph.Node.Any(n => OnnxVersions.IsDefaultDomain(n.Domain)))
            {
                throw new OnnxFormatException(sourceName, "the model uses default-domain operators but imports no default-domain opset.");
            }
        }
        else if (checkVersions && (defaultOpset.Version < OnnxVersions.MinOpset || defaultOpset.Version > OnnxVersions.MaxOpset))
        {
            throw new OnnxFormatException(
                sourceName,
                $"opset {defaultOpset.Version} of the default domain is not supported (supported: {OnnxVersions.MinOpset} to {OnnxVersions.MaxOpset}).");
        }
    }

    /// <summary>
    /// Writes the model. With <see cref="OnnxSaveOptions.ExternalDataThreshold"/>, large tensors
    /// go to one data file beside the model; the model in memory is not changed.
    /// </summary>
    public static void Save(ModelProto model, string path, OnnxSaveOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        options ??= new OnnxSaveOptions();
        string fullPath = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(fullPath)!;
        Directory.CreateDirectory(folder);

        var toWrite = model;
        if (options.ExternalDataThreshold is long threshold)
        {
            string dataName = options.ExternalDataFileName ?? Path.GetFileName(fullPath) + ".data";
            if (Path.IsPathRooted(dataName) || dataName.Contains("..", StringComparison.Ordinal))
            {
                throw new ArgumentException($"External data file name '{dataName}' must be a plain name relative to the model folder.", nameof(options));
            }

            toWrite = model.Clone();
            WriteExternalData(toWrite, Path.Combine(folder, dataName), dataName, threshold);
        }

        byte[] bytes;
        try
        {
            bytes = toWrite.ToByteArray();
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or OverflowException or ArgumentException)
        {
            throw new OnnxFormatException(path, "the model is too large for one protobuf file (2 GB); save it with an external data threshold.", e);
        }

        string temp = fullPath + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, fullPath, overwrite: true);
    }

    /// <summary>Serialises a model held in memory (no external data).</summary>
    public static byte[] ToBytes(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.ToByteArray();
    }

    private static void LoadExternalData(ModelProto model, string folder, string modelPath)
    {
        var opened = new Dictionary<string, FileStream>(StringComparer.Ordinal);
        try
        {
            foreach (var tensor in OnnxWalk.Tensors(model))
            {
                if (tensor.DataLocation != DataLocation.External)
                {
                    continue;
                }

                var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
                if (!entries.TryGetValue("location", out var location) || string.IsNullOrEmpty(location))
                {
                    throw new OnnxFormatException(modelPath, $"tensor '{tensor.Name}' is marked EXTERNAL but names no location.");
                }

                string dataPath = Path.GetFullPath(Path.Combine(folder, location));
                string root = Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;
                if (Path.IsPathRooted(location) || !dataPath.StartsWith(root, StringComparison.Ordinal))
                {
                    throw new OnnxFormatException(modelPath, $"tensor '{tensor.Name}' points outside the model folder ('{location}').");
                }

                long offset = ParseLong(entries, "offset", 0, tensor, modelPath);
                if (!opened.TryGetValue(dataPath, out var stream))
                {
                    try
                    {
                        stream = File.OpenRead(dataPath);
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        throw new OnnxFormatException(modelPath, $"external data file '{location}' of tensor '{tensor.Name}' cannot be read: {e.Message}", e);
                    }

                    opened[dataPath] = stream;
                }

                long available = stream.Length - offset;
                long length = ParseLong(entries, "length", Math.Max(available, 0), tensor, modelPath);
                if (offset < 0 || length < 0 || offset + length > stream.Length)
                {
                    throw new OnnxFormatException(
                        modelPath,
                        $"tensor '{tensor.Name}' wants bytes {offset}..{offset + length} of '{location}', which has {stream.Length} (truncated data file?).");
                }

                int size = OnnxTensors.ElementSize(OnnxTensors.TypeOf(tensor));
                long expected = size * OnnxTensors.ElementCount(tensor);
                if (size > 0 && expected != length)
                {
                    throw new OnnxFormatException(modelPath, $"tensor '{tensor.Name}' needs {expected} bytes but its external data has {length}.");
                }

                var buffer = new byte[length];
                stream.Position = offset;
                stream.ReadExactly(buffer);
                tensor.RawData = UnsafeByteOperations.UnsafeWrap(buffer);
                tensor.ExternalData.Clear();
                tensor.DataLocation = DataLocation.Default;
            }
        }
        finally
        {
            foreach (var s in opened.Values)
            {
                s.Dispose();
            }
        }
    }

    private static long ParseLong(Dictionary<string, string> entries, string key, long fallback, TensorProto tensor, string modelPath)
    {
        if (!entries.TryGetValue(key, out var text))
        {
            return fallback;
        }

        if (!long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new OnnxFormatException(modelPath, $"tensor '{tensor.Name}' has an invalid external data {key} '{text}'.");
        }

        return value;
    }

    private static void WriteExternalData(ModelProto model, string dataPath, string dataName, long threshold)
    {
        using var stream = new FileStream(dataPath, FileMode.Create, FileAccess.Write);
        foreach (var tensor in OnnxWalk.Tensors(model))
        {
            if (tensor.DataLocation == DataLocation.External)
            {
                throw new OnnxFormatException(null, $"tensor '{tensor.Name}' still points at external data that was not loaded; load the model with external data before saving it.");
            }

            if (tensor.RawData.Length < threshold || tensor.RawData.IsEmpty)
            {
                continue;
            }

            long pad = (ExternalAlignment - (stream.Position % ExternalAlignment)) % ExternalAlignment;
            for (long i = 0; i < pad; i++)
            {
                stream.WriteByte(0);
            }

            long offset = stream.Position;
            stream.Write(tensor.RawData.Span);
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = dataName });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = tensor.RawData.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            tensor.DataLocation = DataLocation.External;
            tensor.RawData = ByteString.Empty;
        }
    }
}
