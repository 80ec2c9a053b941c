using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference.Tensors;
using Google.Protobuf;

namespace EdgeAgent.Node.Client;

/// <summary>
/// Builds the inputs of a ModelInfer request from a model's metadata and one source: random
/// values, a tensor file (.npy, or JSON in the KServe v2 REST request form), or an image's RGB
/// pixels (decoding is the caller's: the CLI decodes with SkiaSharp, which the daemon does not load).
/// Every failure is an <see cref="InferInputException"/> naming the option and the problem.
/// </summary>
public static class InferInputs
{
    /// <summary>Largest tensor the client builds (elements), so a typo in --shape cannot exhaust memory.</summary>
    public const long MaxElements = 64L * 1024 * 1024;

    /// <summary>
    /// Seeded random values for every input: FP16/FP32/FP64/BF16 uniform in [0, 1), integers in
    /// [0, 10), BOOL 0 or 1. Variable dimensions (-1) become 1 unless <paramref name="shapes"/>
    /// gives the input's shape (by name, or under "" for a model with one input).
    /// </summary>
    /// <exception cref="InferInputException">A shape does not fit the metadata or a type is not fixed-size.</exception>
    public static IReadOnlyList<ClientTensor> Random(ModelMetadataResponse metadata, IReadOnlyDictionary<string, long[]> shapes, int seed)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(shapes);
        var random = new Random(seed);
        var tensors = new List<ClientTensor>();
        foreach (var input in metadata.Inputs)
        {
            var type = TypeOf(input);
            var shape = ShapeFor(input, shapes, metadata.Inputs.Count);
            var count = ElementCount(input.Name, shape);
            var data = new byte[count * type.ElementSize()];
            for (long i = 0; i < count; i++)
            {
                Write(type, data, i, type switch
                {
                    TensorDataType.Fp16 or TensorDataType.Fp32 or TensorDataType.Fp64 or TensorDataType.Bf16 => random.NextDouble(),
                    TensorDataType.Bool => random.Next(2),
                    _ => random.Next(10),
                });
            }

            tensors.Add(new ClientTensor(input.Name, type, shape, data));
        }

        return tensors;
    }

    /// <summary>
    /// Reads a tensor file: <c>.npy</c> for a model with one input, or <c>.json</c> in the KServe v2
    /// REST form <c>{"inputs": [{"name", "shape", "datatype", "data"}]}</c> (data flat or nested,
    /// row-major) for any number of inputs.
    /// </summary>
    /// <exception cref="InferInputException">The file is unreadable or does not fit the model.</exception>
    public static IReadOnlyList<ClientTensor> FromFile(string path, ModelMetadataResponse metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(metadata);
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            if (metadata.Inputs.Count != 1)
            {
                throw new InferInputException($"--tensor: model '{metadata.Name}' has {metadata.Inputs.Count} inputs and a .npy file holds one tensor; give them all in a .json file.");
            }

            var tensor = NpyFile.Read(path, metadata.Inputs[0].Name);
            CheckType(metadata.Inputs[0], tensor.DataType, path);
            return [tensor];
        }

        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            throw new InferInputException($"--tensor: '{path}' must end in .npy or .json.");
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new InferInputException($"--tensor: cannot read '{path}': {ex.Message}", ex);
        }

        return ParseJson(text, path, metadata);
    }

    /// <summary>Parses the KServe v2 JSON form; <paramref name="path"/> only names the file in errors.</summary>
    /// <exception cref="InferInputException">The text is not valid for the model.</exception>
    public static IReadOnlyList<ClientTensor> ParseJson(string text, string path, ModelMetadataResponse metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new InferInputException($"--tensor: '{path}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
            {
                throw new InferInputException($"--tensor: '{path}' needs an object with an \"inputs\" array, as in {{\"inputs\": [{{\"name\": \"x\", \"shape\": [1, 2], \"datatype\": \"FP32\", \"data\": [1, 2]}}]}}.");
            }

            var tensors = new List<ClientTensor>();
            var index = 0;
            foreach (var input in inputs.EnumerateArray())
            {
                tensors.Add(ParseJsonInput(input, $"--tensor: '{path}' inputs[{index}]", metadata));
                index++;
            }

            return tensors;
        }
    }

    /// <summary>
    /// Where an image goes in the model: its single rank-4 input, NCHW when dimension 1 is 3 (or
    /// variable) and NHWC when dimension 3 is 3, FP32/FP16 (scaled to [0, 1]) or UINT8 (0-255).
    /// Height and width are the input's fixed sizes, null where variable (the image's own size).
    /// </summary>
    /// <exception cref="InferInputException">The model does not take one image; the message says why.</exception>
    public static ImageLayout ImageLayoutOf(ModelMetadataResponse metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Inputs.Count != 1 || metadata.Inputs[0].Shape.Count != 4)
        {
            throw new InferInputException($"--image: model '{metadata.Name}' does not take one image: it needs exactly one input of rank 4 (N, C, H, W or N, H, W, C); use --tensor.");
        }

        var input = metadata.Inputs[0];
        var type = TypeOf(input);
        if (type is not (TensorDataType.Fp32 or TensorDataType.Fp16 or TensorDataType.UInt8))
        {
            throw new InferInputException($"--image: input '{input.Name}' is {input.Datatype}; an image fills FP32, FP16 or UINT8 inputs; use --tensor.");
        }

        var dims = input.Shape;
        var nhwc = dims[3] == 3 && dims[1] != 3;
        if (!nhwc && dims[1] is not (3 or -1))
        {
            throw new InferInputException($"--image: input '{input.Name}' has shape {TensorShapes.Format(dims.ToArray())}, with no dimension of 3 channels at 1 (NCHW) or 3 (NHWC); use --tensor.");
        }

        var height = nhwc ? dims[1] : dims[2];
        var width = nhwc ? dims[2] : dims[3];
        return new ImageLayout(input.Name, type, nhwc, height > 0 ? (int)height : null, width > 0 ? (int)width : null);
    }

    /// <summary>The tensor for RGB pixels (3 bytes per pixel, row-major) already sized to <paramref name="width"/> x <paramref name="height"/>.</summary>
    public static ClientTensor FromRgb(ImageLayout layout, int width, int height, ReadOnlySpan<byte> rgb)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (rgb.Length != (long)width * height * 3)
        {
            throw new ArgumentException("Expected 3 bytes per pixel.", nameof(rgb));
        }

        long[] shape = layout.Nhwc ? [1, height, width, 3] : [1, 3, height, width];
        var count = ElementCount(layout.InputName, shape);
        var data = new byte[count * layout.DataType.ElementSize()];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var value = rgb[(((y * width) + x) * 3) + c];
                    long index = layout.Nhwc ? ((((long)y * width) + x) * 3) + c : ((long)c * height * width) + ((long)y * width) + x;
                    Write(layout.DataType, data, index, layout.DataType == TensorDataType.UInt8 ? value : value / 255.0);
                }
            }
        }

        return new ClientTensor(layout.InputName, layout.DataType, shape, data);
    }

    /// <summary>Parses "1x3x640x640" or "NAME=1x3x640x640" (--shape); a bare shape is keyed "".</summary>
    /// <exception cref="InferInputException">The text is not a shape of positive integers.</exception>
    public static KeyValuePair<string, long[]> ParseShape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var equals = text.LastIndexOf('=');
        var name = equals >= 0 ? text[..equals] : "";
        var dims = new List<long>();
        foreach (var part in text[(equals + 1)..].Split('x'))
        {
            if (!long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var dim) || dim <= 0)
            {
                throw new InferInputException($"--shape: '{text}' is not [NAME=]DxDx... with positive integer dimensions, as in 1x3x640x640.");
            }

            dims.Add(dim);
        }

        return new(name, [.. dims]);
    }

    /// <summary>
    /// A ModelInfer request carrying <paramref name="tensors"/> as raw inputs; with <paramref name="followed"/>,
    /// the request parameter <see cref="Serving.RequestParameters.Followed"/> = true (a later request waits for this one).
    /// </summary>
    public static ModelInferRequest ToRequest(string model, string? version, IReadOnlyList<ClientTensor> tensors, bool followed = false)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var request = new ModelInferRequest { ModelName = model, ModelVersion = version ?? "" };
        if (followed)
        {
            Serving.RequestParameters.MarkFollowed(request);
        }

        foreach (var tensor in tensors)
        {
            var input = new ModelInferRequest.Types.InferInputTensor { Name = tensor.Name, Datatype = tensor.DataType.ToProtocolName() };
            input.Shape.Add(tensor.Shape);
            request.Inputs.Add(input);
            request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(tensor.Data));
        }

        return request;
    }

    private static ClientTensor ParseJsonInput(JsonElement input, string where, ModelMetadataResponse metadata)
    {
        if (input.ValueKind != JsonValueKind.Object
            || !input.TryGetProperty("name", out var nameElement) || nameElement.ValueKind != JsonValueKind.String
            || !input.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !input.TryGetProperty("datatype", out var typeElement) || typeElement.ValueKind != JsonValueKind.String
            || !input.TryGetProperty("data", out var dataElement))
        {
            throw new InferInputException($"{where} needs \"name\" (string), \"shape\" (array), \"datatype\" (string) and \"data\".");
        }

        var name = nameElement.GetString()!;
        var meta = metadata.Inputs.FirstOrDefault(i => i.Name == name)
            ?? throw new InferInputException($"{where} is named '{name}'; model '{metadata.Name}' has inputs {string.Join(", ", metadata.Inputs.Select(i => i.Name))}.");
        if (!TensorDataTypes.TryParse(typeElement.GetString(), out var type) || !type.IsExecutable())
        {
            throw new InferInputException($"{where} has datatype '{typeElement.GetString()}', not a fixed-size OIP datatype (BOOL, UINT8-64, INT8-64, FP16, FP32, FP64, BF16).");
        }

        CheckType(meta, type, where);
        var shape = new List<long>();
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d) || d < 0)
            {
                throw new InferInputException($"{where} has shape entry {dim.GetRawText()}; dimensions are non-negative integers.");
            }

            shape.Add(d);
        }

        var count = ElementCount(name, [.. shape]);
        var values = new List<JsonElement>();
        Flatten(dataElement, values, count, where);
        if (values.Count != count)
        {
            throw new InferInputException(string.Create(CultureInfo.InvariantCulture, $"{where} has {values.Count} values; shape {TensorShapes.Format(shape.ToArray())} needs {count}."));
        }

        var data = new byte[count * type.ElementSize()];
        for (var i = 0; i < values.Count; i++)
        {
            var value = values[i];
            double number;
            if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                number = value.GetBoolean() ? 1 : 0;
            }
            else if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out number))
            {
                throw new InferInputException($"{where} data[{i}] is {value.GetRawText()}, not a number.");
            }

            if (!InRange(type, number))
            {
                throw new InferInputException(string.Create(CultureInfo.InvariantCulture, $"{where} data[{i}] is {value.GetRawText()}, out of range for {type.ToProtocolName()}."));
            }

            if (type is TensorDataType.Int64 && value.TryGetInt64(out var exact))
            {
                BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * 8), exact);
            }
            else if (type is TensorDataType.UInt64 && value.TryGetUInt64(out var exactU))
            {
                BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(i * 8), exactU);
            }
            else
            {
                Write(type, data, i, number);
            }
        }

        return new ClientTensor(name, type, [.. shape], data);
    }

    private static void Flatten(JsonElement element, List<JsonElement> sink, long limit, string where)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Flatten(item, sink, limit, where);
            }
        }
        else
        {
            if (sink.Count >= limit + 1)
            {
                return;
            }

            sink.Add(element);
        }
    }

    private static bool InRange(TensorDataType type, double v) => type switch
    {
        TensorDataType.Bool => v is 0 or 1,
        TensorDataType.UInt8 => IsInteger(v) && v is >= 0 and <= byte.MaxValue,
        TensorDataType.Int8 => IsInteger(v) && v is >= sbyte.MinValue and <= sbyte.MaxValue,
        TensorDataType.UInt16 => IsInteger(v) && v is >= 0 and <= ushort.MaxValue,
        TensorDataType.Int16 => IsInteger(v) && v is >= short.MinValue and <= short.MaxValue,
        TensorDataType.UInt32 => IsInteger(v) && v is >= 0 and <= uint.MaxValue,
        TensorDataType.Int32 => IsInteger(v) && v is >= int.MinValue and <= int.MaxValue,
        TensorDataType.UInt64 => IsInteger(v) && v >= 0,
        TensorDataType.Int64 => IsInteger(v),
        _ => true,
    };

    private static bool IsInteger(double v) => double.IsFinite(v) && Math.Floor(v) == v;

    private static void Write(TensorDataType type, byte[] data, long index, double value)
    {
        var size = type.ElementSize();
        var span = data.AsSpan(checked((int)(index * size)), size);
        switch (type)
        {
            case TensorDataType.Bool: span[0] = value != 0 ? (byte)1 : (byte)0; break;
            case TensorDataType.UInt8: span[0] = (byte)value; break;
            case TensorDataType.Int8: span[0] = unchecked((byte)(sbyte)value); break;
            case TensorDataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)value); break;
            case TensorDataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(span, (short)value); break;
            case TensorDataType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)value); break;
            case TensorDataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(span, (int)value); break;
            case TensorDataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)value); break;
            case TensorDataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(span, (long)value); break;
            case TensorDataType.Fp16: BinaryPrimitives.WriteHalfLittleEndian(span, (Half)value); break;
            case TensorDataType.Bf16: BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)(BitConverter.SingleToUInt32Bits((float)value) >> 16)); break;
            case TensorDataType.Fp32: BinaryPrimitives.WriteSingleLittleEndian(span, (float)value); break;
            case TensorDataType.Fp64: BinaryPrimitives.WriteDoubleLittleEndian(span, value); break;
            default: throw new InferInputException($"Datatype {type.ToProtocolName()} cannot be written.");
        }
    }

    private static TensorDataType TypeOf(ModelMetadataResponse.Types.TensorMetadata input)
    {
        if (!TensorDataTypes.TryParse(input.Datatype, out var type) || !type.IsExecutable())
        {
            throw new InferInputException($"Input '{input.Name}' is {input.Datatype}; the client builds fixed-size datatypes only (BOOL, UINT8-64, INT8-64, FP16, FP32, FP64, BF16).");
        }

        return type;
    }

    private static void CheckType(ModelMetadataResponse.Types.TensorMetadata input, TensorDataType type, string where)
    {
        if (input.Datatype != type.ToProtocolName())
        {
            throw new InferInputException($"{(where.StartsWith("--", StringComparison.Ordinal) ? where : $"--tensor: '{where}'")} holds {type.ToProtocolName()}; input '{input.Name}' is {input.Datatype}.");
        }
    }

    private static long[] ShapeFor(ModelMetadataResponse.Types.TensorMetadata input, IReadOnlyDictionary<string, long[]> shapes, int inputCount)
    {
        if (shapes.TryGetValue(input.Name, out var given) || (inputCount == 1 && shapes.TryGetValue("", out given)))
        {
            var pattern = input.Shape.ToArray();
            if (!TensorShapes.Matches(pattern, given))
            {
                throw new InferInputException($"--shape: {TensorShapes.Format(given)} does not fit input '{input.Name}' of shape {TensorShapes.Format(pattern)} (-1 is any size).");
            }

            return given;
        }

        return input.Shape.Select(d => d < 0 ? 1 : d).ToArray();
    }

    private static long ElementCount(string name, long[] shape)
    {
        if (!TensorShapes.TryGetElementCount(shape, out var count) || count > MaxElements)
        {
            throw new InferInputException(string.Create(CultureInfo.InvariantCulture, $"Input '{name}' of shape {TensorShapes.Format(shape)} has more than {MaxElements} elements."));
        }

        return count;
    }
}
