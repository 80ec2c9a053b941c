using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Repository;
using EdgeAgent.Inference.Tensors;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// Checks a ModelInfer request against a served model before anything is allocated from its
/// claims: names, datatypes, ranks and shapes (-1 dims accept any positive size), checked element
/// and byte counts, raw versus typed data, and the configured size cap. Failures are
/// <see cref="InferenceException"/>s: <see cref="InferenceError.NotFound"/> for an unknown model or
/// version, <see cref="InferenceError.InvalidArgument"/> with a message naming the tensor and the
/// problem for everything else.
/// </summary>
public static class InferRequestValidator
{
    /// <summary>Finds the served model a request names.</summary>
    /// <exception cref="InferenceException">InvalidArgument for an empty name, NotFound for an unknown model or version.</exception>
    public static ServedModel ResolveModel(ModelCatalog catalog, string name, string? version)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        if (string.IsNullOrEmpty(name))
        {
            throw Invalid("The request names no model (model_name is empty).");
        }

        var model = catalog.Find(name)
            ?? throw new InferenceException(InferenceError.NotFound,
                $"Model '{WireText.Printable(name)}' is not served here; served models: {string.Join(", ", catalog.Models.Select(m => m.Name))}.");
        if (!string.IsNullOrEmpty(version) && version != model.VersionString)
        {
            throw new InferenceException(InferenceError.NotFound,
                $"Model '{WireText.Printable(name)}' version '{WireText.Printable(version)}' is not served; the served version is {model.VersionString}.");
        }

        return model;
    }

    /// <summary>Validates <paramref name="request"/> against <paramref name="model"/>.</summary>
    /// <param name="request">The request as received.</param>
    /// <param name="model">The model it names (see <see cref="ResolveModel"/>).</param>
    /// <param name="maxRequestBytes">Cap on the request's tensor data in bytes (Serving:MaxRequestBytes).</param>
    /// <exception cref="InferenceException">InvalidArgument naming the tensor and the problem.</exception>
    public static ValidatedRequest Validate(ModelInferRequest request, ServedModel model, long maxRequestBytes) =>
        Validate(request, model, maxRequestBytes, headOnly: false);

    /// <summary>
    /// Validates the head of a request whose raw input tensors are still arriving
    /// (<see cref="ArrivingRequest.Head"/>): everything <see cref="Validate(ModelInferRequest, ServedModel, long)"/>
    /// checks except the raw tensors' count and lengths, which only the whole request has.
    /// </summary>
    /// <exception cref="InferenceException">As <see cref="Validate(ModelInferRequest, ServedModel, long)"/>.</exception>
    public static ValidatedRequest ValidateHead(ModelInferRequest head, ServedModel model, long maxRequestBytes) =>
        Validate(head, model, maxRequestBytes, headOnly: true);

    private static ValidatedRequest Validate(ModelInferRequest request, ServedModel model, long maxRequestBytes, bool headOnly)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(model);
        if (RequestParameters.Problem(request) is { } parameterProblem)
        {
            throw Invalid(parameterProblem);
        }

        var rawCount = request.RawInputContents.Count;
        var raw = headOnly || rawCount > 0;
        if (!headOnly && raw && rawCount != request.Inputs.Count)
        {
            throw Invalid($"The request has {request.Inputs.Count} inputs but {rawCount} raw_input_contents entries; raw data needs exactly one entry per input, in the order of inputs.");
        }

        var inputs = new ValidatedInput[request.Inputs.Count];
        var seen = new bool[model.Inputs.Count];
        long totalBytes = 0;
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            var input = request.Inputs[i];
            var name = input.Name;
            if (string.IsNullOrEmpty(name))
            {
                throw Invalid($"Input {i} has no name.");
            }

            if (!model.InputIndex.TryGetValue(name, out var modelIndex))
            {
                throw Invalid($"Input '{WireText.Printable(name)}' is not an input of model '{model.Name}'; its inputs are {string.Join(", ", model.Inputs.Select(t => t.Name))}.");
            }

            if (seen[modelIndex])
            {
                throw Invalid($"Input '{WireText.Printable(name)}' appears more than once in the request.");
            }

            seen[modelIndex] = true;
            var expected = model.Inputs[modelIndex];
            var validated = ValidateInput(request, i, input, expected, raw, headOnly);
            try
            {
                totalBytes = checked(totalBytes + validated.ByteCount);
            }
            catch (OverflowException)
            {
                totalBytes = long.MaxValue;
            }

            inputs[i] = validated;
        }

        for (var m = 0; m < seen.Length; m++)
        {
            if (!seen[m])
            {
                var missing = model.Inputs[m];
                throw Invalid($"Input '{missing.Name}' ({missing.DataTypeName} {TensorShapes.Format(missing.Shape.ToArray())}) is missing from the request.");
            }
        }

        if (totalBytes > maxRequestBytes)
        {
            // This node's setting, not the protocol's: RESOURCE_EXHAUSTED, so an agent whose peer
            // has a lower cap runs the request locally (Dispatcher.FallsBackLocally).
            throw new InferenceException(InferenceError.ResourceExhausted, string.Create(CultureInfo.InvariantCulture,
                $"The request carries {totalBytes} bytes of tensor data, over the cap of {maxRequestBytes} bytes (Serving:MaxRequestBytes)."));
        }

        var outputs = ValidateOutputs(request, model);
        return new ValidatedRequest(inputs, outputs, raw, totalBytes);
    }

    private static ValidatedInput ValidateInput(ModelInferRequest request, int index, ModelInferRequest.Types.InferInputTensor input, TensorMetadata expected, bool raw, bool headOnly)
    {
        var name = input.Name;
        if (!TensorDataTypes.TryParse(input.Datatype, out var type))
        {
            throw Invalid($"Input '{WireText.Printable(name)}' has datatype '{WireText.Printable(input.Datatype)}', which is not a protocol datatype; the model expects {expected.DataTypeName}.");
        }

        if (type != expected.DataType)
        {
            throw Invalid($"Input '{WireText.Printable(name)}' has datatype {WireText.Printable(input.Datatype)} but the model expects {expected.DataTypeName}.");
        }

        if (!type.IsExecutable())
        {
            throw Invalid($"Input '{WireText.Printable(name)}' is {WireText.Printable(input.Datatype)}; this server executes fixed-size datatypes only.");
        }

        var shape = new long[input.Shape.Count];
        input.Shape.CopyTo(shape, 0);
        var pattern = expected.Shape;
        if (shape.Length != pattern.Count)
        {
            throw Invalid($"Input '{WireText.Printable(name)}' has shape {TensorShapes.Format(shape)} of rank {shape.Length} but the model expects rank {pattern.Count}: {TensorShapes.Format(pattern.ToArray())}.");
        }

        for (var d = 0; d < shape.Length; d++)
        {
            if (shape[d] <= 0)
            {
                throw Invalid($"Input '{WireText.Printable(name)}' has shape {TensorShapes.Format(shape)}: dimension {d} is {shape[d]}; dimensions must be positive.");
            }

            if (pattern[d] >= 0 && pattern[d] != shape[d])
            {
                throw Invalid($"Input '{WireText.Printable(name)}' has shape {TensorShapes.Format(shape)} but the model expects {TensorShapes.Format(pattern.ToArray())} (dimension {d} must be {pattern[d]}).");
            }
        }

        if (!TensorShapes.TryGetElementCount(shape, out var elements)
            || !TensorShapes.TryGetByteCount(elements, type.ElementSize(), out var bytes)
            || bytes > Array.MaxLength)
        {
            throw Invalid($"Input '{WireText.Printable(name)}' has shape {TensorShapes.Format(shape)}, whose size overflows what one tensor can hold.");
        }

        var contents = input.Contents;
        if (raw)
        {
            if (HasTypedData(contents))
            {
                throw Invalid($"Input '{WireText.Printable(name)}' sets typed contents while the request also uses raw_input_contents; use one or the other for all inputs.");
            }

            var length = headOnly ? bytes : request.RawInputContents[index].Length;
            if (length != bytes)
            {
                throw Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"Input '{WireText.Printable(name)}': raw_input_contents[{index}] has {length} bytes but shape {TensorShapes.Format(shape)} of {WireText.Printable(input.Datatype)} needs {bytes} bytes."));
            }
        }
        else
        {
            ValidateTyped(name, type, contents, elements);
        }

        return new ValidatedInput(name, type, shape, elements, (int)bytes, index);
    }

    private static void ValidateTyped(string name, TensorDataType type, InferTensorContents? contents, long elements)
    {
        if (type.IsRawOnly())
        {
            throw Invalid($"Input '{WireText.Printable(name)}' is {type.ToProtocolName()}, which can only travel in raw_input_contents.");
        }

        if (!HasTypedData(contents))
        {
            throw Invalid($"Input '{WireText.Printable(name)}' carries no data: set contents.{TypedTensorCodec.FieldName(TypedTensorCodec.FieldFor(type))} or use raw_input_contents.");
        }

        var field = TypedTensorCodec.FieldFor(type);
        foreach (var (other, count) in TypedCounts(contents!))
        {
            if (other != field && count > 0)
            {
                throw Invalid($"Input '{WireText.Printable(name)}' is {type.ToProtocolName()} but carries data in {TypedTensorCodec.FieldName(other)}; {type.ToProtocolName()} data goes in {TypedTensorCodec.FieldName(field)}.");
            }

            if (other == field && count != elements)
            {
                throw Invalid(string.Create(CultureInfo.InvariantCulture,
                    $"Input '{WireText.Printable(name)}': {TypedTensorCodec.FieldName(field)} has {count} elements but its shape needs {elements}."));
            }
        }
    }

    private static IReadOnlyList<string> ValidateOutputs(ModelInferRequest request, ServedModel model)
    {
        if (request.Outputs.Count == 0)
        {
            return [];
        }

        var names = new string[request.Outputs.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Length; i++)
        {
            var name = request.Outputs[i].Name;
            if (!model.OutputIndex.ContainsKey(name))
            {
                throw Invalid($"Requested output '{WireText.Printable(name)}' is not an output of model '{model.Name}'; its outputs are {string.Join(", ", model.Outputs.Select(t => t.Name))}.");
            }

            if (!seen.Add(name))
            {
                throw Invalid($"Output '{WireText.Printable(name)}' is requested more than once.");
            }

            names[i] = name;
        }

        return names;
    }

    internal static bool HasTypedData(InferTensorContents? contents) =>
        contents is not null
        && (contents.BoolContents.Count | contents.IntContents.Count | contents.Int64Contents.Count | contents.UintContents.Count
            | contents.Uint64Contents.Count | contents.Fp32Contents.Count | contents.Fp64Contents.Count | contents.BytesContents.Count) != 0;

    private static IEnumerable<(TypedContentsField Field, int Count)> TypedCounts(InferTensorContents contents)
    {
        yield return (TypedContentsField.Bool, contents.BoolContents.Count);
        yield return (TypedContentsField.Int, contents.IntContents.Count);
        yield return (TypedContentsField.Int64, contents.Int64Contents.Count);
        yield return (TypedContentsField.UInt, contents.UintContents.Count);
        yield return (TypedContentsField.UInt64, contents.Uint64Contents.Count);
        yield return (TypedContentsField.Fp32, contents.Fp32Contents.Count);
        yield return (TypedContentsField.Fp64, contents.Fp64Contents.Count);
        yield return (TypedContentsField.Bytes, contents.BytesContents.Count);
    }

    internal static InferenceException Invalid(string message) => new(InferenceError.InvalidArgument, message);
}
