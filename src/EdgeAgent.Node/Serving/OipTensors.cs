using System.Buffers;
using System.Globalization;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference;
using EdgeAgent.Inference.Execution;
using EdgeAgent.Inference.Tensors;
using Google.Protobuf;

namespace EdgeAgent.Node.Serving;

/// <summary>
/// Executor inputs made from a validated request. Raw inputs are the request's own bytes (no
/// copy); typed inputs are converted once into pooled arrays, returned on dispose.
/// </summary>
public sealed class RequestTensors : IDisposable
{
    private readonly List<byte[]> _rented;

    private RequestTensors(IReadOnlyList<InferenceInput> inputs, List<byte[]> rented)
    {
        Inputs = inputs;
        _rented = rented;
    }

    /// <summary>Inputs in the request's order.</summary>
    public IReadOnlyList<InferenceInput> Inputs { get; }

    /// <summary>Builds executor inputs; typed values out of range for their datatype are INVALID_ARGUMENT.</summary>
    /// <exception cref="InferenceException">InvalidArgument: a typed value does not fit its datatype.</exception>
    public static RequestTensors Create(ModelInferRequest request, ValidatedRequest validated)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(validated);
        var inputs = new InferenceInput[validated.Inputs.Count];
        var rented = new List<byte[]>();
        try
        {
            for (var i = 0; i < inputs.Length; i++)
            {
                var input = validated.Inputs[i];
                ReadOnlyMemory<byte> data;
                if (validated.UsesRawInputs && InferMessages.IsAligned(request.RawInputContents[input.RequestIndex].Memory, 8))
                {
                    // The request's own bytes (a view of the received message, InferMessages).
                    data = request.RawInputContents[input.RequestIndex].Memory;
                }
                else if (validated.UsesRawInputs)
                {
                    // A raw tensor after the first one of a request may start at any offset of the
                    // received message: ONNX Runtime gets an aligned copy.
                    var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, input.ByteCount));
                    rented.Add(buffer);
                    request.RawInputContents[input.RequestIndex].Span.CopyTo(buffer);
                    data = buffer.AsMemory(0, input.ByteCount);
                }
                else
                {
                    var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, input.ByteCount));
                    rented.Add(buffer);
                    Encode(input, request.Inputs[input.RequestIndex].Contents, buffer.AsSpan(0, input.ByteCount));
                    data = buffer.AsMemory(0, input.ByteCount);
                }

                inputs[i] = new InferenceInput(input.Name, input.DataType, input.Shape, data);
            }
        }
        catch
        {
            Return(rented);
            throw;
        }

        return new RequestTensors(inputs, rented);
    }

    /// <inheritdoc />
    public void Dispose() => Return(_rented);

    private static void Return(List<byte[]> rented)
    {
        foreach (var array in rented)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        rented.Clear();
    }

    private static void Encode(ValidatedInput input, InferTensorContents contents, Span<byte> destination)
    {
        int bad;
        switch (input.DataType)
        {
            case TensorDataType.Bool: TypedTensorCodec.EncodeBool(contents.BoolContents, destination); return;
            case TensorDataType.Int64: TypedTensorCodec.EncodeInt64(contents.Int64Contents, destination); return;
            case TensorDataType.UInt64: TypedTensorCodec.EncodeUInt64(contents.Uint64Contents, destination); return;
            case TensorDataType.Fp32: TypedTensorCodec.EncodeFp32(contents.Fp32Contents, destination); return;
            case TensorDataType.Fp64: TypedTensorCodec.EncodeFp64(contents.Fp64Contents, destination); return;
            case TensorDataType.Int8 or TensorDataType.Int16 or TensorDataType.Int32:
                if (!TypedTensorCodec.TryEncodeInt(contents.IntContents, input.DataType, destination, out bad))
                {
                    throw OutOfRange(input, contents.IntContents[bad].ToString(CultureInfo.InvariantCulture), bad);
                }

                return;
            case TensorDataType.UInt8 or TensorDataType.UInt16 or TensorDataType.UInt32:
                if (!TypedTensorCodec.TryEncodeUInt(contents.UintContents, input.DataType, destination, out bad))
                {
                    throw OutOfRange(input, contents.UintContents[bad].ToString(CultureInfo.InvariantCulture), bad);
                }

                return;
            default:
                throw InferRequestValidator.Invalid($"Input '{WireText.Printable(input.Name)}' is {input.DataType.ToProtocolName()}, which has no typed form.");
        }
    }

    private static InferenceException OutOfRange(ValidatedInput input, string value, int index) =>
        InferRequestValidator.Invalid(string.Create(CultureInfo.InvariantCulture,
            $"Input '{WireText.Printable(input.Name)}': element {index} is {value}, out of range for {input.DataType.ToProtocolName()}."));
}

/// <summary>
/// Builds ModelInfer responses from executor outputs. The rule: the response is raw
/// (<c>raw_output_contents</c>) when the request sent raw inputs or when any output is FP16/BF16
/// (which have no typed form); otherwise outputs are typed <c>contents</c>.
/// </summary>
public static class ResponseTensors
{
    /// <summary>True when the response to <paramref name="validated"/> with these outputs is raw.</summary>
    public static bool UseRaw(ValidatedRequest validated, IReadOnlyList<InferenceOutput> outputs)
    {
        ArgumentNullException.ThrowIfNull(validated);
        ArgumentNullException.ThrowIfNull(outputs);
        return validated.UsesRawInputs || outputs.Any(o => o.DataType.IsRawOnly() || !o.DataType.IsExecutable());
    }

    /// <summary>A response holding <paramref name="outputs"/> (one copy of each output's bytes).</summary>
    public static ModelInferResponse Build(ValidatedRequest validated, IReadOnlyList<InferenceOutput> outputs)
    {
        var raw = UseRaw(validated, outputs);
        var response = new ModelInferResponse();
        foreach (var output in outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor
            {
                Name = output.Name,
                Datatype = output.DataType.ToProtocolName(),
            };
            tensor.Shape.Add(output.Shape);
            if (raw)
            {
                response.RawOutputContents.Add(ByteString.CopyFrom(output.Data));
            }
            else
            {
                tensor.Contents = Typed(output);
            }

            response.Outputs.Add(tensor);
        }

        return response;
    }

    private static InferTensorContents Typed(InferenceOutput output)
    {
        var contents = new InferTensorContents();
        var data = output.Data;
        var count = output.DataType.ElementSize() is var size and > 0 ? data.Length / size : 0;
        switch (TypedTensorCodec.FieldFor(output.DataType))
        {
            case TypedContentsField.Bool:
                contents.BoolContents.Capacity = count;
                TypedTensorCodec.DecodeBool(data, contents.BoolContents);
                break;
            case TypedContentsField.Int:
                contents.IntContents.Capacity = count;
                TypedTensorCodec.DecodeInt(data, output.DataType, contents.IntContents);
                break;
            case TypedContentsField.Int64:
                contents.Int64Contents.Capacity = count;
                TypedTensorCodec.DecodeInt64(data, contents.Int64Contents);
                break;
            case TypedContentsField.UInt:
                contents.UintContents.Capacity = count;
                TypedTensorCodec.DecodeUInt(data, output.DataType, contents.UintContents);
                break;
            case TypedContentsField.UInt64:
                contents.Uint64Contents.Capacity = count;
                TypedTensorCodec.DecodeUInt64(data, contents.Uint64Contents);
                break;
            case TypedContentsField.Fp32:
                contents.Fp32Contents.Capacity = count;
                TypedTensorCodec.DecodeFp32(data, contents.Fp32Contents);
                break;
            case TypedContentsField.Fp64:
                contents.Fp64Contents.Capacity = count;
                TypedTensorCodec.DecodeFp64(data, contents.Fp64Contents);
                break;
            default:
                throw new InvalidOperationException($"Output '{output.Name}' of type {output.DataType.ToProtocolName()} has no typed form.");
        }

        return contents;
    }
}
