using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeAgent.Contracts.Inference;
using EdgeAgent.Inference.Tensors;
using EdgeAgent.Node.Serving;

namespace EdgeAgent.Node.Client;

/// <summary>
/// Renders a ModelInfer response as `edgeagent infer` prints it: model, where it ran (the
/// <c>edgeagent.*</c> response parameters; a plain OIP server reports none), and each output's
/// datatype, shape and a summary of its values (count, min, max, mean, the first few).
/// </summary>
public static class InferResultText
{
    /// <summary>Values shown in full before the summary stops listing them.</summary>
    public const int ShownValues = 8;

    /// <summary>The response as text; <paramref name="roundTrip"/> is the client's measured call time.</summary>
    public static string Format(ModelInferResponse response, TimeSpan roundTrip)
    {
        ArgumentNullException.ThrowIfNull(response);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"model       {response.ModelName}{(response.ModelVersion.Length > 0 ? " version " + response.ModelVersion : "")}");
        if (response.Parameters.TryGetValue(ResponseParameters.Placement, out var placement))
        {
            text.Append(c, $"placement   {placement.StringParam}");
            if (response.Parameters.TryGetValue(ResponseParameters.FallbackFrom, out var from))
            {
                text.Append(c, $" (fell back from peer {from.StringParam})");
            }

            text.AppendLine();
            text.AppendLine(c, $"queue ms    {Number(response, ResponseParameters.QueueMs)}");
            text.AppendLine(c, $"exec ms     {Number(response, ResponseParameters.ExecMs)}");
        }
        else
        {
            text.AppendLine("placement   not reported (the server sets no edgeagent.* parameters: not an EdgeAgent node)");
        }

        text.AppendLine(c, $"round trip  {roundTrip.TotalMilliseconds:0.###} ms (measured by this client)");
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            var output = response.Outputs[i];
            text.AppendLine(c, $"output      {output.Name} {output.Datatype} {TensorShapes.Format(output.Shape.ToArray())} {Summary(response, i)}");
        }

        return text.ToString();
    }

    /// <summary>"n=16 min=.. max=.. mean=.. values=[..]" for output <paramref name="index"/>.</summary>
    public static string Summary(ModelInferResponse response, int index)
    {
        ArgumentNullException.ThrowIfNull(response);
        var output = response.Outputs[index];
        if (!TensorDataTypes.TryParse(output.Datatype, out var type) || !type.IsExecutable())
        {
            return "(values not summarized for this datatype)";
        }

        double[] values;
        if (response.RawOutputContents.Count > 0)
        {
            if (index >= response.RawOutputContents.Count)
            {
                return "(no raw_output_contents entry for this output)";
            }

            values = Decode(type, response.RawOutputContents[index].Span);
        }
        else
        {
            values = Typed(output.Contents);
        }

        if (values.Length == 0)
        {
            return "n=0";
        }

        var c = CultureInfo.InvariantCulture;
        var shown = string.Join(", ", values.Take(ShownValues).Select(v => v.ToString("G6", c)));
        return string.Create(c, $"n={values.Length} min={values.Min():G6} max={values.Max():G6} mean={values.Average():G6} values=[{shown}{(values.Length > ShownValues ? ", ..." : "")}]");
    }

    private static string Number(ModelInferResponse response, string key) =>
        response.Parameters.TryGetValue(key, out var p)
            ? p.ParameterChoiceCase switch
            {
                InferParameter.ParameterChoiceOneofCase.DoubleParam => p.DoubleParam.ToString("0.###", CultureInfo.InvariantCulture),
                InferParameter.ParameterChoiceOneofCase.Int64Param => p.Int64Param.ToString(CultureInfo.InvariantCulture),
                _ => p.ToString(),
            }
            : "not reported";

    private static double[] Typed(InferTensorContents? contents)
    {
        if (contents is null)
        {
            return [];
        }

        return contents.Fp32Contents.Count > 0 ? contents.Fp32Contents.Select(v => (double)v).ToArray()
            : contents.Fp64Contents.Count > 0 ? [.. contents.Fp64Contents]
            : contents.IntContents.Count > 0 ? contents.IntContents.Select(v => (double)v).ToArray()
            : contents.Int64Contents.Count > 0 ? contents.Int64Contents.Select(v => (double)v).ToArray()
            : contents.UintContents.Count > 0 ? contents.UintContents.Select(v => (double)v).ToArray()
            : contents.Uint64Contents.Count > 0 ? contents.Uint64Contents.Select(v => (double)v).ToArray()
            : contents.BoolContents.Select(v => v ? 1.0 : 0.0).ToArray();
    }

    private static double[] Decode(TensorDataType type, ReadOnlySpan<byte> raw)
    {
        var size = type.ElementSize();
        var values = new double[raw.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            var s = raw.Slice(i * size, size);
            values[i] = type switch
            {
                TensorDataType.Bool or TensorDataType.UInt8 => s[0],
                TensorDataType.Int8 => (sbyte)s[0],
                TensorDataType.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(s),
                TensorDataType.Int16 => BinaryPrimitives.ReadInt16LittleEndian(s),
                TensorDataType.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(s),
                TensorDataType.Int32 => BinaryPrimitives.ReadInt32LittleEndian(s),
                TensorDataType.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(s),
                TensorDataType.Int64 => BinaryPrimitives.ReadInt64LittleEndian(s),
                TensorDataType.Fp16 => (double)BinaryPrimitives.ReadHalfLittleEndian(s),
                TensorDataType.Bf16 => BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(s) << 16),
                TensorDataType.Fp32 => BinaryPrimitives.ReadSingleLittleEndian(s),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(s),
            };
        }

        return values;
    }
}
